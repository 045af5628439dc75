"""config.yaml: schema, defaults and validation.

Every section is a dataclass; `load_config` walks the YAML against the dataclasses' type hints, so
adding a setting is adding a field. A user's mistake becomes one `ConfigError` that names the file,
the key's path and what would be valid: never a traceback.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import formataddr, getaddresses, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from digest.errors import UsageError
from digest.i18n import lang_problem


class ConfigError(UsageError):
    """A mistake in the user's config: the message says where and what would be valid."""

    def __init__(self, file: str | Path, key: str, problem: str, fix: str = "") -> None:
        self.file, self.key, self.problem, self.fix = str(file), key, problem, fix
        where = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(where + problem + (f"; {fix}" if fix else ""))


def check(fn: Callable[[Any], str | None], **kwargs: Any) -> Any:
    """A field whose value must also pass `fn` (which returns the fix, or None when fine)."""
    metadata = dict(kwargs.pop("metadata", {}), check=fn)
    return field(metadata=metadata, **kwargs)


def _timezone_problem(name: str) -> str | None:
    """An IANA zone name. The tz database's other entries load but are no place's clock: `localtime` is
    whatever the machine is set to (it changes when the server moves), `Factory` means "not set",
    `posix/X` is X under another name and `right/X` counts leap seconds, which the system clock does not."""
    if name.startswith("posix/"):
        return f"'{name}' is '{name[6:]}' under another name; use '{name[6:]}'"
    if name.startswith("right/"):
        return f"'{name}' counts leap seconds, which the system clock does not (its times would be seconds off); use '{name[6:]}'"
    if name in ("localtime", "Factory", "posixrules"):
        return f"'{name}' is not the time zone of a place; name yours, such as Europe/Kyiv or UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{name}' is not a time zone; use an IANA name such as Europe/Kyiv or UTC"
    return None


_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _time_problem(value: str) -> str | None:
    if not _TIME_OF_DAY.match(value):
        return f"'{value}' is not a time of day; write it as HH:MM in 24-hour time, e.g. \"07:00\""
    return None


def _clock_times_problem(values: list[str]) -> str | None:
    """Times a clock can strike: HH:MM from 00:00 to 23:59; at least one, as the first is also the
    editions' default cut-off."""
    if not values:
        return "lists no time; give at least one, e.g. [\"07:00\"]"
    for value in values:
        if value == "24:00":
            return "'24:00' is not a time a day has; use \"00:00\" for midnight"
        problem = _time_problem(value)
        if problem:
            return problem
    return None


MAX_WINDOW_HOURS = 24 * 366  # a year: past it the window's start leaves the calendar


def _window_problem(hours: float) -> str | None:
    if not 0 < hours <= MAX_WINDOW_HOURS:
        return f"{hours:g} is not a window; use a number of hours more than 0 and up to {MAX_WINDOW_HOURS} (a year)"
    return None


def _retry_problem(minutes: float) -> str | None:
    """0 (no retry) or at least a minute: a retry every instant would never let the loop rest."""
    if minutes == 0 or 1 <= minutes <= 24 * 60:
        return None
    return f"{minutes:g} is not a retry interval; use 0 (wait for the next send time) or 1 to 1440 minutes"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _header_problem(value: str | None) -> str | None:
    """A value that goes into a mail header: a line break in it would end the header and start another."""
    if value and _CONTROL.search(value):
        return f"{value!r} holds a line break or another control character, which would end the mail header; remove it"
    return None


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else f"{value} is negative; use 0 or more"


def _positive(value: float) -> str | None:
    return None if value > 0 else f"{value} must be more than 0"


# What `from` and `to` are when the config leaves them out: enough for a preview, never for a send
PLACEHOLDER_FROM = "Daily Digest <digest@example.com>"
PLACEHOLDER_TO = "readers@example.com"


