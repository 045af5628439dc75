"""Start-up: a command loads what it uses when it runs. `digest --help`, `status` and `unsubscribe`
summarize, cluster and render nothing, so they load neither sumy, NLTK nor numpy (half a second of
imports and more). Each runs as `python -X importtime -m digest ...` in a process of its own, which
lists every module it imported; bench/startup.py times them."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_digest

HEAVY = ("sumy", "nltk", "numpy")
SECRET = {"DIGEST_UNSUBSCRIBE_SECRET": "a-test-secret-of-some-length-0123456789"}


def imported(*args: str, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the command line in a new interpreter; its result and every module it imported."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "digest", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    modules = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    return result, modules


def heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY)


@pytest.fixture(scope="module")
def sent_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample day sent to the outbox (in this process), so `status` has an edition to show."""
    folder = tmp_path_factory.mktemp("sent")
    shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
    shutil.copytree(ROOT / "sample", folder / "sample")
    result = run_digest("send", "--date", "2026-05-14", cwd=folder, env=SECRET)
    assert result.returncode == 0, result.stderr.decode()
    return folder


def test_help_loads_no_summarizer_and_lists_the_commands() -> None:
    result, modules = imported("--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "digest.cli" in modules and not heavy(modules)
    for command in ("build", "explain", "send", "status", "unsubscribe", "summarize"):
        assert f"  {command} " in result.stdout, command


def test_status_loads_no_summarizer(sent_project: Path) -> None:
    result, modules = imported("status", cwd=sent_project)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("edition 2026-05-14 (No. ") and "readers@example.com" in result.stdout
    assert not heavy(modules), heavy(modules)


def test_unsubscribe_loads_no_summarizer(sent_project: Path) -> None:
    result, modules = imported("unsubscribe", "readers@example.com", cwd=sent_project)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "readers@example.com: unsubscribed\n"
    assert not heavy(modules), heavy(modules)


def test_a_command_that_summarizes_does_load_them(tmp_path: Path) -> None:
    """The checks above would see these modules: a first build, which clusters the day's items with
    numpy and summarizes with sumy, lists them; a rebuild of the same day, whose stories come from
    the store, has no use for numpy. requests, which sumy imports but digest never calls, loads in neither."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "sample", tmp_path / "sample")
    first, first_modules = imported("build", "--date", "2026-05-14", "--format", "text", "-o", "-", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert {"numpy", "sumy"} <= {name.split(".")[0] for name in heavy(first_modules)}
    assert "sumy.utils" in first_modules and not {"urllib3", "chardet", "charset_normalizer"} & first_modules
    again, modules = imported("build", "--date", "2026-05-14", "--format", "text", "-o", "-", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout == first.stdout and "numpy" not in modules, heavy(modules)


def test_bounce_loads_no_summarizer(sent_project: Path) -> None:
    """The mail server starts `digest bounce` once per bounce: it reads a message and touches the store, nothing more."""
    dsn = (ROOT / "tests" / "data" / "bounces" / "postfix-dsn-5.1.1.eml").read_text().replace("ann@example.org", "readers@example.com")
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "digest", "bounce"], cwd=sent_project, input=dsn,
                            capture_output=True, text=True, timeout=120)
    modules = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert result.returncode == 0 and result.stdout.startswith("readers@example.com: "), result.stderr[-2000:]
    assert "(hard bounce 5.1.1: 550 5.1.1" in result.stdout  # suppressed, or (unsubscribed above) now for the bounce
    assert "digest.bounces.parse" in modules and not heavy(modules), heavy(modules)


def test_a_command_sets_the_collector_for_a_process_that_exits() -> None:
    """digest.cli collects garbage less often while a command runs, and freezes what is left at exit
    (not before: a process that goes on, as the tests do, keeps collecting), however many commands it runs."""
    code = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('at exit:', gc.get_freeze_count() > 0))\n"  # runs after digest's own handler
        "from click.testing import CliRunner\n"
        "from digest.cli import main\n"
        "for _ in range(3):\n"
        "    assert CliRunner().invoke(main, ['summarize', '-n', '1'], input='One short sentence.').exit_code == 0\n"
        "print('before exit:', gc.get_freeze_count() > 0, gc.get_threshold()[0])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["before exit: False 50000", "at exit: True"]
