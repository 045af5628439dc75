"""The confirmation email of double opt-in, sent through the configured delivery like an edition.

It goes out from a background thread after the page has answered, so the answer takes the same time
whether or not an email is sent: a slow mail server cannot tell anyone which addresses are readers.
"""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.utils import format_datetime, parseaddr

from digest.config import Config, sender
from digest.delivery import Outgoing, transport
from digest.i18n import language
from digest.logs import log
from digest.readers import Reader
from digest.render.mime import Letter, list_id
from digest.render.templates import render_template
from digest.store import DeliveryStatus

QUEUE_LIMIT = 200  # confirmation emails waiting at once; past it new ones are dropped (the rate limits make that a flood)


def confirmation_letter(config: Config, address: str, url: str, now: datetime) -> Letter:
    """The message: subject, a text and an HTML part, each with the one link; no unsubscribe (nobody is
    subscribed yet). From as the editions have it (`config.sender`), so a bare `from` shows the title."""
    title = config.newsletter.title
    values = {"title": title, "url": url, "days": f"{config.serve.confirm_days:g}"}
    address_from = parseaddr(config.newsletter.from_)[1] or "digest@localhost"
    tag = hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]
    return Letter(
        subject=language(config.newsletter.lang).gettext("Confirm your subscription to %(title)s") % {"title": title},
        preheader="", from_=sender(config), to=[address],
        html=render_template(config, "confirm_email.html.j2", **values), text=render_template(config, "confirm_email.txt.j2", **values),
        message_id=f"<confirm.{tag}@{address_from.rpartition('@')[2] or 'localhost'}>", date=format_datetime(now),
        list_id=list_id(config), unsubscribe=[], one_click=False,
    )


def send_confirmation(config: Config, reader: Reader, url: str, now: datetime) -> bool:
    """Deliver one confirmation email now; False (and a line on stderr) when the mail system did not take it."""
    letter = confirmation_letter(config, reader.address, url, now)
    try:
        with transport(config) as sender:
            (outcome,) = sender.send(letter, [Outgoing(reader, None, letter.message_id)], now.astimezone(config.newsletter.tz))
    except Exception as exc:  # the server keeps serving whatever the mail system does; the reader can ask again
        log.error(f"serve: the confirmation email to {reader.address} could not be sent: {exc}")
        return False
    if outcome.status is not DeliveryStatus.SENT:
        log.error(f"serve: the confirmation email to {reader.address} was not accepted: {outcome.said}")
        return False
    log.info(f"serve: sent a confirmation email to {reader.address}")
    return True


class Outbox:
    """Confirmation emails waiting to go, one at a time, in a thread of their own."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="serve-mail")
        self.waiting = 0
        self.lock = threading.Lock()

    def post(self, reader: Reader, url: str, now: datetime) -> None:
        with self.lock:
            if self.waiting >= QUEUE_LIMIT:
                log.warning(f"serve: {QUEUE_LIMIT} confirmation emails are already waiting; the one to {reader.address} is dropped")
                return
            self.waiting += 1
        self.pool.submit(self._send, reader, url, now)

    def _send(self, reader: Reader, url: str, now: datetime) -> None:
        try:
            send_confirmation(self.config, reader, url, now)
        finally:
            with self.lock:
                self.waiting -= 1

    def close(self) -> None:
        self.pool.shutdown(wait=True)