@dataclass
class NewsletterConfig:
    title: str = "Daily Digest"
    tagline: str = ""
    timezone: str = check(_timezone_problem, default="UTC")
    lang: str = check(lang_problem, default="en")  # the email's own words, dates and direction (digest.i18n)
    from_: str = field(default=PLACEHOLDER_FROM, metadata={"key": "from"})
    to: list[str] = field(default_factory=lambda: [PLACEHOLDER_TO])  # `to: []` when only the subscribers file or `serve` list readers
    unsubscribe_url: str | None = check(_header_problem, default=None)
    unsubscribe_mailto: str | None = check(_header_problem, default=None)
    unsubscribe_secret_env: str = "DIGEST_UNSUBSCRIBE_SECRET"  # the variable holding the secret that makes each reader's token
    # the variable holding earlier secrets, separated by commas: their tokens (in emails already sent) still unsubscribe
    unsubscribe_previous_secrets_env: str = "DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS"
    list_id: str | None = check(_header_problem, default=None)  # the List-Id header; default: the title as a label under the sender's domain
    archive_url: str | None = None
    note: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


SUBJECT_FIELDS = {"title": "Daily Digest", "tagline": "", "date": "26 June 2024", "headline": "A headline", "number": ""}


def _subject_problem(template: str) -> str | None:
    """The subject is a str.format template over SUBJECT_FIELDS; a typo there must not wait for send day."""
    try:
        template.format(**SUBJECT_FIELDS)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        return f"'{template}' is not a subject template ({exc!r}); use the fields " + ", ".join(f"{{{k}}}" for k in SUBJECT_FIELDS)
    return None


