"""`digest proof`: the edition as it stands, sent to a few addresses for the editor to read first.

It goes through the configured delivery, its subject marked "[Proof]" and its Message-IDs its own,
to those addresses only. Nothing is recorded: a proof is never the edition, and never counts for
exactly-once (the edition itself goes out later, to every reader, as if no proof had been sent).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from digest import render
from digest.config import Config
from digest.delivery import Outgoing, transport
from digest.errors import DigestError, UsageError
from digest.logs import log
from digest.pipeline import build
from digest.readers import Reader, address_problem, normalise, reader_token, secret
from digest.render.mime import Letter
from digest.store import DeliveryStatus, Store

MARK = "[Proof]"


def proof_letter(letter: Letter, now: datetime) -> Letter:
    """The letter as a proof: "[Proof]" before its subject, and a Message-ID no edition has."""
    local, _, domain = letter.message_id.strip("<>").rpartition("@")
    return replace(letter, subject=f"{MARK} {letter.subject}", message_id=f"<{local}.proof{now.strftime('%Y%m%d%H%M%S')}@{domain}>", _bodies={})


def send_proof(config: Config, store: Store, day: date, addresses: list[str], now: datetime) -> list[str]:
    """Send the proof of the edition of `day` to `addresses`; the lines to print, one per address.
    Raises DigestError when the edition is empty or no address took it."""
    for address in addresses:
        if wrong := address_problem(address):
            raise UsageError(f"--to: {wrong}")
    with store.read_only():  # nothing of a proof is kept: not even which edition an undated item went to
        built = build(config, day, now=now, store=store)
    for problem in built.problems:
        log.warning(str(problem))
    edition, problems = render.fit(built.edition, config)
    for problem in problems:
        log.warning(str(problem))
    if not edition.stories():
        raise DigestError(f"the edition of {day} has no stories; there is nothing to proof")
    letter = proof_letter(render.letter(edition, config), now)
    key = secret(config, required=letter.needs_token)
    readers = [Reader(normalise(address)) for address in addresses]
    entries = [Outgoing(reader, reader_token(reader.address, key), letter.reader_message_id(reader.address)) for reader in readers]
    shown, failed = [], []
    with transport(config) as sender:
        for start in range(0, len(entries), sender.batch):
            for outcome in sender.send(letter, entries[start:start + sender.batch], now.astimezone(config.newsletter.tz)):
                sent = outcome.status is DeliveryStatus.SENT
                shown.append(f"{outcome.address}: {'proof sent' if sent else 'not sent'} ({outcome.said})")
                if not sent:
                    failed.append(outcome.address)
    if failed:
        for line in shown:
            log.info(line)
        raise DigestError(f"the proof of the edition of {day} did not reach {', '.join(failed)}")
    return shown
