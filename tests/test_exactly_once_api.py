"""Exactly once through the email services: loopback fakes of Postmark, SendGrid and SES that take a
batch and then answer late, answer 5xx, rate-limit, or refuse for the account's sake. The real command
line sends, run after run; each fake counts the copies it took per reader: never two unless the
operator asked (--resend-uncertain), and batches never over a service's documented size."""
from __future__ import annotations

import base64
import email
import email.policy
import json
import time
from collections import Counter
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from mailserver import free_port
from test_providers import Answer, Api, Call, api_project, json_answer, outcomes, ses_credentials
from test_readers import READERS, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1, DAY2

from digest.delivery.postmark import Postmark
from digest.delivery.sendgrid import SendGrid

ANN, BOB, CY = READERS


def postmark_ok(call: Call) -> Answer:
    return json_answer(200, [{"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{n}", "To": m["To"]} for n, m in enumerate(call.json())])


def taken(call: Call) -> list[str]:
    """The readers a call carries (each service's own shape)."""
    body = call.json()
    if isinstance(body, list):
        return [parseaddr(message["To"])[1].lower() for message in body]
    if "personalizations" in body:
        return [p["to"][0]["email"] for p in body["personalizations"]]
    return body["Destination"]["ToAddresses"]


@pytest.fixture
def api():
    """A loopback fake of an email service: `api(answer)` starts one; all are stopped after the test."""
    servers: list[Api] = []

    def start(answer):
        servers.append(Api(answer).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "pm-token")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.key")


@pytest.mark.parametrize("provider", ["postmark", "sendgrid"])
@pytest.mark.parametrize("misbehaviour", ["late", "5xx-after-taking"])
def test_a_batch_the_service_took_without_a_usable_answer_is_never_sent_again_unasked(
        tmp_path: Path, api, keys, provider: str, misbehaviour: str) -> None:
    """On main: re-posted up to `retries` times in the run and again next run (500 readers x 5 copies)."""
    copies: Counter[str] = Counter()
    misbehave = [True]

    def answer(call: Call) -> Answer:
        if call.path.startswith("/messages/outbound"):
            return json_answer(404, {"Message": "this fake keeps no activity"})  # cannot be asked: the operator's word decides
        copies.update(taken(call))  # the service has the batch
        if misbehave[0] and misbehaviour == "late":
            time.sleep(1.5)
        elif misbehave[0]:
            return json_answer(503 if provider == "postmark" else 500, {"Message": "internal error"})
        return postmark_ok(call) if provider == "postmark" else (202, {"X-Message-Id": "sg-1"}, b"")

    server = api(answer)
    project = api_project(tmp_path, provider, server.url, ", timeout: 0.5, retries: 4")
    first = project.digest("send", "--date", str(DAY1))
    assert first.exit_code == 1 and "--resend-uncertain" in first.stderr
    assert first.stderr.count("may have reached") == 1 and f"3 readers ({ANN}, {BOB}, {CY})" in first.stderr  # one line for the batch
    assert "known sent to none" not in first.stderr  # said once, as this run's failure: not again as a warning
    for day in (DAY1, DAY1, DAY2):
        project.digest("send", "--date", str(day))
    sends = [call for call in server.calls if call.body]
    day1 = Counter(address for call in sends if DAY1.isoformat() in json.dumps(call.json()) for address in taken(call))
    assert day1 == {ANN: 1, BOB: 1, CY: 1}
    assert outcomes(project) == {ANN: "uncertain", BOB: "uncertain", CY: "uncertain"}
    assert project.edition(DAY1).status == "pending"  # none is known to have it
    status = project.digest("status", "--date", str(DAY1))
    assert status.exit_code == 1 and "--resend-uncertain" in status.stdout

    misbehave[0] = False  # the operator checked the service's activity log: nothing went out
    assert project.digest("send", "--date", str(DAY1), "--resend-uncertain").exit_code == 0
    assert outcomes(project) == {ANN: "sent", BOB: "sent", CY: "sent"} and project.edition(DAY1).status == "sent"
    assert project.digest("send", "--date", str(DAY1), "--resend-uncertain").exit_code == 0
    sends = [call for call in server.calls if call.body]
    day1 = Counter(address for call in sends if DAY1.isoformat() in json.dumps(call.json()) for address in taken(call))
    assert day1 == {ANN: 2, BOB: 2, CY: 2}  # the second copies, asked for; no third


