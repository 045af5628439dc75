"""Word lists per language, and the one way patterns are made from them.

Some cleaning and compressing rules read words ("Read also:", "he added", "including"), so they
hold only for the languages whose words they know. A list that is empty for a language gives no
pattern at all (None), never an empty alternation, which would match at every space and cut every
sentence. Every pattern made from word lists is made by a function registered here with
`@word_pattern`, so one test runs each of them against every language code the project accepts.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from digest.text.sentences import language_name

__all__ = ["PATTERNS", "alternation", "table_pattern", "words_for", "word_pattern"]

PatternMaker = Callable[[str], "re.Pattern[str] | None"]
PATTERNS: dict[str, PatternMaker] = {}


def word_pattern(make: PatternMaker) -> PatternMaker:
    """Register a maker of one language's pattern (None when the language has no words for it), memoised."""
    cached = lru_cache(maxsize=64)(make)
    PATTERNS[f"{make.__module__}.{make.__name__}"] = cached
    return cached


def words_for(table: Mapping[str, Iterable[str]], lang: str) -> tuple[str, ...]:
    """The language's words in `table` (keyed by sumy's language name), none when it has no entry."""
    return tuple(table.get(language_name(lang), ()))


def alternation(words: Iterable[str]) -> str | None:
    """`(?:w1|w2|...)` for a regular expression, longest first, spaces as any run of spaces;
    None for no words (an empty alternation matches everywhere)."""
    unique = sorted({w.strip() for w in words if w.strip()}, key=lambda w: (-len(w), w))
    if not unique:
        return None
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in unique) + ")"


def table_pattern(table: Mapping[str, Iterable[str]], lang: str, make: Callable[[str], str]) -> re.Pattern[str] | None:
    """`make(words)` compiled, case-insensitive, where `words` is the alternation of the language's
    words in `table`; None for a language without them."""
    words = alternation(words_for(table, lang))
    return re.compile(make(words), re.I) if words is not None else None


# Prompts that open a line of page furniture: a link to another story, a social account, a sign-up.
# Each is followed by a headline or an account, up to the sentence's end.
FURNITURE_PROMPTS: dict[str, tuple[str, ...]] = {
    "english": ("read more:", "read also:", "read next:", "see also:", "more on this:", "related:", "follow us on",
                "follow us at", "sign up for", "sign up to", "subscribe to our"),
    "french": ("lire aussi", "à lire aussi", "a lire aussi", "lire également", "à lire également", "voir aussi :",
               "suivez-nous sur", "abonnez-vous à", "inscrivez-vous à", "en savoir plus :"),
    "spanish": ("lee también", "lea también", "leer más:", "ver también:", "te puede interesar:", "síguenos en",
                "suscríbete a", "suscríbase a"),
    "german": ("lesen sie auch", "lesen sie mehr", "mehr zum thema:", "folgen sie uns auf", "abonnieren sie"),
    "italian": ("leggi anche", "leggi di più", "seguici su", "iscriviti alla"),
    "portuguese": ("leia também", "leia mais:", "siga-nos no", "siga-nos em", "inscreva-se na"),
    "polish": ("czytaj też", "czytaj także", "czytaj więcej", "zobacz też:", "zobacz także:", "obserwuj nas na"),
    "dutch": ("lees ook", "lees meer:", "volg ons op"),
    "ukrainian": ("читайте також", "читайте більше", "дивіться також", "підписуйтесь на", "підписуйтеся на",
                  "стежте за нами"),
    "russian": ("читайте также", "смотрите также", "подписывайтесь на", "следите за нами"),
}

# A trailing attribution whose speaker is a pronoun (or, where the verb carries the person, no
# word at all): the sentence leans on the one before it, which names the speaker.
PRONOUN_ATTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "english": tuple(f"{p} {v}" for p in ("he", "she", "they") for v in (
        "said", "says", "added", "adds", "noted", "wrote", "explained", "continued", "stressed", "argued", "told reporters"))
    + ("said he", "said she", "added he", "added she"),
    "french": tuple(f"a-t-{p} {v}" for p in ("il", "elle") for v in (
        "ajouté", "dit", "déclaré", "précisé", "expliqué", "indiqué", "annoncé", "affirmé", "estimé", "souligné",
        "poursuivi", "assuré", "insisté", "expliqué", "confié", "martelé", "lancé", "répondu", "rappelé"))
    + tuple(f"{v}-t-{p}" for p in ("il", "elle") for v in ("ajoute", "précise", "explique", "poursuit", "estime", "souligne"))
    + tuple(f"ont-{p} {v}" for p in ("ils", "elles") for v in ("ajouté", "dit", "déclaré", "indiqué", "expliqué")),
    "spanish": ("añadió", "agregó", "dijo", "explicó", "señaló", "afirmó", "indicó", "añadió él", "dijo ella"),
    "italian": ("ha aggiunto", "ha detto", "ha spiegato", "ha sottolineato"),
    "portuguese": ("acrescentou", "disse ele", "disse ela", "afirmou", "explicou"),
    "german": ("sagte er", "sagte sie", "fügte er hinzu", "fügte sie hinzu", "so er", "so sie"),
    "polish": ("dodał", "dodała", "powiedział", "powiedziała", "podkreślił", "podkreśliła"),
    "ukrainian": tuple(f"{v} {p}" for v, p in (
        ("додав", "він"), ("додала", "вона"), ("сказав", "він"), ("сказала", "вона"), ("зазначив", "він"),
        ("зазначила", "вона"), ("наголосив", "він"), ("наголосила", "вона"), ("пояснив", "він"), ("пояснила", "вона"),
        ("додали", "вони"), ("заявив", "він"), ("заявила", "вона"))),
    "russian": tuple(f"{v} {p}" for v, p in (
        ("добавил", "он"), ("добавила", "она"), ("сказал", "он"), ("сказала", "она"), ("отметил", "он"),
        ("отметила", "она"), ("подчеркнул", "он"), ("подчеркнула", "она"), ("заявил", "он"), ("заявила", "она"))),
}

