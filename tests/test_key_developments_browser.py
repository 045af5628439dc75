"""Key developments in Chromium at a phone's 375 px and the email's 600 px: the list fits the width,
each line's link lands on its story, and screenshots are left for a person to look at."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run_digest
from test_browser import artifacts_folder, browser  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser

KEYS = """() => Array.from(document.querySelectorAll('a.key')).map(el => {
  const box = el.getBoundingClientRect(), target = document.getElementById(el.getAttribute('href').slice(1));
  return {left: box.left, right: box.right, height: box.height, target: target ? target.textContent.trim().slice(0, 80) : null};
})"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    done = run_digest("build", "-c", str(ROOT / "config.yaml"), "-o", "-", cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    path = tmp_path_factory.mktemp("keys") / "sample.html"
    path.write_bytes(done.stdout)
    return path


@pytest.mark.parametrize("width", [375, 600])
def test_key_developments_fit_and_lead_to_their_stories(browser, sample: Path, width: int) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.goto(sample.as_uri())
    page.screenshot(path=str(artifacts_folder("key-developments") / f"sample-{width}px.png"))
    keys = page.evaluate(KEYS)
    assert len(keys) == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for key in keys:
        assert 0 <= key["left"] and key["right"] <= width and key["height"] > 0
        assert key["target"]  # an element with that id, holding its story
    first_heading = page.locator("h3").first.bounding_box()
    assert first_heading is not None and first_heading["y"] > page.locator("a.key").last.bounding_box()["y"]  # the list comes first
    page.locator("a.key").nth(2).click()
    story = page.locator("#story-" + page.locator("a.key").nth(2).get_attribute("href").split("-")[-1])
    assert story.evaluate("el => { const box = el.getBoundingClientRect(); return box.top >= -1 && box.top < innerHeight; }")
    context.close()
