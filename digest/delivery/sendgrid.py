"""SendGrid: POST /v3/mail/send with one personalization per reader, up to 1,000 and under 30 MB a call.

Checked against Twilio SendGrid's v3 Mail Send reference ("The total size of your email, including
attachments, must be less than 30MB"; at most 1,000 personalizations), its "Personalizations" guide
and its Mail Send errors page: each personalization has its own `to`, `headers` and `substitutions`
(the reader's token for `{{subscriber}}` in the content), and the call is all or nothing: a 2xx (202)
means every personalization was accepted. A 400 that names one personalization's address
(`personalizations.N.to...`) refuses that reader for good and the rest of the batch is sent again
without them; any other error (401, 403: the key or the sender identity) stops the list, the readers
pending.
"""
from __future__ import annotations

import re
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from digest.delivery.api import Answer, HttpService, api_headers
from digest.delivery.base import Outcome, Outgoing
from digest.readers import PLACEHOLDER
from digest.render.mime import Letter
from digest.store import DeliveryStatus


class SendGrid(HttpService):
    name = "sendgrid"
    batch = 1000
    max_bytes = 29_999_999  # "less than 30MB"
    url = "https://api.sendgrid.com"
    key_env = "SENDGRID_API_KEY"

    def part(self, letter: Letter, entry: Outgoing, date: datetime) -> Any:
        to = {"email": entry.reader.address, **({"name": entry.reader.name} if entry.reader.name else {})}
        personal: dict[str, Any] = {"to": [to], "headers": api_headers(letter, entry, date)}
        if entry.token:
            personal["substitutions"] = {PLACEHOLDER: entry.token}
        return personal

    def request(self, letter: Letter, parts: list[Any]) -> tuple[str, dict[str, str], Any]:
        name, address = parseaddr(letter.from_)
        body = {
            "personalizations": parts,
            "from": {"email": address, **({"name": name} if name else {})},
            "subject": letter.subject,
            "content": [{"type": "text/plain", "value": letter.text}, {"type": "text/html", "value": letter.html}],
        }
        return "/v3/mail/send", {}, body

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        """Send; when SendGrid refuses one reader's address, refuse them and send the rest of that call again."""
        settled: list[Outcome] = []
        while entries:
            outcomes = super().send(letter, entries, date)
            # pending and not stopped: in a call refused for another reader's address; nothing of it was taken
            again = [entry for entry, outcome in zip(entries, outcomes, strict=True) if outcome.status is DeliveryStatus.PENDING and not outcome.stop]
            settled += [outcome for outcome in outcomes if outcome.status is not DeliveryStatus.PENDING or outcome.stop]
            if len(again) == len(entries):
                return settled + outcomes  # no progress: should not happen, but never loop for ever
            entries = again
        return settled

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        if 200 <= answer.status < 300:
            receipt = f"sendgrid accepted as {answer.headers.get('X-Message-Id', '?')}" + (f"; {answer.unread}" if answer.unread else "")
            return [Outcome(entry.reader.address, DeliveryStatus.SENT, receipt) for entry in entries]
        document = answer.json()
        errors = document.get("errors", []) if isinstance(document, dict) else []
        said = "; ".join(str(error.get("message", ""))[:300] for error in errors[:10] if isinstance(error, dict)) or answer.text()
        blamed = {int(m.group(1)) for error in errors if isinstance(error, dict)
                  if (m := re.match(r"personalizations\.(\d+)\.to", str(error.get("field") or "")))}
        if answer.status == 400 and blamed and max(blamed) < len(entries):
            return [Outcome(entry.reader.address, DeliveryStatus.REFUSED if index in blamed else DeliveryStatus.PENDING,
                            f"sendgrid answered 400: {said}")
                    for index, entry in enumerate(entries)]
        return [Outcome(entry.reader.address, DeliveryStatus.PENDING, f"sendgrid answered {answer.status}: {said}", stop=True) for entry in entries]
