"""Feed sources over a real HTTP server on 127.0.0.1: real and hand-written feeds, failures, safety."""
from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import sources_config
from pytest_httpserver import HTTPServer
from werkzeug import Response

from digest import pipeline, render
from digest.config import EditionConfig, FetchConfig, SourceConfig
from digest.progress import Progress
from digest.sources import SourceFailed, load_all, load_each
from digest.sources.feed import screen_xml
from digest.store import Store
from digest.text.markup import fold

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


def feed(name: str, **where) -> SourceConfig:
    """A feed source; one at a url is on the loopback test server, so it is allowed private addresses."""
    return SourceConfig(name=name, kind="feed", allow_private="url" in where, **where)


def load_one(source: SourceConfig, store: Store | None = None):
    (ctx,) = load_each(sources_config(source, base=FEEDS), NOW, store)
    return ctx


def serve(httpserver: HTTPServer, path: str, data: bytes, content_type: str = "application/rss+xml", **headers) -> str:
    httpserver.expect_request(path).respond_with_data(data, content_type=content_type, headers=headers)
    return httpserver.url_for(path)


# the real feeds in ../shared/data/feeds


def expected_entries(path: Path) -> list[tuple[str, str, datetime]]:
    """(title, link, date) of every entry, read with the standard library as an independent check."""
    root = ET.parse(path).getroot()
    if root.tag == f"{ATOM}feed":
        found = []
        for entry in root.iter(f"{ATOM}entry"):
            link = next(a.get("href") for a in entry.iter(f"{ATOM}link") if a.get("rel", "alternate") == "alternate")
            stamp = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
            found.append((fold(entry.findtext(f"{ATOM}title")), link, datetime.fromisoformat(stamp.replace("Z", "+00:00"))))
        return found
    return [
        (fold(item.findtext("title")), item.findtext("link").strip(), parsedate_to_datetime(item.findtext("pubDate")))
        for item in root.iter("item")
    ]


def real_feeds() -> list[str]:
    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "feeds"
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else ["(absent)"]


@pytest.mark.parametrize("name", real_feeds())
def test_each_real_feed_gives_every_entry_with_title_link_and_date(httpserver, shared, name):
    path = shared / "data" / "feeds" / name
    if not path.is_file():
        pytest.skip("../shared/data/feeds holds no feeds")
    url = serve(httpserver, f"/real/{name}", path.read_bytes())
    ctx = load_one(feed(name, url=url))
    assert [p for p in ctx.problems if p.source_failed] == []
    expected = expected_entries(path)
    assert len(ctx.items) == len(expected) > 0
    assert [(item.title, item.url, item.published) for item in ctx.items] == expected
    assert all(item.body and item.source == name for item in ctx.items)


def test_successive_fetches_of_one_real_feed_with_conditional_get(httpserver, shared, tmp_path):
    versions = [(shared / "data" / "feeds" / f"nodejs-{n}.xml") for n in (1, 2)]
    if not all(v.is_file() for v in versions):
        pytest.skip("../shared/data/feeds lacks the nodejs feeds")
    served = iter([Response(v.read_bytes(), headers={"ETag": f'"{i}"'}, content_type="application/rss+xml") for i, v in enumerate(versions)])
    seen_tags = []

    def handler(request):
        seen_tags.append(request.headers.get("If-None-Match"))
        return Response(status=304) if request.headers.get("If-None-Match") == '"1"' else next(served)

    httpserver.expect_request("/nodejs").respond_with_handler(handler)
    source = feed("Node.js blog", url=httpserver.url_for("/nodejs"))
    runs = []
    for _ in range(3):
        with Store(tmp_path / "digest.db") as store:
            runs.append(load_one(source, store).items)
    assert seen_tags == [None, '"0"', '"1"']
    assert [len(items) for items in runs] == [1, 1, 1]
    assert runs[0][0].id == runs[1][0].id  # one post, updated: the same item
    assert runs[0][0].body != runs[1][0].body
    assert [(i.id, i.title, i.body, i.published) for i in runs[2]] == [(i.id, i.title, i.body, i.published) for i in runs[1]]


# hand-written feeds: every format, relative links, tags, breaking, dates


