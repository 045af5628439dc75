"""The web archive: two days sent through the outbox become two pages, an index and a feed, the
emails link to those pages, and the folder comes back byte for byte from the store alone."""
from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from sample_edition import config as sample_config
from sample_edition import edition
from test_send import DAY1, DAY2, STORIES, Project, ok, parse, plain_text

from digest import render
from digest.archive.page import public_page
from digest.archive.site import site_files
from digest.archive.urls import relative
from digest.config import ArchiveConfig
from digest.render.view import email_view
from digest.store import PageRecord

BASE = "https://news.example.com/daily/"
ARCHIVE = f"archive: {{dir: public, base_url: \"{BASE.rstrip('/')}\"}}"


class Links(HTMLParser):
    """Every href and src of a page, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if name in ("href", "src") and value]


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def outbox_project(tmp_path: Path, extra: str = ARCHIVE) -> Project:
    return Project(tmp_path, "  method: outbox\n  outbox: outbox", extra)


def test_two_days_sent_make_two_pages_an_index_a_feed_and_emails_that_link_there(tmp_path: Path) -> None:
    project = outbox_project(tmp_path)
    for day in (DAY1, DAY2):
        ok(project.digest("send", "--date", day.isoformat()))
    public = tmp_path / "public"
    urls = {day: f"{BASE}{day:%Y/%m/%d}/" for day in (DAY1, DAY2)}

    # a page per edition, with the email's stories, its address and its neighbour
    for day, other in ((DAY1, DAY2), (DAY2, DAY1)):
        page = (public / f"{day:%Y/%m/%d}/index.html").read_text()
        with project.store() as store:
            record = store.edition(day)
        assert re.search(rf"<title>[^<]*{day.day} May 2026 · {re.escape(record.subject)}</title>", page)  # the day, then the subject
        assert f'<link rel="canonical" href="{urls[day]}">' in page
        assert f'<meta property="og:url" content="{urls[day]}">' in page
        assert f"../../../{other:%Y/%m/%d}/index.html" in links(page)
        assert "unsubscribe" not in page.lower()  # no reader's link, token or address on a public page
        assert "readers@example.com" not in page
        for title, _ in STORIES[day]:
            assert title in page

    # the index links both, newest first; the feed has both, linking to the pages
    index = (public / "index.html").read_text()
    edition_links = [href for href in links(index) if href.endswith("/index.html")]
    assert edition_links == ["2026/05/15/index.html", "2026/05/14/index.html"]
    feed = feedparser.parse((public / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.link for entry in feed.entries] == [urls[DAY2], urls[DAY1]]
    assert all(entry.content[0].value.count("Larkspur Daily") for entry in feed.entries)

    # each email's "view in browser" link, in the HTML and in the text twin, is its page
    for path in sorted((tmp_path / "outbox").glob("*.eml")):
        message = parse(path.read_bytes())
        day = datetime.strptime(message["Message-ID"][1:9], "%Y%m%d").date()  # <YYYYMMDD.key@domain>
        html = message.get_body(("html",)).get_content()
        view_link = [href for href in links(html) if href.startswith(BASE)]
        assert view_link == [urls[day]]
        assert f"View this email in your browser: {urls[day]}" in plain_text(path.read_bytes())

    # the folder holds the archive and nothing else, and comes back byte for byte from the store
    before = folder_bytes(public)
    assert set(before) == {"2026/05/14/index.html", "2026/05/15/index.html", "index.html", "feed.xml", ".digest-archive.json"}
    shutil.rmtree(public)
    result = ok(project.digest("archive", "--rebuild"))
    assert "2 editions" in result
    assert folder_bytes(public) == before
    # and an up-to-date folder is left alone
    assert "0 files written" in ok(project.digest("archive"))


def test_a_preview_build_publishes_nothing_and_a_dry_run_neither(tmp_path: Path) -> None:
    project = outbox_project(tmp_path)
    ok(project.digest("build", "--date", DAY1.isoformat()))
    ok(project.digest("send", "--date", DAY1.isoformat(), "--dry-run"))
    assert not (tmp_path / "public").exists()
    # the preview already links to where the edition will be
    assert f"{BASE}2026/05/14/" in (tmp_path / "out/2026-05-14.html").read_text()


def test_without_an_archive_the_email_keeps_the_configured_link(tmp_path: Path) -> None:
    project = outbox_project(tmp_path, "")
    project.config.write_text(project.config.read_text().replace(
        "newsletter:\n", "newsletter:\n  archive_url: https://example.com/past-issues\n"))
    ok(project.digest("send", "--date", DAY1.isoformat()))
    (message,) = (tmp_path / "outbox").glob("*.eml")
    assert "View this email in your browser: https://example.com/past-issues" in plain_text(message.read_bytes())
    result = project.digest("archive")
    assert result.exit_code == 2 and "archive: is not set" in result.stderr


@pytest.mark.parametrize(("setting", "key", "says"), [
    ("archive: {dir: public}", "archive.base_url", "is required"),
    ("archive: {dir: public, base_url: example.com/daily}", "archive.base_url", "is not an http(s) URL"),
    ("archive: {dir: public, base_url: \"https://example.com/?a=1\"}", "archive.base_url", "query or fragment"),
    ("archive: {dir: ., base_url: \"https://example.com/\"}", "archive.dir", "would publish the config file"),
    ("archive: {dir: state, base_url: \"https://example.com/\"}", "archive.dir", "would publish the store"),
    ("archive: {dir: public, base_url: \"https://example.com/\", per_page: 0}", "archive.per_page", "must be more than 0"),
])
def test_a_wrong_archive_setting_is_exit_2_naming_the_key(tmp_path: Path, setting: str, key: str, says: str) -> None:
    project = outbox_project(tmp_path, setting)
    result = project.digest("archive")
    assert result.exit_code == 2
    assert f"{key}: " in result.stderr and says in result.stderr


def page(day: date, subject: str = "", headline: str = "A headline") -> PageRecord:
    subject = subject or f"Daily — {day}"
    html = (f'<!doctype html><html lang="en"><head><title>{escape(subject)}</title></head>'
            f'<body style="margin:0"><p>{escape(headline)}</p></body></html>')
    return PageRecord(day, subject, "Three headlines", headline, None, html,
                      datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=4))


def test_a_long_archive_is_paginated_newest_first_and_the_feed_keeps_the_latest(tmp_path: Path) -> None:
    settings = sample_config()
    settings.archive = ArchiveConfig(dir=str(tmp_path), base_url=BASE, per_page=2, feed_entries=3)
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(5)]
    files = dict(site_files(settings, [page(day) for day in days]))
    assert list(files)[-4:] == ["index.html", "page/2/index.html", "page/3/index.html", "feed.xml"]
    listed = {name: [href for href in links(files[name].decode()) if "2026/" in href]
              for name in ("index.html", "page/2/index.html", "page/3/index.html")}
    assert listed == {
        "index.html": ["2026/01/05/index.html", "2026/01/04/index.html"],
        "page/2/index.html": ["../../2026/01/03/index.html", "../../2026/01/02/index.html"],
        "page/3/index.html": ["../../2026/01/01/index.html"],
    }
    assert "../../index.html" in links(files["page/2/index.html"].decode())  # newer
    assert "../3/index.html" not in links(files["page/2/index.html"].decode())
    assert "../../page/3/index.html" in links(files["page/2/index.html"].decode())  # older
    feed = feedparser.parse(files["feed.xml"])
    assert not feed.bozo
    assert [entry.link for entry in feed.entries] == [f"{BASE}2026/01/0{n}/" for n in (5, 4, 3)]
    assert feed.feed.updated == "2026-01-05T04:00:00Z"


def test_item_text_is_escaped_in_the_index_pages_and_feed(tmp_path: Path) -> None:
    settings = sample_config()
    settings.archive = ArchiveConfig(dir=str(tmp_path), base_url=BASE)
    hostile = '<script>alert(1)</script> & "quotes" ]]> <!--'
    files = dict(site_files(settings, [page(date(2026, 1, 1), subject=hostile, headline=hostile)]))
    for name in ("index.html", "2026/01/01/index.html"):
        assert "<script>" not in files[name].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in files["index.html"].decode()
    feed = feedparser.parse(files["feed.xml"])
    assert not feed.bozo
    assert feed.entries[0].title == hostile


def test_relative_links_climb_out_of_the_page_folder() -> None:
    assert relative("", "2026/05/14/") == "2026/05/14/index.html"
    assert relative("2026/05/14/", "") == "../../../index.html"
    assert relative("2026/05/14/", "2026/05/13/") == "../../../2026/05/13/index.html"
    assert relative("page/2/", "", "feed.xml") == "../../feed.xml"
    for href in ("2026/05/14/index.html", "../../../index.html"):
        assert not urlsplit(urljoin(BASE + "2026/05/14/", href)).query


def test_an_archive_that_cannot_be_written_does_not_fail_the_send_and_catches_up_later(tmp_path: Path) -> None:
    project = outbox_project(tmp_path)
    (tmp_path / "public").mkdir()
    (tmp_path / "public/2026").write_text("in the way")  # the year's folder cannot be made
    stderr = ok(project.digest("send", "--date", DAY1.isoformat()))
    assert "warning: archive: could not publish to public" in stderr and "run `digest archive`" in stderr
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    with project.store() as store:
        assert any("archive: could not publish" in warning for warning in store.runs()[0].warnings)
    (tmp_path / "public/2026").unlink()
    ok(project.digest("archive"))
    assert (tmp_path / "public/2026/05/14/index.html").is_file()


def test_a_public_page_carries_nothing_of_one_readers_inbox() -> None:
    settings = sample_config()  # an unsubscribe URL with {{subscriber}}, an unsubscribe address, an archive_url
    ed = render.fit(edition(), settings).edition
    email_html = render.render(ed, settings, "html").decode()
    assert "{{subscriber}}" in email_html and "View this email in your browser" in email_html
    page = public_page(ed, settings)
    for private in ("unsubscribe", "{{subscriber}}", "You are receiving this email", "View this email in your browser",
                    settings.newsletter.archive_url):
        assert private not in page.html
    assert "You are reading the web edition of Harbour Town Daily." in page.html
    assert email_view(ed, settings).sections[0].stories[0].headline == page.headline
    assert page.description == ed.preheader and page.subject == ed.subject
