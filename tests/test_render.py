"""The email's HTML, MJML and plain text: what readers see, and that untrusted item text stays text."""
from __future__ import annotations

import copy
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sample_edition import DAY, HOSTILE_HEADLINE, TZ, Page, config, edition, hostile_edition, story

from digest import render
from digest.config import ConfigError, load_config
from digest.model import Edition
from digest.render.mime import html_part_size
from digest.render.view import HEADLINE_CHARS

SAFE_SCHEMES = ("http://", "https://", "mailto:")


def html_of(ed: Edition, settings=None) -> str:
    return render.render(ed, settings or config(), "html").decode("utf-8")


def text_of(ed: Edition, settings=None) -> str:
    return render.render(ed, settings or config(), "text").decode("utf-8")


def headlines(ed: Edition) -> list[str]:
    return [s.title for s in ed.stories()]


# What a reader sees


def test_html_has_masthead_note_top_story_sections_feed_and_footer() -> None:
    ed = edition(stories=3, briefs=2, note="Good evening from the harbour desk.")
    page = Page(html_of(ed, config(first_issue="2026-05-01")))
    text = page.text
    for expected in ("Harbour Town Daily", "The day in Harbour Town, in your inbox", "Thursday, 14 May 2026",
                     "Issue 14", "From the editor", "Good evening from the harbour desk.", "Top story", "City",
                     "News Feed", "Breaking", "View this email in your browser",
                     "You are receiving this email because you subscribed to Harbour Town Daily.",
                     "Unsubscribe from Harbour Town Daily"):
        assert expected in text, expected
    for headline in headlines(ed):
        assert headline in text
    # briefs: time in the newsletter's zone, 12-hour by default; the lead's summary sentence
    assert "10:15 AM" in text and "The port said crossing 100 would run" in text
    assert "https://news.example.org/daily/archive" in page.hrefs
    assert "https://news.example.org/unsubscribe/{{subscriber}}" in page.hrefs  # the ESP's placeholder, untouched
    assert text.index("Top story") < text.index("City") < text.index("News Feed") < text.index("Unsubscribe")
    # the headline is the link, once a story: no "Read more on ..." line under each one
    assert "Read more" not in text
    for s in ed.stories():
        assert page.hrefs.count(s.url) == 1, s.url


def test_the_footer_names_the_sender_their_address_why_and_how_to_leave() -> None:
    settings = config(postal_address="Harbour Herald, 3 Quay Street, Harbour Town")
    for shown in (Page(html_of(edition(), settings)).text, text_of(edition(), settings)):
        footer = shown[shown.index("Harbour Herald, 3 Quay Street"):]
        start = shown.rindex("Harbour Town Daily", 0, shown.index("Harbour Herald, 3 Quay Street"))
        assert shown[start:].startswith("Harbour Town Daily")  # the sender's name opens the footer
        for part in ("You are receiving this email because", "Unsubscribe", "View this email in your browser"):
            assert part in footer, part


def test_24_hour_clock_is_a_config_choice() -> None:
    text = Page(html_of(edition(), config(time_format="24h"))).text
    assert "10:15" in text and "AM" not in text.replace("AMP", "")


def test_a_time_from_another_day_than_the_editions_shows_its_day() -> None:
    ed = edition(briefs=2)
    ed.sections[-1].stories[1].lead.published = datetime(2026, 5, 13, 23, 2, tzinfo=TZ)  # the evening before
    text = Page(html_of(ed, config())).text
    assert "13 May, 11:02 PM" in text and "10:15 AM" in text and "14 May, 10:15 AM" not in text
    uk = config(time_format="24h")
    uk.newsletter.lang = "uk"
    assert "13 травня, 23:02" in Page(html_of(ed, uk)).text


