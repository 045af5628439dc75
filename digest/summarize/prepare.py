"""A text made ready to summarize: clean sentences that could each stand alone in a blurb.

`prepare` cleans the text (bylines, captions, prompts), splits it into sentences with the project's
own offline splitter, and sets aside sentences that make poor blurbs: fragments, lists of names,
sentences over 60 words (the first may have 150: it carries the news, and the word budget
compresses it), the headline repeated, photo captions (also those run into the next sentence
without a full stop, as scraped Daily Mail pages have them, and those ending "| Getty Images"),
page furniture (cookie notices, share buttons, paywall lines), a lead-in ending on a colon whose
list, link or quotation follows, and a sentence ending ", he added." whose sentence before it went.
A list item's marker ("- ", "* ", "• ") is dropped. The work on one text is bounded (TEXT_BUDGET,
MAX_SENTENCES).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from digest.text.clean import clean_for_summary, has_credit, is_furniture
from digest.text.sentences import language_name, split_sentences
from digest.text.wordlists import PRONOUN_ATTRIBUTIONS, alternation, table_pattern, word_pattern, words_for

__all__ = ["Prepared", "leans_on_context", "normalise", "prepare", "word_count"]

MAX_WORDS = 60  # a longer sentence is a paragraph, not a blurb line...
MAX_LEAD_WORDS = 150  # ...but the first one carries the news: the word budget compresses it instead
MIN_WORDS = 4  # fewer words is a fragment ("Read the full story.")
MIN_WORDS_UNPUNCTUATED = 10  # a short line without end punctuation is a heading or a label
LIST_PART_MAX_WORDS = 6  # a list's items are names or short phrases

# The work on one text is bounded, so an item of 8,000 sentences (or the 5 MB a fetch may bring)
# costs what a long article does: the summarizer reads at most TEXT_BUDGET characters (the lead,
# then evenly spread stretches of the rest) and scores at most MAX_SENTENCES of its sentences (the
# first LEAD_SENTENCES, then an even sample), since scoring compares every sentence with every
# other. A news article, even a long read, is well under both, and is summarized as it always was.
TEXT_BUDGET = 100_000
TEXT_STRETCHES = 20  # the stretches of a text over budget: its lead and 19 more, evenly spread
MAX_SENTENCES = 200
LEAD_SENTENCES = 80

# Degenerate text: no sentence end in this many characters, or one word making up most of a long text.
RUN_ON_CHARACTERS = 3_000
REPEAT_MIN_WORDS = 500
REPEAT_SHARE = 0.5

_END_PUNCTUATION = tuple(".!?…。！？।\"'”’»)")
_LEAD_IN = (":", "：")  # "You can download it here:": it introduces what follows and means nothing without it
# A list item's marker as a page's list comes out in text ("- Fixed ...", "* Fixed ...", "• Fixed ...").
# Not an en or em dash: in Ukrainian and Russian those open direct speech.
_LIST_MARKER = re.compile(r"^[-*•·▪]\s+")
_SENTENCE_END = re.compile(r"[.!?…。！？।\n]")

# A caption names who is where in a photo: "(pictured)", "(left)", "(centre, in blue)", "(file photo)".
_CAPTION_MARK = re.compile(
    r"\((?:[^()]{0,30}\b)?(?:pictured|pictures?d?\s+\w+|left|right|centre|center|top|bottom|above|below|inset"
    r"|file\s+photo|на\s+фото|зліва|справа|на\s+фото\w*|слева|справа)\b[^()]{0,40}\)",
    re.I,
)

# Words that point back to something said before: pronouns, "this/these/such", connectives.
_LEANING = {
    "english": frozenset(
        """he she they it its his her their them him this these those such that but however also yet
        still instead nevertheless moreover furthermore besides then thus therefore meanwhile and so
        nor or otherwise likewise similarly there""".split()
    ),
    "ukrainian": frozenset(
        """він вона вони воно його її їх їхній це ці цей ця той та те такий така таке але проте однак
        також тому тоді зокрема водночас натомість крім""".split()
    ),
    "russian": frozenset(
        """он она они оно его ее её их это эти этот эта тот та то такой такая такое но однако также
        поэтому тогда причем причём кроме при""".split()
    ),
    "german": frozenset("er sie es ihr sein seine ihre dies diese dieser dieses aber doch jedoch auch".split()),
}
# "The move", "The decision": a definite noun phrase that names what the sentence before said.
_ANAPHORIC_NOUNS = frozenset(
    """move decision announcement statement comments comment remarks incident deal plan measure step
    attack report case development news claim claims call change changes findings idea proposal
    request offer agreement law bill rule ruling order visit trip meeting talks incident event
    situation problem issue result results outcome""".split()
)
# Besides those words, what opens the sentence after a run-in caption: an article or a preposition.
_CAPTION_FOLLOWERS = {
    "english": frozenset("the we you in on after when while as for with since despite during".split()),  # not "I": it is
    # capitalised inside a sentence too ("so I was careful")
    "ukrainian": frozenset("у в на після під за".split()),
    "russian": frozenset("в во на после под за".split()),
}
_DEFINITE = frozenset({"the", "this", "that", "these", "such"})


@dataclass(frozen=True)
class Prepared:
    """A text ready to summarize: its usable sentences in order, grouped by paragraph."""

    sentences: tuple[str, ...]
    paragraph_of: tuple[int, ...]  # paragraph number of each sentence
    title: str | None
    lang: str


def word_count(sentence: str) -> int:
    return len(sentence.split())


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _first_words(sentence: str, count: int) -> list[str]:
    return re.findall(r"[^\W\d_]+", sentence.lower())[:count]


def leans_on_context(sentence: str, lang: str, title: str | None = None) -> bool:
    """Whether a sentence reads as a continuation: it opens on a pronoun or a connective ("He
    added", "But"), ends on an attribution to a pronoun (", she said."), or opens on "The move"
    naming something said before. The headline counts as context:
    "The attack ..." under a headline about an attack stands alone."""
    if _ends_on_pronoun_attribution(sentence, lang):
        return True  # "..., he added.": the speaker is named in the sentence before
    words = _first_words(sentence.lstrip("\"'“‘«(["), 2)
    if not words:
        return False
    if words[0] in _LEANING.get(language_name(lang), frozenset()):
        return True
    if len(words) == 2 and words[0] in _DEFINITE and words[1] in _ANAPHORIC_NOUNS:
        return not (title and words[1][:5] in normalise(title))
    return False


@word_pattern
def _trailing_attribution(lang: str) -> re.Pattern[str] | None:
    """", he added." or ", she said." ending a sentence, perhaps with a short tail (", he said on
    Monday."; where the verb carries the person, the verb alone: ", añadió."); None for a language
    without the words."""
    return table_pattern(
        PRONOUN_ATTRIBUTIONS, lang, lambda verbs: rf"(?:[,\"”»’]|\s[—–-])\s*{verbs}\b[^.!?…\"“”«»]{{0,40}}[.!?…]?[\"”»’]?\s*$"
    )


ATTRIBUTION_TAIL = 100  # characters at a sentence's end that hold ", he told reporters on Monday."


@lru_cache(maxsize=64)
def _attribution_words(lang: str) -> tuple[str, ...]:
    """The longest word of each of the language's pronoun attributions ("added" of "he added"), to
    look for before trying the pattern."""
    return tuple({max(phrase.split(), key=len) for phrase in words_for(PRONOUN_ATTRIBUTIONS, lang)})


def _ends_on_pronoun_attribution(sentence: str, lang: str) -> bool:
    pattern, tail = _trailing_attribution(lang), sentence[-ATTRIBUTION_TAIL:]
    if pattern is None:
        return False
    lower = tail.lower()
    return any(word in lower for word in _attribution_words(lang)) and bool(pattern.search(tail))


def is_caption(sentence: str) -> bool:
    """A photo caption or credit left in the text: "(pictured)", "X (right) celebrates", "... | Getty Images"."""
    return bool(_CAPTION_MARK.search(sentence)) or has_credit(sentence)


def _is_list_of_names(sentence: str) -> bool:
    """Line-ups, credits and lists: nothing but short comma-separated parts, or nearly all
    capitalised words. A sentence with a list inside it ("India, along with China, Brazil and
    Russia, has been invited to ...") has a long part and is kept."""
    parts = [p.strip(" \"'“”") for p in re.split(r"(?<!\d)[,;]|[,;](?!\d)", sentence)]
    parts = [p for p in parts if p]
    if (
        len(parts) >= 4
        and max(word_count(p) for p in parts) <= LIST_PART_MAX_WORDS
        and sum(p[0].isupper() for p in parts) * 2 >= len(parts)
    ):
        return True
    words = re.findall(r"[^\W\d_][\w'’-]*", sentence)
    capitalised = sum(1 for w in words if w[0].isupper())
    return len(words) >= 6 and capitalised / len(words) >= 0.8


def _is_usable(sentence: str, title_key: str, lang: str, max_words: int = MAX_WORDS) -> bool:
    """Whether a sentence can stand alone as a line of a blurb."""
    words = word_count(sentence)
    if words < MIN_WORDS or words > max_words:
        return False
    if words < MIN_WORDS_UNPUNCTUATED and not sentence.endswith(_END_PUNCTUATION):
        return False
    if title_key and normalise(sentence) == title_key:
        return False  # the headline repeated at the top of the body
    if _splits_a_quote(sentence):
        return False  # one piece of a quotation that runs over several sentences reads as a fragment
    if sentence.endswith(_LEAD_IN):
        return False  # a lead-in to a list, a link or a quotation left out
    if is_caption(sentence) or is_furniture(sentence):
        return False
    return not _is_list_of_names(sentence)


def _quotations_whole(sentences: list[str]) -> list[str]:
    """Sentences, with a quotation that runs over several of them kept as one piece, so a blurb
    never opens a quote it does not close."""
    joined: list[str] = []
    for sentence in sentences:
        if joined and _splits_a_quote(joined[-1]):
            joined[-1] = f"{joined[-1]} {sentence}"
        else:
            joined.append(sentence)
    return joined


def _splits_a_quote(sentence: str) -> bool:
    """An opening or closing quotation mark whose partner is in another sentence."""
    straight = sentence.count('"') % 2 == 1
    curly = sentence.count("“") != sentence.count("”")
    guillemets = sentence.count("«") != sentence.count("»")
    return straight or curly or guillemets


@word_pattern
def _run_in_caption(lang: str) -> re.Pattern[str] | None:
    """A caption run into the next sentence with no full stop: "... on Friday ‘I’d be ..." or
    "... of the club He has ...": a lower-case word, then a quotation opening on a capital, or a
    capitalised pronoun, article or connective, words that take a capital only to open a sentence
    (also when they open a quotation)."""
    words = _LEANING.get(language_name(lang), frozenset()) | _CAPTION_FOLLOWERS.get(language_name(lang), frozenset())
    openers = alternation(w.capitalize() for w in words)
    if openers is None:
        return None  # a language without the words has no run-in captions to find: nothing is cut
    return re.compile(rf"(?<=[a-zа-яіїєґ0-9)]) (?=[‘“\"«]?{openers}\b[’']?\w* [a-zа-яіїєґ])")


def _without_run_in_captions(sentence: str, pattern: re.Pattern[str] | None) -> list[str]:
    """The sentence, or its pieces after a run-in caption, the caption itself dropped."""
    match = pattern.search(sentence) if pattern is not None else None
    if not match:
        return [sentence]
    return [piece for piece in [sentence[match.end() :].strip()] if piece]


def _usable(paragraphs: list[list[str]], title_key: str, title: str | None, lang: str) -> list[tuple[str, int]]:
    """The sentences that can stand as a blurb's line, with their paragraph numbers. The first one
    may be long (it carries the news; the budget compresses it); one that leans on the sentence
    before it ("..., he added.") goes when that sentence went, since it could only be shown with it."""
    usable: list[tuple[str, int]] = []
    previous = True  # whether the sentence before this one was kept (the first has none to lose)
    for number, sentences in enumerate(paragraphs):
        for sentence in sentences:
            kept = _is_usable(sentence, title_key, lang, MAX_WORDS if usable else MAX_LEAD_WORDS)
            if kept and not previous and leans_on_context(sentence, lang, title):
                kept = False
            if kept:
                usable.append((sentence, number))
            previous = kept
    return usable


def within_budget(text: str) -> str:
    """`text`, or for a text over TEXT_BUDGET its lead and evenly spread stretches of the rest, each
    starting and ending at a line break (else a full stop and a space) so that sentences stay whole."""
    if len(text) <= TEXT_BUDGET:
        return text
    length = TEXT_BUDGET // TEXT_STRETCHES
    starts = [0] + [_boundary_after(text, number * len(text) // TEXT_STRETCHES) for number in range(1, TEXT_STRETCHES)]
    followers = [*starts[1:], len(text)]
    ends = [min(_boundary_after(text, start + length), following) for start, following in zip(starts, followers, strict=True)]
    stretches = (text[start:end].strip() for start, end in zip(starts, ends, strict=True))
    return "\n\n".join(stretch for stretch in stretches if stretch)


def _boundary_after(text: str, at: int) -> int:
    """The first place at or after `at` where a line or (failing that, nearby) a sentence ends."""
    window = text[at : at + 2_000]
    for mark in ("\n", ". "):
        found = window.find(mark)
        if found >= 0:
            return at + found + len(mark)
    return min(at + len(window), len(text))


def _sample(kept: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """At most MAX_SENTENCES of the sentences, in order: the first LEAD_SENTENCES, then an even spread."""
    if len(kept) <= MAX_SENTENCES:
        return kept
    rest = kept[LEAD_SENTENCES:]
    wanted = MAX_SENTENCES - LEAD_SENTENCES
    return kept[:LEAD_SENTENCES] + [rest[n * len(rest) // wanted] for n in range(wanted)]


def suspect(text: str) -> str | None:
    """Why a body looks degenerate (a run-on with no sentence end, one word over and over), or None."""
    text = text[:TEXT_BUDGET]
    longest = max((len(run) for run in _SENTENCE_END.split(text)), default=0)
    if longest > RUN_ON_CHARACTERS:
        return f"{longest:,} characters without a sentence end"
    words = text.lower().split()
    if len(words) >= REPEAT_MIN_WORDS:
        word, count = Counter(words).most_common(1)[0]
        if count >= REPEAT_SHARE * len(words):
            return f"the word {word[:40]!r} repeated {count:,} times"
    return None


def prepare(text: str, title: str | None, lang: str) -> Prepared:
    """Clean, split, drop poor blurb sentences and exact repeats; bound the work (TEXT_BUDGET, MAX_SENTENCES)."""
    cleaned = clean_for_summary(within_budget(text or ""))
    title_key = normalise(title) if title else ""
    caption = _run_in_caption(lang)
    paragraphs = [
        [_LIST_MARKER.sub("", piece) for sentence in split_sentences(paragraph, lang)
         for piece in _without_run_in_captions(sentence, caption)]
        for paragraph in cleaned.split("\n\n")
    ]
    usable = _usable(paragraphs, title_key, title, lang)
    if not usable:
        # a brief that is one short line, or one quotation over several sentences, is still its own
        # best summary: shown whole, a quotation never cut open
        usable = [
            (s, p) for p, sentences in enumerate(paragraphs) for s in _quotations_whole(sentences)
            if (not title_key or normalise(s) != title_key) and not is_furniture(s)
        ]
    seen: set[str] = set()
    kept: list[tuple[str, int]] = []
    for sentence, paragraph in usable:
        key = normalise(sentence)
        if key not in seen:
            seen.add(key)
            kept.append((sentence, paragraph))
    kept = _sample(kept)
    return Prepared(
        sentences=tuple(s for s, _ in kept),
        paragraph_of=tuple(p for _, p in kept),
        title=title,
        lang=lang,
    )
