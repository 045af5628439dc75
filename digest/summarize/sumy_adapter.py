"""sumy's side: a prepared text as sumy's document model, and every summarizer by name.

sumy's summarizers are fed the project's sentences, stemmer and stop words, so they need no NLTK
data; the default "news" summarizer is one of them, built the same way.
"""
from __future__ import annotations

from collections.abc import Callable

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

from digest.summarize.news import NewsSummarizer
from digest.summarize.prepare import Prepared
from digest.text.sentences import SentenceTokenizer, stemmer_for, stop_words_for

__all__ = ["document", "summarizer"]

Summarizer = Callable[[ObjectDocumentModel, int], tuple]


def document(doc: Prepared) -> tuple[ObjectDocumentModel, dict[Sentence, int]]:
    """sumy's document of the prepared sentences (the headline heading the first paragraph, as in
    sumy's plain-text parser), and each sentence's index in `doc.sentences`."""
    tokenizer = SentenceTokenizer(doc.lang)
    index_of: dict[Sentence, int] = {}
    paragraphs: dict[int, list[Sentence]] = {}
    for index, (text, number) in enumerate(zip(doc.sentences, doc.paragraph_of, strict=True)):
        sentence = Sentence(text, tokenizer)
        index_of[sentence] = index
        paragraphs.setdefault(number, []).append(sentence)
    groups = list(paragraphs.values())
    if doc.title and groups:
        groups[0].insert(0, Sentence(doc.title, tokenizer, is_heading=True))
    return ObjectDocumentModel([Paragraph(group) for group in groups]), index_of


def summarizer(algorithm: str, lang: str) -> Summarizer:
    """The summarizer called `algorithm`, with the language's stemmer and stop words."""
    stemmer = stemmer_for(lang)
    stop_words = stop_words_for(lang)
    if algorithm == "news":
        return NewsSummarizer(stemmer, stop_words, lang)
    # sumy's own summarizers are imported here, when one is asked for: the default "news" needs none
    # of them. (NLTK itself comes with the stemmers above, so any summary made loads it; a build whose
    # summaries all come from the cache never imports this module: see choose.summarize.)
    from sumy.summarizers.edmundson import EdmundsonSummarizer
    from sumy.summarizers.kl import KLSummarizer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.sum_basic import SumBasicSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer

    if algorithm == "edmundson":
        # Edmundson's cue and key methods need hand-made bonus and stigma word lists; the title
        # and location methods need only the stop words (its "null words"). "" stands in for
        # a language without stop words, since sumy refuses an empty list.
        edmundson = EdmundsonSummarizer(stemmer, cue_weight=0.0, key_weight=0.0)
        edmundson.null_words = stop_words or frozenset({""})
        return edmundson
    classes = {
        "lexrank": LexRankSummarizer,
        "textrank": TextRankSummarizer,
        "luhn": LuhnSummarizer,
        "lsa": LsaSummarizer,
        "kl": KLSummarizer,
        "sumbasic": SumBasicSummarizer,
    }
    chosen = classes[algorithm](stemmer)
    chosen.stop_words = stop_words
    return chosen