def test_document_is_accessible_and_needs_no_script_or_web_font() -> None:
    ed = edition()
    html = html_of(ed)
    page = Page(html)
    assert re.search(r'<html[^>]* lang="en"', html)
    assert '<meta name="color-scheme" content="light dark"' in html
    assert "prefers-color-scheme: dark" in html
    levels = [int(tag[1]) for tag, _ in page.tags if re.fullmatch(r"h[1-6]", tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False)), levels
    assert all("alt" in attrs for tag, attrs in page.tags if tag == "img")
    assert not [tag for tag, _ in page.tags if tag in ("script", "link", "iframe", "form", "object")]
    assert "@import" not in html and "@font-face" not in html and "googleapis" not in html
    generic = {"here", "click here", "read more", "more", "link"}
    for match in re.finditer(r"<a [^>]*>(.*?)</a>", html, re.S):
        label = Page(match.group(1)).text.lower()
        assert label and label not in generic, match.group(0)


class Styles(HTMLParser):
    """Each element's tag, class and inline style declarations, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        declarations = (d.split(":", 1) for d in (attributes.get("style") or "").split(";") if ":" in d)
        self.found.append((tag, attributes.get("class") or "", {k.strip(): v.strip() for k, v in declarations}))


def test_outlook_gets_its_gaps_and_rules_from_table_cells() -> None:
    """Outlook's Word engine honours padding only on table cells and draws borders on divs and headings
    unreliably, so every gap and rule of the layout sits on a cell; MJML's divider brings its own
    Outlook table, and the badge's room is a border of its own colour."""
    ed = edition(stories=4, briefs=6, note="Good evening from the harbour desk.")
    styled = Styles(html_of(ed)).found
    cells = [style for tag, _, style in styled if tag == "td"]
    assert any("border-top" in style and "padding-top" in style for style in cells)  # a rule between stories
    assert any(style.get("border-bottom", "").endswith("#ffd500") for style in cells)  # a section's yellow rule
    for tag, css_class, style in styled:
        if tag != "td":
            assert not [name for name in style if name.startswith("padding")], (tag, style)
        mjml_divider = tag == "p" and style.get("font-size") == "1px" and style.get("width") == "100%"
        if tag not in ("td", "table") and css_class != "badge" and not mjml_divider:
            assert not [name for name in style if name.startswith("border")], (tag, style)
        if tag == "div":
            assert style.get("margin", "0px auto") == "0px auto", style  # MJML's own centring only
    badge = next(style for _, css_class, style in styled if css_class == "badge")
    assert badge["border-width"] and badge["border"].endswith(badge["background-color"])


def test_subject_and_preheader() -> None:
    ed = render.fit(edition(), config()).edition
    top = ed.stories()[0].title
    # the subject is the news: the top headline (the sender's name says the rest); the preheader goes on
    # with the next headlines rather than repeat it
    assert ed.subject == top and len(top) <= render.SUBJECT_CHARS
    assert ed.preheader.startswith(ed.stories()[1].title + " · " + ed.stories()[2].title) and top not in ed.preheader
    assert len(ed.preheader) <= render.PREHEADER_CHARS
    html = html_of(ed)
    assert f"<title>{ed.subject}</title>" in html
    assert re.search(r'<div style="display:none[^"]*">' + re.escape(ed.preheader), html)

    custom, _ = render.fit(edition(), config(subject="{title} {number}: {headline} ({date})", first_issue="2026-05-12"))
    assert custom.subject == "Harbour Town Daily #3: Ferry line 0 adds a late crossing for… (14 May 2026)"  # headline cut to fit 70

    long = edition()
    long.stories()[0].lead.title = "Harbour council votes to rebuild the old ferry pier with money from the port's reserve fund this year"
    long = render.fit(long, config()).edition
    assert long.subject == "Harbour council votes to rebuild the old ferry pier with money from…" and len(long.subject) <= 70
    assert "Harbour council" not in long.preheader
    untitled = edition()
    untitled.stories()[0].lead.title = " "
    untitled = render.fit(untitled, config()).edition
    assert untitled.subject == "Harbour Town Daily"  # no headline: the newsletter's name, never an empty Subject
    dated = render.fit(edition(), config(subject="{date}: {headline}")).edition
    assert dated.subject.startswith("14 May 2026: ") and len(dated.subject) <= 70


