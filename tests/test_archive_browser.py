"""The web archive in headless Chromium, read from disk as a visitor would read it from a server:
the index, a click to an edition and back, no sideways scroll on a phone, no link to nowhere.
Screenshots go to $DIGEST_ARTIFACTS/archive (default: artifacts/archive) for a person to look at."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sample_edition import DAY, config, edition, story
from test_archive import links
from test_browser import CONTRAST, artifacts_folder, browser  # noqa: F401  (the Chromium fixture)

from digest import render
from digest.archive.page import public_page
from digest.archive.site import site_files
from digest.config import ArchiveConfig

pytestmark = pytest.mark.browser

WIDTHS = (375, 600)


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_folder("archive")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three editions published into a folder, the middle one with an editor's note and a very long headline."""
    folder = tmp_path_factory.mktemp("archive")
    settings = config(first_issue="2026-05-01")
    settings.archive = ArchiveConfig(dir=str(folder), base_url="https://news.example.org/daily/")
    pages = []
    for n in range(3):
        ed = edition(note="Good morning. The ferries run late tonight." if n == 1 else None)
        ed.date = DAY + timedelta(days=n)
        if n == 1:
            ed.sections[1].stories.append(story(9, title="A" * 400))
        ed = render.fit(ed, settings).edition
        page = public_page(ed, settings)
        page.sent = datetime.combine(ed.date, datetime.min.time(), UTC) + timedelta(hours=4)
        pages.append(page)
    for name, data in site_files(settings, pages):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def internal(href: str) -> bool:
    return not href.startswith(("http://", "https://", "mailto:", "#"))


def test_every_internal_link_of_every_page_resolves(archive: Path) -> None:
    pages = sorted(archive.rglob("*.html"))
    assert len(pages) == 4
    for path in pages:
        for href in filter(internal, links(path.read_text())):
            assert (path.parent / href).resolve().is_file(), f"{path.relative_to(archive)}: {href}"


@pytest.mark.parametrize("width", WIDTHS)
def test_index_to_an_edition_and_back_in_chromium(browser, archive: Path, artifacts: Path, width: int) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    requests: list[str] = []
    context.route("**/*", lambda route: (requests.append(route.request.url),
                                         route.continue_() if route.request.url.startswith("file:") else route.abort()))
    page = context.new_page()
    index = (archive / "index.html").as_uri()
    page.goto(index)
    page.screenshot(path=str(artifacts / f"index-{width}px.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    dates = page.locator("main .when").all_inner_texts()
    assert len(dates) == 3 and "16 May 2026" in dates[0] and "14 May 2026" in dates[2]

    page.locator("main h3 a").nth(1).click()  # the middle edition: it has both neighbours
    page.wait_for_load_state()
    assert page.url == (archive / "2026/05/15/index.html").as_uri()
    assert "15 May 2026" in page.title()
    assert "Good morning. The ferries run late tonight." in page.inner_text("body")
    page.screenshot(path=str(artifacts / f"edition-{width}px.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the edition scrolls sideways"
    hrefs = page.evaluate("Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.href)")
    for href in hrefs:
        if href.startswith("file:"):
            assert Path(href.removeprefix("file://")).is_file(), href

    page.locator("nav.archive-nav a[rel=next]").first.click()  # to the newer edition, then back
    page.wait_for_load_state()
    assert page.url == (archive / "2026/05/16/index.html").as_uri()
    page.go_back()
    page.go_back()
    assert page.url == index
    assert requests and all(url.startswith("file:") for url in requests), "nothing is fetched from the network"
    context.close()


@pytest.mark.parametrize("scheme", ("light", "dark"))
def test_the_index_and_an_edition_are_readable_in_both_colour_schemes(browser, archive: Path, artifacts: Path, scheme: str) -> None:  # noqa: F811
    """WCAG AA contrast for every piece of visible text, the archive's own frame included."""
    context = browser.new_context(viewport={"width": 375, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    for name in ("index.html", "2026/05/15/index.html"):
        page.goto((archive / name).as_uri())
        if name == "index.html":
            page.screenshot(path=str(artifacts / f"index-375px-{scheme}.png"), full_page=True)
        for text in page.evaluate(CONTRAST):
            assert text["ratio"] >= (3.0 if text["large"] else 4.5), (name, scheme, text)
    context.close()
