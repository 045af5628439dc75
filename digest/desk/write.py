"""`digest desk DATE pin|drop|edit|add|note ...`: ledger entries written for those who prefer a command.

The file stays the contract: the command reads it, adds the entry, checks the result exactly as a
build would (so it never writes a ledger a build refuses) and writes it whole. The file is written
back as plain YAML, so comments in it are not kept (the command says so when there were some).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import yaml

from digest import files
from digest.config import Config
from digest.desk.ledger import LedgerError, ledger_path, parse_ledger, read_ledger, shown_path
from digest.errors import UsageError
from digest.logs import log

_COMMENT = re.compile(r"(^|\s)#", re.MULTILINE)


def write_entry(config: Config, day: date, section: str, entry: Any) -> str:
    """Add `entry` to the ledger of `day` (under `stories` or `add`, or as the `note`); a line for a person."""
    path = ledger_path(config, day)
    if path is None:
        raise UsageError(f"{config.file}: edition.desk: is not set; add edition: {{desk: editions/}} to keep a ledger per edition")
    ledger = read_ledger(config, day)  # a broken file is named (exit 2) before anything is changed
    text = ledger.text if ledger else ""
    data = yaml.safe_load(text) or {}
    if section == "note":
        data["note"] = entry
    else:
        data.setdefault(section, [])
        data[section] = [*(data[section] or []), entry]
    written = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
    name = shown_path(config, day)
    try:
        parse_ledger(written, name, config)
    except LedgerError as exc:
        raise LedgerError(f"{exc} (nothing written)") from None
    if _COMMENT.search(text):
        log.warning(f"{name}: its comments are not kept when digest desk writes it")
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_output(path, written.encode("utf-8"))
    return f"{name}: {section if section != 'stories' else 'story'} entry written"


def story_entry(match: str, **fields: Any) -> dict[str, Any]:
    """A `stories:` entry of the fields given (None: left out)."""
    return {"match": match, **{key: value for key, value in fields.items() if value is not None}}