def test_subject_template_typo_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("email:\n  subject: '{title} — {headlne}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "email.subject" and "{headline}" in str(caught.value)


def test_editor_note_comes_from_the_edition_else_the_config() -> None:
    settings = config()
    settings.newsletter.note = "From the config."
    from_config = edition()
    assert "From the config." in Page(html_of(from_config, settings)).text
    from_command_line = edition(note="From the command line.")
    text = Page(html_of(from_command_line, settings)).text
    assert "From the command line." in text and "From the config." not in text


# Untrusted text stays text


def test_hostile_item_comes_out_inert_and_readable() -> None:
    html = html_of(hostile_edition())
    page = Page(html)
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "b")]
    assert len([tag for tag, _ in page.tags if tag == "style"]) == len([t for t, _ in Page(html_of(edition())).tags if t == "style"])
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    assert all(href.startswith(SAFE_SCHEMES) for href in page.hrefs), page.hrefs
    assert "__pwned" not in " ".join(page.hrefs)
    # the words are still there for the reader, as text
    text = page.text
    assert HOSTILE_HEADLINE in text
    assert '<a href="javascript:alert(1)" onclick="window.__pwned=4">this</a>' in text
    assert "<style>body{display:none}</style> \"quoted\" & 'single' text" in text
    assert "</mj-text></mj-column>" in text
    # the subject and preheader, which come from headlines, are text in the <head> too
    assert "<title>Night ferry &lt;/mj-title&gt;&lt;/mj-preview&gt;&lt;mj-raw&gt;&lt;script&gt;" in html
    # nothing from an item is ever rendered as a template
    assert "{\u2060{ 7*7 }} {% raw %}" in text and "49" not in text  # its `{{` split by an invisible word joiner


def test_unsafe_links_are_dropped_and_their_text_kept() -> None:
    ed = hostile_edition()
    page = Page(html_of(ed))
    unlinked = [ed.sections[1].stories[0], ed.sections[2].stories[0]]  # javascript: and data: URLs
    anchors = re.findall(r"<a [^>]*>(.*?)</a>", html_of(hostile_edition()), re.S)
    anchor_texts = " ".join(Page(a).text for a in anchors)
    for s in unlinked:
        assert s.title in page.text
        assert s.title not in anchor_texts


def test_huge_headline_is_cut_readably_and_does_not_bloat_the_email() -> None:
    ed = hostile_edition()
    text = Page(html_of(ed)).text
    cut = re.search(r"Budget x+…", text)
    assert cut and len(cut.group(0)) <= HEADLINE_CHARS
    assert "<b onmouseover=alert(1)>Evil</b>Reversed" in text  # the bidi override is gone, the text kept
    assert len(html_of(ed).encode()) < 40_000