def test_rss_091_with_its_netscape_doctype(httpserver):
    ctx = load_one(feed("Gazette", url=serve(httpserver, "/091", (FEEDS / "rss091.xml").read_bytes())))
    assert [item.title for item in ctx.items] == ["Ferry timetable changes for the winter", "Lighthouse keeper retires after 31 years"]
    assert "Café opening hours" in ctx.items[0].body
    assert ctx.items[1].body == "The keeper lit the lamp for the last time on Sunday.\n\nA party is planned at the quay."
    # RSS 0.91 items carry no date: dated by the fetch, and said so
    assert [item.published for item in ctx.items] == [NOW, NOW]
    assert [str(p) for p in ctx.problems] == [
        "source 'Gazette': 2 items without a date ('Ferry timetable changes for the winter', "
        "'Lighthouse keeper retires after 31 years'); they go in the first edition built after they were seen"
    ]


def test_rss_10_rdf(httpserver):
    ctx = load_one(feed("Valley", url=serve(httpserver, "/rdf", (FEEDS / "rss10.rdf").read_bytes(), "application/rdf+xml")))
    assert ctx.problems == []
    first = ctx.items[0]
    assert (first.title, first.url, first.author, first.tags) == (
        "Old stone bridge reopens to cyclists", "https://valley.example.net/2024/05/bridge", "Marta Quell", ("Transport",))
    assert [item.published.isoformat() for item in ctx.items] == [
        "2024-05-01T05:45:00+00:00", "2024-05-01T10:00:00+00:00", "2024-04-30T16:30:00+00:00"]


def test_rss_20_html_bodies_relative_links_tags_breaking_and_unsafe_links(httpserver):
    url = serve(httpserver, "/live/feed.xml", (FEEDS / "rss20.xml").read_bytes())
    ctx = load_one(feed("Ledger live", url=url, section="Live", item_kind="brief"))
    power, buses, script, untitled, undated = ctx.items
    assert power.title == "Power restored to the east bank" and power.breaking  # "Breaking:" label becomes the flag
    assert power.url == httpserver.url_for("/live/power-restored")  # relative to where the feed was fetched
    assert power.body == ("Crews restored power to the east bank at 9 a.m., the utility said, six hours after a "
                          "substation fault.\n\nAbout 40\u00a0000 homes had been cut off.".replace("\u00a0", " "))
    assert (power.tags, power.author, power.kind, power.section) == (("Energy", "City"), "Ivo Brandt", "brief", "Live")
    assert power.published == datetime(2024, 5, 1, 6, 10, tzinfo=UTC)
    assert buses.breaking and buses.tags == ("breaking news",)  # a category in breaking_categories
    assert buses.body == "Three routes will run all night from June."
    assert script.url is None  # javascript: never becomes a link
    assert untitled.title == "An untitled brief: the river is back within its banks"
    assert undated.published == NOW
    assert [p.reason for p in ctx.problems] == [f"1 item without a date ('{undated.title}'); it goes in the first edition built after it was seen"]
    assert len({item.id for item in ctx.items}) == 5


def test_atom_with_xml_base_html_titles_and_updated_only_dates(httpserver):
    ctx = load_one(feed("Notes", url=serve(httpserver, "/atom", (FEEDS / "atom.xml").read_bytes(), "application/atom+xml")))
    survey, updated = ctx.items
    assert survey.title == "Notes & numbers from the spring survey"
    assert survey.url == "https://blog.example.io/posts/spring-survey"  # xml:base wins over the fetch URL
    assert survey.published == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)  # published, not updated
    assert (survey.author, survey.tags) == ("Dana Okafor", ("Science", "surveys"))
    assert survey.body == "We counted 212 nesting pairs, up from 180.\n\nVolunteers walked 38 km of shore."
    assert updated.published == datetime(2024, 4, 29, 16, 20, tzinfo=UTC)
    assert updated.body == "A plain summary with a literal <b> that is text, not markup."


@pytest.mark.parametrize("name, charset, lang, titles, body_start", [
    ("zh-gb18030.xml", "GB18030", "zh", ["新地铁线路今日开通", "图书馆延长周末开放时间"], "连接东站和大学城的地铁三号线今天早上开始运营。\n\n首班车"),
    ("uk-cp1251.xml", "windows-1251", "uk", ["У Вінниці відкрили новий міст через Буг", "Ґрунтові дороги в області відремонтують до осені"],
     "Рух мостом відкрили в середу зранку, повідомила міська рада.\n\nБудівництво тривало два роки — на пів року довше"),
])
def test_feeds_in_other_scripts_come_through_intact(httpserver, name, charset, lang, titles, body_start):
    url = serve(httpserver, f"/{name}", (FEEDS / name).read_bytes(), f"application/rss+xml; charset={charset}")
    ctx = load_one(feed(name, url=url))
    assert ctx.problems == []
    assert [item.title for item in ctx.items] == titles
    assert ctx.items[0].body.startswith(body_start)
    assert {item.lang for item in ctx.items} == {lang}  # from the feed's <language>
    assert ctx.items[0].tags == {"zh": ("交通",), "uk": ("Інфраструктура",)}[lang]  # the one category, decoded


