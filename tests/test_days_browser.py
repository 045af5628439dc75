"""The sample day and the seeds' day as a reader sees them in Chromium, at 375 and 600 px, light and
dark: screenshots go to $DIGEST_ARTIFACTS/email (default artifacts/email) for a person to look at,
and the things a reader notices are checked: one left edge on a phone, one body font, no sideways
scroll, iOS kept from turning times into links, every text above WCAG AA contrast.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, run_digest
from test_browser import CONTRAST, FIRST_LINE, SCHEMES, WIDTHS, artifacts_folder, browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser

EDGES = """() => {""" + FIRST_LINE + """
  const shown = sel => Array.from(document.querySelectorAll(sel)).filter(e => e.getBoundingClientRect().width > 0);
  const left = sel => shown(sel).map(e => Math.round(e.getBoundingClientRect().left));
  // a headline's edge is where its first line starts (its badge, or its words), whichever sits there with these fonts
  const headlines = shown('.hl').map(e => Math.round(firstLine(e.closest('h3')).left));
  const fonts = new Set();
  for (const p of document.querySelectorAll('.txt p, .txt div')) {
    if (p.closest('h1, h2, h3, .badge') || !p.textContent.trim() || p.getBoundingClientRect().width === 0) continue;
    const style = getComputedStyle(p);
    if (parseFloat(style.fontSize) >= 15) fonts.add(style.fontFamily + ' ' + style.fontSize);
  }
  return {masthead: left('.masthead h1'), headlines, labels: left('h2.label'), footer: left('.txt p.muted'),
          rule: left('.rule p'),
          fonts: Array.from(fonts)};
}"""

# Headline fonts other machines may have, from narrower to wider: a headline then fits beside its
# BREAKING badge or starts below it, and its first line starts on the same edge either way.
OTHER_FONTS = ("", ".hl { font-size: 8px !important; letter-spacing: -0.05em !important; }",
               ".hl { font-size: 34px !important; letter-spacing: 0.1em !important; }")


def build(config: Path, *args: str) -> Path:
    result = run_digest("build", "-c", str(config), *args, "-o", str(config.parent / "email.html"), cwd=config.parent)
    assert result.returncode == 0, result.stderr.decode()
    return config.parent / "email.html"


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
    shutil.copytree(ROOT / "sample", folder / "sample")
    return build(folder / "config.yaml")


@pytest.fixture(scope="module")
def seeds_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = ROOT.parent / "shared" / "seeds"
    if not any(seeds.glob("*.txt")):
        pytest.skip(f"../shared/seeds is absent ({seeds}): the seeds' day needs the project's shared data")
    folder = tmp_path_factory.mktemp("seeds")
    (folder / "config.yaml").write_text(f"""
newsletter: {{title: Ukraine Daily, tagline: News from Ukraine in your inbox, timezone: Europe/Kyiv,
             from: "Ukraine Daily <daily@example.com>", unsubscribe_url: "https://example.com/unsubscribe/{{{{subscriber}}}}"}}
email: {{postal_address: "Ukraine Daily, 1 Example Street, Kyiv"}}
sources: [{{name: Ukraine Daily pages, kind: pagetext, path: "{seeds}/*.txt", url: "https://example.com/news-feed/"}}]
edition: {{window_hours: 48}}
store: {{path: state/digest.db}}
""")
    return build(folder / "config.yaml", "--date", "2024-06-26")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("day", ["sample", "seeds"])
def test_the_day_as_a_reader_sees_it(browser, request, day: str, width: int, scheme: str) -> None:  # noqa: F811
    path: Path = request.getfixturevalue(f"{day}_file")
    html = path.read_text()
    assert re.search(r'<meta name="format-detection" content="telephone=no, date=no, address=no, email=no, url=no" ?/?>', html)
    assert re.search(r'<meta name="x-apple-disable-message-reformatting" ?/?>', html) and "x-apple-data-detectors" in html
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    page.screenshot(path=str(artifacts_folder("email") / f"{day}-{width}px-{scheme}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    found = page.evaluate(EDGES)
    assert len(found["fonts"]) == 1, found["fonts"]  # one body font, one size
    for text in page.evaluate(CONTRAST):
        assert text["ratio"] >= (3.0 if text["large"] else 4.5), (scheme, text)
    # masthead, sections, stories, the footer's rule and text on one left edge, with this machine's fonts
    # and with headline fonts narrower and wider than any machine's, as another machine may have
    for stand_in in OTHER_FONTS:
        if stand_in:
            page.add_style_tag(content=stand_in)
            found = page.evaluate(EDGES)
        edges = {edge for key in ("masthead", "headlines", "labels", "footer", "rule") for edge in found[key]}
        assert len(edges) == 1, (stand_in, found)
    page.close()
