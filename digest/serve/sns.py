"""Amazon SES bounces and complaints, as SNS delivers them: each message's signature is verified with
the certificate SNS names, which is taken only from an SNS host over HTTPS and fetched by the
project's one HTTP client (digest.sources.http: bounded in time and size), then kept in memory.

A subscription to an allowed topic is confirmed by fetching its SubscribeURL (an SNS host too), so
pointing the topic at the server is all the setup it needs; any other topic is refused with 403.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from digest.config import SNS_HOSTS, FetchConfig, SesHookConfig
from digest.logs import log
from digest.serve.guard import Refused
from digest.serve.hooks import EVENTS_PER_REQUEST, Event, Kind, json_body
from digest.sources.failure import SourceFailed
from digest.sources.http import fetch

CERTIFICATE_BYTES = 64 * 1024
CERTIFICATES_KEPT = 16
_SIGNED = {  # the fields each message type signs, in this order (SNS's documented string to sign)
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


def string_to_sign(message: dict[str, Any]) -> bytes:
    """`Name\\nvalue\\n` for each signed field the message has, in SNS's order."""
    fields = _SIGNED[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in fields if isinstance(message.get(name), str)).encode("utf-8")


class Sns:
    """Verifies SNS messages for the allowed topics; certificates are fetched once per URL."""

    def __init__(self, settings: SesHookConfig, fetching: FetchConfig) -> None:
        self.settings = settings
        self.hosts = [re.compile(pattern) for pattern in settings.certificate_hosts]
        self.public_only = settings.certificate_hosts == SNS_HOSTS  # the real SNS hosts are public; a test's stand-in is not
        self.fetching = dataclasses.replace(fetching, max_bytes=CERTIFICATE_BYTES, retries=1)
        self.kept: OrderedDict[str, x509.Certificate] = OrderedDict()
        self.lock = threading.Lock()

    def sns_url(self, url: object) -> str:
        """`url` when it is https on an SNS host: its whole host[:port] matches one of the patterns, so
        no user part, other port or look-alike host gets through; else 403."""
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme != "https" or not any(host.fullmatch(parts.netloc.lower()) for host in self.hosts):
            raise Refused(403, "The notification names a URL that is not on an SNS host.")
        return str(url)

    def message(self, body: bytes) -> dict[str, Any]:
        """The verified message: from an allowed topic, signed by SNS. Raises Refused otherwise."""
        message = json_body(body)
        if not isinstance(message, dict) or message.get("Type") not in _SIGNED:
            raise Refused(400, "The body is not an SNS message.")
        if message.get("TopicArn") not in self.settings.topic_arns:
            raise Refused(403, "The notification is from a topic this server does not take.")
        version = message.get("SignatureVersion")
        if version not in _HASHES or not isinstance(message.get("Signature"), str):
            raise Refused(403, "The notification's signature does not verify.")
        certificate = self.certificate(self.sns_url(message.get("SigningCertURL")))
        key = certificate.public_key()
        now = datetime.now(UTC)
        try:
            if not isinstance(key, rsa.RSAPublicKey) or not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
                raise InvalidSignature
            key.verify(base64.b64decode(message["Signature"], validate=True), string_to_sign(message), padding.PKCS1v15(), _HASHES[version]())
        except (InvalidSignature, binascii.Error, ValueError):
            raise Refused(403, "The notification's signature does not verify.") from None
        return message

    def certificate(self, url: str) -> x509.Certificate:
        with self.lock:
            if url in self.kept:
                self.kept.move_to_end(url)
                return self.kept[url]
        try:
            found = x509.load_pem_x509_certificate(fetch(url, self.fetching, public_only=self.public_only).body)
        except SourceFailed as exc:
            log.warning(f"serve: SES webhook: the signing certificate {url} could not be fetched: {exc}")
            raise Refused(403, "The notification's signature does not verify.") from None
        except ValueError:
            raise Refused(403, "The notification's signature does not verify.") from None
        with self.lock:
            self.kept[url] = found
            while len(self.kept) > CERTIFICATES_KEPT:
                self.kept.popitem(last=False)
        return found

    def confirm_subscription(self, message: dict[str, Any]) -> None:
        """Subscribe the server to the (allowed, verified) topic, as the SubscribeURL asks."""
        url = self.sns_url(message.get("SubscribeURL"))
        try:
            fetch(url, self.fetching, public_only=self.public_only)
        except SourceFailed as exc:
            log.warning(f"serve: SES webhook: confirming the subscription to {message.get('TopicArn')} failed: {exc}")
            raise Refused(503, "The subscription could not be confirmed; SNS will ask again.") from None
        log.info(f"serve: SES webhook: subscribed to {message.get('TopicArn')}")


def ses_events(message: dict[str, Any]) -> list[Event]:
    """The bounces and complaints in an SES notification (`notificationType`, or `eventType` from a
    configuration set). A permanent bounce is hard; a transient one soft; a complaint of "not-spam" is none."""
    inner = json_body(str(message.get("Message", "")).encode("utf-8"))
    if not isinstance(inner, dict):
        return []
    kind = inner.get("notificationType") or inner.get("eventType")
    message_id = str(message.get("MessageId", ""))
    if kind == "Bounce" and isinstance(inner.get("bounce"), dict):
        bounce = inner["bounce"]
        found = {"Permanent": Kind.HARD_BOUNCE, "Transient": Kind.SOFT_BOUNCE}.get(bounce.get("bounceType"))
        people = bounce.get("bouncedRecipients")
    elif kind == "Complaint" and isinstance(inner.get("complaint"), dict):
        complaint = inner["complaint"]
        found = None if complaint.get("complaintFeedbackType") == "not-spam" else Kind.COMPLAINT
        people = complaint.get("complainedRecipients")
    else:
        return []
    if found is None or not isinstance(people, list):
        return []
    return [Event(found, person["emailAddress"], f"ses:{message_id}:{person['emailAddress']}")
            for person in people[:EVENTS_PER_REQUEST] if isinstance(person, dict) and isinstance(person.get("emailAddress"), str)]
