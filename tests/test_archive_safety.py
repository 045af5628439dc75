"""The archive folder is published as it is: it may not hold the readers' addresses (the subscribers
file, output.dir), a link inside it may not carry a write out of it, and the files it drops from the
archive (index pages after per_page grew) go, while the operator's own files stay. Real CLI, real files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_archive import folder_bytes, outbox_project
from test_send import DAY1, DAY2, ok

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


def test_a_link_in_the_archive_folder_to_a_folder_outside_it_gets_no_write(tmp_path: Path) -> None:
    project = outbox_project(tmp_path, ARCHIVE)
    ok(project.digest("send", "--date", DAY1.isoformat()))
    public, elsewhere = tmp_path / "public", tmp_path / "elsewhere"
    elsewhere.mkdir()
    for path in sorted((public / "2026").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (public / "2026").rmdir()
    (public / "2026").symlink_to(elsewhere, target_is_directory=True)

    result = project.digest("archive", "--rebuild")
    assert result.exit_code == 1
    assert f"cannot write the archive: {public / '2026'} is a link to {elsewhere}, outside the archive folder; remove the link" in result.stderr
    sent = project.digest("send", "--date", DAY2.isoformat())  # the email goes; the archive says why it could not follow
    assert sent.exit_code == 0, sent.stderr
    assert "warning: archive: could not publish to public" in sent.stderr and "outside the archive folder" in sent.stderr
    assert list(elsewhere.rglob("*")) == []
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def index_pages(public: Path) -> list[str]:
    return sorted(name for name in folder_bytes(public) if re.fullmatch(r"(page/\d+/)?index\.html", name))


def test_index_pages_the_archive_no_longer_makes_are_removed_and_the_operators_files_stay(tmp_path: Path) -> None:
    project = outbox_project(tmp_path, ARCHIVE.replace("}", ", per_page: 1}"))
    for day in (DAY1, DAY2):
        ok(project.digest("send", "--date", day.isoformat()))
    public = tmp_path / "public"
    assert index_pages(public) == ["index.html", "page/2/index.html"]
    (public / "page/3").mkdir()
    (public / "page/3/index.html").write_text("the operator's own page\n")  # where the archive might write, never written by it
    (public / "notes.txt").write_text("the operator's notes\n")

    project.config.write_text(project.config.read_text().replace("per_page: 1", "per_page: 30"))
    assert "1 removed" in ok(project.digest("archive", "--rebuild"))
    assert index_pages(public) == ["index.html", "page/3/index.html"]
    assert not (public / "page/2").exists()  # its folder too, left empty
    assert (public / "page/3/index.html").read_text() == "the operator's own page\n"
    assert (public / "notes.txt").read_text() == "the operator's notes\n"
    assert re.findall(r'href="([^"]*index\.html)"', (public / "index.html").read_text()).count("page/2/index.html") == 0

    # a page the archive made and the operator then changed is theirs: it stays when the archive drops it
    project.config.write_text(project.config.read_text().replace("per_page: 30", "per_page: 1"))
    ok(project.digest("archive"))
    assert index_pages(public) == ["index.html", "page/2/index.html", "page/3/index.html"]
    with (public / "page/2/index.html").open("a") as page:
        page.write("<!-- kept by hand -->\n")
    project.config.write_text(project.config.read_text().replace("per_page: 1", "per_page: 30"))
    assert "removed" not in ok(project.digest("archive"))
    assert (public / "page/2/index.html").read_text().endswith("<!-- kept by hand -->\n")
