"""The rendered email in a real browser: Debian's headless Chromium, driven by Playwright.

Scripts are ENABLED in the page on purpose: the hostile item carries <script>, onerror= and
javascript: payloads that would set `window.__pwned` or open a dialog if any of them survived, so
"no script runs" is observed, not assumed. Screenshots of every width and colour scheme are written
to $DIGEST_ARTIFACTS/email (default: artifacts/email in the project) for a person to look at.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from sample_edition import config, hostile_edition, story

from digest import render
from digest.render.view import email_view

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTHS = (375, 600)
SCHEMES = ("light", "dark")

CONTRAST = """() => {
  const rgb = c => { const p = c.match(/[\\d.]+/g).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = c => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = el => {
    for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.a > 0) return c; }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (!node.textContent.trim() || !box.width || !box.height || style.visibility !== 'visible') continue;
    const a = luminance(rgb(style.color)), b = luminance(background(el));
    found.push({text: node.textContent.trim().slice(0, 50), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
                large: parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && parseInt(style.fontWeight) >= 700)});
  }
  return found;
}"""

# The first line of a block as a reader sees it: the boxes of its contents (text runs, a badge) that
# sit on its first line, and where that line starts and ends. A headline's words may share the line
# with its BREAKING badge or start the next one, depending on the fonts a machine has; the line's
# edges do not. Prepend it to a script: `FIRST_LINE + "() => firstLine(el)"`.
FIRST_LINE = """const firstLine = el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const boxes = Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0);
  if (!boxes.length) return null;
  const bottom = Math.min(...boxes.map(r => r.bottom));
  const first = boxes.filter(r => r.top < bottom);
  return {left: Math.min(...first.map(r => r.left)), right: Math.max(...first.map(r => r.right)), top: Math.min(...first.map(r => r.top)),
          bottom};
};
"""

HEADLINES = """() => Array.from(document.querySelectorAll('.hl')).map(el => {
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  return {text: el.textContent, left: box.left, right: box.right, width: box.width, height: box.height,
          shown: style.visibility === 'visible' && style.display !== 'none' && style.opacity === '1'};
})"""


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs Debian's package in .ci/run; here: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield launched
        launched.close()


def artifacts_folder(name: str) -> Path:
    """Where screenshots for a person to look at go: $DIGEST_ARTIFACTS/NAME (default artifacts/NAME)."""
    folder = Path(os.environ.get("DIGEST_ARTIFACTS") or ROOT / "artifacts") / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def artifacts() -> Path:
    return artifacts_folder("email")


@pytest.fixture(scope="module")
def email_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A full edition (note, top story, section, news feed) in which some items are hostile."""
    ed = hostile_edition()
    ed.note = "Good evening. A <b>hostile</b> feed could not spoil this edition."
    ed.sections[1].stories += [story(n) for n in range(10, 14)]
    settings = config(first_issue="2026-01-01")
    html = render.render(ed, settings, "html")
    expected = [s.headline for section in email_view(ed, settings).sections for s in section.stories]
    path = tmp_path_factory.mktemp("email") / "edition.html"
    path.write_bytes(html)
    return path, expected


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_email_in_chromium(browser, artifacts: Path, email_file: tuple[Path, list[str]], width: int, scheme: str) -> None:
    path, expected = email_file
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=True)
    requests: list[str] = []
    context.route("**/*", lambda route: (
        requests.append(route.request.url), route.continue_() if route.request.url.startswith("file:") else route.abort()))
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.screenshot(path=str(artifacts / f"email-{width}px-{scheme}.png"), full_page=True)

    # no script ran: none in the document, none of the hostile payloads fired
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    # nothing fetched: no web fonts, no remote images, no tracking pixel
    assert requests == [path.as_uri()]

    # no horizontal scroll, even with a 10 KB headline that has no place to break
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # every headline is there, on screen and inside the width
    shown = page.evaluate(HEADLINES)
    assert [h["text"] for h in shown] == expected
    for headline in shown:
        assert headline["shown"] and headline["width"] > 0 and headline["height"] > 0, headline["text"][:60]
        assert 0 <= headline["left"] and headline["right"] <= width, headline["text"][:60]

    # WCAG AA contrast for every piece of visible text, in this colour scheme
    for text in page.evaluate(CONTRAST):
        assert text["ratio"] >= (3.0 if text["large"] else 4.5), (scheme, text)
    context.close()
