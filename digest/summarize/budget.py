"""A blurb's word budget: whole sentences while they fit, then shortened as an editor would, cut last.

A blurb reads like a digest's (a bold headline and a couple of short sentences), so the edition
gives each kind of story a word budget. Sentences are kept whole while they fit. One that does not
is first compressed (`compress`: parentheses, "including ..." asides, an attribution's time and
place, appositives after names, a quotation's second sentence); a later sentence that still does
not fit is left out. The first sentence carries the news, so it is never left out: when compressing
is not enough it is cut at a clause boundary (before "which", "while", "after", a semicolon or a
dash: never between a verb and what it governs, never inside a list or a quotation, so a quotation
keeps its attribution; a reported fact may lose its closing ", the ministry said") and ends
with a full stop; failing that, before an adverbial clause without a comma ("after", "while").
A lead with no such boundary within the budget is shown whole if it is at most 1.5 budgets long
(one whole sentence a little long reads better than a cut one). Only a longer one is cut between
words with an ellipsis, at a comma where one is near; a quotation it opens is closed after the
ellipsis. A word is never cut.
"""
from __future__ import annotations

import re

from digest.summarize.compress import forms
from digest.text.wordlists import BARE_CLAUSE_OPENERS, CLAUSE_OPENERS, COORDINATORS, SPEECH_VERBS, table_pattern, word_pattern

__all__ = ["fit_words"]

ELLIPSIS = "…"
LEAD_OVERFLOW = 1.5  # a lone lead with no clause end in the budget is shown whole up to this many budgets
LIST_ITEM_WORDS = 6  # a part between commas this short may be a list's item, so ", and" after it is no clause's end
MIN_CLAUSE_SHARE = 0.5  # a cut keeps at least half the budget, else the cut falls between words
_CLAUSE_END = re.compile(r"[,;:.!?][”\"’»]?\s(?![\d(]|(?:and|or|as well as)\b)|\s[—–-]\s")  # not inside a list
_BREAK = re.compile(r";\s|\s[—–]\s|\s:\s")  # a semicolon, a dash or a spaced colon (French) ends a clause
# A quotation and its attribution after it: '"...," the minister said.' (the attribution at most 120 characters).
_QUOTE_THEN_SPEAKER = re.compile(r"^([“\"«„])([^“”\"«»„]+?)([,.!?…]?)([”\"»“])(\s*,?\s*[^“”\"«»„]{3,120})$")
_QUOTES = (('"', '"'), ("“", "”"), ("«", "»"))


def fit_words(sentences: list[str], words: int, lang: str = "en") -> list[str]:
    """`sentences` within `words` words (0 means no budget)."""
    if words <= 0:
        return list(sentences)
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        room = words - used
        fitted, shortest = (sentence, sentence) if len(sentence.split()) <= room else _compressed(sentence, room, lang)
        if fitted is None and not kept:  # the lead is cut, never left out
            return [_clause_cut(shortest, room, lang) or _overflowed(shortest, room) or _quote_cut(shortest, room)
                    or _cut(shortest, room)]
        if fitted is None:
            break
        kept.append(fitted)
        used += len(fitted.split())
    return kept


def _overflowed(sentence: str, words: int) -> str | None:
    """The lead whole when it is at most `LEAD_OVERFLOW` budgets long: an editor would rather run one
    whole sentence a little long than cut it between words."""
    return sentence if len(sentence.split()) <= int(words * LEAD_OVERFLOW) else None


def _compressed(sentence: str, room: int, lang: str) -> tuple[str | None, str]:
    """The sentence's first compressed form within `room` words (or None), and its shortest form."""
    shortest = sentence
    for form in forms(sentence, lang):
        if len(form.split()) <= room:
            return form, form
        shortest = form
    return None, shortest


@word_pattern
def _clause_opening(lang: str) -> re.Pattern[str] | None:
    """A comma before a word that opens a clause ("which", "while", "after")."""
    return table_pattern(CLAUSE_OPENERS, lang, lambda openers: rf",\s+(?={openers}\b)")


@word_pattern
def _coordination(lang: str) -> re.Pattern[str] | None:
    """A comma before "and" after a long part: a clause's end, not a list's."""
    return table_pattern(COORDINATORS, lang, lambda words: rf",\s+(?={words}\s)")


