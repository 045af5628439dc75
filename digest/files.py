"""Writing a whole file or none: what `build -o` and the outbox both promise.

The data goes to a temporary file beside the target, which is then renamed over it, so a reader
(a browser, a mail pickup watching the outbox) never sees half a file, and a failed write (a full
disk, a read-only folder) leaves nothing behind. The file gets the usual permissions (0666 less the
umask), not a temporary file's private 0600.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path


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
            out.write(data) if isinstance(data, bytes) else out.writelines(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, so a power cut cannot undo a delivery already recorded."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
