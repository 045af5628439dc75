"""How big the email is next to Gmail's clipping limit, and what rendering it costs.

    python bench/bench_email.py [--runs 20]

For editions of growing size (English, and the same in Ukrainian, which quoted-printable would
triple), prints the HTML's bytes, the HTML part as sent in the .eml, the share of the 102,000-byte
limit, the briefs dropped to fit, and the time of each step. The baseline, measured in the same run,
is the plain-text render (jinja alone): the html column adds MJML, the eml column the whole render.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sample_edition import config, edition  # noqa: E402

from digest import render  # noqa: E402
from digest.render.mime import html_part_size  # noqa: E402
from digest.render.text import plain_text  # noqa: E402
from digest.render.view import email_view  # noqa: E402

SHAPES = [(1, 5), (10, 10), (20, 20), (30, 60), (40, 120)]
UKRAINIAN_TITLE = "Нічний пором курсує до ранку після скарг медсестер і пекарів"
UKRAINIAN_SENTENCE = "Портова адміністрація додала рейс о 23:40, бо про це попросили медсестри та пекарі."


def make(stories: int, briefs: int, ukrainian: bool):
    ed = edition(stories=stories, briefs=briefs)
    if ukrainian:
        for n, s in enumerate(ed.stories()):
            s.lead.title = f"{UKRAINIAN_TITLE} ({n})"
            s.summary = [UKRAINIAN_SENTENCE] * len(s.summary)
    return ed


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    logging.disable(logging.WARNING)  # render() reports the briefs it drops; the table shows them
    settings = config()
    print(f"{'edition':<24} {'items':>5} {'dropped':>7} {'html B':>8} {'as sent B':>9} {'limit %':>7} "
          f"{'text ms':>8} {'html ms':>8} {'eml ms':>8}")
    for ukrainian in (False, True):
        for stories, briefs in SHAPES:
            ed = make(stories, briefs, ukrainian)
            ed = render.fit(ed, settings).edition
            dropped = stories + briefs - len(ed.stories())
            html = render.render(ed, settings, "html").decode()
            sent = html_part_size(html)
            view = email_view(ed, settings)
            times = [timed(lambda view=view: plain_text(view, settings), runs), timed(lambda ed=ed: render.html(ed, settings), runs),
                     timed(lambda shape=(stories, briefs, ukrainian): render.render(make(*shape), settings, "eml"), runs)]
            label = f"{'uk' if ukrainian else 'en'} {stories} stories+{briefs} briefs"
            print(f"{label:<24} {stories + briefs:>5} {dropped:>7} {len(html.encode()):>8} {sent:>9} "
                  f"{100 * sent / render.CLIP_LIMIT:>6.1f}% {times[0]:>8.1f} {times[1]:>8.1f} {times[2]:>8.1f}")
    print("\ntext ms: the text template alone (jinja, the baseline); html ms: jinja + MJML; eml ms: the whole"
          " render(fmt='eml') of a fresh edition: fit() (subject, preheader, clipping check: one HTML render,"
          " a few more when items must go), text, HTML and MIME."
          f"\nlimit: {render.CLIP_LIMIT:,} bytes for the HTML part as sent; times are medians of {runs} runs.")


if __name__ == "__main__":
    main()
