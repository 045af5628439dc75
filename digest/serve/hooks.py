"""The email services' webhooks: who they are (each service's own proof) and what they say (bounces,
complaints, opt-outs), as one list of events the app records.

A request is authenticated before its events are read, and one that fails gets 401 or 403 and
records nothing. Only the events that change a reader's standing become Events; deliveries, opens
and clicks are answered 200 and ignored, so a service does not retry them.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from digest.config import ConfigError, PostmarkHookConfig, SendGridHookConfig
from digest.serve.guard import Refused

EVENTS_PER_REQUEST = 10_000  # past it, the rest of a batch is ignored (and said so): no service sends more at once


class Kind(StrEnum):
    HARD_BOUNCE = "hard-bounce"
    SOFT_BOUNCE = "soft-bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True)
class Event:
    """One thing a service says about one address; `id` lets a replayed event be recognised."""

    kind: Kind
    address: str
    id: str = ""


def environment_value(file: object, key: str, name: str) -> str:
    """A webhook's secret from the variable the config names: missing is a config error (exit 2) at start."""
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(str(file), key, f"the environment variable {name} is not set or empty", f"set {name}, or remove the webhook")
    return value


def json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused(400, "The body is not JSON.") from None


# Postmark: HTTP basic auth with the pair you set in the webhook's URL; one record per request.

POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}
POSTMARK_SOFT = {"SoftBounce", "Transient", "DnsError"}


class Postmark:
    def __init__(self, settings: PostmarkHookConfig, file: object) -> None:
        user = environment_value(file, "serve.webhooks.postmark.username_env", settings.username_env)
        password = environment_value(file, "serve.webhooks.postmark.password_env", settings.password_env)
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")

    def check(self, authorization: str) -> None:
        """401 unless the request carries exactly the configured pair (compared in constant time)."""
        if not hmac.compare_digest(authorization.strip().encode(), self.expected.encode()):
            raise Refused(401, "The webhook's credentials are missing or wrong.")

    @staticmethod
    def events(body: bytes) -> list[Event]:
        record = json_body(body)
        if not isinstance(record, dict):
            raise Refused(400, "The body is not a webhook record.")
        address, kind = record.get("Email"), record.get("RecordType")
        record_id = f"postmark:{kind}:{record['ID']}" if isinstance(record.get("ID"), int) else ""
        if not isinstance(address, str):
            return []
        if kind == "SpamComplaint" or record.get("Type") == "SpamComplaint":
            return [Event(Kind.COMPLAINT, address, record_id)]
        if kind == "SubscriptionChange" and record.get("SuppressSending") is True:
            reason = str(record.get("SuppressionReason"))
            found = {"HardBounce": Kind.HARD_BOUNCE, "SpamComplaint": Kind.COMPLAINT}.get(reason, Kind.UNSUBSCRIBED)
            return [Event(found, address, record_id)]
        if kind != "Bounce":
            return []
        if record.get("Type") in POSTMARK_HARD or record.get("Inactive") is True:  # Inactive: Postmark will not send to it again
            return [Event(Kind.HARD_BOUNCE, address, record_id)]
        if record.get("Type") in POSTMARK_SOFT:
            return [Event(Kind.SOFT_BOUNCE, address, record_id)]
        return []


# SendGrid: the Signed Event Webhook, ECDSA P-256 over the timestamp header and the raw body.

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
SENDGRID_DROPPED = {"Bounced Address": Kind.HARD_BOUNCE, "Invalid": Kind.HARD_BOUNCE,
                    "Spam Reporting Address": Kind.COMPLAINT, "Unsubscribed Address": Kind.UNSUBSCRIBED}


class SendGrid:
    def __init__(self, settings: SendGridHookConfig, file: object) -> None:
        key = "serve.webhooks.sendgrid.public_key_env"
        text = environment_value(file, key, settings.public_key_env).strip()
        try:
            loaded = (serialization.load_pem_public_key(text.encode()) if text.startswith("-----BEGIN")
                      else serialization.load_der_public_key(base64.b64decode(text, validate=True)))
        except (ValueError, binascii.Error, TypeError):
            raise ConfigError(str(file), key, f"${settings.public_key_env} is not a public key",
                              "paste the Signed Event Webhook's verification key as SendGrid shows it") from None
        if not isinstance(loaded, ec.EllipticCurvePublicKey):
            raise ConfigError(str(file), key, f"${settings.public_key_env} is not an elliptic-curve key",
                              "use the Signed Event Webhook's verification key")
        self.key = loaded

    def check(self, signature: str, timestamp: str, body: bytes) -> None:
        """403 unless the signature verifies over timestamp + body."""
        try:
            self.key.verify(base64.b64decode(signature, validate=True), timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
            raise Refused(403, "The webhook's signature does not verify.") from None

    @staticmethod
    def events(body: bytes) -> list[Event]:
        batch = json_body(body)
        if not isinstance(batch, list):
            raise Refused(400, "The body is not a list of events.")
        found = []
        for event in batch[:EVENTS_PER_REQUEST]:
            if not isinstance(event, dict) or not isinstance(event.get("email"), str):
                continue
            name, address = event.get("event"), event["email"]
            event_id = f"sendgrid:{event['sg_event_id']}" if isinstance(event.get("sg_event_id"), str) else ""
            if name == "bounce":  # type "blocked": refused for now (a full mailbox, a filter), not for good
                found.append(Event(Kind.SOFT_BOUNCE if event.get("type") == "blocked" else Kind.HARD_BOUNCE, address, event_id))
            elif name == "spamreport":
                found.append(Event(Kind.COMPLAINT, address, event_id))
            elif name in ("unsubscribe", "group_unsubscribe"):
                found.append(Event(Kind.UNSUBSCRIBED, address, event_id))
            elif name == "dropped" and event.get("reason") in SENDGRID_DROPPED:
                found.append(Event(SENDGRID_DROPPED[event["reason"]], address, event_id))
        return found
