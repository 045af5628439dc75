"""Editions in the reader's language: the Ukrainian sample built by the real command line reads
Ukrainian in every format, the shipped catalogues are whole and compiled from their .po files,
plural forms follow each language's rule, and a missing string falls back to English, said once."""
from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import ROOT, run_digest
from sample_edition import config as sample_config
from sample_edition import edition

from digest import i18n, render
from digest.archive.page import public_page
from digest.archive.site import site_files
from digest.config import ArchiveConfig, load_config

LOCALES = ROOT / "digest" / "locales"
CATALOGUES = sorted(LOCALES.glob("*/LC_MESSAGES/digest.po"))
KYIV = ZoneInfo("Europe/Kyiv")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
LATIN_WORD = re.compile(r"[A-Za-z]+")


def words(text: str) -> set[str]:
    return {word.lower() for word in LATIN_WORD.findall(text)}


def tool_words() -> set[str]:
    """Every English word the tool can write itself: its message ids, and English day, month and AM/PM names."""
    with open(LOCALES / "digest.pot", "rb") as file:
        catalogue = read_po(file)
    ids = [part for message in catalogue if message.id for part in (message.id if isinstance(message.id, tuple) else (message.id,))]
    english = Locale.parse("en")
    names = [*english.days["format"]["wide"].values(), *english.months["format"]["wide"].values(),
             *english.months["format"]["abbreviated"].values(), "AM", "PM"]
    return words(" ".join(PLACEHOLDER.sub(" ", text) for text in ids + names))


class Visible(HTMLParser):
    """The text a reader sees (and the <title>), without styles and the hidden preheader's padding."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag == "style" and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def ukrainian_sample(folder: Path) -> Path:
    """The Ukrainian sample copied into `folder` (so a build writes nothing into the checkout); its config."""
    shutil.copytree(ROOT / "sample" / "uk", folder, dirs_exist_ok=True)
    return folder / "config.yaml"


@pytest.fixture(scope="module")
def ukrainian(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The Ukrainian sample built by the command line in each format, and what went in (items, config)."""
    folder = tmp_path_factory.mktemp("uk")
    sample = ukrainian_sample(folder)
    built = {}
    for fmt in ("html", "text", "eml", "json"):
        result = run_digest("build", "-c", str(sample), "--format", fmt, "-o", "-")
        assert result.returncode == 0, result.stderr.decode()
        assert not result.stderr.strip(), result.stderr.decode()  # no fallback warnings: the catalogue is whole
        built[fmt] = result.stdout.decode("utf-8")
    message = email.message_from_string(built["eml"], policy=email.policy.default)
    built["subject"] = str(message["Subject"])
    settings = yaml.safe_load((folder / "config.yaml").read_text("utf-8"))  # its values, not its English comments
    built["inputs"] = (folder / "newsroom.jsonl").read_text("utf-8") + json.dumps(settings, ensure_ascii=False)
    return built


def test_a_ukrainian_edition_holds_no_english_word_the_tool_wrote(ukrainian: dict[str, str]) -> None:
    """Latin-letter words may come only from the items and the config (an English wire story, URLs);
    none of the tool's own English words may appear, in the HTML's visible text, the text twin or the subject."""
    own = tool_words()
    assert {"story", "more", "unsubscribe", "breaking", "thursday", "may", "pm"} <= own
    given = words(ukrainian["inputs"])
    document = json.loads(ukrainian["json"])
    for name, text in (("html", visible_text(ukrainian["html"])), ("text", ukrainian["text"]), ("subject", ukrainian["subject"]),
                       ("json text", document["text"]), ("json subject", document["subject"])):
        unexplained = words(text) - given
        assert not unexplained, f"{name}: English the tool wrote: {sorted(unexplained)}"
        assert not (words(text) & own) - given, name


def test_the_ukrainian_edition_reads_ukrainian_dates_times_and_labels(ukrainian: dict[str, str]) -> None:
    html, text = ukrainian["html"], ukrainian["text"]
    assert re.search(r'<html[^>]* lang="uk" dir="ltr"', html)
    assert "четвер, 14 травня 2026\u202fр. · Випуск 134" in text
    assert ukrainian["subject"] in ukrainian["text"].split("\nГОЛОВНЕ\n")[1] and not ukrainian["subject"].isascii()  # the top headline
    for label in ("ГОЛОВНЕ", "МІСТО", "БІЛЬШЕ НОВИН", "СТРІЧКА НОВИН", "ВІД РЕДАКЦІЇ", "[ТЕРМІНОВО]",
                  "Відкрити цей лист у браузері:", "Відписатися:", "Ви отримали цей лист, бо підписалися на розсилку «Меридіан щодня»."):
        assert label in text, label
    for label in ("Головне", "Стрічка новин", "Терміново", "Відписатися від розсилки «Меридіан щодня»"):
        assert label in html, label
    assert "23:15 — [ТЕРМІНОВО]" in text and "20:30 · Оксана Левченко" in text  # the 24-hour clock Ukrainian uses


