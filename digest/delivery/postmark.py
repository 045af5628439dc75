"""Postmark: POST /email/batch, up to 500 messages a call, one answer per message in the same order.

Checked against Postmark's "Send batch emails" guide (postmarkapp.com/developer/user-guide/
send-email-with-api/batch-emails) and its API error codes: the batch call answers 200 even when single
messages fail, so each message's ErrorCode is read: 0 sent, 406 (inactive recipient: bounced,
unsubscribed or marked spam) and 300 (invalid email request) refused for good, others tried again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from digest.delivery.api import Answer, HttpService, api_headers
from digest.delivery.base import Outcome, Outgoing
from digest.render.mime import Letter
from digest.store import DeliveryStatus

REFUSED_CODES = {300, 406}


class Postmark(HttpService):
    name = "postmark"
    batch = 500
    url = "https://api.postmarkapp.com"
    key_env = "POSTMARK_SERVER_TOKEN"

    def auth(self, key: str) -> dict[str, str]:
        return {"X-Postmark-Server-Token": key}

    def request(self, letter: Letter, entries: list[Outgoing], date: datetime) -> tuple[str, dict[str, str], Any]:
        messages = []
        for entry in entries:
            document = letter.document(entry.reader, entry.token)
            messages.append({
                "From": letter.from_, "To": document["to"][0], "Subject": letter.subject,
                "HtmlBody": document["html"], "TextBody": document["text"],
                "Headers": [{"Name": name, "Value": value} for name, value in api_headers(letter, entry, date).items()],
                "MessageStream": self.settings.message_stream,
            })
        return "/email/batch", {}, messages

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        results = answer.json()
        if answer.status != 200 or not isinstance(results, list) or len(results) != len(entries):
            said = str(results.get("Message"))[:300] if isinstance(results, dict) else answer.text()
            return [Outcome(e.reader.address, DeliveryStatus.PENDING, f"postmark answered {answer.status}: {said}", stop=True) for e in entries]
        outcomes = []
        for entry, result in zip(entries, results, strict=False):
            code = result.get("ErrorCode") if isinstance(result, dict) else None
            code = code if type(code) is int else None  # an odd answer ({}, "0", true) is no code
            said = f"postmark {str(result.get('Message', ''))[:300]} ({code})" if isinstance(result, dict) else "postmark: no answer"
            if code == 0:
                outcomes.append(Outcome(entry.reader.address, DeliveryStatus.SENT, f"postmark accepted as {str(result.get('MessageID'))[:100]}"))
            else:
                outcomes.append(Outcome(entry.reader.address, DeliveryStatus.REFUSED if code in REFUSED_CODES else DeliveryStatus.PENDING, said))
        return outcomes
