"""Offline sentence splitting and word tokenising for English, Ukrainian and a fallback.

sumy's own `Tokenizer` needs NLTK's punkt data, which a fresh machine lacks, and its Ukrainian
splitter cuts at every full stop and closing guillemet. The rules here need no data files:
a full stop, "?", "!" or an ellipsis ends a sentence when the next word starts like a sentence,
unless the word before the stop is an abbreviation that usually precedes a name or a number
("Mr.", "Jan. 20", "вул."), an initial ("George W. Bush"), or a dotted acronym that is followed
by a name rather than by a sentence opener ("U.S. President" vs. "the U.S. The").
Caseless scripts (Chinese, Japanese) end sentences at 。！？ without a following space; Indic scripts
at the danda "।". Where ordinals take a full stop (German "am 3. März"), a small number's full stop
ends a sentence only before a sentence opener.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from digest.i18n import MAX_TAG, language_tag

__all__ = [
    "SentenceTokenizer",
    "language_name",
    "missing_stemmer",
    "split_sentences",
    "stemmer_for",
    "stop_words_for",
    "tokenize_words",
]

# Abbreviations after which a full stop never ends a sentence: titles before names, months and
# "No." before numbers, Latin abbreviations inside a sentence. Lower case, without the final dot.
_NEVER_BREAK = {
    "english": frozenset(
        """mr mrs ms messrs dr prof gen lt col maj capt sgt cpl adm cmdr rev hon sen rep gov pres
        supt insp det fr st mt ft jan feb mar apr jun jul aug sep sept oct nov dec no nos
        vs v cf e.g i.e viz approx fig figs vol pp p ch art sec dept est op""".split()
    ),
    "ukrainian": frozenset(
        """ім вул просп бул пров пл м с смт див напр проф акад доц ген п т.зв т тов пор бл
        вид журн зб гол заст ред англ укр рос""".split()
    ),
}
# Abbreviations that often end a sentence too: a break only when a sentence opener follows.
_AMBIGUOUS = {
    "english": frozenset("inc ltd co corp plc bros jr etc al a.m p.m".split()),
    "ukrainian": frozenset(),
}
# Languages that write ordinal numbers with a full stop ("am 3. März", "20. století"): there a
# small number before a full stop ends a sentence only when a sentence opener follows.
_ORDINAL_DOT = frozenset(
    """german danish norwegian finnish czech slovak polish hungarian icelandic estonian latvian
    slovenian croatian serbian bosnian turkish""".split()
)
_ORDINAL = re.compile(r"^\d{1,3}$")
# Capitalised words that open sentences, beyond the language's stop words.
_OPENERS = frozenset(
    """the a an he she it they we i you his her its their our this that these those there here
    but and or so yet if when while after before as at in on for with from by to of meanwhile
    however earlier later last next some many most all both one two three mr mrs ms dr""".split()
)

_TERMINAL = ".!?…।॥"  # the danda and double danda end sentences in Bengali, Hindi and other Indic scripts
_CLOSERS = "\"'”’»)]"
_OPENING = "\"'“‘«(["
_CJK_END = "。！？"
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then spaces. Only
# from the start of a run of stops: tried from each of its stops, a long run would cost its square.
_CANDIDATE = re.compile(
    rf"(?<![{re.escape(_TERMINAL)}])([{re.escape(_TERMINAL)}]+)([{re.escape(_CLOSERS)}]*)(\s+)"
    rf"|(?<![{_CJK_END}])([{_CJK_END}]+)([{re.escape(_CLOSERS)}」』]*)(\s*)"
)
_CONTEXT = 64  # characters on either side of a boundary that decide it (the word before, the one after)
_WORD = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_LETTERS_ONLY = re.compile(r"^[^\W\d_]+(?:['\-][^\W\d_]+)*$", re.UNICODE)
_DOTTED_ACRONYM = re.compile(r"^(?:[^\W\d_]\.){2,}$", re.UNICODE)
_INITIAL = re.compile(r"^[^\W\d_]\.$", re.UNICODE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_ACRONYM_IN_TEXT = re.compile(r"\b(?:[^\W\d_]\.){2,}", re.UNICODE)


def language_name(lang: str) -> str:
    """sumy's language name ("english", "ukrainian") for an ISO code or a name; "" for anything else,
    which must never become part of the file name sumy reads its stop words from."""
    text = lang.strip() or "en"
    name = text.isascii() and text.isalpha() and len(text) <= MAX_TAG
    return _language_name(text.lower()) if name or language_tag(text) else ""


# sumy is imported inside the three functions below, when a text is first summarized: its stemmers
# load NLTK, which a build that summarizes nothing (a rebuild from the cache) need not wait for.


class _OnFirstUse(types.ModuleType):
    """A module imported for real only when one of its names is first asked for: until then `import`
    finds this stand-in, which has nothing in it."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _requests_on_first_use() -> None:
    """sumy.utils, which every summary needs, imports requests for a `fetch_url` digest never calls:
    urllib3, chardet and the rest, 0.05 s or more of every command that summarizes. So requests waits
    for its first use, if any (whoever asks for a name of it then gets the real module)."""
    if "requests" not in sys.modules and importlib.util.find_spec("requests") is not None:
        sys.modules["requests"] = _OnFirstUse("requests")


