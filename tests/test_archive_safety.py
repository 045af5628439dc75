"""The archive folder is published as it is: it may not hold the readers' addresses (the subscribers
file, output.dir), a link inside it may not carry a write out of it, and the files it drops from the
archive (index pages after per_page grew) go, while the operator's own files stay. Real CLI, real files."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_archive import outbox_project

ARCHIVE = 'archive: {dir: public, base_url: "https://news.example.com/daily/"}'


@pytest.mark.parametrize(("extra", "says"), [
    ("subscribers: {path: public/readers.csv}", "would publish the subscribers file"),
    ("output: {dir: public/out}", "would publish output.dir"),
    ("output: {dir: public}", "would publish output.dir"),
])
def test_an_archive_folder_holding_the_readers_addresses_is_a_config_error(tmp_path: Path, extra: str, says: str) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public/readers.csv").write_text("email,name\nann@example.org,Ann\n")
    project = outbox_project(tmp_path, f"{ARCHIVE}\n{extra}")
    for args in (("archive",), ("build", "--format", "jsonl", "-o", "-")):
        result = project.digest(*args)
        assert result.exit_code == 2, result.stderr
        assert f"{project.config}: archive.dir: 'public' {says}" in result.stderr
        assert "use a folder of its own for the archive" in result.stderr
    assert not (tmp_path / "public/out").exists()


def test_a_subscribers_file_reached_through_a_link_in_the_archive_folder_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "private").mkdir()
    (tmp_path / "private/readers.csv").write_text("email,name\nann@example.org,Ann\n")
    (tmp_path / "public").mkdir()
    (tmp_path / "public/lists").symlink_to(tmp_path / "private", target_is_directory=True)
    project = outbox_project(tmp_path, f"{ARCHIVE}\nsubscribers: {{path: public/lists/readers.csv}}")
    result = project.digest("archive")
    assert result.exit_code == 2 and "would publish the subscribers file" in result.stderr
