"""The outbox: one .eml file per Message-ID in a folder another program watches."""
from __future__ import annotations

import re

from digest.config import Config
from digest.delivery.base import DeliveryError
from digest.files import write_atomically


def deliver_to_outbox(message: bytes, message_id: str, config: Config) -> str:
    """Write one .eml per Message-ID: to a temp file, flushed to disk, then renamed into place.

    Another program watching the folder never sees half a message, and a retry of the same edition
    replaces the same file instead of adding a second one.
    """
    folder = config.resolve(config.delivery.outbox)
    target = folder / outbox_name(message_id)
    try:
        write_atomically(target, message, durable=True)
    except OSError as exc:
        raise DeliveryError(f"cannot write to the outbox {folder}: {exc.strerror or exc}") from None
    return f"wrote {target}"


def outbox_name(message_id: str) -> str:
    """A file name from the Message-ID, safe on every file system."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", message_id.strip().strip("<>")) + ".eml"