def test_an_english_item_stays_english_and_says_so_in_a_ukrainian_edition(ukrainian: dict[str, str]) -> None:
    html = ukrainian["html"]
    assert "Meridian port signs a grain deal with a Danish shipping line" in html
    assert "The port of Meridian signed a five-year deal" in html  # summarized as English, not translated
    tagged = re.findall(r'<td lang="([^"]+)" dir="auto"', html)
    assert tagged == ["en"]  # only the English story, so a screen reader switches voice for it alone


def test_dates_and_times_follow_the_locale_and_time_format_still_overrides() -> None:
    day, moment = date(2026, 5, 14), datetime(2026, 5, 14, 23, 2, tzinfo=KYIV)
    uk, en, us, ar = (i18n.language(tag) for tag in ("uk", "en", "en-US", "ar"))
    assert (uk.long_date(day), uk.short_date(day)) == ("четвер, 14 травня 2026\u202fр.", "14 травня 2026\u202fр.")
    assert (en.long_date(day), en.short_date(day)) == ("Thursday, 14 May 2026", "14 May 2026")  # as before Babel
    assert us.long_date(day) == "Thursday, May 14, 2026"
    assert ar.long_date(day) == "الخميس، 14 مايو 2026"
    assert (uk.clock(moment, KYIV), en.clock(moment, KYIV)) == ("23:02", "11:02 PM")
    assert (uk.clock(moment, KYIV, "12h"), en.clock(moment, KYIV, "24h")) == ("11:02\u202fпп", "23:02")
    assert uk.clock(moment, ZoneInfo("UTC")) == "20:02"


@pytest.mark.parametrize("count, expected", [
    (1, "усього 1 випуск"), (2, "усього 2 випуски"), (4, "усього 4 випуски"), (5, "усього 5 випусків"),
    (11, "усього 11 випусків"), (12, "усього 12 випусків"), (21, "усього 21 випуск"), (22, "усього 22 випуски"),
    (25, "усього 25 випусків"), (111, "усього 111 випусків"),
])
def test_ukrainian_plurals_have_three_forms_where_a_count_is_shown(tmp_path: Path, count: int, expected: str) -> None:
    settings = sample_config()
    settings.newsletter.lang = "uk"
    settings.archive = ArchiveConfig(dir=str(tmp_path), base_url="https://example.com/uk/", per_page=1000)
    pages = [public_page(edition(), settings)] * count
    index = dict(site_files(settings, pages))["index.html"].decode()
    assert f'<p class="count">{expected}</p>' in index


@pytest.mark.parametrize("tag, count, expected", [
    ("en", 1, "1 edition so far"), ("en", 2, "2 editions so far"),
    ("he", 1, "גיליון אחד עד כה"), ("he", 2, "שני גיליונות עד כה"), ("he", 7, "7 גיליונות עד כה"),
    ("ar", 0, "لا أعداد حتى الآن"), ("ar", 2, "عددان حتى الآن"), ("ar", 5, "5 أعداد حتى الآن"), ("ar", 11, "11 عددًا حتى الآن"),
    ("ar", 100, "100 عدد حتى الآن"),
])
def test_plural_forms_follow_each_languages_rule(tag: str, count: int, expected: str) -> None:
    words = i18n.language(tag)
    assert words.ngettext("%(num)d edition so far", "%(num)d editions so far", count) % {"num": count} == expected


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_a_shipped_catalogue_is_whole_and_its_mo_is_compiled_from_it(po: Path) -> None:
    """Every message the code and templates hold is translated, none fuzzy, placeholders kept, and
    the shipped .mo is byte for byte what the .po compiles to (so `pip install .` ships what was reviewed)."""
    with open(LOCALES / "digest.pot", "rb") as file:
        template = {message.id for message in read_po(file) if message.id}
    with open(po, "rb") as file:
        catalogue = read_po(file)
    messages = [message for message in catalogue if message.id]
    assert {message.id for message in messages} == template, "run pybabel update (README, Languages)"
    missing = [message.id for message in messages
               if not all(message.string if isinstance(message.string, tuple) else (message.string,))]
    assert not missing, f"untranslated: {missing}"
    assert not [message.id for message in messages if message.fuzzy], "fuzzy entries: review them and drop the fuzzy flag"
    assert not [(message.id, errors) for message, errors in catalogue.check()]
    assert all(len(message.string) == catalogue.num_plurals for message in messages if isinstance(message.id, tuple))
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run pybabel compile (README, Languages)"


