"""SendGrid: POST /v3/mail/send with one personalization per reader, up to 1,000 a call.

Checked against Twilio SendGrid's v3 Mail Send reference, its "Personalizations" guide and its
Mail Send errors page: each personalization has its own `to`, `headers` and `substitutions` (the
reader's token for `{{subscriber}}` in the content), and the call is all or nothing: 202 means every
personalization was accepted. A 400 that names one personalization's address
(`personalizations.N.to...`) refuses that reader for good and the rest of the batch is sent again
without them; any other error leaves the batch pending.
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
    url = "https://api.sendgrid.com"
    key_env = "SENDGRID_API_KEY"

    def request(self, letter: Letter, entries: list[Outgoing], date: datetime) -> tuple[str, dict[str, str], Any]:
        name, address = parseaddr(letter.from_)
        personalizations = []
        for entry in entries:
            to = {"email": entry.reader.address, **({"name": entry.reader.name} if entry.reader.name else {})}
            personal: dict[str, Any] = {"to": [to], "headers": api_headers(letter, entry, date)}
            if entry.token:
                personal["substitutions"] = {PLACEHOLDER: entry.token}
            personalizations.append(personal)
        body = {
            "personalizations": personalizations,
            "from": {"email": address, **({"name": name} if name else {})},
            "subject": letter.subject,
            "content": [{"type": "text/plain", "value": letter.text}, {"type": "text/html", "value": letter.html}],
        }
        return "/v3/mail/send", {}, body

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        """Send; when SendGrid refuses one reader's address, refuse them and send the rest again."""
        refused: list[Outcome] = []
        while entries:
            outcomes = super().send(letter, entries, date)
            bad = [outcome for outcome in outcomes if outcome.status is DeliveryStatus.REFUSED]
            if not bad:
                return refused + outcomes
            refused += bad
            entries = [entry for entry, outcome in zip(entries, outcomes, strict=False) if outcome.status is not DeliveryStatus.REFUSED]
        return refused

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        if answer.status == 202:
            receipt = f"sendgrid accepted as {answer.headers.get('X-Message-Id', '?')}"
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
