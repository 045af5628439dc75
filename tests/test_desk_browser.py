"""The editor's day-one edition as delivered, read in Debian's headless Chromium at 375 and 600 px:
the pinned story on top, the retitled headline, the added link, the dropped story nowhere.
Screenshots go to $DIGEST_ARTIFACTS/desk (default artifacts/desk) for a person to look at."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import HEADLINES, artifacts_folder, browser  # noqa: F401  (browser: the fixture)
from test_desk import DAY, DAY_ONE, delivered, digest, html_of, ledger, newsroom, require_approval  # noqa: F401  (newsroom: the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def edited_email(newsroom: Path) -> Path:  # noqa: F811
    require_approval(newsroom, "  key_developments: 5\n")
    ledger(newsroom, DAY_ONE)
    assert digest(newsroom, "approve", "--date", str(DAY), "--by", "Olena").returncode == 0
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 0
    (message,) = delivered(newsroom)
    path = newsroom / "delivered.html"
    path.write_text(html_of(message), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [375, 600])
def test_the_edited_email_reads_as_the_editor_arranged_it(browser, edited_email: Path, width: int) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.goto(edited_email.as_uri())
    page.screenshot(path=str(artifacts_folder("desk") / f"email-edited-{width}px.png"), full_page=True)
    headlines = page.evaluate(HEADLINES)
    titles = [headline["text"] for headline in headlines]
    assert titles[0] == "New school opens in the dockside district"  # pinned as the top story
    assert "Harbour budget passes: dredging first" in titles and "Read the full budget" in titles
    assert not any("Explosions" in title or "Council passes" in title for title in titles)
    for headline in headlines:
        assert headline["shown"] and 0 <= headline["left"] and headline["right"] <= width, headline["text"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    key_line = page.get_by_text("The council passed the harbour budget, dredging first.")  # the ledger's key: line
    assert key_line.first.is_visible()
    note = page.get_by_text("Good morning. The strike is the day's story.")
    assert note.is_visible()
    link = page.locator('a[href="https://port.example/budget.pdf"]').first
    assert link.is_visible() and link.bounding_box()["width"] > 0  # type: ignore[index]
    context.close()
