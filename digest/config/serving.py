"""The settings of the reader's side beyond the email: the subscribers file, bounces, the web
archive and `digest serve` with its webhooks."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from digest.config.rules import CONTROL, check, positive


@dataclass
class SubscribersConfig:
    path: str  # a CSV file with an `email` column and an optional `name` column, relative to this file


def _base_url_problem(url: str) -> str | None:
    """Where the archive is served: its pages' links, the feed and the email's "view in browser" start here."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{url}' is not an http(s) URL; write the address the archive folder is served at, e.g. https://example.com/newsletter/"
    if parts.query or parts.fragment:
        return f"'{url}' has a query or fragment; use the folder's plain address, e.g. https://example.com/newsletter/"
    return None


@dataclass
class BouncesConfig:
    soft_limit: int = check(positive, default=3)  # soft bounces in a row (no edition delivered between) that suppress an address
    unread: str | None = None  # where `digest bounce` keeps what it cannot read (relative to this file); default: bounces.unread beside the store


@dataclass
class ArchiveConfig:
    """The web archive: every sent edition as a static page, an index and an Atom feed."""

    dir: str  # the folder to publish into (relative to this file); it gets nothing but the archive
    base_url: str = check(_base_url_problem)  # the address that folder is served at
    per_page: int = check(positive, default=30)  # editions on one page of the index
    feed_entries: int = check(positive, default=10)  # the latest editions in feed.xml, each in full

    @property
    def root_url(self) -> str:
        return self.base_url.rstrip("/") + "/"


def _serve_url_problem(url: str | None) -> str | None:
    """The public root the proxy maps to `digest serve`: the links in the email (unsubscribe, confirm) and
    the pages start here; https, so mail clients may offer one-click unsubscribe."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{url}' is not an http(s) URL; write the public address the proxy serves digest at, e.g. https://example.com/newsletter"
    if parts.query or parts.fragment or CONTROL.search(url):
        return f"'{url}' has a query, a fragment or a control character; use the plain address, e.g. https://example.com/newsletter"
    return None


@dataclass
class PostmarkHookConfig:
    """Postmark's bounce and spam-complaint webhooks sign in with HTTP basic auth: the two variables hold the pair."""

    username_env: str
    password_env: str


@dataclass
class SendGridHookConfig:
    public_key_env: str  # the variable holding the Signed Event Webhook's verification key (base64 or PEM)


SNS_HOSTS = [r"sns\.[a-z0-9-]+\.amazonaws\.com", r"sns\.[a-z0-9-]+\.amazonaws\.com\.cn"]


@dataclass
class SesHookConfig:
    topic_arns: list[str]  # the SNS topics whose notifications are taken; any other is refused
    certificate_hosts: list[str] = field(default_factory=lambda: list(SNS_HOSTS))  # regexes the whole host[:port] of a certificate's URL must match


@dataclass
class WebhooksConfig:
    postmark: PostmarkHookConfig | None = None  # None: the route answers 404
    sendgrid: SendGridHookConfig | None = None
    ses: SesHookConfig | None = None


@dataclass
class ServeConfig:
    """`digest serve`: subscribe, confirm, one-click unsubscribe and the services' webhooks, behind a proxy."""

    base_url: str | None = check(_serve_url_problem, default=None)  # the public root the proxy maps to the server
    host: str = "127.0.0.1"  # where it listens: the proxy's side, not the world's
    port: int = 8025
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])  # whose X-Forwarded-For names the client
    subscribe_per_client: int = check(positive, default=10)  # subscribe and confirm POSTs from one client an hour
    subscribe_per_address: int = check(positive, default=3)  # confirmation emails to one address a day
    confirm_days: float = check(positive, default=7.0)  # how long a confirmation link works
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)

    @property
    def root(self) -> str:
        return (self.base_url or "").rstrip("/")
