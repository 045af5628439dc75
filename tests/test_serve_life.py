"""A reader's whole life through the real command line and real servers (issue 22's "done when"): subscribe in
Chromium (through a stand-in for the reverse proxy at the public address) -> the confirmation email arrives
at aiosmtpd -> confirm -> the next `send` includes the reader -> a one-click POST to the URL in that reader's
own List-Unsubscribe header -> the next send skips them -> the secret is rotated (the old one listed in
DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS, so the old link still resolves) -> still skipped. Beside them, a
Postfix-format 5.1.1 DSN piped to `digest bounce` and a Postmark SpamComplaint webhook each take their
reader off the next send, and every message sent carries a DKIM signature that verifies."""
from __future__ import annotations

import base64
import http.client
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_digest_process
from mailserver import MailServer, free_port
from served import Served, start
from test_bounce import sample
from test_browser import browser  # noqa: F401 - the Chromium fixture
from test_dkim import assert_signed, key, with_key  # noqa: F401 - key: the module's RSA key fixture
from test_readers import SECRET, smtp_readers
from test_send import DAY1, DAY2, parse
from test_serve import confirm_link, confirmations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PUBLIC = "https://news.example/newsletter"  # serve.base_url: what the emails and pages link to
NEW_SECRET = "a new secret, the old one leaked"
POSTMARK = {"PM_USER": "postmark-hooks", "PM_PASS": "a long webhook password"}


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS", raising=False)


def got_it(mail: MailServer, start: int) -> list[str]:
    return sorted(address for received in mail.received[start:] for address in received.rcpt_tos)


def one_click(served: Served, url: str) -> int:
    """What Gmail does with the header: a POST, no cookie, no page, through the proxy to the server."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    connection.request("POST", urlsplit(url).path.removeprefix(urlsplit(PUBLIC).path), b"List-Unsubscribe=One-Click",
                       {"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    assert answer.getheader("Location") is None
    connection.close()
    return answer.status


def subscribe_in_chromium(browser, served: Served, mail: MailServer, address: str, name: str) -> bytes:  # noqa: F811
    """Subscribe and confirm as a reader would, at a phone's width; the confirmation email's bytes as they arrived."""
    context = browser.new_context(viewport={"width": 375, "height": 800})

    def proxy(route) -> None:  # the reverse proxy: the public address mapped to the server's root
        route.fulfill(response=route.fetch(url=route.request.url.replace(PUBLIC, served.url, 1)))

    context.route(f"{PUBLIC}/**", proxy)
    page = context.new_page()
    page.goto(f"{PUBLIC}/subscribe")
    page.fill("#email", address)
    page.fill("#name", name)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your inbox")
    (message,) = confirmations(mail, address)
    link = confirm_link(message)
    assert link.startswith(f"{PUBLIC}/confirm/")
    page.goto(link)
    page.click("text=Confirm my subscription")
    page.wait_for_selector("text=You are subscribed")
    context.close()
    return next(got.data for got in mail.received if got.rcpt_tos == [address])


def test_a_readers_whole_life_with_a_bounce_a_complaint_and_signed_mail(
        tmp_path: Path, mail_server: MailServer, browser, key, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    project = with_key(smtp_readers(tmp_path, mail_server), key)
    port = free_port()
    text = project.config.read_text().replace('  unsubscribe_url: "https://example.com/unsubscribe/{{subscriber}}"\n', "")
    text = text.replace("delivery:\n", "delivery:\n  return_path: bounces@example.com\n", 1)
    hooks = "{postmark: {username_env: PM_USER, password_env: PM_PASS}}"
    project.config.write_text(text + f"serve: {{base_url: \"{PUBLIC}\", port: {port}, webhooks: {hooks}}}\n")
    served = start(tmp_path, project.config, port, {"DIGEST_UNSUBSCRIBE_SECRET": SECRET, **POSTMARK})
    try:
        assert project.digest("send", "--date", str(DAY1)).exit_code == 0
        assert got_it(mail_server, 0) == ["ann@example.org", "bob@example.net", "cy@example.com"]
        for got in mail_server.received:
            assert_signed(got.data, key)
        first = {got.rcpt_tos[0]: parse(got.data) for got in mail_server.received}

        # ann's address is gone: the mail server's DSN, quoting her copy, piped in as the MTA alias does
        dsn = sample("postfix-dsn-5.1.1.eml", first["ann@example.org"]["Message-ID"])
        bounced = run_digest_process("bounce", "-c", str(project.config), input=dsn)
        assert bounced.returncode == 0 and bounced.stdout.decode().startswith("ann@example.org: suppressed (hard bounce 5.1.1"), bounced.stderr
        # bob marked it as spam at a provider that reports through Postmark's webhook
        complaint = {"RecordType": "SpamComplaint", "MessageStream": "broadcast", "ID": 4242, "Type": "SpamComplaint",
                     "TypeCode": 512, "Email": "bob@example.net", "From": "daily@example.com", "BouncedAt": "2026-05-14T21:10:00Z"}
        auth = "Basic " + base64.b64encode(f"{POSTMARK['PM_USER']}:{POSTMARK['PM_PASS']}".encode()).decode()
        answer = served.request("POST", "/webhooks/postmark", json.dumps(complaint).encode(),
                                {"Content-Type": "application/json", "Authorization": auth})
        assert answer.status == 200

        assert_signed(subscribe_in_chromium(browser, served, mail_server, "new@example.org", "New Reader"), key, edition=False)

        before = len(mail_server.received)
        assert project.digest("send", "--date", str(DAY2)).exit_code == 0
        assert got_it(mail_server, before) == ["cy@example.com", "new@example.org"]  # the bounce and the complaint are left out
        theirs = next(got.data for got in mail_server.received[before:] if got.rcpt_tos == ["new@example.org"])
        assert_signed(theirs, key)
        assert str(parse(theirs)["To"]) == "New Reader <new@example.org>"
        url = re.search(r"<(https://[^>]+)>", str(parse(theirs)["List-Unsubscribe"])).group(1)
        assert url.startswith(f"{PUBLIC}/unsubscribe/")
        assert one_click(served, url) == 200

        before = len(mail_server.received)
        assert project.digest("send", "--date", str(DAY2), "--force").exit_code == 0
        assert got_it(mail_server, before) == ["cy@example.com"]

        # a new secret; the old one stays valid for old links while it is listed as previous
        served.stop()
        monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", NEW_SECRET)
        monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS", SECRET)
        served = start(tmp_path, project.config, port, {"DIGEST_UNSUBSCRIBE_SECRET": NEW_SECRET,
                                                         "DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS": SECRET, **POSTMARK})
        assert one_click(served, url) == 200  # the link in the email they have still resolves to them
        before = len(mail_server.received)
        assert project.digest("send", "--date", str(DAY2), "--force").exit_code == 0
        assert got_it(mail_server, before) == ["cy@example.com"]
        (again,) = mail_server.received[before:]
        assert_signed(again.data, key)
        assert parse(again.data)["List-Unsubscribe"] != first["cy@example.com"]["List-Unsubscribe"]  # made with the new secret

        states = project.digest("readers", "--format", "csv").stdout
        for address, reason in (("ann@example.org", "hard-bounce"), ("bob@example.net", "complaint"), ("new@example.org", "unsubscribed")):
            assert re.search(rf"^{re.escape(address)},[^\n]*,suppressed,{reason},", states, re.MULTILINE), states
    finally:
        served.stop()
