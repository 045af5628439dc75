"""Boilerplate goes, the story stays: each shape from the issue, and look-alikes that are real text."""
from __future__ import annotations

import pytest

from digest.sources.pagetext import LineKind, classify
from digest.text.clean import clean_for_summary

STORY = "The council voted to reopen the bridge on Monday."


@pytest.mark.parametrize(
    "boilerplate",
    [
        "By Jane Doe, Staff Reporter",
        "By Jane Doe and Omar Reyes",
        "by Olena Koval June 26, 2024 12:16 AM 1 min read",
        "PUBLISHED: 09:12 EST, 3 June 2013 | UPDATED: 10:01 EST, 3 June 2013",
        "Last updated at 9:40 AM on 1st June 2011",
        "5:04 PM",
        "Image caption The bridge before the storm",
        "Image copyright Getty Images",
        "Photo: Reuters",
        "Getty Images",
        "Read more: Why the bridge closed",
        "READ MORE",
        "Related: Storm damage across the region",
        "Sign up for our daily newsletter",
        "Enter your email to subscribe",
        "* indicates required",
        "Subscribe",
        "Thank you for signing up for this newsletter.",
        "Skip to content",
        "Advertisement",
        "Menu",
        "Editors' picks",
        "Listen to this article",
        "Follow us on Telegram",
        "Читайте також: Міст відкрили",
        "Фото: Укрінформ",
        "Follow @jdoe on Twitter.",
        "Scroll down for video",
    ],
)
def test_boilerplate_lines_are_removed(boilerplate: str) -> None:
    assert clean_for_summary(f"{boilerplate}\n{STORY}") == STORY
    assert clean_for_summary(f"{STORY}\n\n{boilerplate}") == STORY


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("KYIV (Reuters) - " + STORY, STORY),
        ("LONDON, England (CNN) -- " + STORY, STORY),
        ("(AP) — " + STORY, STORY),
        ("WASHINGTON — " + STORY, STORY),
        ("КИЇВ (Укрінформ) — Міст знову відкрили.", "Міст знову відкрили."),
        (
            "By . Daily Mail Reporter . PUBLISHED: . 09:12 EST, 3 June 2013 . | . UPDATED: . 10:01 EST, 3 June 2013 . "
            + STORY,
            STORY,
        ),
        ("The mayor (AP Photo/Ivan Petrenko) cut the ribbon.", "The mayor cut the ribbon."),
        ("By Daily Mail Reporter . Last updated at 5:32 PM on 14th July 2011 . Scroll down for video . " + STORY, STORY),
        ("Follow @jdoe . " + STORY, STORY),
        ("By . Tom Smith, Political Editor . and Ann Lee . Comments (3) . Share . " + STORY, STORY),
    ],
)
def test_openers_stamps_and_credits_inside_a_line(raw: str, expected: str) -> None:
    assert clean_for_summary(raw) == expected


def test_a_line_ending_in_a_photo_credit_is_a_caption() -> None:
    text = "Workers repair the bridge on May 1, 2024. (Photo by Ann Lee/Getty Images)\n" + STORY
    assert clean_for_summary(text) == STORY


@pytest.mark.parametrize(
    "real",
    [
        "By Christmas, sales had doubled.",
        "By the end of the year the company posted 3% growth.",
        "Millions subscribe to streaming services every year.",
        "Support users asked the council to keep the bridge open.",
        "Search teams found the boat near the bridge.",
        "Officials updated the rules last year.",
        "Reuters reported that the talks had stalled.",
        "The photo shows the bridge (left) before the storm.",
        "Fans can follow @nasa on Twitter for launch news.",
        "Share prices fell sharply on Monday.",
        "Comments from the minister were sharp.",
        "The page was last updated on 3 May by the council.",
    ],
)
def test_real_sentences_that_look_like_boilerplate_are_kept(real: str) -> None:
    assert clean_for_summary(real) == real


@pytest.mark.parametrize("line", ["Menu", "Follow us on Telegram", "Реклама", "Newsletter: the week in review", "Support users asked"])
def test_one_chrome_list_for_page_text_and_item_text(line: str) -> None:
    """The page-text reader and the cleaning of item text agree on what a chrome line is."""
    expected = line != "Support users asked"  # "Support us" is chrome, a sentence that starts the same is not
    assert (classify(line).kind is LineKind.CHROME) is expected
    assert (clean_for_summary(f"{line}\n{STORY}") == STORY) is expected


def test_markup_and_entities_are_stripped_and_paragraphs_kept() -> None:
    html = "<p>The <b>minister</b> said &quot;no&quot; &amp; left.</p><script>track()</script><p>He came back.</p>"
    assert clean_for_summary(html) == 'The minister said "no" & left.\n\nHe came back.'


def test_paragraphs_stay_separated_by_one_blank_line() -> None:
    assert clean_for_summary("One.\n\n\n\nTwo.\nThree.") == "One.\n\nTwo.\nThree."
    assert clean_for_summary("") == ""


def test_literal_angle_bracket_words_in_prose_are_kept() -> None:
    assert clean_for_summary("The <blink> tag was invented at Netscape.") == "The <blink> tag was invented at Netscape."
    assert clean_for_summary("Use the <string> header, then <name>.") == "Use the <string> header, then <name>."
    # real markup still goes: closed tags, tags with attributes, void elements
    assert clean_for_summary('<p>Real <b>bold</b> and <a href="x">a link</a></p><br>') == "Real bold and a link"


def test_junk_bylines_are_not_authors() -> None:
    from digest.text.clean import author_or_none

    for junk in ("Facebook Com; Twitter", "Www Haufe De; Copyright Haufe", "© Reuters 2024", "example.com"):
        assert author_or_none(junk) is None, junk
    for name in ("Kateryna Denisova", "Jane Doe and John Smith", "Jean de la Fontaine", "Олена Іваненко"):
        assert author_or_none(name) == name


def test_page_furniture_in_several_languages() -> None:
    from digest.text.clean import is_furniture

    for junk in (
        "We use cookies to improve your experience on our site.",
        "Diese Website verwendet Cookies, um Ihnen das beste Erlebnis zu bieten.",
        "Teilen mit: Facebook Twitter WhatsApp",
        "Subscribe to continue reading this article.",
        "Already a subscriber? Log in to read.",
        "Ми використовуємо файли cookie для покращення роботи сайту.",
        "Ce site utilise des cookies pour améliorer votre expérience.",
    ):
        assert is_furniture(junk), junk
    for prose in (
        "Girl Scout cookies sales rose by a tenth last year.",
        "The company said it would share data with its partners.",
        "He posted on Twitter that he was leaving the party.",
    ):
        assert not is_furniture(prose), prose