@pytest.mark.slow
def test_the_template_holds_every_string_the_code_and_templates_use(tmp_path: Path) -> None:
    """A string added to a template but not extracted would be English in every edition, silently."""
    extracted = tmp_path / "digest.pot"
    subprocess.run([sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract", "-F", "pyproject.toml",
                    "-k", "N_", "-o", str(extracted), "."], cwd=ROOT, check=True, capture_output=True)
    with open(extracted, "rb") as file:
        fresh = {message.id for message in read_po(file) if message.id}
    with open(LOCALES / "digest.pot", "rb") as file:
        shipped = {message.id for message in read_po(file) if message.id}
    assert fresh == shipped, "run pybabel extract and update (README, Languages)"


def test_a_missing_string_falls_back_to_english_and_says_so_once(tmp_path: Path, monkeypatch, caplog) -> None:
    with open(LOCALES / "uk" / "LC_MESSAGES" / "digest.po", "rb") as file:
        catalogue = read_po(file)
    del catalogue["View this email in your browser"]
    folder = tmp_path / "uk" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "digest.mo", "wb") as file:
        write_mo(file, catalogue)
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    words = i18n.Language("uk")
    with caplog.at_level("WARNING", logger="digest.i18n"):
        assert words.gettext("View this email in your browser") == "View this email in your browser"
        assert words.gettext("View this email in your browser") == "View this email in your browser"
        assert words.gettext("Top story") == "Головне"
    said = [record.getMessage() for record in caplog.records]
    assert said == ["lang: the 'uk' catalogue has no translation of 'View this email in your browser'; it is written in English"]


def test_a_language_without_a_catalogue_writes_english_words_with_its_own_dates(caplog) -> None:
    settings = sample_config()
    settings.newsletter.lang = "de"
    with caplog.at_level("WARNING", logger="digest.i18n"):
        text = render.render(edition(), settings, "text").decode()
    assert "Donnerstag, 14. Mai 2026" in text and "TOP STORY" in text
    assert any("no catalogue for 'de'" in record.getMessage() for record in caplog.records)


def test_the_ukrainian_archive_pages_read_ukrainian(tmp_path: Path) -> None:
    settings = load_config(ROOT / "sample" / "uk" / "config.yaml")
    settings.archive = ArchiveConfig(dir=str(tmp_path), base_url="https://example.com/uk/", per_page=1)
    day = dataclasses.replace(edition(), title=settings.newsletter.title)
    day = render.fit(day, settings).edition
    first = public_page(day, settings)
    pages = [first, dataclasses.replace(first, date=date(2026, 5, 15))]
    files = {name: data.decode() for name, data in site_files(settings, pages)}
    index, page, feed = files["index.html"], files["2026/05/14/index.html"], files["feed.xml"]
    assert "Усі випуски: сторінка 1 з 2" in index and "Сторінка 1 з 2" in index and "Старіші" in index and "стрічка Atom" in index
    assert "пʼятниця, 15 травня 2026\u202fр." in index and "усього 2 випуски" in index
    assert "Усі випуски" in page and "15 травня 2026\u202fр." in page and "Ви читаєте вебверсію розсилки «Меридіан щодня»." in page
    assert 'xml:lang="uk"' in feed
    given = words(json.dumps([page.__dict__ for page in pages], default=str, ensure_ascii=False))
    for name, html in (("index", index), ("page", page)):
        assert not words(visible_text(html)) - given - {"atom"}, name  # Atom is the feed format's name


@pytest.mark.slow
def test_the_installed_package_holds_every_module_template_and_compiled_catalogue(tmp_path: Path) -> None:
    """What `pip install .` installs from a clean checkout: every module of digest/ (a package left out
    of pyproject.toml's list installs a digest that cannot start), every template, every .mo."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to make a clean clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, capture_output=True)
    shutil.rmtree(clone / "digest" / "locales")
    shutil.copytree(LOCALES, clone / "digest" / "locales")  # the working tree's catalogues, committed or not
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(clone)],
                            capture_output=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode()
    names = zipfile.ZipFile(next(tmp_path.glob("digest-*.whl"))).namelist()
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "digest").rglob("*.py")}
    assert modules - set(names) == set()
    templates = {f"digest/templates/{path.name}" for path in (ROOT / "templates").glob("*.j2")}
    assert templates - set(names) == set()
    for po in CATALOGUES:
        lang = po.parent.parent.name
        assert f"digest/locales/{lang}/LC_MESSAGES/digest.mo" in names, lang
