"""What each mail client does not support in the email's HTML, by caniemail's data.

    python bench/email_check.py          # the sample day, the seeds' day (with ../shared) and a baseline

Runs the npm package @jsx-email/doiuse-email (a maintained caniemail checker, installed in
bench/email-check/ by `npm ci` when missing) on the HTML digest builds, and, as the baseline
measured in the same run, on the smallest MJML email (one mj-text): what MJML's own output already
brings. Prints one row per client: the distinct unsupported features of each document, and which
of the sample's are not in the baseline (the ones the template adds). Nothing is sent anywhere.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import mjml

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "bench" / "email-check"
sys.path.insert(0, str(ROOT))

from digest import pipeline, render  # noqa: E402
from digest.config import load_config  # noqa: E402

BASELINE = "<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>"


def checker_ready() -> None:
    if not (CHECKER / "node_modules" / "@jsx-email" / "doiuse-email").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CHECKER, check=True, stdout=sys.stderr)


def unsupported(html: str) -> dict[str, list[str]]:
    """client -> the distinct features caniemail says it does not support (or the checker's failure)."""
    result = subprocess.run(["node", str(CHECKER / "check.mjs")], input=html.encode("utf-8"), capture_output=True, check=True)
    found = {}
    for client, verdict in json.loads(result.stdout).items():
        if "failed" in verdict:
            found[client] = [f"(not checked: {verdict['failed']})"]
            continue
        names = Counter(error.split("`")[1] for error in verdict["errors"])
        found[client] = sorted(names)
    return found


def built(config_path: Path, day: date, **overrides: object) -> str:
    config = load_config(config_path)
    for key, value in overrides.items():
        setattr(config.edition, key, value)
    with tempfile.TemporaryDirectory() as folder:
        config.store.path = str(Path(folder) / "digest.db")
        result = pipeline.build(config, day, now=datetime.now(UTC))
    return render.render(result.edition, config, "html").decode("utf-8")


def seeds_html() -> str | None:
    seeds = ROOT.parent / "shared" / "seeds"
    if not any(seeds.glob("*.txt")):
        return None
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yaml"
        config.write_text(f"newsletter: {{title: Ukraine Daily, timezone: Europe/Kyiv}}\n"
                          f"sources: [{{name: seeds, kind: pagetext, path: '{seeds}/*.txt'}}]\n"
                          f"edition: {{window_hours: 48}}\n")
        return built(config, date(2024, 6, 26))


def main() -> None:
    checker_ready()
    documents = {"baseline (bare MJML)": mjml.mjml2html(BASELINE, disable_comments=True, fonts={}),
                 "sample": built(ROOT / "config.yaml", date(2026, 5, 14))}
    seeds = seeds_html()
    if seeds:
        documents["seeds' day"] = seeds
    results = {name: unsupported(html) for name, html in documents.items()}
    clients = list(results["sample"])
    print("Unsupported features per client (caniemail data via @jsx-email/doiuse-email), distinct names:\n")
    print("| client | " + " | ".join(results) + " | the sample's beyond the baseline |")
    print("| --- |" + " --: |" * len(results) + " --- |")
    for client in clients:
        counts = " | ".join(str(len(results[name][client])) for name in results)
        added = sorted(set(results["sample"][client]) - set(results["baseline (bare MJML)"][client]))
        print(f"| {client} | {counts} | {', '.join(added) or '-'} |")


if __name__ == "__main__":
    main()