def test_feed_files_from_a_glob(tmp_path):
    (tmp_path / "feeds").mkdir()
    for name in ("rss10.rdf", "atom.xml"):
        (tmp_path / "feeds" / name).write_bytes((FEEDS / name).read_bytes())
    (tmp_path / "feeds" / "broken.xml").write_text("<html><body>not a feed</body></html>")
    (ctx,) = load_each(sources_config(feed("Files", path="feeds/*"), base=tmp_path), NOW)
    assert len(ctx.items) == 5
    assert [str(p) for p in ctx.problems] == [
        "source 'Files' (feeds/broken.xml): not a feed: got an HTML page (is the url the site's page rather than its feed?)"]


# failures: each one named, the source given up, nothing else lost


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rss version="2.0"><channel><title>bomb</title><item><title>&f;</title><description>&f;</description></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>leak &secret;</title><description>&secret;</description></item></channel></rss>"""

PARAMETER_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<rss version="2.0"><channel><title>x</title><item><title>t</title></item></channel></rss>"""


@pytest.fixture(scope="module")
def expanding_the_bomb() -> float:
    """The baseline: CPU seconds a parser that expands entities (Python's expat, until its own
    amplification limit stops it) spends on BOMB, here and now."""
    started = time.process_time()
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(BOMB)
    return time.process_time() - started


@pytest.mark.parametrize("data, reason", [
    (BOMB, "refused: the XML declares the entity 'a'; entity declarations can expand into an entity bomb, and digest never expands them"),
    (XXE, "refused: the XML declares an external entity 'secret' (file:///etc/passwd), which digest never resolves"),
    (PARAMETER_XXE, "refused: the XML declares an external entity 'remote' (http://127.0.0.1:9/evil.dtd), which digest never resolves"),
    (b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
     "not a feed: got an HTML page (is the url the site's page rather than its feed?)"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "not an RSS or Atom feed (line 1, column 1: not well-formed (invalid token))"),
    (b"<?xml version='1.0'?><rss version='2.0'><channel><title>cut</title><it", "malformed XML: line 1, column 68: unclosed token"),
    (b"  \n", "empty response"),
])
def test_unreadable_or_unsafe_feeds_fail_the_source_with_a_reason(httpserver, expanding_the_bomb, data, reason):
    url = serve(httpserver, "/bad", data)
    started = time.process_time()
    ctx = load_one(feed("Bad", url=url))
    took = time.process_time() - started
    assert ctx.items == []
    assert [(p.where, p.reason, p.source_failed) for p in ctx.problems] == [("source 'Bad'", reason, True)]
    # a bomb is refused, not defused by waiting: a small part of what expanding it costs on this machine
    assert took < expanding_the_bomb / 4, f"{took:.3f} s of CPU; expanding the bomb takes {expanding_the_bomb:.3f} s"


def test_entities_are_refused_even_where_expat_cannot_read(tmp_path):
    # expat has no GB18030 decoder and gives up on malformed XML; neither lets a declaration through
    multibyte = '<?xml version="1.0" encoding="GB18030"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss/>'
    with pytest.raises(SourceFailed, match="declares entities"):
        screen_xml(multibyte.encode("gb18030"))
    with pytest.raises(SourceFailed, match="declares entities"):
        screen_xml(b'<rss><oops></rss><!DOCTYPE x [<!ENTITY y "z">]>')
    screen_xml(b"<rss><item><title>AT&amp;T &lt;!ENTITY&gt; is text here</title></item></rss>")


def test_external_entity_in_a_file_is_never_resolved(tmp_path):
    (tmp_path / "xxe.xml").write_bytes(XXE)
    (ctx,) = load_each(sources_config(feed("Local", path="xxe.xml"), base=tmp_path), NOW)
    assert ctx.items == [] and "never resolves" in ctx.problems[0].reason


def test_malformed_feed_keeps_what_it_can_and_warns(httpserver):
    data = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Fish & chips shop reopens</title><link>https://e.example/1</link><pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate></item>
