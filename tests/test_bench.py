"""bench/pipeline.py must keep running and keep printing every figure, so it cannot rot.

The benchmark itself is not timed here: 200 items, one size, only to see every column filled.
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

NUMBER = r"[\d,]+(?:\.\d+)?"


def test_pipeline_bench_prints_every_figure(shared) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pipeline.py"), "--items", "200"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"2 cores|\d+ cores", out) and "load average" in out

    header = next(line for line in out.splitlines() if line.startswith("| items | run |"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    for stage in ("sources", "dedupe", "rank", "edition", "summaries", "render", "start-up+other", "total s", "CPU s", "items/s", "peak RSS MB"):
        assert stage in columns, f"no {stage} column in {columns}"
    for run in ("cold", "warm"):
        row = next(line for line in out.splitlines() if line.startswith(f"| 200 | {run} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == len(columns)
        assert all(re.fullmatch(NUMBER, cell) for cell in cells[2:]), row
        assert float(cells[columns.index("peak RSS MB")]) > 10  # a real child's RSS, in MB

    comparison = next(line for line in out.splitlines() if line.startswith("| 200 |") and "x |" in line)
    cells = [cell.strip() for cell in comparison.strip("|").split("|")]
    naive, cold, ratio, cpu_ratio, warm, summarized, every, every_item_build = cells[1:]
    assert float(naive) > 0 and float(cold) > 0 and float(warm) > 0 and float(every) > 0
    naive_cpu, cold_cpu, cpu_times = re.fullmatch(rf"({NUMBER}) / ({NUMBER}) = ({NUMBER})x", cpu_ratio).groups()
    assert float(naive_cpu) > 0 and float(cold_cpu) > 0 and abs(float(cpu_times) - float(naive_cpu) / float(cold_cpu)) < 0.11
    assert float(every_item_build) > float(every)
    assert ratio == f"{float(naive) / float(cold):.1f}x" or abs(float(ratio[:-1]) - float(naive) / float(cold)) < 0.11
    assert 0 < int(summarized) <= 200
    assert "growth" in out
    assert "targets" in out


def test_recipients_bench_prints_the_fill_and_both_baselines() -> None:
    """bench/recipients.py on a small list: every row printed (speed is measured by running it, not here)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "recipients.py"), "--readers", "2000", "--naive", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for way in ("render once, fill per reader", "MIME per reader (baseline)", "whole email per reader (naive baseline)"):
        row = next(line for line in result.stdout.splitlines() if line.startswith(way))
        assert len(re.findall(NUMBER, row)) >= 4, row
    assert re.search(r"peak RSS: [\d.]+ MB after 1,000 readers, [\d.]+ MB after 2,000", result.stdout)


def test_email_check_bench_prints_every_client_with_the_baseline() -> None:
    """bench/email_check.py runs caniemail's checker (npm) on the sample and the bare-MJML baseline."""
    import shutil

    import pytest

    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed (CI has them; bench/email-check/ holds the checker's package.json)")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "email_check.py")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line}
    assert "baseline (bare MJML)" in rows["client"] and "sample" in rows["client"]
    for client in ("apple-mail.ios", "gmail.desktop-webmail", "outlook.windows", "yahoo.desktop-webmail"):
        cells = [cell.strip() for cell in rows[client].strip("|").split("|")]
        assert all(re.fullmatch(r"\d+", cell) for cell in cells[1:-1]), rows[client]


@pytest.mark.slow
def test_serve_bench_loses_no_write_beside_a_send() -> None:
    """bench/serve.py on a small list: one-click POSTs while `digest send` writes to the same store; the
    bench itself fails unless every POST got 200, the send exited 0 and every opt-out and outcome is kept."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "serve.py"), "--readers", "400", "--seconds", "1", "--clients", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"[\d,]+ opt-outs posted, all recorded", result.stdout)
    names = ("do-nothing endpoint (baseline)", "one-click unsubscribe", "one-click unsubscribe during the send",
             "do-nothing endpoint during the send")
    for name in names:
        row = next(line for line in result.stdout.splitlines() if line.startswith(f"| {name} |"))
        assert len(re.findall(NUMBER, row)) >= 5, row
