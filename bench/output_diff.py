"""Do two checkouts of digest write the same bytes? The sample day, the seeds' day and the Ukrainian
sample, in every format a reader or an editor sees (html, text, eml, json, `explain` as text and
JSON, and the message `send --dry-run` would send), each built from a fresh copy of its inputs.

Run: .venv/bin/python bench/output_diff.py BEFORE_ROOT [AFTER_ROOT] [--keep DIR]

AFTER_ROOT defaults to this checkout. Each checkout runs in a child process of this Python with
its own root first on PYTHONPATH, its commands through click's runner (one process per day, not one
per command). Exit 0 when every output is the same, 1 naming the outputs that differ (with a few
lines of their diff). A refactoring that must not change what readers get runs this against main.
A message's Date header is left out of the comparison: a message is dated the moment it is written.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SEEDS_CONFIG = """
newsletter: {{title: Ukraine Daily, tagline: News from Ukraine in your inbox, timezone: Europe/Kyiv,
             from: "Ukraine Daily <daily@example.com>", to: [readers@example.com],
             unsubscribe_url: "https://example.com/unsubscribe/{{{{subscriber}}}}"}}
email: {{postal_address: "Ukraine Daily, 1 Example Street, Kyiv"}}
sources: [{{name: Ukraine Daily pages, kind: pagetext, path: "{seeds}/*.txt", url: "https://example.com/news-feed/"}}]
edition: {{window_hours: 48, date: "2024-06-26"}}
delivery: {{method: outbox, outbox: outbox/}}
store: {{path: state/digest.db}}
"""

# A message's Date header, in an .eml and in the JSON document for an email API.
DATE_HEADER = re.compile(rb'^Date: [^\r\n]*\r?\n|^ *"Date": "[^"]*",?\n', re.MULTILINE)

# What runs in the child: every command of one day, in one process, each output to a file.
CHILD = r"""
import sys
from pathlib import Path
from click.testing import CliRunner
from digest.cli import main

config, out = sys.argv[1], Path(sys.argv[2])
commands = {f"build.{fmt}": ["build", "-c", config, "--format", fmt, "-o", "-"] for fmt in ("html", "text", "eml", "json")}
commands["explain.txt"] = ["explain", "-c", config]
commands["explain.jsonl"] = ["explain", "-c", config, "--json"]
commands["send-dry-run.eml"] = ["send", "-c", config, "--dry-run"]
for name, args in commands.items():
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    (out / name).write_bytes(result.stdout_bytes + f"\n[exit {result.exit_code}]\n".encode())
"""


def days(work: Path) -> dict[str, Path]:
    """Each day's config, in a folder of its own under `work` (a fresh store each)."""
    found = {}
    sample = work / "sample-day"
    sample.mkdir()
    shutil.copy(ROOT / "config.yaml", sample / "config.yaml")
    shutil.copytree(ROOT / "sample", sample / "sample")
    found["sample"] = sample / "config.yaml"
    uk = work / "uk"
    shutil.copytree(ROOT / "sample" / "uk", uk)
    found["uk"] = uk / "config.yaml"
    if any(SEEDS.glob("*.txt")):
        seeds = work / "seeds"
        seeds.mkdir()
        (seeds / "config.yaml").write_text(SEEDS_CONFIG.format(seeds=SEEDS), encoding="utf-8")
        found["seeds"] = seeds / "config.yaml"
    else:
        print(f"../shared/seeds is absent ({SEEDS}): the seeds' day is left out", file=sys.stderr)
    return found


def outputs(root: Path, work: Path) -> dict[str, bytes]:
    """Every output of every day, built by the checkout at `root`, by name ("uk/build.eml")."""
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
    found: dict[str, bytes] = {}
    for day, config in days(work).items():
        out = work / f"out-{day}"
        out.mkdir()
        subprocess.run([sys.executable, "-c", CHILD, str(config), str(out)], cwd=config.parent, env=env, check=True,
                       stderr=subprocess.DEVNULL)
        found.update({f"{day}/{path.name}": DATE_HEADER.sub(b"", path.read_bytes()) for path in sorted(out.iterdir())})
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="?", default=ROOT)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the outputs in this folder.")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="digest-diff-"))
    try:
        before = outputs(args.before.resolve(), work / "before")
        after = outputs(args.after.resolve(), work / "after")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    differ = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    for name in sorted(before.keys() | after.keys()):
        print(f"{'DIFFERS' if name in differ else 'same   '}  {name}  ({len(after.get(name, b''))} bytes)")
    for name in differ:
        old = before.get(name, b"").decode("utf-8", "replace").splitlines()
        new = after.get(name, b"").decode("utf-8", "replace").splitlines()
        print(f"\n--- {name}")
        print("\n".join(list(difflib.unified_diff(old, new, "before", "after", lineterm="", n=1))[:40]))
    print(json.dumps({"same": len(before.keys() | after.keys()) - len(differ), "differ": len(differ)}))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
