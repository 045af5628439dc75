"""The schema of config.yaml: one dataclass a section, each field with its default and its rule.
Adding a setting is adding a field; `load.load_config` reads the YAML against these type hints."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from digest.config.rules import (
    check,
    clock_times_problem,
    date_problem,
    header_problem,
    non_negative,
    positive,
    retry_problem,
    subject_problem,
    time_problem,
    timezone_problem,
    utm_problem,
    window_problem,
)
from digest.config.sending import DeliveryConfig
from digest.config.serving import ArchiveConfig, BouncesConfig, ServeConfig, SubscribersConfig
from digest.i18n import lang_problem

# What `from` and `to` are when the config leaves them out: enough for a preview, never for a send
PLACEHOLDER_FROM = "Daily Digest <digest@example.com>"
PLACEHOLDER_TO = "readers@example.com"


@dataclass
class NewsletterConfig:
    title: str = "Daily Digest"
    tagline: str = ""
    timezone: str = check(timezone_problem, default="UTC")
    lang: str = check(lang_problem, default="en")  # the email's own words, dates and direction (digest.i18n)
    from_: str = field(default=PLACEHOLDER_FROM, metadata={"key": "from"})
    to: list[str] = field(default_factory=lambda: [PLACEHOLDER_TO])  # `to: []` when only the subscribers file or `serve` list readers
    unsubscribe_url: str | None = check(header_problem, default=None)
    unsubscribe_mailto: str | None = check(header_problem, default=None)
    unsubscribe_secret_env: str = "DIGEST_UNSUBSCRIBE_SECRET"  # the variable holding the secret that makes each reader's token
    # the variable holding earlier secrets, separated by commas: their tokens (in emails already sent) still unsubscribe
    unsubscribe_previous_secrets_env: str = "DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS"
    list_id: str | None = check(header_problem, default=None)  # the List-Id header; default: the title as a label under the sender's domain
    archive_url: str | None = None
    note: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class EmailConfig:
    """How the email reads: subject, shown times, link tagging, issue numbers, footer."""

    subject: str = check(subject_problem, default="{headline}")
    time_format: Literal["12h", "24h"] | None = None  # None: the clock of newsletter.lang ("11:02 PM" in English, "23:02" in Ukrainian)
    utm: dict[str, str] = check(utm_problem, default_factory=dict)  # added to every outgoing link; {date} is the edition's
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
    timezone: str | None = check(lambda v: v and timezone_problem(v), default=None)
    weight: float = check(non_negative, default=1.0)
    priority: int = 0
    section: str | None = None
    full_text: bool = False
    allow_private: bool = False  # fetch from loopback, private or link-local addresses: an intranet feed (off: refused at every hop)
    item_kind: Literal["story", "brief"] = "story"  # what a feed's entries or a page are; a JSON line may say otherwise
    breaking_categories: list[str] = field(default_factory=lambda: ["breaking", "breaking news"])


@dataclass
class EditionConfig:
    date: str | None = check(date_problem, default=None)  # pins the edition date (the shipped sample config uses it)
    window_hours: float = check(window_problem, default=24.0)
    cutoff: str | None = check(lambda v: v and time_problem(v), default=None)  # None: the first schedule.at time
    max_stories: int = check(non_negative, default=40)
    key_developments: int = check(non_negative, default=0)  # lines of key developments above the stories; 0: none
    desk: str | None = None  # the editor's ledger: a folder of YYYY-MM-DD.yaml files (relative to this file); None: no ledger
    approval: Literal["none", "required"] = "none"  # required: `send` and `schedule` wait for `digest approve`
    approval_deadline: str | None = check(lambda v: v and time_problem(v), default=None)  # schedule: stop waiting at this time of day
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
    half_life_hours: float = check(positive, default=24.0)  # a story loses half its weight in a day
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
    limit: int | None = check(lambda v: None if v is None else non_negative(v), default=None)
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
    story_sentences: int = check(positive, default=2)
    brief_sentences: int = check(positive, default=1)
    story_words: int = check(non_negative, default=60)  # a blurb's word budget (0: none); see summarize.budget
    brief_words: int = check(non_negative, default=40)


@dataclass
class FetchConfig:
    """How sources with a url are fetched; every limit is per attempt, so a dead server costs at most
    (retries + 1) x timeout plus the backoff."""

    connect_timeout: float = check(positive, default=5.0)  # seconds to open the connection
    timeout: float = check(positive, default=15.0)  # seconds for a whole response, connection included
    max_bytes: int = check(positive, default=5_000_000)  # the largest response read (after decompression)
    retries: int = check(non_negative, default=2)  # after a timeout, a dropped connection or a 5xx
    backoff: float = check(non_negative, default=0.5)  # seconds before the first retry, doubled each time
    max_redirects: int = check(non_negative, default=5)
    user_agent: str | None = None  # None: digest/<version>
    concurrency: int = check(positive, default=4)  # sources fetched at once


@dataclass
class StoreConfig:
    path: str = ".digest/digest.db"
    wait: float = check(non_negative, default=30.0)  # seconds to wait for another process writing to the store, then stop and say so


@dataclass
class OutputConfig:
    dir: str = "out"


@dataclass
class ScheduleConfig:
    at: list[str] = check(clock_times_problem, default_factory=lambda: ["07:00"])
    retry_minutes: float = check(retry_problem, default=15.0)  # after a failed send; 0: wait for the next `at`


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
