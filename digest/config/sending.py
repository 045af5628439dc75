"""The settings of `delivery:`: how each reader's message leaves (README: Delivery)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from digest.config.rules import check, non_negative, positive


@dataclass
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username_env: str | None = None
    password_env: str | None = None
    ca_file: str | None = None  # a CA bundle for a relay with a private certificate (relative to this file)
    timeout: float = check(positive, default=30.0)  # seconds for one read or write
    deadline: float = check(positive, default=120.0)  # seconds for the whole delivery, from connecting to the server's 250
    allow_plaintext_auth: bool = False  # log in without TLS (a relay on this machine); off: a login needs starttls or ssl


@dataclass
class ApiConfig:
    """An email service's HTTP API; credentials come only from the environment."""

    provider: Literal["postmark", "sendgrid", "ses"] = "postmark"
    key_env: str | None = None  # the variable holding the API key; default POSTMARK_SERVER_TOKEN or SENDGRID_API_KEY (SES: AWS_* variables)
    url: str | None = None  # the API's base URL; default the provider's own (a test server or an EU endpoint here)
    message_stream: str = "broadcast"  # Postmark: the message stream for newsletters
    region: str | None = None  # SES: the AWS region; default AWS_REGION from the environment
    timeout: float = check(positive, default=30.0)  # seconds for one request
    retries: int = check(non_negative, default=4)  # after a 429, a 5xx, a timeout or a dropped connection
    max_wait: float = check(non_negative, default=120.0)  # the longest Retry-After honoured, in seconds


@dataclass
class DkimConfig:
    """The newsletter's DKIM key: the TXT record `<selector>._domainkey.<domain>` holds its public half."""

    domain: str  # d=: the From domain (or a parent of it), for DMARC alignment
    selector: str  # s=: e.g. s1
    private_key_file: str  # RSA, PEM, at least 1024 bits (2048 advised); relative to this file


@dataclass
class DeliveryConfig:
    method: Literal["command", "smtp", "outbox", "api"] = "outbox"
    command: str = "sendmail -t"
    command_timeout: float = check(positive, default=120.0)  # seconds the command may take
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    outbox: str = "outbox"
    api: ApiConfig = field(default_factory=ApiConfig)
    # where bounces go (the envelope sender): `-f ADDRESS` added to the command, SMTP's MAIL FROM; default: From
    return_path: str | None = None
    dkim: DkimConfig | None = None  # sign each message (README: Deliverability)