<item><title>Second item</title><link>https://e.example/2</link><pubDate>Wed, 01 May 2024 09:00:00 GMT</pubDate></item>
</channel></rss>"""
    ctx = load_one(feed("Sloppy", url=serve(httpserver, "/sloppy", data)))
    assert [item.title for item in ctx.items] == ["Fish & chips shop reopens", "Second item"]
    assert [(p.reason, p.source_failed) for p in ctx.problems] == [
        ("malformed XML (line 2, column 20: not well-formed (invalid token)); kept the 2 entries that could be read", False)]


def test_two_good_feeds_and_a_dead_url(httpserver, tmp_path):
    good_one = serve(httpserver, "/one", (FEEDS / "rss10.rdf").read_bytes())
    good_two = serve(httpserver, "/two", (FEEDS / "atom.xml").read_bytes())
    httpserver.expect_request("/dead").respond_with_data("gone", status=410)
    cfg = sources_config(feed("One", url=good_one), feed("Dead", url=httpserver.url_for("/dead")), feed("Two", url=good_two))
    with Store(tmp_path / "digest.db") as store:
        items, problems = load_all(cfg, NOW, store)
    assert sorted(item.source for item in items) == ["One", "One", "One", "Two", "Two"]
    assert [(str(p), p.source_failed) for p in problems] == [("source 'Dead': HTTP 410 Gone", True)]


# full text of teaser feeds


ARTICLE = """<html><head><title>Ignored | Ledger</title><meta name="author" content="Ivo Brandt">
<meta property="article:published_time" content="2024-05-01T08:00:00+03:00"></head><body>
<nav>Home News Sport Subscribe</nav><article><h1>Tram line extended</h1>
<p>The city's tram line now runs four stops further, to the new hospital, the transport office said on Wednesday.</p>
<p>Trams will run every eight minutes at peak hours and every fifteen minutes in the evening, it said in a statement.</p>
<p>Work on a second extension, to the river port, is due to begin next spring if the budget allows it.</p>
</article><footer>Copyright Ledger. All rights reserved.</footer></body></html>"""


def test_full_text_fetches_each_entry_page_and_keeps_the_teaser_when_it_cannot(httpserver):
    data = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title><link>{httpserver.url_for("/")}</link>
<item><title>Tram line extended</title><link>/article/tram</link><description>The tram goes further…</description>
<pubDate>Wed, 01 May 2024 05:00:00 GMT</pubDate></item>
<item><title>Missing page</title><link>/article/missing</link><description>Teaser only.</description>
<pubDate>Wed, 01 May 2024 06:00:00 GMT</pubDate></item></channel></rss>""".encode()
    httpserver.expect_request("/article/tram").respond_with_data(ARTICLE, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/article/missing").respond_with_data("no", status=404)
    ctx = load_one(feed("Teasers", url=serve(httpserver, "/teasers.xml", data), full_text=True))
    tram, missing = ctx.items
    assert tram.body.startswith("The city's tram line now runs four stops further")
    assert tram.body.count("\n\n") == 2 and "Subscribe" not in tram.body and "Copyright" not in tram.body
    assert tram.author == "Ivo Brandt"
    assert missing.body == "Teaser only."
    assert [p.reason for p in ctx.problems] == [
        "full text of 'Missing page' not fetched (HTTP 404 Not Found); the feed's text is kept"]


# concurrency and progress


@pytest.fixture
def threaded_server():
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_sources_are_fetched_concurrently_and_merged_in_config_order(threaded_server):
    def slow(name):
        def handler(request):
            time.sleep(0.5)
            return Response((FEEDS / name).read_bytes(), content_type="application/xml")
        return handler

    for name in ("rss10.rdf", "atom.xml", "rss091.xml"):
        threaded_server.expect_request(f"/{name}").respond_with_handler(slow(name))
    sources = [feed(name, url=threaded_server.url_for(f"/{name}")) for name in ("atom.xml", "rss10.rdf", "rss091.xml")]
    one, cfg = sources_config(sources[0]), sources_config(*sources)
    one.fetch = cfg.fetch = FetchConfig(timeout=5, retries=0)
    started = time.monotonic()
    load_each(one, NOW)
    alone = time.monotonic() - started  # the baseline: one slow server, on this machine, now
    started = time.monotonic()
    contexts = load_each(cfg, NOW)
    # three slow servers at once take about as long as one; one after another, three times as long
    assert time.monotonic() - started < 2 * alone
    assert [ctx.source.name for ctx in contexts] == ["atom.xml", "rss10.rdf", "rss091.xml"]
    assert [len(ctx.items) for ctx in contexts] == [2, 3, 2]


def test_progress_shows_on_a_terminal_only(capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    bar = Progress(2, "sources", stream=terminal)
    bar.advance("One")
    bar.advance("Two")
    bar.close()
    assert "sources [##########..........] 1/2 One" in terminal.getvalue()
    assert "2/2 Two" in terminal.getvalue() and terminal.getvalue().endswith("\r\x1b[K")

    load_all(sources_config(feed("Notes", path="atom.xml"), base=FEEDS), NOW)  # stderr here is captured: not a terminal
    assert capsys.readouterr().err == ""


def test_entry_links_of_a_feed_file_cannot_lead_to_a_private_address(httpserver, tmp_path):
    httpserver.expect_request("/admin").respond_with_data(ARTICLE, content_type="text/html")
    (tmp_path / "feed.xml").write_text(f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Looks harmless</title><link>{httpserver.url_for("/admin")}</link><description>Teaser.</description>
<pubDate>Wed, 01 May 2024 05:00:00 GMT</pubDate></item></channel></rss>""")
    (ctx,) = load_each(sources_config(feed("Local", path="feed.xml", full_text=True), base=tmp_path), NOW)
    assert ctx.items[0].body == "Teaser."
    assert "refused: localhost is at a non-public address" in ctx.problems[0].reason
    assert httpserver.log == []  # never even asked


def test_fetch_state_is_kept_by_the_calling_thread_and_discarded_by_a_dry_run(httpserver, tmp_path):
    url = serve(httpserver, "/tagged", (FEEDS / "rss10.rdf").read_bytes(), ETag='"r1"')
    with Store(tmp_path / "digest.db") as store:
        with store.read_only():
            load_one(feed("Valley", url=url), store)
        assert store.fetch_state(url) is None
        load_one(feed("Valley", url=url), store)
        assert store.fetch_state(url).etag == '"r1"'


def test_an_entry_titled_only_breaking_is_breaking_news_titled_by_its_text(tmp_path):
    """The rule JSON lines follow too (test_jsonl): the label is the flag, the text's first sentence the headline."""
    (tmp_path / "live.xml").write_text("""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour live</title><link>https://live.example.org/harbour</link>
<item><title>Breaking:</title><description>The north pier has collapsed. Nobody was on it.</description>
<pubDate>Thu, 02 May 2024 07:10:00 +0300</pubDate></item>
<item><title>Breaking:</title><pubDate>Thu, 02 May 2024 07:20:00 +0300</pubDate></item>
</channel></rss>""")
    (ctx,) = load_each(sources_config(feed("Harbour live", path="live.xml"), base=tmp_path), NOW)
    (item,) = ctx.items
    assert (item.title, item.breaking, item.body) == ("The north pier has collapsed", True, "The north pier has collapsed. Nobody was on it.")
    assert [problem.reason for problem in ctx.problems] == ["1 item with only 'Breaking:' for a headline and no text; skipped"]


def test_an_entry_without_a_link_links_to_the_feeds_site(tmp_path):
    """A live feed's post with no link of its own is still a link in the email: the feed's site."""
    (tmp_path / "live.xml").write_text("""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour live</title><link>https://live.example.org/harbour</link>
<item><title>Pier closed for the storm</title><description>The north pier is closed until noon.</description>
<pubDate>Thu, 02 May 2024 07:10:00 +0300</pubDate></item>
<item><title>Ferry back on time</title><link>https://live.example.org/harbour/ferry</link>
<description>The morning ferry left on time.</description><pubDate>Thu, 02 May 2024 07:40:00 +0300</pubDate></item>
</channel></rss>""")
    settings = sources_config(feed("Harbour live", path="live.xml", item_kind="brief"), base=tmp_path,
                              edition=EditionConfig(cutoff="24:00"))
    edition = pipeline.build(settings, date(2024, 5, 2), now=NOW).edition
    text = render.render(edition, settings, "text").decode()
    assert "Pier closed for the storm\nThe north pier is closed until noon.\nhttps://live.example.org/harbour\n" in text
    assert "The morning ferry left on time.\n\nhttps://live.example.org/harbour/ferry\n" in text  # its own link first