@pytest.mark.parametrize("provider", ["postmark", "sendgrid"])
def test_a_rate_limit_waits_its_retry_after_says_so_and_sends_once(tmp_path: Path, api, keys, provider: str) -> None:
    def answer(call: Call) -> Answer:
        if len(server.calls) == 1:
            return json_answer(429, {"Message": "Rate limit exceeded", "errors": [{"message": "too many requests"}]}, {"Retry-After": "1"})
        return postmark_ok(call) if provider == "postmark" else (202, {"X-Message-Id": "sg-1"}, b"")

    server = api(answer)
    project = api_project(tmp_path, provider, server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert f"{provider} answered 429 (too many requests)" in result.stderr and "waiting 1 s (its Retry-After) before try 2 of 3" in result.stderr
    assert Counter(address for call in server.calls[1:] for address in taken(call)) == {ANN: 1, BOB: 1, CY: 1}


def test_a_service_not_reached_is_tried_again_and_the_readers_stay_pending(tmp_path: Path, keys) -> None:
    project = api_project(tmp_path, "postmark", f"http://127.0.0.1:{free_port()}")  # nothing listens: refused, provably not taken
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1 and "could not be reached (connection refused" in result.stderr and "gave up after 3 tries" in result.stderr
    assert set(outcomes(project).values()) == {"pending"}


@pytest.mark.parametrize(("provider", "refusal", "words"), [
    ("postmark", (200, "per-message", 412), "Account is pending"),
    ("postmark", (422, "whole", 300), "Invalid 'From' address"),
    ("postmark", (200, "per-message", 300), "Invalid 'From' address"),
    ("sendgrid", (403, "whole", 0), "The from address does not match a verified Sender Identity"),
], ids=["postmark-account-pending", "postmark-422", "postmark-same-300-for-all", "sendgrid-sender-identity"])
def test_a_refusal_about_the_account_keeps_every_reader_pending_and_exits_1_in_the_services_words(
        tmp_path: Path, api, keys, provider: str, refusal: tuple[int, str, int], words: str) -> None:
    status, shape, code = refusal
    fixed = [False]

    def answer(call: Call) -> Answer:
        if fixed[0]:
            return postmark_ok(call) if provider == "postmark" else (202, {}, b"")
        if shape == "per-message":
            return json_answer(status, [{"ErrorCode": code, "Message": words, "To": m["To"]} for m in call.json()])
        return json_answer(status, {"ErrorCode": code, "Message": words, "errors": [{"message": words, "field": "from"}]})

    server = api(answer)
    project = api_project(tmp_path, provider, server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1 and words in result.stderr
    assert result.stderr.count(words) == 1 and f"3 readers ({ANN}, {BOB}, {CY})" in result.stderr  # one line for the batch of 3
    assert outcomes(project) == {ANN: "pending", BOB: "pending", CY: "pending"} and project.edition(DAY1).status == "pending"
    fixed[0] = True
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert Counter(address for call in server.calls[1:] for address in taken(call)) == {ANN: 1, BOB: 1, CY: 1}


def test_a_postmark_refusal_of_one_message_refuses_that_reader_alone(tmp_path: Path, api, keys) -> None:
    def answer(call: Call) -> Answer:
        return json_answer(200, [{"ErrorCode": 300, "Message": "Error parsing 'To': Illegal email address", "To": m["To"]}
                                 if BOB in m["To"].lower() else {"ErrorCode": 0, "Message": "OK", "MessageID": "pm", "To": m["To"]}
                                 for m in call.json()])

    server = api(answer)
    project = api_project(tmp_path, "postmark", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert outcomes(project) == {ANN: "sent", BOB: "refused", CY: "sent"}


@pytest.mark.parametrize("service", [Postmark, SendGrid])
def test_batches_are_split_by_bytes_as_well_as_by_count(tmp_path: Path, api, keys, monkeypatch: pytest.MonkeyPatch, service) -> None:
    """Postmark takes 500 messages and 50 MB a call; SendGrid 1,000 and under 30 MB. An edition near
    Gmail's clip limit made 500-message Postmark batches of 69-75 MB, refused on every run. Here the
    cap is lowered to one byte under a three-reader call, so three readers need two calls."""
    assert (Postmark.batch, Postmark.max_bytes, SendGrid.batch, SendGrid.max_bytes) == (500, 50_000_000, 1000, 29_999_999)
    provider = service.name

    def answer(call: Call) -> Answer:
        return postmark_ok(call) if provider == "postmark" else (202, {}, b"")

    probe = api(answer)
    (tmp_path / "probe").mkdir()
    assert api_project(tmp_path / "probe", provider, probe.url).digest("send", "--date", str(DAY1)).exit_code == 0
    cap = len(probe.calls[0].body) - 1  # one call of three readers, less a byte
    monkeypatch.setattr(service, "max_bytes", cap)

    server = api(answer)
    project = api_project(tmp_path, provider, server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert [len(taken(call)) for call in server.calls] == [2, 1]
    assert all(len(call.body) <= cap for call in server.calls)
    assert Counter(address for call in server.calls for address in taken(call)) == {ANN: 1, BOB: 1, CY: 1}
    assert "go in one call (a call carries at most" in result.stderr


def test_ses_a_5xx_once_the_message_went_is_uncertain(tmp_path: Path, api, monkeypatch: pytest.MonkeyPatch) -> None:
    ses_credentials(monkeypatch)
    copies: Counter[str] = Counter()

    def answer(call: Call) -> Answer:
        raw = base64.b64decode(call.json()["Content"]["Raw"]["Data"])
        message = email.message_from_bytes(raw, policy=email.policy.default)
        address = parseaddr(message["To"])[1].lower()
        copies[address] += 1
        if address == BOB:
            return json_answer(500, {"message": "internal failure"}, {"x-amzn-ErrorType": "InternalFailure"})
        return json_answer(200, {"MessageId": f"ses-{len(server.calls)}"})

    server = api(answer)
    project = api_project(tmp_path, "ses", server.url)
    first = project.digest("send", "--date", str(DAY1))
    assert first.exit_code == 1 and f"may have reached {BOB}: ses answered 500 after the message was sent" in first.stderr
    for _ in range(2):
        project.digest("send", "--date", str(DAY1))
    assert copies == {ANN: 1, BOB: 1, CY: 1}
    assert outcomes(project) == {ANN: "sent", BOB: "uncertain", CY: "sent"}


def test_before_re_sending_postmark_is_asked_which_uncertain_readers_it_took(tmp_path: Path, api, keys) -> None:
    """The batch is taken (ann and bob's copies; cy's lost) and the answer never comes. Asked to
    re-send, digest first searches Postmark's outbound messages by the edition's tag: ann and bob are
    recorded sent, only cy is sent again. Every reader ends with one copy."""
    taken_by_tag: dict[str, list[dict]] = {}
    late = [True]

    def answer(call: Call) -> Answer:
        if call.path.startswith("/messages/outbound?"):
            query = parse_qs(urlsplit(call.path).query)
            assert call.headers["x-postmark-server-token"] == "pm-token" and query["count"] == ["500"]
            found = taken_by_tag.get(query["tag"][0], [])[int(query["offset"][0]):][:500]
            return json_answer(200, {"TotalCount": len(found), "Messages": found})
        for message in call.json():
            address = parseaddr(message["To"])[1].lower()
            if address != CY or not late[0]:
                taken_by_tag.setdefault(message["Tag"], []).append(
                    {"Tag": message["Tag"], "MessageID": address, "Recipients": [address], "Status": "Sent"})
        if late[0]:
            time.sleep(1.5)
        return postmark_ok(call)

    server = api(answer)
    project = api_project(tmp_path, "postmark", server.url, ", timeout: 0.5")
    assert project.digest("send", "--date", str(DAY1)).exit_code == 1
    assert outcomes(project) == {ANN: "uncertain", BOB: "uncertain", CY: "uncertain"}
    (tag,) = taken_by_tag
    assert f"<{tag}>" == project.edition(DAY1).message_id

    late[0] = False
    resent = project.digest("send", "--date", str(DAY1), "--resend-uncertain")
    assert resent.exit_code == 0, resent.stderr
    assert "postmark took 2 readers of the 3 readers marked uncertain" in resent.stderr
    batches = [call for call in server.calls if call.path == "/email/batch"]
    assert [taken(call) for call in batches] == [[ANN, BOB, CY], [CY]]
    assert Counter(message["Recipients"][0] for message in taken_by_tag[tag]) == {ANN: 1, BOB: 1, CY: 1}
    assert outcomes(project) == {ANN: "sent", BOB: "sent", CY: "sent"}
    status = project.digest("status", "--date", str(DAY1)).stdout
    assert "postmark's own records show it took this copy (asked before re-sending)" in status


def test_when_postmark_cannot_be_asked_the_operators_word_decides(tmp_path: Path, api, keys) -> None:
    late = [True]

    def answer(call: Call) -> Answer:
        if call.path.startswith("/messages/outbound?"):
            return json_answer(401, {"ErrorCode": 10, "Message": "No Account or Server API tokens were supplied"})
        if late[0]:
            time.sleep(1.5)
        return postmark_ok(call)

    server = api(answer)
    project = api_project(tmp_path, "postmark", server.url, ", timeout: 0.5")
    project.digest("send", "--date", str(DAY1))
    late[0] = False
    resent = project.digest("send", "--date", str(DAY1), "--resend-uncertain")
    assert resent.exit_code == 0 and "could not be asked which readers it took (answered 401" in resent.stderr
    assert [len(taken(call)) for call in server.calls if call.path == "/email/batch"] == [3, 3]
