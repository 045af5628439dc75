"""Extractive summaries: pick the sentences an editor would pick, offline, in article order.

The work is split the way sumy splits it:

- `prepare`: clean the text (bylines, captions, page furniture), split it into sentences with the
  project's own offline splitter, set aside sentences that make poor blurbs, bound the work;
- `news`: the default summarizer, a sumy `AbstractSummarizer` that weighs the lead, centrality,
  the headline and each sentence's quality (see its docstring for the weights and why);
- `sumy_adapter`: sumy's own summarizers by name, fed the same sentences, stemmer and stop words,
  so they need no NLTK data either;
- `choose`: one text's summary with any of them; `batch`: many texts, the cache key, `digest summarize`;
- `budget`: a blurb's word budget, cut at a clause boundary.
"""
from __future__ import annotations

from digest.summarize.batch import summarize_jsonl, summarize_lines, summarize_many, summary_key
from digest.summarize.budget import fit_words
from digest.summarize.choose import ALGORITHMS, SUMMARY_VERSION, UnknownAlgorithm, summarize
from digest.summarize.prepare import suspect

__all__ = [
    "ALGORITHMS",
    "SUMMARY_VERSION",
    "UnknownAlgorithm",
    "fit_words",
    "summarize",
    "summarize_jsonl",
    "summarize_lines",
    "summarize_many",
    "summary_key",
    "suspect",
]
