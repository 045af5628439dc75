"""Shorter forms of one sentence, made the way an editor shortens a line before cutting it.

Each step removes what a reader does not miss, and each keeps the sentence whole and its point in
it: a parenthesis ("(ICC)"), an "including ..." aside, the time and place of an attribution
("said at a press conference in Luxembourg on June 25" -> "said"), an appositive after a person's
name ("Sergei Shoigu, now secretary of Russia's Security Council, and ..."), and a second sentence
inside a quotation. `forms` gives the sentence after each step that changed it, shortest last; the
word budget takes the first that fits (`budget`), and cuts only when none does.

The steps that read words are made per language from `digest.text.wordlists` and are off for a
language without the words; parentheses and quotations are shortened in every language.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from digest.text.sentences import stop_words_for
from digest.text.wordlists import (
    APPOSITIVE_OPENERS,
    ASIDE_OPENERS,
    PLACE_TIME_OPENERS,
    SPEECH_VERBS,
    TAIL_STOPPERS,
    alternation,
    table_pattern,
    word_pattern,
    words_for,
)

__all__ = ["forms"]

UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐΑ-Ω"
_NOT_INSIDE = "^,;:!?\"“”«»„()\\[\\]"  # an aside stops at the next comma, quotation or bracket
_TOKEN = r"[^\s,;:!?\"“”«»„()]*[^\s,;:!?\"“”«»„().]"  # a word of the tail, its sentence's full stop left out
_END = r"(?=\s*[.!?…][\"”»’]?\s*$)"  # the sentence's end

# "(ICC)", "(with Belousov)": a parenthesis after a word, not one that holds a quotation.
_PARENTHESIS = re.compile(r"(?<!\s)\s+[(\[][^()\[\]\"“”«»]{1,80}[)\]](?=[\s,.;:!?…])")
# '"A. B," X said.' -> '"A," X said.': a quotation's first sentence stands for it.
_QUOTE_TWO = re.compile(
    rf"([“\"«„])([^“”\"«»„]*?[^\s.!?…])[.!?…]\s+(?=[\"'‘]?[{UPPER}])[^“”\"«»„]*?([,.!?…]?)([”\"»“])"
)


@word_pattern
def _aside(lang: str) -> re.Pattern[str] | None:
    """", including those who ...," up to the next comma or the sentence's end."""
    return table_pattern(ASIDE_OPENERS, lang, lambda openers: rf",\s+{openers}\b[{_NOT_INSIDE}]{{1,160}}?(?=\s*[,;]|{_END})")


@word_pattern
def _attribution_tail(lang: str) -> re.Pattern[str] | None:
    """An attribution's time and place at the sentence's end: "said at a briefing in Kyiv on June 25"."""
    verbs, openers = alternation(words_for(SPEECH_VERBS, lang)), alternation(words_for(PLACE_TIME_OPENERS, lang))
    if verbs is None or openers is None:
        return None
    stoppers = alternation(words_for(TAIL_STOPPERS, lang))
    word = rf"(?!{stoppers}\b){_TOKEN}" if stoppers else _TOKEN
    # the verb and perhaps who was told ("told residents"), then where and when: "at a meeting on Monday"
    return re.compile(rf"(?<=\s)({verbs}(?:\s+(?!{openers}\b){word})?)\s+{openers}\b(?:\s+{word}){{0,10}}{_END}", re.I)


@word_pattern
def _appositive(lang: str) -> re.Pattern[str] | None:
    """A person's name (two capitalised words or more), then who the person is between commas."""
    name = rf"(?-i:[{UPPER}][\w'’.-]*(?:\s[{UPPER}][\w'’.-]*){{1,3}})"  # bounded: a run of capitals is tried in linear time
    return table_pattern(
        APPOSITIVE_OPENERS, lang,
        lambda openers: rf"\b({name}),\s+({openers}\b[{_NOT_INSIDE}]{{0,100}}?),(?=\s)(?=([^,;:.!?]{{0,60}}))",
    )


@word_pattern
def _speech(lang: str) -> re.Pattern[str] | None:
    return table_pattern(SPEECH_VERBS, lang, lambda verbs: rf"\b{verbs}\b")


def _drop_appositives(sentence: str, lang: str) -> str:
    """Appositives removed, except where the commas are not an appositive's: after an opening
    phrase ("In Kyiv Oblast, the governor ..."), or around an attribution (", officials said")."""
    pattern, speech, stop_words = _appositive(lang), _speech(lang), stop_words_for(lang)
    if pattern is None:
        return sentence

    def drop(match: re.Match[str]) -> str:
        name, aside, after = match.group(1), match.group(2), match.group(3)
        if name.split()[0].lower() in stop_words or speech is not None and (speech.search(aside) or speech.search(after)):
            return match.group(0)
        return name

    return pattern.sub(drop, sentence)


def _step(pattern: Callable[[str], re.Pattern[str] | None], replacement: str) -> Callable[[str, str], str]:
    def run(sentence: str, lang: str) -> str:
        compiled = pattern(lang)
        return compiled.sub(replacement, sentence) if compiled is not None else sentence

    return run


_STEPS: tuple[Callable[[str, str], str], ...] = (
    lambda sentence, _lang: _PARENTHESIS.sub("", sentence),
    _step(_aside, ""),
    _step(_attribution_tail, r"\1"),
    _drop_appositives,
    lambda sentence, _lang: _QUOTE_TWO.sub(r"\1\2\3\4", sentence, count=1),
)


def forms(sentence: str, lang: str) -> Iterator[str]:
    """The sentence after each compressing step that changed it, each shorter than the one before."""
    for step in _STEPS:
        shorter = " ".join(step(sentence, lang).split())
        if shorter != sentence and len(shorter.split()) < len(sentence.split()):
            sentence = shorter
            yield sentence