def date_problem(value: str | None) -> str | None:
    """A YYYY-MM-DD date whose edition window can be worked out (a day before and after it exist)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return f"'{value}' is not a date; write it as YYYY-MM-DD"
    if not date.min < day < date.max:
        return f"'{value}' is out of range; use a date after 0001-01-01 and before 9999-12-31"
    return None


def _utm_problem(params: dict[str, str]) -> str | None:
    wrong = [key for key in params if not key.startswith("utm_")]
    return f"{', '.join(wrong)}: UTM keys start with utm_ (utm_source, utm_medium, utm_campaign...)" if wrong else None


@dataclass
class EmailConfig:
    """How the email reads: subject, shown times, link tagging, issue numbers, footer."""

    subject: str = check(_subject_problem, default="{headline}")
    time_format: Literal["12h", "24h"] | None = None  # None: the clock of newsletter.lang ("11:02 PM" in English, "23:02" in Ukrainian)
    utm: dict[str, str] = check(_utm_problem, default_factory=dict)  # added to every outgoing link; {date} is the edition's
    first_issue: str | None = check(date_problem, default=None)  # the date of issue 1: numbers the editions
    reason: str | None = None  # "why you get this"; default: you subscribed to <title>
    postal_address: str | None = None  # the sender's postal address, which bulk-mail laws ask for


@dataclass
class SourceConfig:
    name: str
    kind: Literal["feed", "html", "jsonl", "pagetext"]
    url: str | None = None
    path: str | None = None
    lang: str | None = None  # None: the newsletter's language
    timezone: str | None = check(lambda v: v and _timezone_problem(v), default=None)
    weight: float = check(_non_negative, default=1.0)
    priority: int = 0
    section: str | None = None
    full_text: bool = False
    allow_private: bool = False  # fetch from loopback, private or link-local addresses: an intranet feed (off: refused at every hop)
    item_kind: Literal["story", "brief"] = "story"  # what a feed's entries or a page are; a JSON line may say otherwise
    breaking_categories: list[str] = field(default_factory=lambda: ["breaking", "breaking news"])


@dataclass
class EditionConfig:
    date: str | None = check(date_problem, default=None)  # pins the edition date (the shipped sample config uses it)
    window_hours: float = check(_window_problem, default=24.0)
    cutoff: str | None = check(lambda v: v and _time_problem(v), default=None)  # None: the first schedule.at time
    max_stories: int = check(_non_negative, default=40)
    key_developments: int = check(_non_negative, default=0)  # lines of key developments above the stories; 0: none
    desk: str | None = None  # the editor's ledger: a folder of YYYY-MM-DD.yaml files (relative to this file); None: no ledger
    approval: Literal["none", "required"] = "none"  # required: `send` and `schedule` wait for `digest approve`
    approval_deadline: str | None = check(lambda v: v and _time_problem(v), default=None)  # schedule: stop waiting at this time of day
    on_deadline: Literal["send", "skip"] = "skip"  # what `schedule` does with an edition still unapproved at the deadline


@dataclass
class RankingWeights:
    """How much each importance signal adds, on a scale where a plain story weighs 1."""

    breaking: float = 2.0  # a breaking item, headline or category
    priority: float = 0.25  # per point of editorial priority (item + source)
    coverage: float = 0.5  # per doubling of the sources carrying the story
    source: float = 1.0  # per point of source weight above 1
    substance: float = 0.5  # a fully reported story over a one-line brief


@dataclass
class RankingConfig:
    half_life_hours: float = check(_positive, default=24.0)  # a story loses half its weight in a day
    weights: RankingWeights = field(default_factory=RankingWeights)
    keywords: dict[str, float] = field(default_factory=dict)  # word or phrase -> boost (+) or penalty (-)
    duplicate_similarity: float = check(lambda v: None if 0 < v <= 1 else f"{v} is not a share; use a number above 0 and up to 1", default=0.5)


@dataclass
class SectionConfig:
    """A section rule: a story goes to the first section whose keywords, tags or sources it matches."""

    key: str
    title: str
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    limit: int | None = check(lambda v: None if v is None else _non_negative(v), default=None)
    layout: Literal["stories", "feed"] = "stories"


BUILT_IN_SECTIONS = ("top", "stories", "feed")  # the edition's own sections, always there


def _sections_problem(sections: list[SectionConfig]) -> str | None:
    keys = [section.key for section in sections]
    for key in keys:
        if key in BUILT_IN_SECTIONS:
            return f"'{key}' is a built-in section; give your section another key"
        if keys.count(key) > 1:
            return f"the key '{key}' names two sections; give each section its own key"
    return None


# The summarizers `summary.algorithm` (and `digest summarize --algorithm`) may name: `news` is digest's
# own, built for news; the others are sumy's. Listed here, in the schema, so a typo is a config error.
Algorithm = Literal["news", "lexrank", "textrank", "luhn", "lsa", "kl", "sumbasic", "edmundson"]


@dataclass
class SummaryConfig:
    algorithm: Algorithm = "news"
    story_sentences: int = check(_positive, default=2)
    brief_sentences: int = check(_positive, default=1)
    story_words: int = check(_non_negative, default=60)  # a blurb's word budget (0: none); see summarize.budget
    brief_words: int = check(_non_negative, default=40)


@dataclass
class FetchConfig:
    """How sources with a url are fetched; every limit is per attempt, so a dead server costs at most
    (retries + 1) x timeout plus the backoff."""

    connect_timeout: float = check(_positive, default=5.0)  # seconds to open the connection
    timeout: float = check(_positive, default=15.0)  # seconds for a whole response, connection included
    max_bytes: int = check(_positive, default=5_000_000)  # the largest response read (after decompression)
    retries: int = check(_non_negative, default=2)  # after a timeout, a dropped connection or a 5xx
    backoff: float = check(_non_negative, default=0.5)  # seconds before the first retry, doubled each time
    max_redirects: int = check(_non_negative, default=5)
    user_agent: str | None = None  # None: digest/<version>
    concurrency: int = check(_positive, default=4)  # sources fetched at once


@dataclass
class StoreConfig:
    path: str = ".digest/digest.db"
    wait: float = check(_non_negative, default=30.0)  # seconds to wait for another process writing to the store, then stop and say so


@dataclass
class OutputConfig:
    dir: str = "out"


@dataclass
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username_env: str | None = None
    password_env: str | None = None
    ca_file: str | None = None  # a CA bundle for a relay with a private certificate (relative to this file)
    timeout: float = check(_positive, default=30.0)  # seconds for one read or write
    deadline: float = check(_positive, default=120.0)  # seconds for the whole delivery, from connecting to the server's 250
    allow_plaintext_auth: bool = False  # log in without TLS (a relay on this machine); off: a login needs starttls or ssl


@dataclass
class ApiConfig:
    """An email service's HTTP API; credentials come only from the environment."""

    provider: Literal["postmark", "sendgrid", "ses"] = "postmark"
    key_env: str | None = None  # the variable holding the API key; default POSTMARK_SERVER_TOKEN or SENDGRID_API_KEY (SES: AWS_* variables)
    url: str | None = None  # the API's base URL; default the provider's own (a test server or an EU endpoint here)
    message_stream: str = "broadcast"  # Postmark: the message stream for newsletters
    region: str | None = None  # SES: the AWS region; default AWS_REGION from the environment
    timeout: float = check(_positive, default=30.0)  # seconds for one request
    retries: int = check(_non_negative, default=4)  # after a 429, a 5xx, a timeout or a dropped connection
    max_wait: float = check(_non_negative, default=120.0)  # the longest Retry-After honoured, in seconds


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
    command_timeout: float = check(_positive, default=120.0)  # seconds the command may take
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    outbox: str = "outbox"
    api: ApiConfig = field(default_factory=ApiConfig)
    # where bounces go (the envelope sender): `-f ADDRESS` added to the command, SMTP's MAIL FROM; default: From
    return_path: str | None = None
    dkim: DkimConfig | None = None  # sign each message (README: Deliverability)


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
    soft_limit: int = check(_positive, default=3)  # soft bounces in a row (no edition delivered between) that suppress an address
    unread: str | None = None  # where `digest bounce` keeps what it cannot read (relative to this file); default: bounces.unread beside the store