@word_pattern
def _bare_clause_opening(lang: str) -> re.Pattern[str] | None:
    """A space before a word that opens an adverbial clause without a comma ("after", "while")."""
    return table_pattern(BARE_CLAUSE_OPENERS, lang, lambda openers: rf"\s(?={openers}\b)")


@word_pattern
def _reported_tail(lang: str) -> re.Pattern[str] | None:
    """The comma before a closing attribution of a reported fact: ", the headquarters reported."."""
    return table_pattern(
        SPEECH_VERBS, lang, lambda verbs: rf",\s+(?=[^,;\"“”«»]{{1,100}}\b{verbs}\b[^,;\"“”«»]{{0,60}}[.!?…]\s*$)"
    )


def _after_a_long_part(text: str, at: int) -> bool:
    """Whether the part of `text` before `at`, back to the comma, semicolon or colon before it, is long."""
    part = re.split(r"[,;:]", text[max(0, at - 400) : at])[-1]
    return len(part.split()) > LIST_ITEM_WORDS


def _outside_quotes(text: str) -> bool:
    """Whether `text` (a sentence's start) leaves no quotation or parenthesis open."""
    return (text.count('"') % 2 == 0 and text.count("“") <= text.count("”") and text.count("«") <= text.count("»")
            and text.count("(") <= text.count(")"))


def _clause_cut(sentence: str, words: int, lang: str) -> str | None:
    """The sentence's longest head within `words` words that ends where a clause ends, with a full
    stop; None when there is none of at least half the budget."""
    spans = list(re.finditer(r"\S+", sentence[: 20 * (words + 1)]))
    limit = spans[words].start() if len(spans) > words else len(sentence)  # no use after the budget's last word
    window = sentence[: limit + 60]  # the words just after a boundary tell whether a clause opens there

    def before_limit(pattern: re.Pattern[str] | None, text: str = window) -> list[int]:
        return [m.start() for m in pattern.finditer(text) if m.start() < limit] if pattern is not None else []

    starts = before_limit(_BREAK) + before_limit(_clause_opening(lang))
    starts += [start for start in before_limit(_coordination(lang)) if _after_a_long_part(window, start)]
    if not re.search("[\"“”«»]", sentence):  # a fact may lose its source ("..., the ministry said."); a quotation may not
        starts += before_limit(_reported_tail(lang), sentence)
    minimum = max(1, int(words * MIN_CLAUSE_SHARE))
    bare = _bare_clause_opening(lang)
    for boundaries in (starts, before_limit(bare)):
        for start in sorted(boundaries, reverse=True):  # the longest head that fits
            head = sentence[:start].rstrip(" ,;:—–-")
            if minimum <= len(head.split()) <= words and _outside_quotes(head):
                return head + ("" if head.endswith((".", "!", "?")) else ".")
    return None


def _quote_cut(sentence: str, words: int) -> str | None:
    """A quotation elided inside its marks, its attribution kept: '"We have been preparing …," she said.'"""
    found = _QUOTE_THEN_SPEAKER.match(sentence)
    if found is None:
        return None
    opening, quoted, comma, closing, speaker = found.groups()
    room = words - len(speaker.split())
    if room < max(1, int(words * MIN_CLAUSE_SHARE)):
        return None
    inner = _cut(quoted, room).rstrip(ELLIPSIS).rstrip(" ,;:") + ELLIPSIS
    return f"{opening}{inner}{',' if comma == ',' else ''}{closing}{speaker}"


def _cut(sentence: str, words: int) -> str:
    """The sentence's first `words` words at most, ended at a clause boundary where there is one."""
    spans = list(re.finditer(r"\S+", sentence))
    head = sentence[: spans[words - 1].end()] if words <= len(spans) else sentence
    minimum = len(" ".join(sentence.split()[: max(1, int(words * MIN_CLAUSE_SHARE))]))
    clauses = [m.start() for m in _CLAUSE_END.finditer(sentence, 0, len(head) + 1) if m.start() >= minimum]
    end = clauses[-1] if clauses else len(head)
    cut = head[:end].rstrip(" ,;:.!?—–-") + ELLIPSIS
    for opening, closing in _QUOTES:  # a quotation opened in the blurb is closed in it
        opened = cut.count(opening) % 2 if opening == closing else cut.count(opening) - cut.count(closing)
        cut += closing * max(opened, 0)
    return cut
