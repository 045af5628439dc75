"""`digest serve` as a real process over real HTTP: subscribe with double opt-in (the confirmation email
through a real aiosmtpd), confirm, one-click unsubscribe (RFC 8058), and the bad input of issue 22."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from pathlib import Path

import pytest
from conftest import run_digest
from mailserver import MailServer, free_port
from served import SECRET, Client, Served, form_fields, start, write_config

from digest.config import load_config
from digest.readers import Reader, recipients, token
from digest.store import Store

pytestmark = pytest.mark.slow  # each module starts a server process


@pytest.fixture(scope="module")
def mail() -> MailServer:
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Served:
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    server = start(folder, write_config(folder, port, mail.port, {"subscribe_per_client": 30}), port)
    yield server
    server.stop()


def opted_out(served: Served) -> frozenset[str]:
    return frozenset(served.suppressions())


def confirmations(mail: MailServer, address: str, count: int = 1, wait: float = 30) -> list[email.message.EmailMessage]:
    """The confirmation emails to `address`, once `count` of them have arrived."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = [message for message in (email.message_from_bytes(r.data, policy=email.policy.default) for r in mail.received)
                 if address in str(message["To"])]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} confirmation email(s) to {address} did not arrive; got {len(mail.received)} in all")


def confirm_link(message: email.message.EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/confirm/\S+", text).group(0)


def test_double_opt_in_over_http(served: Served, mail: MailServer) -> None:
    client = Client(served, forwarded_for="198.51.100.1")
    answer = client.fill_and_post("/subscribe", email="Carol@Example.org", name="Carol")
    assert answer.status == 200 and "Check your inbox" in answer.text
    (message,) = confirmations(mail, "carol@example.org")
    assert message["Subject"] == "Confirm your subscription to Ukraine Daily"
    assert "List-Unsubscribe" not in message  # nobody is subscribed yet
    link = confirm_link(message)
    assert link.startswith(served.url + "/confirm/")
    path = link[len(served.url):]
    page = client.send("GET", path)
    assert page.status == 200 and "Confirm your subscription" in page.text
    action, fields = form_fields(page.text)
    assert action == link and "csrf" in fields
    config = load_config(served.config)
    with Store(config.resolve(config.store.path)) as store:
        assert "carol@example.org" not in {reader.address for reader in recipients(config, store, print)}  # pending: not yet
    done = client.post_form(path, fields)
    assert done.status == 200 and "You are subscribed" in done.text
    with Store(config.resolve(config.store.path)) as store:
        assert Reader("carol@example.org", "Carol") in set(recipients(config, store, print))  # a reader of the next edition
    replayed = client.post_form(path, fields)
    assert replayed.status == 404 and "expired or was already used" in replayed.text


def test_the_same_answer_whether_or_not_the_address_is_a_reader(served: Served, mail: MailServer) -> None:
    known = Client(served, forwarded_for="198.51.100.2").fill_and_post("/subscribe", email="ann@example.org")
    unknown = Client(served, forwarded_for="198.51.100.3").fill_and_post("/subscribe", email="zed@example.org")
    assert known.status == unknown.status == 200
    assert known.text.replace("ann@example.org", "X") == unknown.text.replace("zed@example.org", "X")
    assert {name for name in known.headers if name.lower() != "date"} == {name for name in unknown.headers if name.lower() != "date"}


def test_a_client_that_keeps_cookies_and_posts_every_field_back_succeeds_and_one_that_does_not_is_refused(served: Served) -> None:
    client = Client(served, forwarded_for="198.51.100.4")
    assert client.fill_and_post("/subscribe", email="dan@example.org").status == 200
    page = client.send("GET", "/subscribe")
    _, fields = form_fields(page.text)
    stranger = Client(served, forwarded_for="198.51.100.5")  # the fields without the cookie they belong to
    refused = stranger.post_form("/subscribe", {**fields, "email": "dan@example.org"})
    assert refused.status == 403 and "reload the page" in refused.text
    other_site = client.send("POST", "/subscribe", f"email=dan%40example.org&csrf={fields['csrf']}".encode(),
                             {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"})
    assert other_site.status == 403


def test_one_click_unsubscribe_is_a_plain_post_with_no_cookie_and_no_redirect(served: Served) -> None:
    path = f"/unsubscribe/{token('ann@example.org', SECRET.encode())}"
    page = served.request("GET", path)
    assert page.status == 200 and "Unsubscribe from Ukraine Daily?" in page.text
    assert "ann@example.org" not in opted_out(served)  # a GET never changes anything
    for _ in range(2):  # idempotent
        answer = served.request("POST", path, b"List-Unsubscribe=One-Click", {"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status == 200 and "You are unsubscribed" in answer.text
        assert answer.headers.get("Location") is None and answer.headers.get("Set-Cookie") is None
    assert "ann@example.org" in opted_out(served)
    assert "ann@example.org" not in answer.text  # the page never shows whose link it is


def test_one_click_as_multipart_form_data(served: Served) -> None:
    path = f"/unsubscribe/{token('bob@example.org', SECRET.encode())}"
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n")
    answer = served.request("POST", path, body, {"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert answer.status == 200, answer.text
    assert "bob@example.org" in opted_out(served)


@pytest.mark.parametrize("path", [
    "/unsubscribe/aaaaaaaaaaaaaaaaaaaaaaaa",  # well formed, nobody's
    "/unsubscribe/ann@example.org",  # an address is never a token
    "/unsubscribe/" + "a" * 10_000,
    "/confirm/forged-token-forged-token",
])
def test_forged_tokens_record_nothing(served: Served, path: str) -> None:
    before = opted_out(served)
    answer = served.request("POST", path, b"List-Unsubscribe=One-Click", {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status in (403, 404)
    assert opted_out(served) == before


def test_a_post_without_one_click_records_nothing(served: Served) -> None:
    path = f"/unsubscribe/{token('cy@example.org', SECRET.encode())}"
    answer = served.request("POST", path, b"something=else", {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 400


@pytest.mark.parametrize(("fields", "expected"), [
    ({"email": "eve@example.org\r\nBcc: all@example.org"}, "line break"),
    ({"email": "eve@example.org", "name": "x" * 10_240}, "too long"),
    ({"email": "x" * 10_240 + "@example.org"}, "too long"),
    ({"email": "not an address"}, "not an email address"),
])
def test_bad_form_fields_get_a_clear_answer_and_send_nothing(served: Served, mail: MailServer, fields: dict, expected: str) -> None:
    before = len(mail.received)
    answer = Client(served, forwarded_for="198.51.100.20").fill_and_post("/subscribe", **fields)
    assert answer.status == 400 and expected in answer.text
    assert "<form" in answer.text  # the form again, to mend
    time.sleep(0.3)
    assert len(mail.received) == before


def test_names_lose_controls_and_bidi_and_everything_is_escaped(served: Served, mail: MailServer) -> None:
    client = Client(served, forwarded_for="198.51.100.21")
    answer = client.fill_and_post("/subscribe", email="<script>@example.org", name="<b>x</b>")
    assert answer.status == 400 and "<script>" not in answer.text and "&lt;script&gt;" in answer.text
    answer = client.fill_and_post("/subscribe", email="fay@example.org", name="Fay\u202eevil\u2066\x07 Smith")
    assert answer.status == 200
    (message,) = confirmations(mail, "fay@example.org")
    assert str(message["To"]) == "Fay evil Smith <fay@example.org>"


def test_the_honeypot_gets_the_same_answer_and_no_email(served: Served, mail: MailServer) -> None:
    answer = Client(served, forwarded_for="198.51.100.22").fill_and_post("/subscribe", email="gus@example.org", website="http://spam")
    assert answer.status == 200 and "Check your inbox" in answer.text
    time.sleep(0.5)
    assert not any("gus@example.org" in str(r.rcpt_tos) for r in mail.received)


def test_one_address_gets_a_few_confirmations_a_day_however_many_clients_ask(served: Served, mail: MailServer) -> None:
    for n in range(5):
        assert Client(served, forwarded_for=f"203.0.113.{n}").fill_and_post("/subscribe", email="hal@example.org").status == 200
    time.sleep(0.5)
    assert len(confirmations(mail, "hal@example.org", 3)) == 3


def test_every_answer_carries_the_security_headers_and_none_redirects(served: Served) -> None:
    for method, path in [("GET", "/subscribe"), ("GET", "/nowhere"), ("GET", "/unsubscribe/x"), ("POST", "/subscribe"),
                         ("GET", "//evil.example/"), ("GET", "/subscribe?next=https://evil.example")]:
        answer = served.request(method, path)
        assert not 300 <= answer.status < 400, (path, answer.status)
        assert "script-src" not in answer.headers["Content-Security-Policy"] and "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "evil.example" not in answer.text


def test_a_100_mb_body_is_refused_before_it_is_sent(served: Served) -> None:
    """The server answers 413 on the headers alone: the client has sent 1 KB of the 100 MB it declared."""
    for path in ("/subscribe", "/webhooks/postmark", "/unsubscribe/aaaaaaaaaaaaaaaaaaaaaaaa"):
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode() + b"a" * 1024)
            answer = sock.recv(4096)
        assert answer.split(b"\r\n")[0] in (b"HTTP/1.1 413 Request Entity Too Large", b"HTTP/1.1 413 Content Too Large", b"HTTP/1.1 404 Not Found")
    assert served.request("GET", "/subscribe").status == 200


def test_a_chunked_body_is_cut_at_the_cap(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
        sent = 0
        sock.settimeout(0.01)
        answer = b""
        while sent < 50 * 1024 * 1024 and not answer:
            chunk = b"a" * 65536
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
        sock.settimeout(30)
        answer = answer or sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert sent < 10 * 1024 * 1024  # refused near the 64 KB cap, not after the whole body


def test_a_thousand_subscribe_posts_from_one_client(served: Served, mail: MailServer) -> None:
    client = Client(served, forwarded_for="192.0.2.99")
    page = client.send("GET", "/subscribe")
    _, fields = form_fields(page.text)
    statuses = [client.post_form("/subscribe", {**fields, "email": f"n{n}@example.org"}).status for n in range(1000)]
    assert statuses.count(200) == 30 and statuses.count(429) == 970  # serve.subscribe_per_client in this config
    assert Client(served, forwarded_for="192.0.2.100").fill_and_post("/subscribe", email="ivy@example.org").status == 200
    limited = client.post_form("/subscribe", {**fields, "email": "n1@example.org"})
    assert limited.headers["Retry-After"]


def test_serve_refuses_to_start_without_base_url_or_a_webhook_secret(tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port(), free_port())
    text = config.read_text(encoding="utf-8")
    config.write_text(text.split("serve:")[0], encoding="utf-8")
    result = run_digest("serve", "-c", str(config), env={"DIGEST_UNSUBSCRIBE_SECRET": SECRET})
    assert result.returncode == 2 and b"serve.base_url: is not set" in result.stderr and b"Traceback" not in result.stderr
    config.write_text(text.replace("serve:\n", "serve:\n  webhooks: {postmark: {username_env: NO_SUCH_USER_VAR, password_env: NO_SUCH_PASS_VAR}}\n"),
                      encoding="utf-8")
    result = run_digest("serve", "-c", str(config), env={"DIGEST_UNSUBSCRIBE_SECRET": SECRET})
    assert result.returncode == 2 and b"NO_SUCH_USER_VAR is not set" in result.stderr and b"Traceback" not in result.stderr


def test_base_url_makes_the_unsubscribe_url(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, 8025, 25))
    assert config.newsletter.unsubscribe_url == "http://127.0.0.1:8025/unsubscribe/{{subscriber}}"


def test_a_confirmation_comes_from_the_newsletter_as_its_editions_do(tmp_path: Path) -> None:
    """A bare `newsletter.from` is shown under the newsletter's title, in the confirmation as in every edition."""
    from datetime import UTC, datetime

    from digest.config import sender
    from digest.serve.mail import confirmation_letter

    config_file = tmp_path / "config.yaml"
    config_file.write_text('newsletter: {title: Harbour Daily, from: "daily@harbour.example"}\n', encoding="utf-8")
    config = load_config(config_file)
    letter = confirmation_letter(config, "reader@example.org", "https://harbour.example/confirm/x", datetime(2026, 12, 7, tzinfo=UTC))
    assert letter.from_ == sender(config) == "Harbour Daily <daily@harbour.example>"
