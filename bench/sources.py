"""What the sources cost: feed parsing (with the XML screen and text cleaning) against feedparser
alone, and fetching N slow sources sequentially against concurrently, with and without a 304.

    python bench/sources.py

Everything runs on this machine: the feeds are ../shared/data/feeds (if present) and a generated
500-entry feed; the servers are local threads that wait a fixed latency before answering.
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory

import feedparser

from digest.config import Config, FetchConfig, SourceConfig
from digest.sources import SourceContext, load_each
from digest.sources.feed import Document, parse_feed, screen_xml
from digest.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED_FEEDS = ROOT.parent / "shared" / "data" / "feeds"
NOW = datetime(2024, 5, 2, tzinfo=UTC)


def generated_feed(entries: int) -> bytes:
    items = "".join(
        f"<item><title>Story number {n} about the day</title><link>https://example.com/{n}</link>"
        f"<pubDate>Wed, 01 May 2024 {n % 24:02d}:00:00 GMT</pubDate><category>News</category>"
        f"<description>&lt;p&gt;{'A sentence of the story. ' * 20}&lt;/p&gt;&lt;p&gt;{'Another one. ' * 15}&lt;/p&gt;</description></item>"
        for n in range(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_parsing() -> None:
    feeds = {path.name: path.read_bytes() for path in sorted(SHARED_FEEDS.glob("*"))} if SHARED_FEEDS.is_dir() else {}
    feeds["generated-500.xml"] = generated_feed(500)
    config = Config()
    ctx = SourceContext(source=SourceConfig(name="bench", kind="feed", path="x"), config=config, now=NOW)
    print("## Feed parsing (best of 5)\n")
    print("| feed | KB | entries | feedparser alone (baseline) | XML screen | digest parse_feed | overhead |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, data in feeds.items():
        entries = len(feedparser.parse(data).entries)
        baseline = best_of(lambda data=data: feedparser.parse(data))
        screen = best_of(lambda data=data: screen_xml(data))
        ours = best_of(lambda data=data, name=name: parse_feed(Document(data, None, None, name), ctx))
        print(f"| {name} | {len(data) / 1000:.1f} | {entries} | {baseline * 1000:.1f} ms | {screen * 1000:.2f} ms "
              f"| {ours * 1000:.1f} ms | {100 * (ours / baseline - 1):+.0f}% |")
    print()


class SlowFeeds(BaseHTTPRequestHandler):
    latency = 0.2
    body = generated_feed(20)
    bytes_sent = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        time.sleep(self.latency)
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(self.body)
        with self.lock:
            SlowFeeds.bytes_sent += len(self.body)

    def log_message(self, *args) -> None:
        pass


def bench_fetching(sources: int = 8) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowFeeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"## Fetching {sources} feeds, each server waiting {SlowFeeds.latency * 1000:.0f} ms (median of 3)\n")
    print("| concurrency | first run | bytes received | next run (304) | bytes received |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for concurrency in (1, 4, 8):
        firsts, nexts, first_bytes, next_bytes = [], [], 0, 0
        for _ in range(3):
            with TemporaryDirectory() as tmp:
                config = Config(
                    sources=[SourceConfig(name=f"feed {n}", kind="feed", url=f"{base}/feed/{n}") for n in range(sources)],
                    fetch=FetchConfig(concurrency=concurrency),
                )
                with Store(Path(tmp) / "d.db") as store:
                    for times in (firsts, nexts):
                        SlowFeeds.bytes_sent = 0
                        started = time.perf_counter()
                        loaded = load_each(config, NOW, store, progress=False)
                        times.append(time.perf_counter() - started)
                        assert all(len(ctx.items) == 20 for ctx in loaded), [ctx.problems for ctx in loaded]
                        if times is firsts:
                            first_bytes = SlowFeeds.bytes_sent
                        else:
                            next_bytes = SlowFeeds.bytes_sent
        label = f"{concurrency} (baseline: one at a time)" if concurrency == 1 else str(concurrency)
        print(f"| {label} | {statistics.median(firsts) * 1000:.0f} ms | {first_bytes:,}"
              f" | {statistics.median(nexts) * 1000:.0f} ms | {next_bytes:,} |")
    server.shutdown()
    print()


if __name__ == "__main__":
    print(f"Python {sys.version.split()[0]}, feedparser {feedparser.__version__}\n")
    bench_parsing()
    bench_fetching()
