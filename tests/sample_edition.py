"""Editions for the email tests, built straight from the model: a realistic day, a big day, a hostile item."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from digest.config import Config, NewsletterConfig
from digest.model import DatedItem, Edition, Section, Story

TZ = ZoneInfo("Europe/Kyiv")
DAY = date(2026, 5, 14)
CUTOFF = datetime(2026, 5, 15, 0, 0, tzinfo=TZ)

HOSTILE_HEADLINE = 'Council <script>window.__pwned = 1</script> votes <img src=x onerror="window.__pwned=2"> on budget'


def config(**email: object) -> Config:
    settings = Config(newsletter=NewsletterConfig(
        title="Harbour Town Daily", tagline="The day in Harbour Town, in your inbox", timezone="Europe/Kyiv",
        from_="Harbour Town Daily <daily@news.example.org>", to=["readers@news.example.org"],
        unsubscribe_url="https://news.example.org/unsubscribe/{{subscriber}}",
        unsubscribe_mailto="unsubscribe@news.example.org", archive_url="https://news.example.org/daily/archive",
    ))
    for key, value in email.items():
        setattr(settings.email, key, value)
    return settings


def item(n: int, kind: str = "story", **fields: object) -> DatedItem:
    values = dict(
        id=f"item-{n}", source="Harbour Herald", kind=kind,
        title=f"Ferry line {n} adds a late crossing for night-shift workers",
        url=f"https://herald.example.org/2026/05/14/ferry-{n}",
        published=CUTOFF - timedelta(minutes=37 * n + 5),
        author="Daria Melnyk" if kind == "story" else None,
    )
    values.update(fields)
    return DatedItem(**values)  # type: ignore[arg-type]


def story(n: int, kind: str = "story", score: float | None = None, summary: list[str] | None = None, **fields: object) -> Story:
    lead = item(n, kind, **fields)
    default_summary = (
        [f"The harbour authority added a crossing at 23:40 on line {n}, after nurses and bakers asked for one.",
         "The boats will run on the new timetable from Monday, and the fare stays the same.",
         "Dock workers' unions said the change was overdue but welcome."]
        if kind == "story" else [f"The port said crossing {n} would run until the end of the summer season."]
    )
    return Story(lead=lead, members=[lead], summary=default_summary if summary is None else summary,
                 score=score if score is not None else 100.0 - n)


def edition(stories: int = 4, briefs: int = 6, note: str | None = None) -> Edition:
    """A top story, a section of `stories - 1` stories and a news feed of `briefs` briefs."""
    top = story(0, breaking=True)
    rest = [story(n) for n in range(1, stories)]
    feed = [story(100 + n, "brief", score=50.0 - n) for n in range(briefs)]
    return Edition(
        date=DAY, cutoff=CUTOFF, title="Harbour Town Daily", note=note,
        sections=[
            Section("top", "Top story", "top", [top]),
            Section("city", "City", "stories", rest),
            Section("feed", "News Feed", "feed", feed),
        ],
    )


def hostile_edition() -> Edition:
    """Every trick an untrusted feed could play, in one edition."""
    base = edition(stories=3, briefs=3)
    base.sections[0].stories[0].lead.title = "Night ferry </mj-title></mj-preview><mj-raw><script>window.__pwned=7</script></mj-raw> runs"
    city = base.sections[1].stories
    city[0].lead.title = HOSTILE_HEADLINE
    city[0].lead.url = "javascript:window.__pwned=3"
    city[0].summary = ['Read <a href="javascript:alert(1)" onclick="window.__pwned=4">this</a> {{ 7*7 }} {% raw %}',
                       "<style>body{display:none}</style> \"quoted\" & 'single' text"]
    city[1].lead.title = "Budget " + "x" * 10_000  # a 10 KB headline with no place to break
    city[1].lead.url = " java\tscript:window.__pwned=5"
    city[1].lead.author = "<b onmouseover=alert(1)>Evil</b>\u202eReversed"
    base.sections[2].stories[0].lead.url = "data:text/html,<script>window.__pwned=6</script>"
    base.sections[2].stories[1].lead.title = "Brief with a ]]> and <!-- comment --> and </mj-text></mj-column>"
    return base


class Page(HTMLParser):
    """The parts of rendered HTML the tests look at: every tag with its attributes, the hrefs, the visible
    text (not the <title>, the <style> or the hidden preheader, none of which hold nested tags)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._hidden_until: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("title", "style") or "display:none" in (dict(attrs).get("style") or "").replace(" ", ""):
            self._hidden_until = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._hidden_until:
            self._hidden_until = None

    def handle_data(self, data: str) -> None:
        if self._hidden_until is None:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())

    @property
    def hrefs(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if tag == "a" and "href" in attrs]
