"""Postmark: POST /email/batch, up to 500 messages and 50 MB a call, one answer per message in the same order.

Checked against Postmark's "Send batch emails" guide (postmarkapp.com/developer/user-guide/
send-email-with-api/batch-emails: "up to 500 messages per API call, and up to 50 MB payload size") and
its API error codes (postmarkapp.com/developer/api/overview#error-codes): the batch call answers 200
even when single messages fail, so each message's ErrorCode is read: 0 sent; 406 (inactive recipient:
bounced, unsubscribed or marked spam) refused for good, as is 300 (invalid email request) when it is
about that message alone; the account's own errors (a missing or unconfirmed sender signature, no
credits, an account pending or suspended, a bad token) stop the list with the readers pending; any
other code leaves that reader pending. An answer other than 200 (401, 422) means nothing was accepted.

Each message carries the edition's Message-ID as its Tag, so that before re-sending readers marked
uncertain, Postmark's Outbound messages search (GET /messages/outbound?tag=...&count=500&offset=...,
postmarkapp.com/developer/api/messages-api; count at most 500, count + offset at most 10,000) says
which of them it took: those are recorded sent, not sent again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from digest.delivery.api import Answer, HttpService, api_headers
from digest.delivery.base import DeliveryError, Outcome, Outgoing
from digest.logs import log
from digest.render.mime import Letter
from digest.sources.context import SourceFailed
from digest.sources.http import query
from digest.store import DeliveryStatus

READER_CODES = {406}  # about the recipient, for good
INVALID = 300  # invalid email request: about that message when the others passed; else about what they share
ACCOUNT_CODES = {10, 400, 401, 405, 412, 413}  # bad token, sender signature missing/unconfirmed, no credits, account pending/suspended
PAGE, SEARCHABLE = 500, 10_000  # the outbound search's largest page, and how far its pages reach


class Postmark(HttpService):
    name = "postmark"
    batch = 500
    max_bytes = 50_000_000
    url = "https://api.postmarkapp.com"
    key_env = "POSTMARK_SERVER_TOKEN"

    def auth(self, key: str) -> dict[str, str]:
        return {"X-Postmark-Server-Token": key}

    def part(self, letter: Letter, entry: Outgoing, date: datetime) -> Any:
        document = letter.document(entry.reader, entry.token)
        return {
            "From": letter.from_, "To": document["to"][0], "Subject": letter.subject,
            "HtmlBody": document["html"], "TextBody": document["text"],
            "Headers": [{"Name": name, "Value": value} for name, value in api_headers(letter, entry, date).items()],
            "MessageStream": self.settings.message_stream,
            "Tag": edition_tag(letter),
        }

    def request(self, letter: Letter, parts: list[Any]) -> tuple[str, dict[str, str], Any]:
        return "/email/batch", {}, parts

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        results = answer.json()
        if answer.status != 200:
            said = f"{str(results.get('Message'))[:300]} (ErrorCode {results.get('ErrorCode')})" if isinstance(results, dict) else answer.text()
            return [Outcome(e.reader.address, DeliveryStatus.PENDING, f"postmark answered {answer.status}: {said}", stop=True) for e in entries]
        if not isinstance(results, list) or len(results) != len(entries):
            note = answer.unread or f"its answer is not one result per message ({answer.text()[:100]!r})"
            return [Outcome(e.reader.address, DeliveryStatus.SENT, f"postmark accepted the batch (200); {note}") for e in entries]
        codes = [_code(result) for result in results]
        answers = {(code, str(result.get("Message")) if isinstance(result, dict) else "") for code, result in zip(codes, results, strict=True)}
        shared = len(entries) > 1 and len(answers) == 1  # every message got the same answer: it is about what they share
        outcomes = []
        for entry, result, code in zip(entries, results, codes, strict=True):
            address = entry.reader.address
            said = f"postmark {str(result.get('Message', ''))[:300]} ({code})" if isinstance(result, dict) else "postmark: no result"
            if code == 0:
                outcomes.append(Outcome(address, DeliveryStatus.SENT, f"postmark accepted as {str(result.get('MessageID'))[:100]}"))
            elif code is None:  # the batch was accepted (200) and nothing readable says this message was not
                outcomes.append(Outcome(address, DeliveryStatus.SENT, "postmark accepted the batch (200); this message's result is unreadable"))
            elif code in READER_CODES or code == INVALID and not shared:
                outcomes.append(Outcome(address, DeliveryStatus.REFUSED, said))
            else:
                outcomes.append(Outcome(address, DeliveryStatus.PENDING, said, stop=code in ACCOUNT_CODES or code == INVALID))
        return outcomes

    def accepted(self, letter: Letter, addresses: list[str]) -> set[str] | None:
        wanted, found = {address.lower() for address in addresses}, set()
        try:
            headers = {**self.auth(self.credential()), "Accept": "application/json"}
            for offset in range(0, SEARCHABLE, PAGE):
                url = f"{self.base}/messages/outbound?" + urlencode({"count": PAGE, "offset": offset, "tag": edition_tag(letter)})
                response = query(url, headers, self.limits)
                document = Answer(response.status, {}, response.body).json()
                messages = document.get("Messages") if isinstance(document, dict) and response.status == 200 else None
                if not isinstance(messages, list):
                    raise SourceFailed(f"answered {response.status}: {response.body[:200].decode('utf-8', 'replace')}")
                for message in messages:
                    found |= wanted & _recipients(message)
                if len(messages) < PAGE:
                    return found
        except (DeliveryError, SourceFailed) as exc:
            log.warning(f"postmark at {self.shown} could not be asked which readers it took ({exc}); going by your word alone")
            return None
        log.warning(f"postmark's search reaches {SEARCHABLE:,} messages; readers beyond them go by your word alone")
        return found


def _code(result: object) -> int | None:
    """A message's ErrorCode; an odd one ({}, "0", true) is no code."""
    code = result.get("ErrorCode") if isinstance(result, dict) else None
    return code if type(code) is int else None


def edition_tag(letter: Letter) -> str:
    """The Tag every message of an edition carries: its Message-ID (what --resend-uncertain searches by)."""
    return letter.message_id.strip("<>")


def _recipients(message: object) -> set[str]:
    """The addresses of one message in Postmark's search results (its Recipients, or its To)."""
    if not isinstance(message, dict):
        return set()
    listed = [str(address) for address in message.get("Recipients") or [] if isinstance(address, str)]
    listed += [str(to.get("Email")) for to in message.get("To") or [] if isinstance(to, dict)]
    return {address.lower() for address in listed}
