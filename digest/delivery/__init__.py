"""Hand finished messages to the mail system: one module per way out over the shared types in `base`.

`deliver` takes one message by `delivery.method` (command, smtp, outbox) and returns only once the
mail system has accepted it, raising DeliveryError with a reason a person can act on otherwise.
Accepted means: the command exited 0, the SMTP server answered 250 to the message's data, or the
.eml file is in place under its final name. `transport` gives the send loop one Sender for a whole
list; the email services (postmark, sendgrid, ses) are imported only when chosen. Every message a
transport builds for a reader is DKIM-signed there when `delivery.dkim` is set (`dkim.signer`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from digest.config import Config
from digest.delivery.base import DeliveryError, MessageSender, Outcome, Outgoing, Sender
from digest.delivery.command import deliver_by_command
from digest.delivery.dkim import signer
from digest.delivery.outbox import deliver_to_outbox
from digest.delivery.smtp import SmtpSession, deliver_by_smtp

__all__ = ["DeliveryError", "Outcome", "Outgoing", "Sender", "deliver", "service", "transport"]


def deliver(message: bytes, message_id: str, config: Config) -> str:
    """Deliver one `message` to its own recipients by `delivery.method`; return a receipt for the run log."""
    methods: dict[str, Callable[[bytes, str, Config], str]] = {
        "command": deliver_by_command,
        "smtp": deliver_by_smtp,
        "outbox": deliver_to_outbox,
    }
    return methods[config.delivery.method](message, message_id, config)


@contextmanager
def transport(config: Config) -> Iterator[Sender]:
    """A sender for a whole list: over SMTP one connection for all of it, through an email API in batches."""
    if config.delivery.method == "api":
        yield service(config)
    elif config.delivery.method == "smtp":
        with SmtpSession(config) as session:
            yield MessageSender(session.post, signer(config))
    else:
        yield MessageSender(lambda message, message_id, recipient: deliver(message, message_id, config), signer(config))


def service(config: Config) -> Sender:
    """The configured email service; each is imported only when used (SES needs boto3: `pip install 'digest[ses]'`)."""
    name = config.delivery.api.provider
    if name == "postmark":
        from digest.delivery.postmark import Postmark

        return Postmark(config)
    if name == "sendgrid":
        from digest.delivery.sendgrid import SendGrid

        return SendGrid(config)
    from digest.delivery.ses import Ses

    return Ses(config)