def test_utm_tags_on_every_outgoing_link_but_unsubscribe() -> None:
    settings = config(utm={"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "daily-{date}"})
    ed = edition()
    ed.stories()[1].lead.url = "https://herald.example.org/a?id=7&utm_source=rss#top"
    hrefs = Page(html_of(ed, settings)).hrefs
    unsubscribe = "https://news.example.org/unsubscribe/{{subscriber}}"
    assert unsubscribe in hrefs
    tagged = [href for href in hrefs if href != unsubscribe]
    assert len(tagged) >= len(ed.stories())  # every headline, and the archive link
    for href in tagged:
        query = parse_qs(urlsplit(href).query)
        assert query["utm_source"] == ["newsletter"] and query["utm_medium"] == ["email"], href
        assert query["utm_campaign"] == ["daily-2026-05-14"], href
    retagged = "https://herald.example.org/a?id=7&utm_campaign=daily-2026-05-14&utm_medium=email&utm_source=newsletter#top"
    assert retagged in hrefs and retagged in text_of(ed, settings)


def test_a_source_links_own_tracking_parameters_are_removed_without_utm_of_ours() -> None:
    ed = edition()
    ed.stories()[1].lead.url = "https://herald.example.org/a?id=7&utm_source=rss&utm_medium=feed&fbclid=XYZ#top"
    ed.stories()[2].lead.url = "https://herald.example.org/b?page=2&sort=new"
    hrefs = Page(html_of(ed, config())).hrefs
    assert "https://herald.example.org/a?id=7#top" in hrefs and "https://herald.example.org/b?page=2&sort=new" in hrefs
    assert not [href for href in hrefs if "utm_" in href or "fbclid" in href]


# Gmail's clipping limit


def test_forty_story_edition_stays_under_102_kb() -> None:
    ed = edition(stories=20, briefs=20)
    assert len(ed.stories()) == 40
    ed, problems = render.fit(ed, config())
    assert problems == []
    size = len(html_of(ed).encode("utf-8"))
    assert size < render.CLIP_LIMIT, size
    assert len(ed.stories()) == 40


def test_rendering_leaves_the_edition_it_is_handed_as_it_was() -> None:
    ed = edition(stories=30, briefs=120)  # too big for Gmail: fitting it drops briefs, on a copy
    before = copy.deepcopy(ed)
    for fmt in render.FORMATS:
        render.render(ed, config(), fmt)
    render.letter(ed, config())
    assert ed == before and not ed.subject


def test_an_edition_too_big_for_gmail_loses_its_lowest_ranked_briefs() -> None:
    ed = edition(stories=30, briefs=120)
    briefs = ed.sections[2].stories
    assert len(render.html(ed, config()).encode()) > render.CLIP_LIMIT
    chosen = ed
    ed, problems = render.fit(chosen, config())
    assert len(chosen.sections[2].stories) == 120 and not chosen.subject  # what was fitted is left as it was
    kept = ed.sections[2].stories
    dropped = len(briefs) - len(kept)
    assert dropped > 0 and len(ed.sections[1].stories) == 29 and len(ed.sections[0].stories) == 1
    assert [str(p) for p in problems] == [
        f"email: dropped the {dropped} lowest-ranked items of the news feed to keep the HTML under "
        f"Gmail's clipping limit ({render.CLIP_LIMIT:,} bytes)"]
    assert min(s.score for s in kept) > max(s.score for s in briefs if s not in kept)
    html = html_of(ed)
    assert len(html.encode("utf-8")) < html_part_size(html) < render.CLIP_LIMIT  # measured as sent
    assert render.fit(ed, config()) == (ed, [])  # fitting again changes nothing
    best_dropped = max((s for s in briefs if s not in kept), key=lambda s: s.score)
    ed.sections[2].stories.append(best_dropped)
    assert html_part_size(render.html(ed, config())) >= render.CLIP_LIMIT  # no more dropped than needed


# Templates: the user's own, and their mistakes


def test_user_templates_override_the_shipped_ones_piece_by_piece(tmp_path: Path) -> None:
    folder = tmp_path / "mytemplates"
    folder.mkdir()
    (folder / "email.txt.j2").write_text("{{ view.title }} has {{ view.sections | length }} sections\n")
    (folder / "_blocks.mjml.j2").write_text(
        (Path(render.__file__).parents[2] / "templates" / "_blocks.mjml.j2").read_text().replace('{{ _("Breaking") }}', "Just in"))
    settings = config()
    settings.templates = str(folder)
    assert text_of(edition(), settings) == "Harbour Town Daily has 3 sections\n"
    text = Page(html_of(edition(), settings)).text
    assert "Just in" in text and "Breaking" not in text


@pytest.mark.parametrize("name, body, line, problem", [
    ("email.mjml.j2", "<mjml>\n<mj-body>\n<mj-text>{{ view.title | }}</mj-text>\n</mj-body>\n</mjml>\n", 3, "expected"),
    ("email.txt.j2", "{{ view.title }}\n{{ view.no_such_thing }}\n", 2, "no_such_thing"),
    ("email.mjml.j2", "<mjml><mj-body><mj-section>\n</mjml>\n", None, "invalid MJML"),
])
def test_template_mistakes_name_the_file_and_line(tmp_path: Path, name: str, body: str, line: int | None, problem: str) -> None:
    (tmp_path / name).write_text(body)
    settings = config()
    settings.templates = str(tmp_path)
    with pytest.raises(render.TemplateError) as caught:
        render.render(edition(), settings, "text" if name.endswith("txt.j2") else "html")
    assert caught.value.file == str(tmp_path / name)
    assert caught.value.line == line
    assert problem in str(caught.value)


def test_a_missing_templates_folder_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    settings = config()
    settings.templates = str(tmp_path / "no-such-folder")
    with pytest.raises(render.TemplateError, match="is not a folder") as caught:
        render.render(edition(), settings, "html")
    assert caught.value.file == str(tmp_path / "no-such-folder")


# The plain-text twin


def test_text_twin_has_the_same_stories_and_links_wrapped_for_email() -> None:
    ed = edition(stories=4, briefs=4)
    ed.stories()[2].lead.title = "A much longer headline about the night ferry that keeps on going well past the width of one line of text"
    settings = config(utm={"utm_source": "newsletter"})
    text = text_of(ed, settings)
    html_links = {href for href in Page(html_of(ed, settings)).hrefs}
    text_links = set(re.findall(r"(?:https?://|mailto:)\S+", text))
    assert html_links == text_links
    flat = " ".join(text.split())
    for s in ed.stories():
        assert s.title in flat
        for sentence in s.summary:
            assert sentence in flat
    for line in text.splitlines():
        assert len(line) <= 76 or " " not in line.strip(), line  # only a lone URL may be longer
    assert "[BREAKING]" in text and "<" not in text.replace("<http", "")


def test_every_format_is_the_same_bytes_every_time() -> None:
    for fmt in render.FORMATS:
        first = render.render(hostile_edition(), config(utm={"utm_source": "x"}), fmt)
        second = render.render(hostile_edition(), config(utm={"utm_source": "x"}), fmt)
        assert first == second, fmt


def test_mjml_format_is_the_source_of_the_html() -> None:
    mjml = render.render(edition(), config(), "mjml").decode()
    assert mjml.lstrip().startswith("<mjml lang=\"en\"") and "<mj-body" in mjml
    assert "Ferry line 0 adds a late crossing" in mjml


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render.render(edition(), config(), "pdf")


def test_edition_without_links_or_names_still_renders() -> None:
    bare = story(7, url=None, author=None, source="")
    ed = Edition(date=DAY, cutoff=edition().cutoff, title="", sections=[])
    ed.sections = edition().sections[:1]
    ed.sections[0].stories = [bare]
    text = text_of(ed)
    assert bare.title in text and "Read more" not in text
    assert bare.title in Page(html_of(ed)).text


def test_when_briefs_are_not_enough_the_lowest_stories_go_but_never_the_top_story() -> None:
    ed = edition(stories=80, briefs=3)
    for s in ed.stories():
        s.summary = [s.summary[0] + " " + "More detail about the crossing. " * 12] * 3
    ed, problems = render.fit(ed, config())
    assert ed.sections[2].stories == [] and len(ed.sections[0].stories) == 1
    kept = len(ed.sections[1].stories)
    assert 0 < kept < 79
    assert [str(p) for p in problems] == [
        f"email: dropped the 3 lowest-ranked items of the news feed and {79 - kept} lowest-ranked stories of other "
        f"sections to keep the HTML under Gmail's clipping limit ({render.CLIP_LIMIT:,} bytes)"]
    assert [s.title for s in ed.sections[1].stories] == [f"Ferry line {n} adds a late crossing for night-shift workers" for n in range(1, kept + 1)]
