"""JSON Lines source: the item contract, and a broken line costing only itself."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import sources_config

from digest.config import SourceConfig
from digest.sources import SourceContext, load_all, load_source

NOW = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


def make_context(tmp_path: Path, lines: list[str], **source: object) -> SourceContext:
    (tmp_path / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = sources_config(SourceConfig(name="CMS", kind="jsonl", path="items.jsonl", **source), base=tmp_path)
    return SourceContext(source=config.sources[0], config=config, now=NOW)


def line(**fields: object) -> str:
    return json.dumps({"title": "A title", "body": "A body.", **fields}, ensure_ascii=False)


def test_every_field_of_the_contract(tmp_path):
    ctx = make_context(tmp_path, [line(
        id="cms-17", url="https://example.com/a?utm_source=x", published="2024-05-01T08:30:00+03:00",
        kind="brief", section="Politics", tags=["war", " energy "], breaking=True, priority=3,
        author="Olena Petrenko", source="Partner Wire", lang="uk", desk="night", title="Grid holds",
    )])
    (item,) = load_source(ctx)
    assert ctx.problems == []
    assert (item.id, item.kind, item.title, item.body) == ("cms-17", "brief", "Grid holds", "A body.")
    assert item.url == "https://example.com/a?utm_source=x"
    assert item.published == datetime(2024, 5, 1, 5, 30, tzinfo=UTC)
    assert (item.section, item.tags, item.breaking, item.priority) == ("Politics", ("war", "energy"), True, 3)
    assert (item.author, item.source, item.lang) == ("Olena Petrenko", "Partner Wire", "uk")
    assert item.extra == {"desk": "night"}
    assert (item.via, item.configured_source) == ("CMS", "CMS")


def test_defaults_and_html_body(tmp_path):
    body = "<p>First &amp; foremost.</p><script>alert(1)</script><p>Second\n   paragraph.</p>"
    ctx = make_context(tmp_path, [line(body=body, published="2024-05-01T08:30:00")])
    (item,) = load_source(ctx)
    assert item.body == "First & foremost.\n\nSecond paragraph."
    assert (item.kind, item.source, item.lang, item.priority, item.breaking) == ("story", "CMS", "en", 0, False)
    # no offset: the newsletter's time zone
    assert item.published == datetime(2024, 5, 1, 8, 30, tzinfo=ZoneInfo("Europe/Kyiv"))


def test_a_breaking_label_is_dropped_and_flags_the_item_as_for_every_kind(tmp_path):
    ctx = make_context(tmp_path, [line(id="a", title="Breaking: Dam breached"),
                                  line(id="b", title="Breaking:", body="The dam above Orlivka gave way. Crews are there."),
                                  line(id="c", title="Grid holds", section="Urgent"), line(id="d", title="BREAKING NEWS -", body="")],
                       breaking_categories=["urgent"])
    labelled, label_only, by_section = load_source(ctx)
    assert (labelled.title, labelled.breaking) == ("Dam breached", True)
    # only the label: breaking news, titled by its text (a feed entry titled so is read the same way: test_feed)
    assert (label_only.title, label_only.breaking) == ("The dam above Orlivka gave way", True)
    assert (by_section.title, by_section.breaking) == ("Grid holds", True)
    assert str(ctx.problems[0]) == "source 'CMS': 1 item with only 'Breaking:' for a headline and no text; skipped"


def test_source_time_zone_wins_over_the_newsletters(tmp_path):
    ctx = make_context(tmp_path, [line(published="2024-05-01 08:30")], timezone="UTC")
    (item,) = load_source(ctx)
    assert item.published == datetime(2024, 5, 1, 8, 30, tzinfo=ZoneInfo("UTC"))


def test_ids_from_url_then_title_and_date(tmp_path):
    ctx = make_context(tmp_path, [
        line(url="https://Example.com/story#top"),
        line(url="https://example.com/story?utm_campaign=mail"),
        line(title="No link", published="2024-05-01T10:00:00Z"),
        line(title="No link", published="2024-05-01T11:00:00Z"),
    ])
    items = load_source(ctx)
    assert items[0].id == items[1].id  # one article, two campaign links
    assert len({item.id for item in items}) == 3
    rerun = load_source(make_context(tmp_path, [line(title="No link", published="2024-05-01T10:00:00Z")]))
    assert rerun[0].id == items[2].id  # the same on every run


def test_broken_lines_are_reported_with_file_and_line_and_skipped(tmp_path):
    ctx = make_context(tmp_path, [
        line(title="Good one", published="2024-05-01"),
        "{not json",
        "[1, 2]",
        json.dumps({"body": "no title"}),
        json.dumps({"title": "no body"}),
        line(tags="war"),
        line(priority="high"),
        line(breaking="yes"),
        line(kind="opinion"),
        line(published="yesterday"),
        line(title="   "),
        line(id=True),
        "",
        line(title="Good two", published="2024-05-01"),
    ])
    items = load_source(ctx)
    assert [item.title for item in items] == ["Good one", "Good two"]
    wheres = [problem.where for problem in ctx.problems]
    assert wheres == [f"source 'CMS' (items.jsonl, line {n})" for n in range(2, 13)]
    reasons = [problem.reason for problem in ctx.problems]
    assert reasons[0].startswith("not valid JSON")
    assert "should be a JSON object, not a list" in reasons[1]
    assert "'title' is missing" in reasons[2] and "'body' is missing" in reasons[3]
    assert "'tags' should be a list of text" in reasons[4]
    assert "'priority' should be a whole number" in reasons[5]
    assert "'breaking' should be true or false" in reasons[6]
    assert "'kind' is 'opinion'" in reasons[7]
    assert "not an ISO 8601 date" in reasons[8]
    assert all(reason.endswith("line skipped") for reason in reasons)
    assert not any(problem.source_failed for problem in ctx.problems)


def test_unsafe_url_dropped_item_kept(tmp_path):
    ctx = make_context(tmp_path, [line(url=" JaVa\tScript:alert(1)")])
    (item,) = load_source(ctx)
    assert item.url is None
    assert "not an http(s) or mailto link" in ctx.problems[0].reason


def test_undated_items_are_dated_by_the_read_and_said_so(tmp_path):
    ctx = make_context(tmp_path, [line(title="one"), line(title="two")])
    items = load_source(ctx)
    assert [item.published for item in items] == [NOW, NOW]
    assert [str(p) for p in ctx.problems] == [
        "source 'CMS': 2 items without a date ('one', 'two'); they go in the first edition built after they were seen"]


def test_a_file_with_no_good_line_fails_the_source(tmp_path):
    ctx = make_context(tmp_path, ["{oops", "42"])
    assert load_source(ctx) == []
    failed = [problem for problem in ctx.problems if problem.source_failed]
    assert len(failed) == 1 and "no items in items.jsonl" in failed[0].reason


def test_globbed_files_in_order_through_load_all(tmp_path):
    (tmp_path / "cms").mkdir()
    (tmp_path / "cms" / "b.jsonl").write_text(line(title="from b") + "\n", encoding="utf-8")
    (tmp_path / "cms" / "a.jsonl").write_text("\ufeff" + line(title="from a") + "\n", encoding="utf-8")
    config = sources_config(SourceConfig(name="CMS", kind="jsonl", path="cms/*.jsonl"), base=tmp_path)
    items, problems = load_all(config, NOW)
    assert [item.title for item in items] == ["from a", "from b"]
    assert [str(problem) for problem in problems] == [
        "source 'CMS': 2 items without a date ('from a', 'from b'); they go in the first edition built after they were seen"]


def test_a_file_that_crashes_its_parser_costs_only_that_file(tmp_path):
    """Per-file isolation in SourceContext.load_files: whatever one file of a glob raises, the rest are kept."""
    ctx = make_context(tmp_path, [line(title="Kept")])
    ctx.source.path = "*.jsonl"
    (tmp_path / "odd.jsonl").write_text(line(title="Odd") + "\n", encoding="utf-8")

    def parse(path: Path, text: str) -> list:
        if path.name == "odd.jsonl":
            raise RuntimeError("a parser's bug")
        return [json.loads(text)["title"]]

    assert ctx.load_files(parse) == ["Kept"]
    assert [(p.where, p.reason) for p in ctx.problems] == [("source 'CMS' (odd.jsonl)", "unexpected RuntimeError: a parser's bug")]
