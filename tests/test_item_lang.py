"""An item's `lang` comes from untrusted data and decides which stop-word list sumy reads, a file
named after it: only a well-formed language tag is taken. A line whose `lang` leads to a named pipe
hung `build`; now it is warned about and the source's language used. Through the real command line."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import sumy
from conftest import run_digest

from digest.i18n import language_tag

STORY = ("The harbour office opened a new ferry line on Wednesday. Boats will leave every hour from the "
         "old pier. The council said the fares would stay the same for a year. Night crossings start in June.")


@pytest.fixture
def pipe() -> str:
    """A named pipe at the path sumy's stop-word lookup resolves a hostile `lang` to, and that `lang`
    (lower case, as sumy lower-cases it). Nothing ever writes to the pipe: opening it to read waits forever."""
    folder = Path(tempfile.mkdtemp(prefix="digest-lang-"))
    os.mkfifo(folder / "pipe.txt")
    stop_words = Path(sumy.__file__).parent / "data" / "stopwords"
    lang = os.path.relpath(folder / "pipe", stop_words)
    assert lang == lang.lower()
    yield lang
    (folder / "pipe.txt").unlink()
    folder.rmdir()


def test_a_lang_that_is_no_language_tag_is_warned_about_and_ignored(tmp_path: Path, pipe: str) -> None:
    lines = [
        {"title": "Ferry line opens at the old pier", "body": STORY, "published": "2024-05-01T09:00:00", "lang": pipe},
        {"title": "Library adds Sunday hours", "body": "The library opens on Sundays from June. " * 3,
         "published": "2024-05-01T10:00:00", "lang": "en-GB"},
    ]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (tmp_path / "config.yaml").write_text(
        "newsletter: {title: Harbour Daily, timezone: UTC}\n"
        "sources: [{name: Wire, kind: jsonl, path: items.jsonl}]\n"
        "store: {path: state/digest.db}\nedition: {cutoff: '24:00'}\n")
    result = run_digest("build", "-c", str(tmp_path / "config.yaml"), "--date", "2024-05-01", "--format", "text", "-o", "-",
                        cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    stderr = result.stderr.decode()
    assert (f"source 'Wire' (items.jsonl, line 1): lang '{pipe[:60]}' is not a language tag such as en, uk or pt-BR; "
            "the source's language is used") in stderr
    assert "line 2" not in stderr
    assert "Ferry line opens at the old pier" in result.stdout.decode()
    assert "Boats will leave every hour" in result.stdout.decode()


@pytest.mark.parametrize(("text", "tag"), [
    ("en", "en"), (" uk-UA ", "uk-UA"), ("pt_BR", "pt_BR"), ("zh-Hant-TW", "zh-Hant-TW"), ("english", "english"),
    ("../etc/passwd", None), ("en/../../x", None), ("e", None), ("en-", None), ("en--GB", None), ("en-abcdefghi", None),
    ("en.txt", None), ("", None), (None, None), ("a" * 8 + "-abcdefgh" * 4, None),
])
def test_the_shape_of_a_language_tag(text: str | None, tag: str | None) -> None:
    assert language_tag(text) == tag