# Attribution verbs: an attribution's time and place ("said at a briefing in Kyiv on June 25") can go.
SPEECH_VERBS: dict[str, tuple[str, ...]] = {
    "english": ("said", "says", "told", "announced", "reported", "wrote", "added",
                "stated", "noted", "explained", "confirmed", "declared"),
    "french": ("a déclaré", "a dit", "a annoncé", "a indiqué", "a affirmé", "a précisé", "a expliqué", "a ajouté"),
    "spanish": ("dijo", "afirmó", "declaró", "anunció", "señaló", "explicó", "indicó", "aseguró"),
    "german": ("sagte", "erklärte", "betonte", "kündigte an"),
    "italian": ("ha detto", "ha dichiarato", "ha annunciato", "ha spiegato"),
    "portuguese": ("disse", "afirmou", "declarou", "anunciou"),
    "ukrainian": ("сказав", "сказала", "заявив", "заявила", "повідомив", "повідомила", "зазначив", "зазначила",
                  "розповів", "розповіла", "написав", "написала"),
    "russian": ("сказал", "сказала", "заявил", "заявила", "сообщил", "сообщила", "отметил", "отметила",
                "рассказал", "рассказала"),
}
# What opens the time-and-place tail after such a verb.
PLACE_TIME_OPENERS: dict[str, tuple[str, ...]] = {
    "english": ("at", "in", "on", "during", "after", "late", "earlier", "while speaking", "via", "from"),
    "french": ("lors de", "à", "au", "aux", "en", "dans", "pendant", "devant", "depuis", "mardi", "lundi",
               "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "spanish": ("en", "durante", "tras", "ante", "desde"),
    "german": ("am", "in", "bei", "auf", "während", "nach", "im"),
    "italian": ("a", "al", "in", "durante", "nel", "nella", "dopo"),
    "portuguese": ("em", "no", "na", "durante", "após"),
    "ukrainian": ("під", "у", "в", "на", "після", "під час"),
    "russian": ("в", "во", "на", "после", "во время"),
}
# Words that may not sit in that tail: it would be the reported speech, not its time and place.
TAIL_STOPPERS: dict[str, tuple[str, ...]] = {
    "english": ("that", "who", "which", "whether", "because", "but", "if", "as", "and", "to", "would", "will", "was", "is"),
    "french": ("que", "qu'", "qui", "mais", "et", "si"),
    "spanish": ("que", "quien", "pero", "y", "si"),
    "german": ("dass", "der", "die", "das", "aber", "und", "ob"),
    "italian": ("che", "ma", "e", "se"),
    "portuguese": ("que", "mas", "e", "se"),
    "ukrainian": ("що", "який", "яка", "але", "і", "та", "щоб"),
    "russian": ("что", "который", "которая", "но", "и", "чтобы"),
}
# "including ..." asides inside a sentence.
ASIDE_OPENERS: dict[str, tuple[str, ...]] = {
    "english": ("including", "among them", "among whom", "notably"),
    "french": ("notamment", "y compris", "parmi lesquels", "parmi lesquelles", "dont"),
    "spanish": ("incluidos", "incluidas", "incluyendo", "entre ellos", "entre ellas"),
    "german": ("darunter", "einschließlich", "unter anderem"),
    "italian": ("tra cui", "compresi", "comprese", "inclusi"),
    "portuguese": ("incluindo", "entre eles", "entre elas"),
    "polish": ("w tym", "między innymi"),
    "ukrainian": ("зокрема", "у тому числі", "в тому числі", "серед них"),
    "russian": ("в том числе", "включая", "среди них"),
}
# Words that open an appositive after a person's name ("Sergei Shoigu, now secretary of ...",
# "Valery Gerasimov, Chief of the General Staff, ..."): who the person is, which can go.
APPOSITIVE_OPENERS: dict[str, tuple[str, ...]] = {
    "english": ("now", "then", "the", "a", "an", "former", "ex", "who", "whose", "currently", "also", "chief", "head",
                "president", "prime minister", "minister", "secretary", "director", "commander", "deputy", "chair",
                "chairman", "chairwoman", "speaker", "governor", "mayor", "ambassador", "spokesperson", "spokesman",
                "spokeswoman", "leader", "ceo", "editor", "general", "colonel", "professor", "one of"),
    "french": ("qui", "ancien", "ancienne", "actuel", "actuelle", "nouveau", "nouvelle", "le", "la", "l'", "un", "une",
               "président", "présidente", "ministre", "chef", "directeur", "directrice", "porte-parole"),
    "spanish": ("quien", "ex", "actual", "el", "la", "un", "una", "presidente", "presidenta", "ministro", "ministra",
                "jefe", "jefa", "director", "directora", "portavoz"),
    "german": ("der", "die", "ein", "eine", "ehemaliger", "ehemalige", "früherer", "frühere", "derzeit", "inzwischen"),
    "italian": ("che", "ex", "attuale", "il", "la", "un", "una", "presidente", "ministro", "ministra", "capo"),
    "portuguese": ("que", "ex", "atual", "o", "a", "um", "uma", "presidente", "ministro", "ministra", "chefe"),
    "ukrainian": ("який", "яка", "колишній", "колишня", "нині", "нинішній", "нинішня", "голова", "міністр", "очільник",
                  "очільниця", "керівник", "керівниця", "речник", "речниця", "командувач", "начальник"),
    "russian": ("который", "которая", "бывший", "бывшая", "ныне", "нынешний", "нынешняя", "глава", "министр",
                "руководитель", "председатель", "начальник", "командующий"),
}
# Words that open a clause a sentence can end before: the cut keeps a whole main clause and ends
# with a full stop instead of an ellipsis. Not "that" (it follows the verb it completes), not
# "according to" (the sourcing of a claim stays).
CLAUSE_OPENERS: dict[str, tuple[str, ...]] = {
    "english": ("which", "who", "whose", "where", "while", "whereas", "although", "though", "but", "as", "after",
                "before", "since", "because", "amid", "despite", "following", "adding", "saying", "when", "until",
                "with", "marking", "bringing", "making", "leaving"),
    "french": ("qui", "où", "dont", "alors que", "tandis que", "mais", "après", "avant", "car", "lorsque", "quand",
               "malgré", "bien que", "puisque", "afin de", "afin que", "avant de", "ce qui", "ce que", "tout en", "sans",
               "pour"),
    "spanish": ("quien", "donde", "mientras", "pero", "aunque", "tras", "después", "antes", "cuando", "porque",
                "pese a", "lo que"),
    "german": ("während", "aber", "nachdem", "obwohl", "weil", "bevor", "sodass", "wobei", "als"),
    "italian": ("mentre", "ma", "dopo", "prima", "quando", "perché", "sebbene", "dove"),
    "portuguese": ("enquanto", "mas", "após", "antes", "quando", "porque", "embora", "onde"),
    "polish": ("który", "która", "które", "którzy", "ale", "gdy", "kiedy", "ponieważ", "chociaż", "po"),
    "ukrainian": ("який", "яка", "яке", "які", "але", "коли", "після", "хоча", "оскільки", "проте", "тоді як"),
    "russian": ("который", "которая", "которое", "которые", "но", "когда", "после", "хотя", "поскольку", "однако"),
}
# Words that open an adverbial clause even without a comma before them ("... faces a ban after
# ...", "... were evacuated while ..."): a second choice of boundary, never a relative "who" or
# "that", which the noun before them needs.
BARE_CLAUSE_OPENERS: dict[str, tuple[str, ...]] = {
    "english": ("after", "while", "because", "amid", "despite", "following", "but", "when", "whereas"),
    "french": ("alors que", "tandis que", "après avoir", "mais", "parce que", "malgré"),
    "spanish": ("mientras", "tras", "pero", "porque", "pese a"),
    "german": ("nachdem", "während", "weil", "aber", "obwohl"),
    "ukrainian": ("після того як", "оскільки", "але", "тоді як", "попри"),
    "russian": ("после того как", "поскольку", "но", "тогда как", "несмотря на"),
}
# "..., and asked residents ...": a comma and a coordinating conjunction end a clause when the
# part before the comma is long (a list's items are short: "18 border guards, and ...").
COORDINATORS: dict[str, tuple[str, ...]] = {
    "english": ("and",), "french": ("et",), "spanish": ("y",), "german": ("und",), "italian": ("e",),
    "portuguese": ("e",), "dutch": ("en",), "polish": ("i", "a"), "ukrainian": ("і", "й", "та", "а"),
    "russian": ("и", "а"),
}
