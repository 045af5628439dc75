"""Writing a whole file or none: what `build -o` and the outbox both promise.

The data goes to a temporary file beside the target, which is then renamed over it, so a reader
(a browser, a mail pickup watching the outbox) never sees half a file, and a failed write (a full
disk, a read-only folder) leaves nothing behind. The file gets the usual permissions (0666 less the
umask), not a temporary file's private 0600.

`write_output` is what a path the user names gets: renamed over when it is a regular file, written
through when it is not one (a FIFO, /dev/null, /dev/stdout: replacing those would break the system
or the pipe), and refused when it is a symbolic link out of its folder.
"""
from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from digest.errors import DigestError


def write_atomically(path: Path, data: bytes | Iterable[bytes], *, durable: bool = False) -> None:
    """Replace `path` with `data` (bytes, or chunks streamed as they come) in one step; `durable` also
    syncs the data and the rename to disk.

    Raises OSError (the temporary file already removed) when it cannot.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out:
            _write(out, data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(path.parent)


def _write(out: BinaryIO, data: bytes | Iterable[bytes]) -> None:
    if isinstance(data, bytes):
        out.write(data)
    else:
        out.writelines(data)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, so a power cut cannot undo a delivery already recorded."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class UnsafeOutput(DigestError):
    """A path digest will not write through; the text says why and what to do."""


def write_output(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or chunks written as they come) to the file the user named: atomically
    when it is (or will be) a regular file.

    A FIFO, a device or anything under /dev (such as /dev/stdout, whatever it points to) is written
    through, never replaced. A symbolic link is followed when it stays in its own folder (the file it
    names is replaced) and refused with UnsafeOutput when it leads out of it. Raises OSError when the
    write fails.
    """
    absolute = Path(os.path.abspath(path))
    if absolute.is_symlink() and absolute.parts[:2] != ("/", "dev"):
        target = absolute.resolve()
        if target.parent != absolute.parent.resolve():
            raise UnsafeOutput(f"will not write {path}: it is a symbolic link to {target}, outside its folder; "
                               "remove the link or name the file itself")
        absolute = target
    if absolute.parts[:2] == ("/", "dev") or _is_special(absolute):
        with open(absolute, "wb") as out:
            _write(out, data)
        return
    write_atomically(absolute, data)


def _is_special(path: Path) -> bool:
    """An existing file (links followed) that is not a regular one: a FIFO, a device, a socket."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)
