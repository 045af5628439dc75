"""The HTML part as text-mode mail readers show it: mutt and alpine hand it to w3m or lynx, which
know no CSS, so what CSS hides (the inbox preview) and what only a margin separates (the breaking
badge and its headline) is what they show. Debian's w3m and lynx, on the sample day's HTML."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, run_digest

pytestmark = pytest.mark.slow  # w3m and lynx, after a build of the sample day

READERS = {
    "w3m": ["w3m", "-dump", "-T", "text/html", "-cols", "80", "-O", "UTF-8"],
    "lynx": ["lynx", "-dump", "-force_html", "-nolist", "-width", "80", "-display_charset", "UTF-8", "-stdin"],
}
PADDING = "\u034f\u200c\u00ad\u2007\u200b\ufeff"  # what preheader padding is made of


@pytest.fixture(scope="module")
def sample_html(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("sample")
    shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
    shutil.copytree(ROOT / "sample", folder / "sample")
    result = run_digest("build", "-o", "-", cwd=folder)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def show(html: bytes, reader: str, tmp_path: Path) -> tuple[str, list[str]]:
    """The HTML as `reader` dumps it: the whole text, and its non-blank lines stripped."""
    if shutil.which(reader) is None:
        pytest.skip(f"{reader} is not installed (CI installs Debian's package in .ci/run; here: apt-get install {reader})")
    (tmp_path / "email.html").write_bytes(html)
    argv = READERS[reader] + ([] if reader == "lynx" else [str(tmp_path / "email.html")])
    shown = subprocess.run(argv, input=html if reader == "lynx" else None, capture_output=True, timeout=60,
                           env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "dumb"}, check=True).stdout.decode("utf-8")
    return shown, [line.strip() for line in shown.splitlines() if line.strip()]


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_text_mode_reader_sees_a_clean_top_and_a_separate_badge(sample_html: bytes, reader: str, tmp_path: Path) -> None:
    shown, lines = show(sample_html, reader, tmp_path)
    # no line of invisible padding characters, and the preview line, if shown, is plain headlines
    assert not any(char in shown for char in PADDING), [line for line in lines if any(c in line for c in PADDING)]
    assert all(line.strip(PADDING + "\u00a0 ") for line in lines)
    assert "Meridian Daily" in lines[:4], lines[:4]  # the masthead comes at once
    # the badge is a word of its own, never run into the headline ("BreakingFlood warning")
    assert "Breaking Flood warning issued for the lower Meridian river" in " ".join(lines)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_key_developments_read_as_a_list_before_the_stories(sample_html: bytes, reader: str, tmp_path: Path) -> None:
    _, lines = show(sample_html, reader, tmp_path)
    heading = next(number for number, line in enumerate(lines) if line.upper() == "KEY DEVELOPMENTS ON 14 MAY")
    top = next(number for number, line in enumerate(lines) if line.upper() == "TOP STORY")
    assert heading < top
    between = lines[heading + 1:top]
    bullets = [line for line in between if line[:1] in "•*+-"]
    assert len(bullets) == 5, between  # one bullet a line, each a line of its own
    assert bullets[0][1:].strip().startswith("Meridian's first night tram line opened")
