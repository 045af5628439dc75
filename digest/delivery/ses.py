"""Amazon SES (API v2) through boto3, the optional extra `pip install 'digest[ses]'`.

Checked against the SES API v2 reference (SendEmail, SendBulkEmail, BulkEmailEntryResult) and
boto3's sesv2 client. Each reader's message goes as a raw message (SendEmail with Content.Raw): the
very bytes an SMTP relay would get, with their own To, List-Unsubscribe and Message-ID. SES's batch
call, SendBulkEmail, only sends stored templates whose `{{...}}` tags SES itself fills, which would
also fill any `{{` that a story's text happens to hold; raw messages cannot be misread that way.
Credentials come only from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); boto3's
own retries are off so that the services' one retry loop (`retry.py`) honours Retry-After.

One message per call (SES v2 takes up to 40 MB a message: docs.aws.amazon.com/ses/latest/dg/quotas.html).
Throttling and an endpoint not reached are tried again (nothing was taken); a 5xx, a read timeout or
a connection closed once the call went is uncertain; any other refusal (MessageRejected, "Email
address is not verified", a paused or suspended account, an unverified MAIL FROM domain) is about the
account or the message that every reader shares, so the list stops with the readers pending.
"""
from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from datetime import datetime

from digest.config import Config
from digest.delivery.base import DeliveryError, Outcome, Outgoing, Sender, failed_status
from digest.delivery.dkim import signer
from digest.delivery.retry import Retry, retry_after, with_retries
from digest.render.mime import Letter
from digest.store import DeliveryStatus

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:  # pragma: no cover - said to the user when SES is chosen
    boto3 = None

THROTTLED = {"TooManyRequestsException", "LimitExceededException", "ThrottlingException"}


class Ses(Sender):
    name = "ses"
    batch = 1  # one SendEmail call per reader: each recorded the moment SES accepts it

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config, self.settings, self.sleep = config, config.delivery.api, sleep
        self.client = None
        self.sign = signer(config)  # the raw message is final here: DKIM-signed when delivery.dkim is set

    def _client(self):
        """The sesv2 client, made at the first reader from the environment and kept for the rest."""
        if self.client is not None:
            return self.client
        if boto3 is None:
            raise DeliveryError("delivery.api.provider ses needs boto3: pip install 'digest[ses]'")
        key, secret = os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        region = self.settings.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not key or not secret:
            raise DeliveryError("ses: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set in the environment")
        if not region:
            raise DeliveryError("ses: no region; set delivery.api.region or AWS_REGION")
        self.client = boto3.client(
            "sesv2", region_name=region, endpoint_url=self.settings.url or None, aws_access_key_id=key,
            aws_secret_access_key=secret, aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
            config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=self.settings.timeout,
                                          read_timeout=self.settings.timeout),
        )
        return self.client

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for entry in entries:
            address = entry.reader.address
            try:
                client = self._client()
                message = self.sign(letter.eml(entry.reader, entry.token, date))
                sent_as = with_retries(functools.partial(self._send_raw, client, letter, address, message), self.settings, self.sleep)
            except DeliveryError as exc:
                outcomes.append(Outcome(address, failed_status(exc), str(exc), stop=True))
            except botocore.exceptions.ClientError as exc:
                error = exc.response.get("Error", {})
                outcomes.append(Outcome(address, DeliveryStatus.PENDING, f"ses refused the message: {error.get('Code')}: {error.get('Message')}",
                                        stop=True))
            else:
                outcomes.append(Outcome(address, DeliveryStatus.SENT, f"ses accepted as {sent_as}"))
                continue
            outcomes += [Outcome(later.reader.address, DeliveryStatus.PENDING, f"not handed over: {outcomes[-1].said}", stop=True)
                         for later in entries[len(outcomes):]]
            break
        return outcomes

    def _send_raw(self, client, letter: Letter, address: str, message: bytes) -> str:
        """One SendEmail, returning SES's MessageId. Throttling or an endpoint not reached: Retry. A 5xx,
        or no answer once the call went: an uncertain DeliveryError. Any other refusal: ClientError."""
        try:
            response = client.send_email(FromEmailAddress=letter.from_, Destination={"ToAddresses": [address]},
                                         Content={"Raw": {"Data": message}})
        except botocore.exceptions.ClientError as exc:
            meta = exc.response.get("ResponseMetadata", {})
            status = meta.get("HTTPStatusCode", 0)
            if exc.response.get("Error", {}).get("Code") in THROTTLED or status == 429:
                raise Retry(f"ses answered {status}: {exc}", retry_after(meta.get("HTTPHeaders", {}).get("retry-after"))) from None
            if status >= 500:
                raise DeliveryError(f"ses answered {status} after the message was sent: {exc}; it may have taken it", uncertain=True) from None
            raise
        except botocore.exceptions.ConnectionError as exc:  # the endpoint not reached: nothing was sent
            raise Retry(f"ses could not be reached ({exc})") from None
        except botocore.exceptions.HTTPClientError as exc:  # a read timeout, a connection closed: the call went
            raise DeliveryError(f"ses was sent the message but no answer came back ({exc}); it may have taken it", uncertain=True) from None
        return str(response.get("MessageId", "?"))[:100]
