"""A reader's whole life through the real command line and real servers: subscribe in Chromium (through a
stand-in for the reverse proxy at the public address) -> the confirmation email arrives at aiosmtpd ->
confirm -> the next `send` includes the reader -> a one-click POST to the URL in that reader's own
List-Unsubscribe header -> the next send skips them -> the secret is rotated -> still skipped."""
from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from mailserver import MailServer, free_port
from served import start
from test_browser import browser  # noqa: F401 - the Chromium fixture
from test_readers import SECRET, smtp_readers
from test_send import DAY1, DAY2, parse
from test_serve import confirm_link, confirmations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PUBLIC = "https://news.example/newsletter"  # serve.base_url: what the emails and pages link to


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS", raising=False)


def got_it(mail: MailServer, start: int) -> list[str]:
    return [address for received in mail.received[start:] for address in received.rcpt_tos]


def test_subscribe_confirm_receive_unsubscribe_and_stay_out_after_a_new_secret(
        tmp_path: Path, mail_server: MailServer, browser, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    project = smtp_readers(tmp_path, mail_server)
    port = free_port()
    text = project.config.read_text().replace('  unsubscribe_url: "https://example.com/unsubscribe/{{subscriber}}"\n', "")
    project.config.write_text(text + f"serve: {{base_url: \"{PUBLIC}\", port: {port}}}\n")
    served = start(tmp_path, project.config, port, {"DIGEST_UNSUBSCRIBE_SECRET": SECRET})
    try:
        assert project.digest("send", "--date", str(DAY1)).exit_code == 0
        assert sorted(got_it(mail_server, 0)) == ["ann@example.org", "bob@example.net", "cy@example.com"]

        context = browser.new_context(viewport={"width": 375, "height": 800})

        def proxy(route) -> None:  # the reverse proxy: the public address mapped to the server's root
            local = route.request.url.replace(PUBLIC, served.url, 1)
            route.fulfill(response=route.fetch(url=local))

        context.route(f"{PUBLIC}/**", proxy)
        page = context.new_page()
        page.goto(f"{PUBLIC}/subscribe")
        page.fill("#email", "new@example.org")
        page.fill("#name", "New Reader")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Check your inbox")
        (message,) = confirmations(mail_server, "new@example.org")
        link = confirm_link(message)
        assert link.startswith(f"{PUBLIC}/confirm/")
        page.goto(link)
        page.click("text=Confirm my subscription")
        page.wait_for_selector("text=You are subscribed")
        context.close()

        before = len(mail_server.received)
        assert project.digest("send", "--date", str(DAY2)).exit_code == 0
        theirs = next(parse(r.data) for r in mail_server.received[before:] if r.rcpt_tos == ["new@example.org"])
        assert str(theirs["To"]) == "New Reader <new@example.org>"
        assert theirs["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = str(theirs["List-Unsubscribe"]).strip("<>").split(">")[0]
        assert url.startswith(f"{PUBLIC}/unsubscribe/")

        # what Gmail does with the header: a POST, no cookie, no page, through the proxy to the server
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", urlsplit(url).path.removeprefix(urlsplit(PUBLIC).path), b"List-Unsubscribe=One-Click",
                           {"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        assert answer.status == 200 and answer.getheader("Location") is None
        connection.close()

        before = len(mail_server.received)
        assert project.digest("send", "--date", str(DAY2), "--force").exit_code == 0
        assert sorted(got_it(mail_server, before)) == ["ann@example.org", "bob@example.net", "cy@example.com"]

        monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", "a new secret, the old one leaked")
        before = len(mail_server.received)
        assert project.digest("send", "--date", str(DAY2), "--force").exit_code == 0
        assert sorted(got_it(mail_server, before)) == ["ann@example.org", "bob@example.net", "cy@example.com"]
    finally:
        served.stop()
