"""delivery.method: api against a real HTTP server on 127.0.0.1 that checks each provider's documented
request shape and answers as the provider documents: per-message results, rate limits with
Retry-After, partial failures. The real command line sends; the store records each reader's outcome."""
from __future__ import annotations

import base64
import email
import email.policy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_readers import READERS, SECRET, reader_project, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1

from digest.readers import token


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


Answer = tuple[int, dict[str, str], bytes]


class Loopback:
    """An HTTP server on 127.0.0.1 serving from its own thread; the fakes of the services build on it."""

    server: ThreadingHTTPServer

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ses_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip without boto3, else give it test credentials and nothing from this machine's AWS setup."""
    pytest.importorskip("boto3", reason="boto3 is the optional SES extra; the test extra installs it")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Api(Loopback):
    """A loopback HTTP server: `answer(call)` decides each reply; every call is kept."""

    answer: Callable[[Call], Answer]
    calls: list[Call] = field(default_factory=list)

    def start(self) -> Api:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                call = Call(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                api.calls.append(call)
                status, headers, body = api.answer(call)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST  # a service's search: the path carries the query

            def log_message(self, *args) -> None:
                pass

        self.serve(Handler)
        return self


@pytest.fixture
def api():
    servers: list[Api] = []

    def start(answer: Callable[[Call], Answer]) -> Api:
        servers.append(Api(answer).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def api_project(tmp_path: Path, provider: str, url: str, extra: str = "") -> object:
    return reader_project(tmp_path, f"  method: api\n  api: {{provider: {provider}, url: \"{url}\", retries: 2, max_wait: 1{extra}}}")


def their_token(address: str) -> str:
    return token(address, SECRET.encode())


def assert_for_them_alone(text: str, address: str) -> None:
    assert their_token(address) in text and "{{" not in text
    assert not any(other in text.lower() or their_token(other) in text for other in READERS if other != address)


def outcomes(project, day=DAY1) -> dict[str, str]:
    with project.store() as store:
        return {d.address: d.status for d in store.deliveries(day)}


def json_answer(status: int, document, headers: dict[str, str] | None = None) -> Answer:
    return status, headers or {}, json.dumps(document).encode()


def test_postmark_batch_per_message_results_and_a_rate_limit(tmp_path: Path, api, monkeypatch) -> None:
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "pm-token")

    def answer(call: Call) -> Answer:
        if len(server.calls) == 1:
            return json_answer(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}, {"Retry-After": "1"})
        return json_answer(200, [
            {"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive.", "To": m["To"]}
            if "bob@" in m["To"] else
            {"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{n}", "SubmittedAt": "2026-05-14T07:00:00Z", "To": m["To"]}
            for n, m in enumerate(call.json())])

    server = api(answer)
    project = api_project(tmp_path, "postmark", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert "bob@example.net: postmark You tried to send to recipient(s) that have been marked as inactive. (406)" in result.stderr

    assert len(server.calls) == 2  # the 429, then the batch again after its Retry-After
    call = server.calls[-1]
    assert call.path == "/email/batch"
    assert call.headers["x-postmark-server-token"] == "pm-token" and call.headers["content-type"] == "application/json"
    messages = call.json()
    assert isinstance(messages, list) and len(messages) == 3
    for message in messages:
        assert set(message) == {"From", "To", "Subject", "HtmlBody", "TextBody", "Headers", "MessageStream", "Tag"}
        assert message["MessageStream"] == "broadcast" and message["From"] == "Larkspur Daily <daily@example.com>"
        address = email.utils.parseaddr(message["To"])[1].lower()
        headers = {h["Name"]: h["Value"] for h in message["Headers"]}
        assert set(headers) == {"Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted", "Precedence"}
        assert_for_them_alone(json.dumps(message, ensure_ascii=False), address)
    assert outcomes(project) == {"ann@example.org": "sent", "bob@example.net": "refused", "cy@example.com": "sent"}
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0 and len(server.calls) == 2  # nothing left to send


def test_sendgrid_personalizations_and_one_bad_address_refused_the_rest_sent_again(tmp_path: Path, api, monkeypatch) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.key")

    def answer(call: Call) -> Answer:
        tos = [p["to"][0]["email"] for p in call.json()["personalizations"]]
        if "bob@example.net" in tos:
            index = tos.index("bob@example.net")
            return json_answer(400, {"errors": [{"message": "Does not contain a valid address.",
                                                 "field": f"personalizations.{index}.to.0.email", "help": None}]})
        return 202, {"X-Message-Id": "sg-batch-1"}, b""

    server = api(answer)
    project = api_project(tmp_path, "sendgrid", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert "bob@example.net: sendgrid answered 400: Does not contain a valid address." in result.stderr
    assert [len(c.json()["personalizations"]) for c in server.calls] == [3, 2]
    first = server.calls[0]
    assert first.path == "/v3/mail/send" and first.headers["authorization"] == "Bearer SG.key"
    body = first.json()
    assert body["from"] == {"email": "daily@example.com", "name": "Larkspur Daily"}
    assert [part["type"] for part in body["content"]] == ["text/plain", "text/html"]
    assert "{{subscriber}}" in body["content"][1]["value"]  # filled by SendGrid from each personalization
    for personal in body["personalizations"]:
        (to,) = personal["to"]
        assert personal["substitutions"] == {"{{subscriber}}": their_token(to["email"])}
        assert_for_them_alone(json.dumps({**personal, "substitutions": list(personal["substitutions"].values())}), to["email"])
        assert their_token(to["email"]) in personal["headers"]["List-Unsubscribe"]
    assert body["personalizations"][1]["to"][0] == {"email": "bob@example.net", "name": "Bob, the builder"}
    assert outcomes(project) == {"ann@example.org": "sent", "bob@example.net": "refused", "cy@example.com": "sent"}


def test_a_missing_key_leaves_every_reader_pending_and_a_503_after_the_batch_went_every_reader_uncertain(tmp_path: Path, api, monkeypatch) -> None:
    monkeypatch.delenv("POSTMARK_SERVER_TOKEN", raising=False)
    server = api(lambda call: json_answer(503, {"Message": "maintenance"}))
    project = api_project(tmp_path, "postmark", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1 and "POSTMARK_SERVER_TOKEN" in result.stderr and not server.calls
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "pm-token")
    result = project.digest("send", "--date", str(DAY1))  # a 5xx once the batch went: it may have been taken
    assert result.exit_code == 1 and "postmark answered 503 after the whole batch was sent" in result.stderr
    assert len(server.calls) == 1  # on main: 3 tries, each perhaps a copy
    assert set(outcomes(project).values()) == {"uncertain"}
    project.digest("send", "--date", str(DAY1))
    assert len(server.calls) == 1


def test_ses_raw_messages_through_boto3_with_throttling_and_a_rejection(tmp_path: Path, api, monkeypatch) -> None:
    ses_credentials(monkeypatch)
    received: list[email.message.EmailMessage] = []
    verified = threading.Event()  # the sender's address verified at SES, between the runs

    def answer(call: Call) -> Answer:
        assert call.path == "/v2/email/outbound-emails"
        assert re.match(r"AWS4-HMAC-SHA256 Credential=AKIDTEST/\d{8}/eu-west-1/ses/aws4_request", call.headers["authorization"])
        body = call.json()
        raw = base64.b64decode(body["Content"]["Raw"]["Data"])
        message = email.message_from_bytes(raw, policy=email.policy.default)
        (address,) = body["Destination"]["ToAddresses"]
        assert email.utils.parseaddr(message["To"])[1].lower() == address
        if len(server.calls) == 1:
            return json_answer(429, {"message": "Maximum sending rate exceeded."},
                               {"x-amzn-ErrorType": "TooManyRequestsException", "Retry-After": "1"})
        if address == "bob@example.net" and not verified.is_set():
            return json_answer(400, {"message": "Email address is not verified."}, {"x-amzn-ErrorType": "MessageRejected"})
        received.append(message)
        return json_answer(200, {"MessageId": f"ses-{len(received)}"})

    server = api(answer)
    project = api_project(tmp_path, "ses", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1  # on main: exit 0 and bob refused for good, for an account-level refusal
    assert "to bob@example.net: ses refused the message: MessageRejected: Email address is not verified.; it stays pending" in result.stderr
    assert "waiting 1 s (its Retry-After) before try 2 of 3" in result.stderr
    assert len(server.calls) == 3  # ann throttled then sent, bob rejected: the list stops there
    assert outcomes(project) == {"ann@example.org": "sent", "bob@example.net": "pending", "cy@example.com": "pending"}
    verified.set()
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert len(server.calls) == 5  # bob and cy, once each
    for message in received:
        address = email.utils.parseaddr(message["To"])[1].lower()
        assert their_token(address) in message["List-Unsubscribe"]
        assert_for_them_alone(message.get_body(("html",)).get_content(), address)
    assert outcomes(project) == {"ann@example.org": "sent", "bob@example.net": "sent", "cy@example.com": "sent"}


def test_every_sender_answers_what_it_took_and_only_a_service_with_records_knows(tmp_path: Path) -> None:
    """`send --resend-uncertain` asks the sender what it took (Sender.accepted); one that cannot be asked
    says None, so the operator's word decides (Postmark's answer: tests/test_exactly_once_api.py)."""
    from digest.config import load_config
    from digest.delivery.base import MessageSender, Sender
    from digest.delivery.postmark import Postmark
    from digest.delivery.sendgrid import SendGrid
    from digest.delivery.ses import Ses
    from digest.render.mime import Letter

    config = load_config(reader_project(tmp_path, "  method: api\n  api: {provider: sendgrid}").config)
    letter = Letter.__new__(Letter)  # never read by a sender that cannot be asked
    for sender in (MessageSender(lambda message, message_id, recipient: "taken"), SendGrid(config), Ses(config)):
        assert sender.accepted(letter, READERS) is None
    assert Postmark.accepted is not Sender.accepted
