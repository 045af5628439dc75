"""Editions in other languages in Debian's headless Chromium: the Ukrainian sample at 375 px, and
right-to-left editions (Arabic, Hebrew) at 375 and 600 px. Screenshots go to $DIGEST_ARTIFACTS/languages
(default: artifacts/languages) for a person to look at."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_digest
from sample_edition import CUTOFF, DAY, config, story
from test_browser import FIRST_LINE, HEADLINES, artifacts_folder, browser  # noqa: F401  (the Chromium fixture)
from test_languages import ukrainian_sample

from digest import render
from digest.model import Edition, Section

pytestmark = pytest.mark.browser

RTL = {
    "ar": {
        "title": "نشرة المرفأ اليومية",
        "tagline": "يوم المدينة في بريدك",
        "top": ("افتتاح أول خط ترام ليلي في المدينة بعد عامين من الأشغال",
                ["افتُتح خط الترام الليلي الأول في المدينة مساء الخميس، ويربط محطة القطار بالأحياء الغربية.",
                 "يعمل الخط كل عشرين دقيقة بين منتصف الليل والخامسة صباحًا، بحسب دائرة النقل."]),
        "brief": ("تحذير من فيضان على الضفة السفلى للنهر", ["رفعت هيئة الأرصاد مستوى التحذير بعد يومين من الأمطار الغزيرة."]),
        "labels": ("الخبر الرئيسي", "عاجل", "شريط الأخبار", "إلغاء الاشتراك في"),
    },
    "he": {
        "title": "יומון הנמל",
        "tagline": "היום בעיר, בתיבת הדואר שלך",
        "top": ("קו החשמלית הלילי הראשון בעיר נפתח אחרי שנתיים של עבודות",
                ["קו החשמלית הלילי הראשון נפתח ביום חמישי בערב ומחבר את תחנת הרכבת לשכונות המערביות.",
                 "הקו פועל כל עשרים דקות בין חצות לחמש בבוקר, כך מסרה מחלקת התחבורה."]),
        "brief": ("אזהרת הצפה בגדה התחתונה של הנהר", ["השירות המטאורולוגי העלה את רמת האזהרה אחרי יומיים של גשם כבד."]),
        "labels": ("הכתבה המרכזית", "מבזק", "עדכונים שוטפים", "הסרה מרשימת התפוצה של"),
    },
}
ENGLISH_STORY = "Port signs a grain deal with a Danish shipping line"

# Where each headline, the breaking badge and the footer's links sit, and which way each reads.
LAYOUT = """() => {""" + FIRST_LINE + """
  const box = el => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const card = document.querySelector('.txt div').getBoundingClientRect();
  return {
    dir: document.documentElement.dir,
    card: {left: card.left, right: card.right},
    headlines: Array.from(document.querySelectorAll('h3')).map(h => ({text: h.textContent, direction: getComputedStyle(h).direction,
                                                                     align: getComputedStyle(h).textAlign, ...box(h)})),
    badge: box(document.querySelector('.badge')),
    badgeLine: firstLine(document.querySelector('.badge').closest('h3')),
    links: Array.from(document.querySelectorAll('a.link')).map(a => ({text: a.textContent, english: !!a.closest('[lang=en]'), ...box(a)})),
  };
}"""


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_folder("languages")


@pytest.fixture(scope="module")
def ukrainian_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("uk")
    result = run_digest("build", "-c", str(ukrainian_sample(folder)), "-o", str(folder / "edition.html"))
    assert result.returncode == 0, result.stderr.decode()
    return folder / "edition.html"


def rtl_file(folder: Path, lang: str) -> Path:
    """An edition in `lang` with a breaking top story, an English story from a wire and a news feed."""
    words = RTL[lang]
    settings = config(first_issue="2026-01-01")
    settings.newsletter.lang, settings.newsletter.title, settings.newsletter.tagline = lang, words["title"], words["tagline"]
    top = story(0, breaking=True, title=words["top"][0], summary=words["top"][1], lang=lang)
    english = story(1, title=ENGLISH_STORY, lang="en")
    brief = story(100, "brief", breaking=True, title=words["brief"][0], summary=words["brief"][1], lang=lang)
    edition = Edition(date=DAY, cutoff=CUTOFF, title=words["title"], sections=[
        Section("top", "Top story", "top", [top]), Section("stories", "More stories", "stories", [english]),
        Section("feed", "News Feed", "feed", [brief])])
    path = folder / f"edition-{lang}.html"
    path.write_bytes(render.render(edition, settings, "html"))
    return path


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_ukrainian_sample_reads_at_375_px(browser, artifacts: Path, ukrainian_file: Path, scheme: str) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 375, "height": 900}, color_scheme=scheme)
    page.goto(ukrainian_file.as_uri())
    page.screenshot(path=str(artifacts / f"uk-375px-{scheme}.png"), full_page=True)
    assert page.evaluate("document.documentElement.lang") == "uk"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    text = page.evaluate("document.body.innerText")
    for words in ("ГОЛОВНЕ", "СТРІЧКА НОВИН", "ТЕРМІНОВО", "четвер, 14 травня 2026", "Відписатися"):
        assert words in text, words  # CSS capitals are Cyrillic capitals
    for headline in page.evaluate(HEADLINES):
        assert headline["shown"] and 0 <= headline["left"] and headline["right"] <= 375, headline["text"]
    english = page.locator("[lang=en]")  # the English story, and its line in key developments
    assert english.evaluate_all("els => els.map(el => el.tagName + ':' + getComputedStyle(el).direction)") == ["LI:ltr", "TD:ltr"]
    page.close()


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("lang", sorted(RTL))
def test_a_right_to_left_edition_reads_right_to_left(browser, artifacts: Path, tmp_path: Path, lang: str, width: int) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(rtl_file(tmp_path, lang).as_uri())
    page.screenshot(path=str(artifacts / f"{lang}-{width}px.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    layout = page.evaluate(LAYOUT)
    assert layout["dir"] == "rtl"
    text = page.evaluate("document.body.innerText")
    for label in RTL[lang]["labels"]:
        assert label in text, label
    right = layout["card"]["right"]
    for headline in layout["headlines"]:
        if headline["text"] == ENGLISH_STORY:  # an English story keeps its own direction inside the edition
            assert headline["direction"] == "ltr"
            continue
        assert headline["direction"] == "rtl" and headline["align"] in ("right", "start"), headline
        assert abs(headline["right"] - right) <= 1, headline  # starts at the right edge of the column
    # the badge opens the headline on its right, before the words: its right edge is where the first line starts
    # (whether the words fit beside it on that line depends on the fonts, and is not asserted)
    assert abs(layout["badge"]["right"] - layout["badgeLine"]["right"]) <= 1 and abs(layout["badge"]["right"] - right) <= 1, layout
    # the footer's links run from the right edge of the column, the first of a line at the edge
    links = [link for link in layout["links"] if not link["english"]]
    assert links and abs(links[0]["right"] - right) <= 1, links
    assert all(link["right"] <= right + 1 and link["left"] >= layout["card"]["left"] - 1 for link in links), links
    page.close()
