"""What `digest build` writes, and where: the edition's document, one reader's own message (--to),
or one ready message per reader for an email API (jsonl); to stdout, or to a file written whole.

The command line parses the options and calls `build`; `explain` shares `coming_edition`.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from digest import files, render
from digest.compliance import sending_problems
from digest.config import Config
from digest.desk import signoff
from digest.errors import DigestError, UsageError
from digest.formats import EXTENSIONS
from digest.logs import log
from digest.model import Edition
from digest.pipeline import BuildResult, edition_day
from digest.pipeline import build as build_edition
from digest.readers import Reader, address_problem, normalise, reader_token, recipients, secret
from digest.render import mime
from digest.store import Store

STDOUT = "-"


@dataclass
class Written:
    """What `build` did: the edition built, where its document went, and the HTML page to open (--open)."""

    result: BuildResult
    target: str
    page: str | None = None


def coming_edition(config: Config, store: Store, day: date | None, note: str | None = None, *, summaries: bool = True) -> BuildResult:
    """The edition `build` and `explain` show: the one dated `day`, else the config's pinned one, else
    the one whose cut-off comes next (a preview). What went wrong on the way is logged as warnings."""
    now = datetime.now(UTC)
    result = build_edition(config, edition_day(config, day, now, sending=False), now=now, store=store, note=note, summaries=summaries)
    for problem in result.problems:
        log.warning(str(problem))
    return result


def check_reader_option(to: str | None, fmt: str) -> None:
    """`--to ADDRESS` names one reader, and only for the formats a reader can be filled into."""
    if to is not None and (problem := address_problem(to)):
        raise UsageError(f"--to: {problem}")
    if to is not None and fmt == "mjml":
        raise UsageError("--to does not apply to mjml (the template source); use html, text, eml, json or jsonl")


def build(config: Config, store: Store, day: date | None, fmt: str, output: str | None, *, to: str | None = None,
          note: str | None = None, open_page: bool = False) -> Written:
    """Build the edition and write it as `fmt` to `output` (a file, STDOUT, or None: OUTPUT.DIR/DATE.EXT);
    with `open_page`, also make sure its HTML is in a file, and name that file. Check `to` first
    (check_reader_option), before the config is read. What would stop `digest send` is a warning here."""
    for refusal in sending_problems(config):
        log.warning(f"{refusal.message()} (`digest send` refuses until then)")
    result = coming_edition(config, store, day, note)
    if signoff.required(config) and store.edition(result.edition.date) is None:
        if waiting := signoff.holding(config, store, result.edition.date):
            log.info(f"{waiting}: this is a preview")
    with result.timings.stage("fit"):
        edition, problems = render.fit(result.edition, config)
    for problem in problems:
        log.warning(str(problem))
    with result.timings.stage("render"):
        data = addressed(config, store, edition, fmt, to)
        page = render.html(edition, config).encode("utf-8") if open_page and fmt != "html" else data
    target = output or default_target(config, edition.date, fmt)
    with result.timings.stage("write"):
        write(data, target)
    if not open_page:
        return Written(result, target)
    opened = target if fmt == "html" and target != STDOUT else default_target(config, edition.date, "html")
    if opened != target:
        write(page, opened)
    return Written(result, target, opened)


def addressed(config: Config, store: Store, edition: Edition, fmt: str, to: str | None) -> bytes | Iterator[bytes]:
    """What `build` writes: the edition's document, one reader's (--to), or a line per reader (jsonl).

    A message (eml, json, jsonl) is dated the moment it is written, as one piped to `sendmail -t` is
    sent then; html and text carry no date and stay the same bytes for the same edition."""
    written = datetime.now(UTC).astimezone(config.newsletter.tz)
    if fmt != "jsonl" and to is None:
        if fmt in ("eml", "json") and len(config.newsletter.to) > 1:
            log.warning(f"newsletter.to lists {len(config.newsletter.to)} readers: this message is addressed to none of them "
                        f"(To: {mime.UNDISCLOSED}), as one message to all would show each reader the others' addresses; "
                        "use `digest send`, `build --to ADDRESS` or `build --format jsonl` for one message per reader")
        return render.render(edition, config, fmt, date=written)
    letter = render.letter(edition, config)
    key = secret(config, required=letter.needs_token)
    if fmt == "jsonl":
        listed = [Reader(normalise(to))] if to else recipients(config, store, log.warning)
        return (json.dumps(letter.api_message(reader, reader_token(reader.address, key), written), ensure_ascii=False).encode("utf-8") + b"\n"
                for reader in listed)
    reader = Reader(normalise(to or ""))
    fill = reader_token(reader.address, key)
    if fmt == "eml":
        return letter.eml(reader, fill, written)
    document = letter.document(reader, fill, written)
    if fmt == "json":
        return mime.json_document(document)
    return (document["html"] if fmt == "html" else document["text"]).encode("utf-8")


def default_target(config: Config, day: date, fmt: str) -> str:
    """OUTPUT.DIR/DATE.EXT, where `build` writes when -o is not given."""
    return str(config.resolve(config.output.dir) / f"{day.isoformat()}.{EXTENSIONS[fmt]}")


def write(data: bytes | Iterable[bytes], target: str) -> None:
    """Write to stdout for STDOUT, else as digest.files.write_output does: never a half-written file.
    `data` may be chunks, written as they come (a jsonl of every reader's message)."""
    if target == STDOUT:
        sys.stdout.buffer.write(data) if isinstance(data, bytes) else sys.stdout.buffer.writelines(data)
        sys.stdout.buffer.flush()
        return
    try:
        files.write_output(Path(target), data)
    except OSError as exc:
        raise DigestError(f"cannot write {target}: {exc.strerror or exc}") from exc
