"""What a large list costs to prepare: one personalised message per reader, streamed.

    python bench/recipients.py [--readers 100000] [--naive 200]

With the sample day's edition (the shipped config.yaml) and made-up readers (an address and a name
each), measures, in one run:

- render once, fill per reader (what `digest send` and `build --format jsonl` do): the Letter is
  rendered and encoded once, each reader's message is its headers plus the encoded bodies with
  their token slotted in;
- MIME per reader (baseline): the HTML and text rendered once, but each reader's message built
  and encoded by the standard library's EmailMessage;
- the naive way (baseline): the whole email rendered per reader (templates, MJML, then MIME as
  above), on `--naive` readers and extrapolated.

Memory: the process's peak RSS before and after the full list; it must not grow with the list,
because nothing is kept (each message is measured and dropped, as a sender hands it on).
"""
from __future__ import annotations

import argparse
import hashlib
import resource
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

from digest import render
from digest.config import load_config
from digest.pipeline import build
from digest.readers import PLACEHOLDER, Reader, token
from digest.render import mime

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 5, 15, 4, 0, tzinfo=UTC)
KEY = b"bench secret"


def made_up_readers(count: int) -> Iterator[Reader]:
    for n in range(count):
        yield Reader(f"reader{n}@example{n % 97}.org", f"Reader {n}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(count: int, make: Callable[[Reader], bytes]) -> tuple[float, int]:
    """Seconds for `count` readers' messages, and their total size (each message dropped at once)."""
    size = 0
    start = time.perf_counter()
    for reader in made_up_readers(count):
        size += len(make(reader))
    return time.perf_counter() - start, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=200, help="readers for the naive way, extrapolated")
    args = parser.parse_args()

    config = load_config(ROOT / "config.yaml")
    edition = build(config, date.fromisoformat(config.edition.date), now=NOW).edition
    letter = render.letter(edition, config)
    sent = datetime(2026, 5, 15, 4, 0, tzinfo=UTC)

    def fill(reader: Reader) -> bytes:
        return letter.eml(reader, token(reader.address, KEY), sent)

    def mime_per_reader(reader: Reader, letter: mime.Letter = letter) -> bytes:
        fill_in = token(reader.address, KEY)
        message = EmailMessage(policy=mime.MESSAGE_POLICY)
        message["Subject"], message["From"], message["To"] = letter.subject, letter.from_, letter.recipient(reader)
        for name, value in letter.headers(reader, fill_in, sent).items():
            message[name] = value
        text, html = letter.text.replace(PLACEHOLDER, fill_in), letter.html.replace(PLACEHOLDER, fill_in)
        message.set_content(text, subtype="plain", charset="utf-8", cte=mime.transfer_encoding(text)[0])
        message.add_alternative(html, subtype="html", charset="utf-8", cte=mime.transfer_encoding(html)[0])
        message.set_boundary("=_digest_" + hashlib.sha256((text + "\0" + html).encode()).hexdigest()[:32])
        return message.as_bytes()

    def naive(reader: Reader) -> bytes:
        return mime_per_reader(reader, render.letter(edition, config))  # templates, MJML and MIME, for this one reader

    timed(1000, fill)  # warm up: encodings compiled, caches filled
    before = peak_rss_mb()
    seconds, size = timed(args.readers, fill)
    after = peak_rss_mb()
    small_count = max(1, args.readers // 10)
    small_seconds, _ = timed(small_count, fill)
    mime_count = min(args.readers, 1000)
    mime_seconds, _ = timed(mime_count, mime_per_reader)
    naive_seconds, _ = timed(args.naive, naive)

    rate = args.readers / seconds
    rows = [
        ("render once, fill per reader", args.readers, seconds, rate),
        (f"  same, {small_count:,} readers", small_count, small_seconds, small_count / small_seconds),
        ("MIME per reader (baseline)", mime_count, mime_seconds, mime_count / mime_seconds),
        ("whole email per reader (naive baseline)", args.naive, naive_seconds, args.naive / naive_seconds),
    ]
    print(f"edition {edition.date}: HTML {len(letter.html.encode()):,} bytes, text {len(letter.text.encode()):,} bytes;"
          f" average message {size // args.readers:,} bytes")
    print(f"{'way':<42} {'readers':>9} {'seconds':>9} {'messages/s':>11} {f'time for {args.readers:,}':>16}")
    for name, count, spent, per_second in rows:
        print(f"{name:<42} {count:>9,} {spent:>9.2f} {per_second:>11,.0f} {args.readers / per_second:>14.1f} s")
    print(f"speed-up over the naive way: {rate / rows[-1][3]:,.0f}x; over MIME per reader: {rate / rows[2][3]:,.1f}x")
    print(f"peak RSS: {before:.1f} MB after 1,000 readers, {after:.1f} MB after {args.readers:,} (+{after - before:.1f} MB)")


if __name__ == "__main__":
    main()