@dataclass
class ArchiveConfig:
    """The web archive: every sent edition as a static page, an index and an Atom feed."""

    dir: str  # the folder to publish into (relative to this file); it gets nothing but the archive
    base_url: str = check(_base_url_problem)  # the address that folder is served at
    per_page: int = check(_positive, default=30)  # editions on one page of the index
    feed_entries: int = check(_positive, default=10)  # the latest editions in feed.xml, each in full

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
    if parts.query or parts.fragment or _CONTROL.search(url):
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
    subscribe_per_client: int = check(_positive, default=10)  # subscribe and confirm POSTs from one client an hour
    subscribe_per_address: int = check(_positive, default=3)  # confirmation emails to one address a day
    confirm_days: float = check(_positive, default=7.0)  # how long a confirmation link works
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)

    @property
    def root(self) -> str:
        return (self.base_url or "").rstrip("/")


@dataclass
class ScheduleConfig:
    at: list[str] = check(_clock_times_problem, default_factory=lambda: ["07:00"])
    retry_minutes: float = check(_retry_problem, default=15.0)  # after a failed send; 0: wait for the next `at`


@dataclass
class Config:
    """The whole config; `base_dir` is the folder relative paths are taken from."""

    newsletter: NewsletterConfig = field(default_factory=NewsletterConfig)
    sources: list[SourceConfig] = field(default_factory=list)
    edition: EditionConfig = field(default_factory=EditionConfig)
    summary: SummaryConfig = field(default_factory=SummaryConfig)
    ranking: RankingConfig = field(default_factory=RankingConfig)
    sections: list[SectionConfig] = check(_sections_problem, default_factory=list)
    store: StoreConfig = field(default_factory=StoreConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    archive: ArchiveConfig | None = None  # None: no web archive (newsletter.archive_url, if set, is the email's link)
    subscribers: SubscribersConfig | None = None  # readers beyond newsletter.to
    bounces: BouncesConfig = field(default_factory=BouncesConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    templates: str | None = None  # a folder of the user's own templates
    base_dir: Path = field(default=Path("."), metadata={"internal": True})
    file: Path = field(default=Path("config.yaml"), metadata={"internal": True})
    left_out: frozenset[str] = field(default=frozenset(), metadata={"internal": True})  # keys whose placeholders stand in

    def resolve(self, relative: str | Path) -> Path:
        """A path from the config, taken relative to the config file's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def source_lang(self, source: SourceConfig) -> str:
        return source.lang or self.newsletter.lang

    def source_tz(self, source: SourceConfig) -> ZoneInfo:
        return ZoneInfo(source.timezone) if source.timezone else self.newsletter.tz


def sender(config: Config) -> str:
    """The From: `newsletter.from` as written when it gives a name; else its address under the
    newsletter's title, so a bare address (or the placeholder, when `from` is left out) is not sent
    as "Daily Digest" or as a nameless address."""
    name, address = parseaddr(config.newsletter.from_)
    if name and "newsletter.from" not in config.left_out:
        return config.newsletter.from_
    try:
        return str(Address(display_name=" ".join(config.newsletter.title.split()), addr_spec=address)) if address else config.newsletter.from_
    except (ValueError, IndexError, HeaderParseError):
        return config.newsletter.from_


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError naming the key and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "no such file", "pass -c PATH, or run from the folder that holds config.yaml") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot be read ({exc.strerror})", "check the file's permissions") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "", "is not UTF-8 text", "save it as UTF-8") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, where, f"is not valid YAML ({problem})", "fix the indentation or quoting there") from None
    if raw is None:
        raw = {}
    config = _build(Config, raw, "", path)
    config.base_dir = path.resolve().parent
    config.file = path
    newsletter = raw.get("newsletter") if isinstance(raw.get("newsletter"), dict) else {}
    config.left_out = frozenset(f"newsletter.{key}" for key in ("from", "to") if key not in newsletter)
    if config.serve.base_url and not config.newsletter.unsubscribe_url:  # `digest serve` answers the one-click POST
        config.newsletter.unsubscribe_url = config.serve.base_url.rstrip("/") + "/unsubscribe/{{subscriber}}"
    _check_sources(config)
    _check_templates(config)
    if config.subscribers and not config.resolve(config.subscribers.path).is_file():
        raise ConfigError(path, "subscribers.path", f"'{config.subscribers.path}' is not a file (paths are relative to the config file)",
                          "fix the path, or remove subscribers:")
    _check_archive(config)
    _check_smtp_login(config)
    _check_addresses(config)
    return config


def _check_addresses(config: Config) -> None:
    """`from` and `to` go into mail headers: no line breaks, and a domain in another script is written
    as IDNA ("xn--..."), the only form a mail header carries without SMTPUTF8."""
    settings = config.newsletter
    settings.from_ = _ascii_address(settings.from_, "newsletter.from", config.file)
    settings.to = [_one_reader(_ascii_address(value, f"newsletter.to[{index}]", config.file), f"newsletter.to[{index}]", config.file)
                   for index, value in enumerate(settings.to)]
    if config.delivery.return_path is not None:
        config.delivery.return_path = _ascii_address(config.delivery.return_path, "delivery.return_path", config.file)
        if "@" not in config.delivery.return_path or parseaddr(config.delivery.return_path)[1] != config.delivery.return_path.strip():
            raise ConfigError(config.file, "delivery.return_path", f"'{config.delivery.return_path}' is not a bare address",
                              "write the address alone, e.g. bounces@example.com")


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _one_reader(value: str, key: str, file: Path) -> str:
    """One `newsletter.to` entry is one reader. Two addresses in one ("a@x.org, b@y.org") would be one
    message showing each reader the other's address (`build --format eml | sendmail -t`), or a reader
    dropped without a word; a comma outside quotes splits a name ("Bob, the builder <bob@x.org>")."""
    bare = _QUOTED.sub('""', value)  # a quoted name may hold a comma or an @
    addresses = [(name, address) for name, address in getaddresses([value]) if "@" in address]
    if bare.count("@") > 1 and len(addresses) > 1:
        listed = ", ".join(json.dumps(formataddr(pair), ensure_ascii=False) for pair in addresses)
        raise ConfigError(file, key, f"'{value}' holds {len(addresses)} addresses; each entry is one reader",
                          f"give each reader an entry of its own: to: [{listed}]")
    if bare.count("@") > 1 or re.search(r"[,;]", re.sub(r"<[^>]*>", "", bare)):
        raise ConfigError(file, key, f"'{value}' is not one address: it has a second @, or a comma or semicolon outside quotes",
                          'write one reader per entry, and put a name with a comma in quotes: \'"Bob, the builder" <bob@example.org>\'')
    return value


def _ascii_address(value: str, key: str, file: Path) -> str:
    """`value` with its address's domain IDNA-encoded; ConfigError when it cannot go in a header."""
    problem = _header_problem(value)
    if problem:
        raise ConfigError(file, key, problem)
    address = parseaddr(value)[1]
    local, at, domain = address.rpartition("@")
    if not at:
        return value
    if not local.isascii():
        raise ConfigError(file, key, f"the mailbox name '{local}' is not ASCII, which mail needs SMTPUTF8 for", "use an ASCII address")
    if domain.isascii():
        return value
    try:
        encoded = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ConfigError(file, key, f"'{domain}' is not a domain name", "check the address") from None
    where = value.rindex("@" + domain) + 1
    return value[:where] + encoded + value[where + len(domain):]


def _check_smtp_login(config: Config) -> None:
    """A login over plain TCP sends the password readable by anyone on the path: only when asked for."""
    smtp = config.delivery.smtp
    if config.delivery.method != "smtp" or not (smtp.username_env or smtp.password_env):
        return
    if not (smtp.starttls or smtp.ssl or smtp.allow_plaintext_auth):
        raise ConfigError(config.file, "delivery.smtp", "a login without TLS would send the password in the clear",
                          "set starttls: true or ssl: true, or allow_plaintext_auth: true for a relay on this machine")


def _check_sources(config: Config) -> None:
    names: set[str] = set()
    for index, source in enumerate(config.sources):
        key = f"sources[{index}]"
        if source.name in names:
            raise ConfigError(config.file, f"{key}.name", f"'{source.name}' names two sources", "give each source its own name")
        names.add(source.name)
        if source.kind == "pagetext" and not source.path:  # its url: is the page's own address, never fetched
            raise ConfigError(config.file, key, f"source '{source.name}' reads scraped text from a file",
                              "add path: (url: is the address of the page it was scraped from)")
        if not (source.url or source.path):
            raise ConfigError(config.file, key, f"source '{source.name}' has neither url nor path", "add url: or path:")
        if source.url and source.path and source.kind != "pagetext":
            raise ConfigError(config.file, key, f"source '{source.name}' has both url and path", "keep one of them")
        if source.url and not re.match(r"^https?://", source.url):
            raise ConfigError(config.file, f"{key}.url", f"'{source.url}' is not an http(s) URL", "use http:// or https://, or path: for a file")
        if source.path and not _has_glob(source.path) and not config.resolve(source.path).exists():
            raise ConfigError(config.file, f"{key}.path", f"'{source.path}' does not exist (paths are relative to the config file)", "fix the path")


def _check_templates(config: Config) -> None:
    """The user's template folder must be one digest can list: a missing or unreadable folder would
    otherwise be passed over in silence, and the shipped templates used instead of the user's."""
    if config.templates is None:
        return
    folder = config.resolve(config.templates)
    if not folder.exists():
        raise ConfigError(config.file, "templates", f"'{config.templates}' does not exist (paths are relative to the config file)",
                          "fix the path, or remove templates: to use the shipped templates")
    if not folder.is_dir():
        raise ConfigError(config.file, "templates", f"'{config.templates}' is a file, not a folder", "name the folder that holds your templates")
    try:
        next(folder.iterdir(), None)
    except OSError as exc:
        raise ConfigError(config.file, "templates", f"the folder '{config.templates}' cannot be read ({exc.strerror})",
                          "check the folder's permissions") from None


def _check_archive(config: Config) -> None:
    """The archive folder is published as it is, so it must not hold (or be) the config's or the
    store's folder, the subscribers file or output.dir (where `build --format jsonl` writes every
    reader's address and token): a web server serving it would serve them too. Checked on the paths
    as written and as their links lead."""
    if config.archive is None:
        return
    folder = config.resolve(config.archive.dir).resolve()
    private = {"the config file": config.file, "the store": config.resolve(config.store.path),
               "the outbox": config.resolve(config.delivery.outbox), "output.dir": config.resolve(config.output.dir)}
    if config.subscribers:
        private["the subscribers file"] = config.resolve(config.subscribers.path)
    for what, written in private.items():
        for path in (Path(os.path.abspath(written)), written.resolve()):
            if folder == path or folder in path.parents:
                raise ConfigError(config.file, "archive.dir", f"'{config.archive.dir}' would publish {what} ({path})",
                                  "use a folder of its own for the archive, e.g. archive/ or public/")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(config.file, "archive.dir", f"'{config.archive.dir}' is a file, not a folder", "name a folder")


def _has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _field_key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def _build(cls: type, raw: Any, prefix: str, file: Path) -> Any:
    """Turn a YAML mapping into dataclass `cls`, checking every key and type on the way."""
    if not isinstance(raw, dict):
        raise ConfigError(file, prefix or "(top level)", f"should be a mapping of keys, not {_describe(raw)}", "")
    hints = typing.get_type_hints(cls)
    fields = {_field_key(f): f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in raw:
        if key not in fields:
            near = difflib.get_close_matches(str(key), fields, n=1)
            fix = f"did you mean '{near[0]}'?" if near else "valid keys: " + ", ".join(fields)
            raise ConfigError(file, _join(prefix, str(key)), "is not a known setting", fix)
    values = {}
    for key, f in fields.items():
        path = _join(prefix, key)
        if key not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(file, path, "is required", f"add {key}:")
            continue
        value = _coerce(hints[f.name], raw[key], path, file)
        problem = f.metadata.get("check") and f.metadata["check"](value)
        if problem:
            raise ConfigError(file, path, problem)
        values[f.name] = value
    return cls(**values)


def _coerce(hint: Any, value: Any, path: str, file: Path) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(inner, value, path, file)
    if origin is Literal:
        if value not in args:
            raise ConfigError(file, path, f"'{value}' is not one of the choices", "use one of " + ", ".join(map(str, args)))
        return value
    if origin is list:
        if isinstance(value, (str, dict)) or not isinstance(value, list):
            raise ConfigError(file, path, f"should be a list, not {_describe(value)}", "write it as [a, b] or one '- item' a line")
        return [_coerce(args[0], v, f"{path}[{i}]", file) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(file, path, f"should be a mapping, not {_describe(value)}")
        return {str(k): _coerce(args[1], v, f"{path}.{k}", file) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, path, file)
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(file, path, f"should be {_type_name(hint)}, not {_describe(value)}")
    return value


def _type_name(hint: Any) -> str:
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(hint, getattr(hint, "__name__", str(hint)))


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}
    return f"{kind.get(type(value), type(value).__name__)} ({value!r:.40})"


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
