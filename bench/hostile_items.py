"""What one huge or hostile item costs a build, through the real command line.

Run: .venv/bin/python bench/hostile_items.py [--only NAME]

Each row is a project with the one item, given both as a JSON Lines export and as a feed file, built
by `python -m digest build` in a process of its own: wall time and peak memory (wait4's ru_maxrss)
of the whole run, start-up included. The first row, an ordinary article, is the baseline measured in
the same run; the target for any item up to the 5 MB fetch cap is under 2 s and 200 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
WORDS = "harbour ferry crane pilot tide quay berth dock vessel cargo storm buoy lock gate channel crew night port office".split()


def sentences(count: int) -> str:
    """`count` short sentences of harbour words, the same every run."""
    return " ".join(f"{WORDS[n % 19].capitalize()} {WORDS[n * 7 % 19]} {WORDS[n * 11 % 19]} at berth {n}." for n in range(count))


def up_to(unit: str, size: int) -> str:
    return unit * (size // len(unit))


ITEMS: dict[str, str] = {
    "ordinary article (baseline)": sentences(40),
    "8,000 short sentences": sentences(8_000),
    "5 MB of short sentences": up_to(sentences(1_000) + "\n\n", 5_000_000),
    "5 MB without punctuation": up_to("crate barrel sack ", 5_000_000),
    "5 MB of '<a '": up_to("<a ", 5_000_000),
    "5 MB of unclosed comments": up_to("<!-- > ", 5_000_000),
    "5 MB timetable": up_to("6:10 a.m. 6:40 a.m. 7:10 a.m. ", 5_000_000),
    "5 MB of 'A. '": up_to("A. ", 5_000_000),
}


def project(folder: Path, body: str, kind: str) -> Path:
    if kind == "jsonl":
        (folder / "item.jsonl").write_text(json.dumps({"title": "One item", "body": body, "url": "https://quay.example/1",
                                                       "published": "2024-05-01T10:00:00Z"}) + "\n", encoding="utf-8")
        source = {"name": "Item", "kind": "jsonl", "path": "item.jsonl"}
    else:
        (folder / "item.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Quay</title><item><title>One item</title>'
            f"<description>{escape(body)}</description><link>https://quay.example/1</link>"
            "<pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item></channel></rss>", encoding="utf-8")
        source = {"name": "Item", "kind": "feed", "path": "item.xml"}
    config = folder / "config.yaml"
    config.write_text("newsletter: {title: Quay, timezone: UTC, from: 'Quay <q@example.com>', to: [r@example.com]}\n"
                      f"sources: [{json.dumps(source)}]\nstore: {{path: state/digest.db}}\n", encoding="utf-8")
    return config


def measure(config: Path) -> tuple[float, float, int]:
    """Seconds, peak MB and exit status of one build."""
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "digest", "build", "-c", str(config), "--date", "2024-05-01", "-o", "-",
                              "--format", "text"], cwd=config.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(child.pid, 0)
    return time.monotonic() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the rows whose name contains this")
    args = parser.parse_args()
    print("| item | size | jsonl: s | jsonl: MB | feed: s | feed: MB |")
    print("| ---- | ---: | -------: | --------: | ------: | -------: |")
    for name, body in ITEMS.items():
        if args.only and args.only not in name and "baseline" not in name:
            continue
        cells = []
        for kind in ("jsonl", "feed"):
            with tempfile.TemporaryDirectory() as folder:
                seconds, megabytes, status = measure(project(Path(folder), body, kind))
            cells += [f"{seconds:.2f}" + ("" if status == 0 else f" (exit {status})"), f"{megabytes:.0f}"]
        print(f"| {name} | {len(body.encode()) / 1e6:.2f} MB | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
