"""The archive folder on disk: where a file may be written, and which files the archive itself made.

A file goes only where the folder's own path leads: a link to a folder inside it that points out of
it is refused (`OutsideFolder`), so no write lands elsewhere on the machine. The manifest (MANIFEST,
in the folder) lists every file the archive wrote with its SHA-256, so a file it no longer makes (an
index page after `per_page` grew) is removed, and only while its bytes are still the ones written:
a file the operator put in the folder, or changed since, is never touched.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from digest.files import write_atomically

MANIFEST = ".digest-archive.json"  # {"files": {name: sha256}}: lists public files only, so it may be published


class OutsideFolder(OSError):
    """A write the archive refuses: it would leave the archive folder. The text says why and what to do."""


def target(folder: Path, name: str) -> Path:
    """`folder / name` (`name` relative, with "/"), or OutsideFolder when the name, or a link to a
    folder on its way, leads out of the folder. The file itself may be a link: a write replaces it."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise OutsideFolder(f"'{name}' is not a path inside the archive folder {folder}")
    root, path = folder.resolve(), folder
    for part in parts[:-1]:
        path = path / part
        if path.is_symlink():
            real = path.resolve()
            if real != root and root not in real.parents:
                raise OutsideFolder(f"{path} is a link to {real}, outside the archive folder; "
                                    "remove the link (the archive writes only inside its folder)")
    return folder.joinpath(*parts)


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def made_before(folder: Path) -> dict[str, str]:
    """The files the archive wrote last time, by name, with their fingerprints; {} without a readable manifest."""
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = recorded.get("files") if isinstance(recorded, dict) else None
    if not isinstance(files, dict):
        return {}
    return {name: value for name, value in files.items() if isinstance(name, str) and isinstance(value, str)}


def remove_stale(folder: Path, before: dict[str, str], now: Iterable[str]) -> list[str]:
    """Remove the files the archive made before and makes no more, each only while it holds the bytes
    written; then the folders that leaves empty. The names removed."""
    removed = []
    for name in sorted(set(before) - set(now)):
        try:
            path = target(folder, name)
            if not path.is_file() or fingerprint(path.read_bytes()) != before[name]:
                continue  # gone already, or changed since: the operator's now
            path.unlink()
        except OSError:
            continue  # a stale file that cannot go is left, as a file the archive did not make would be
        removed.append(name)
        _remove_empty_folders(folder, path.parent)
    return removed


def record(folder: Path, files: dict[str, str]) -> None:
    """Keep the list of files the archive made, when it changed (the same files give the same bytes)."""
    data = json.dumps({"files": dict(sorted(files.items()))}, indent=1).encode("utf-8") + b"\n"
    path = target(folder, MANIFEST)
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(path, data)


def _remove_empty_folders(folder: Path, start: Path) -> None:
    """`start` and the folders above it, up to (not including) `folder`, while each is empty."""
    while start != folder and folder in start.parents:
        try:
            start.rmdir()
        except OSError:
            return
        start = start.parent