_requests_on_first_use()

# The ISO 639-1 and 639-3 codes of the languages sumy or digest has words, stop words or a stemmer
# for, with the name `_iso_name` gives them (a test holds the two to each other). Looking a code up
# in pycountry loads its whole table of languages, a tenth of a second of a cold build.
_KNOWN_CODES = {
    code: name
    for name, codes in (
        ("arabic", "ar ara"), ("bosnian", "bs bos"), ("chinese", "zh zho"), ("croatian", "hr hrv"), ("czech", "cs ces"),
        ("danish", "da dan"), ("dutch", "nl nld"), ("english", "en eng"), ("estonian", "et est"), ("finnish", "fi fin"),
        ("french", "fr fra"), ("german", "de deu"), ("greek", "el ell"), ("hebrew", "he heb"), ("hungarian", "hu hun"),
        ("icelandic", "is isl"), ("italian", "it ita"), ("japanese", "ja jpn"), ("korean", "ko kor"), ("latvian", "lv lav"),
        ("norwegian", "no nor"), ("polish", "pl pol"), ("portuguese", "pt por"), ("romanian", "ro ron"), ("russian", "ru rus"),
        ("serbian", "sr srp"), ("slovak", "sk slk"), ("slovenian", "sl slv"), ("spanish", "es spa"), ("swedish", "sv swe"),
        ("thai", "th tha"), ("turkish", "tr tur"), ("ukrainian", "uk ukr"),
    )
    for code in codes.split()
}


@lru_cache(maxsize=64)
def _language_name(lang: str) -> str:
    """sumy's rule (`sumy.utils.normalize_language`: an ISO 639 code becomes its English name): from
    _KNOWN_CODES, else from pycountry for any other code; anything longer than a code is no code."""
    if lang in _KNOWN_CODES:
        return _KNOWN_CODES[lang]
    return _iso_name(lang) if len(lang) in (2, 3) else _plain_name(lang)


def _iso_name(lang: str) -> str:
    """sumy's rule read from pycountry directly: sumy.utils imports requests, a quarter of a second
    for a rebuild to wait."""
    import pycountry

    name = lang
    for code in ("alpha_2", "alpha_3"):
        try:
            found = pycountry.languages.get(**{code: name})
        except KeyError:
            found = None
        if found:
            name = found.name.lower()
    return _plain_name(name)


def _plain_name(name: str) -> str:
    """ISO's name can carry a period or a qualifier sumy's lists lack: "modern greek (1453-)" is "greek"."""
    return re.sub(r"^modern\s+|\s*\(.*\)$", "", name.lower())


@lru_cache(maxsize=64)
def stop_words_for(lang: str) -> frozenset[str]:
    """sumy's stop words for the language, lower case; empty when sumy has none. Read from sumy's own
    files as `sumy.utils.get_stop_words` reads them, without importing sumy.utils (see above)."""
    name = language_name(lang)
    try:
        data = pkgutil.get_data("sumy", f"data/stopwords/{name}.txt") if name else None
    except OSError:
        data = None
    return frozenset(word.rstrip().lower() for word in data.decode("utf-8").splitlines() if word) if data else frozenset()


@lru_cache(maxsize=64)
def stemmer_for(lang: str) -> Callable[[str], str]:
    """sumy's stemmer for the language (pure Python, no data files), or a lower-casing one when
    there is none (see `missing_stemmer`); memoised, since news repeats its words and stemming is
    most of a summary's cost."""
    from sumy.nlp.stemmers import null_stemmer

    stemmer, _ = _stemmer(lang)
    return lru_cache(maxsize=200_000)(stemmer or null_stemmer)


def missing_stemmer(lang: str) -> str | None:
    """Why the language is summarized without stemming (sumy has no stemmer for it, or its stemmer
    needs a package that is not installed, as Polish's needs pystempel), or None."""
    return _stemmer(lang)[1]


@lru_cache(maxsize=64)
def _stemmer(lang: str) -> tuple[Callable[[str], str] | None, str | None]:
    """The stemmer sumy's `Stemmer` would use for the language (its own for a few, else NLTK's
    Snowball one), taken without `Stemmer`, whose `normalize_language` would load pycountry's table
    of languages (see _KNOWN_CODES) to name a language already named; or why there is none."""
    import nltk.stem.snowball
    from sumy.nlp.stemmers import Stemmer

    name = language_name(lang)
    try:
        if not name:
            raise LookupError(f"'{lang}' is not a language sumy knows")
        stemmer: Callable[[str], str] | None = Stemmer.SPECIAL_STEMMERS.get(name)
        if stemmer is None:
            snowball = getattr(nltk.stem.snowball, f"{name.capitalize()}Stemmer", None)
            if snowball is None:
                raise LookupError(f"Stemmer is not available for language {name}.")  # sumy's words
            stemmer = snowball().stem
        stemmer("words")  # some stemmers load their package only when first called
    except (LookupError, ValueError, ImportError) as exc:
        return None, str(exc).split(". ")[0].rstrip(".")
    return stemmer, None


