"""Every text function against strings built to make a regex backtrack or a scan go quadratic.

A regex with overlapping quantifiers ("6:10 a.m." is one time stamp piece or two) can take minutes on
one paragraph, and a send that hangs holds the send lock: the schedule never recovers. Each function
here must finish each 100 KB string, measured one call at a time, within TIMES the time an ordinary
100 KB story takes to summarize on the same machine in the same run (the baseline): a pattern that
backtracks takes orders of magnitude longer, and no machine's speed decides the outcome.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from digest.dedupe import normalise_text
from digest.rank import found_phrases, phrase_pattern
from digest.render.view import clean_line
from digest.sources.feed import repair_utf8, screen_xml
from digest.sources.pagetext import classify, parse_page
from digest.summarize import fit_words, summarize, suspect
from digest.summarize.prepare import leans_on_context
from digest.text.clean import BREAKING_LABEL, author_or_none, clean_for_summary, clean_headline, headline_from, is_furniture, strip_breaking_label
from digest.text.markup import canonical_url, complete_markup, html_to_text, inline_text, looks_like_html, safe_url, to_text
from digest.text.sentences import split_sentences, tokenize_words

SIZE = 100_000
TIMES = 10  # one call on one 100 KB string, at most this many times the baseline

pytestmark = pytest.mark.slow  # each function on thirty 100 KB strings


def repeat(unit: str, tail: str = " x") -> str:
    """`unit` repeated to SIZE characters, then a `tail` that makes a pattern fail at the very end."""
    return unit * (SIZE // len(unit)) + tail


ADVERSARIAL: dict[str, str] = {
    "times": repeat("6:10 a.m. 6:40 a.m. "),
    "months": repeat("Jan. "),
    "capital months": repeat("JUNE "),
    "published stamps": "Published: " + repeat("9:12 EST, 3 June 2013 | "),
    "full stops": repeat(". "),
    "initials": repeat("A. "),
    "dots": repeat("."),
    "abbreviations": repeat("Mr. Dr. Gen. U.S. "),
    "open tags": repeat("<a "),
    "open paragraphs": repeat("<p "),
    "open end tags": repeat("</a "),
    "unclosed comments": repeat("<!--"),
    "unclosed comments with >": repeat("<!-- > "),
    "unclosed marked sections": repeat("<![CDATA[ > "),
    "unclosed scripts": repeat("<script>"),
    "unclosed script tags": repeat("<script "),
    "credits": repeat("(photo "),
    "closed credits": repeat("(Photo: AP) !!!"),
    "wide spaces": repeat("\u3000"),
    "vertical tabs": repeat("\x0b"),
    "one long word": repeat("a"),
    "bylines": repeat("By Jane Doe "),
    "entities": repeat("&amp"),
    "newlines and spaces": repeat("\n " * 3 + "x"),
    "lines of stamps": repeat("6:10 a.m.\n"),
    "sentences": repeat("The harbour opened at dawn. "),
    "tag-like words": repeat("<blink> "),
    "run-in captions": repeat("on Friday He said "),
    "cookie words": repeat("cookies use cookies "),
    "angle brackets with closers": repeat("<b> </b "),
}

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
PATTERN = phrase_pattern(["harbour master", "storm warning"])
FUNCTIONS: dict[str, Callable[[str], object]] = {
    "clean_for_summary": clean_for_summary,
    "split_sentences": split_sentences,
    "tokenize_words": tokenize_words,
    "html_to_text": html_to_text,
    "complete_markup": complete_markup,
    "to_text": to_text,
    "inline_text": inline_text,
    "looks_like_html": looks_like_html,
    "clean_headline": clean_headline,
    "classify": classify,
    "parse_page": lambda text: parse_page(text, source="s", tz=UTC, now=NOW),
    "summarize": lambda text: summarize(text, 3, title="A title"),
    "summarize lexrank": lambda text: summarize(text, 3, algorithm="lexrank"),
    "headline_from": headline_from,
    "safe_url": lambda text: safe_url("https://example.com/" + text),
    "canonical_url": lambda text: canonical_url("https://example.com/" + text),
    "breaking label": BREAKING_LABEL.match,
    "strip_breaking_label": strip_breaking_label,
    "found_phrases": lambda text: found_phrases(PATTERN, text),
    "normalise_text": normalise_text,
    "clean_line": lambda text: clean_line(text, 300),
    "screen_xml": lambda text: screen_xml(text.encode()),
    "repair_utf8": lambda text: repair_utf8(text.encode()),
    "is_furniture": is_furniture,
    "author_or_none": author_or_none,
    "suspect": suspect,
    "fit_words": lambda text: fit_words([text], 60),
    "leans_on_context": lambda text: leans_on_context(text, "en", "A title"),
}


@pytest.fixture(scope="module")
def baseline() -> float:
    """Seconds to summarize an ordinary 100 KB story here and now (the best of three: the machine's
    speed, not its hiccups)."""
    story = repeat("The harbour master said the ferry would sail at dawn. Crews worked through the night to load it. ")
    took = []
    for _ in range(3):
        started = time.perf_counter()
        summarize(story, 3, title="A title")
        took.append(time.perf_counter() - started)
    return min(took)


# sumy's LexRank divides by a zero norm on a text of one word repeated; it still answers, which is all this asks
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_text_function_is_fast_on_adversarial_strings(function: str, baseline: float) -> None:
    call = FUNCTIONS[function]
    slow = []
    for name, text in ADVERSARIAL.items():
        started = time.perf_counter()
        call(text)
        took = time.perf_counter() - started
        if took > TIMES * baseline:
            slow.append(f"{name}: {took:.2f} s")
    assert not slow, f"{function} over {TIMES} x {baseline:.2f} s (an ordinary story's summary) on: {', '.join(slow)}"


def test_time_stamps_are_still_found() -> None:
    """The atomic stamp pieces still read what they read before."""
    assert clean_for_summary("6:10 a.m. 6:40 a.m.\n\nThe ferry sails at dawn.") == "The ferry sails at dawn."
    assert clean_for_summary("June 26, 2024\n\nThe ferry sails at dawn.") == "The ferry sails at dawn."
    assert clean_for_summary("PUBLISHED: 09:12 EST, 3 June 2013 | UPDATED: 10:01 EST, 3 June 2013\n\nThe ferry sails.") == "The ferry sails."