def _starts_sentence(rest: str) -> bool:
    """Whether the text after a boundary starts like a new sentence."""
    stripped = rest.lstrip(_OPENING + "—–- ")
    if not stripped:
        return False
    first = stripped[0]
    return first.isupper() or first.isdigit() or not first.islower() and first.isalpha()


def _next_word(rest: str) -> str:
    match = _WORD.search(rest[:40])
    return match.group(0) if match else ""


@dataclass(frozen=True)
class _Rules:
    """The language's abbreviations and sentence openers, for the boundary decision."""

    never: frozenset[str]
    ambiguous: frozenset[str]
    openers: frozenset[str] = field(default_factory=frozenset)
    ordinal_dot: bool = False


@lru_cache(maxsize=64)
def _rules(lang: str) -> _Rules:
    name = language_name(lang)
    return _Rules(
        never=_NEVER_BREAK.get(name, frozenset()),
        ambiguous=_AMBIGUOUS.get(name, frozenset()),
        openers=_OPENERS | stop_words_for(lang),
        ordinal_dot=name in _ORDINAL_DOT,
    )


def _is_boundary(before: str, stops: str, rest: str, rules: _Rules) -> bool:
    """Decide one candidate boundary: `before` ends with the text up to the stops, `rest` starts with
    what follows (_CONTEXT characters of each are enough)."""
    if not _starts_sentence(rest):
        # "?" or "!" before a lower-case word ("Yahoo! shares") or a closing text: no break.
        return False
    if stops != ".":
        return True  # "?", "!", "...", "…" before a capital
    words = before.split()
    token = words[-1].lstrip(_OPENING) if words and not before[-1:].isspace() else ""
    word = token.lower()
    if word in rules.never and not (len(token) > 1 and token.isupper()):
        return False  # "Gen. Smith" and "Jan. 20", but "the SEC." is an acronym ending a sentence
    if _INITIAL.match(token + ".") and token[:1].isupper():
        return False  # an initial: "George W. Bush", "В. Зеленський"
    if word in rules.ambiguous or _DOTTED_ACRONYM.match(token + ".") or rules.ordinal_dot and _ORDINAL.match(token):
        return _next_word(rest).lower() in rules.openers
    return True


def _split_paragraph(paragraph: str, rules: _Rules) -> list[str]:
    """Split one paragraph (no line breaks) into sentences."""
    sentences: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(paragraph):
        # 。！？ always end a sentence; other stops need a look at the words around them.
        is_break = match.group(4) is not None or _is_boundary(
            paragraph[max(start, match.start() - _CONTEXT) : match.start()], match.group(1),
            paragraph[match.end() : match.end() + _CONTEXT], rules,
        )
        if is_break:
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _lines_to_blocks(text: str) -> list[str]:
    """Blocks of text without line breaks: a paragraph break always separates sentences, and so
    does a single line break, unless it looks like a hard wrap (no end punctuation before it and a
    lower-case letter after it)."""
    blocks: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        current: list[str] = []  # the lines of one block, joined once (adding to a string copies it)
        for line in paragraph.splitlines():
            line = _SPACES.sub(" ", line).strip()
            if not line:
                continue
            if current and not current[-1].endswith(tuple(_TERMINAL + _CJK_END)) and line[0].islower():
                current.append(line)
            else:
                if current:
                    blocks.append(" ".join(current))
                current = [line]
        if current:
            blocks.append(" ".join(current))
    return blocks


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Split text into sentences offline; paragraph breaks are sentence breaks."""
    if not text or not text.strip():
        return []
    rules = _rules(lang)
    return [s for block in _lines_to_blocks(text) for s in _split_paragraph(block, rules) if s]


def tokenize_words(sentence: str, lang: str = "en") -> list[str]:
    """The words of a sentence: letters with inner apostrophes or hyphens, no numbers or
    punctuation; "U.S." is one word "US", a possessive "'s" is dropped, and caseless CJK text
    gives one token per character."""
    words: list[str] = []
    sentence = _ACRONYM_IN_TEXT.sub(lambda m: m.group(0).replace(".", ""), sentence)
    for token in _WORD.findall(sentence.replace("’", "'")):
        if _CJK_CHAR.search(token):
            words.extend(ch for ch in token if _CJK_CHAR.match(ch))
            continue
        if token.lower().endswith("'s"):
            token = token[:-2]
        if _LETTERS_ONLY.match(token):
            words.append(token)
    return words


class SentenceTokenizer:
    """A drop-in for sumy's `Tokenizer` that needs no NLTK data."""

    def __init__(self, language: str = "en") -> None:
        self._lang = language
        self._language = language_name(language)

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph, self._lang))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(tokenize_words(sentence, self._lang))
