"""What must hold before an edition goes to real readers, decided in one place.

Mail providers and bulk-mail law ask for a way to unsubscribe in every message (Gmail and Yahoo: a
one-click one, which needs https), a real sender and real readers. `send` refuses without them,
`check` reports them, `build` (a preview) only warns. `check` also looks at the envelope sender,
which decides where bounces go and whether SPF lines up with From for DMARC.
"""
from __future__ import annotations

from email.utils import parseaddr

from digest.config import PLACEHOLDER_FROM, PLACEHOLDER_TO, Config, ConfigError
from digest.logs import log
from digest.model import Problem
from digest.readers import token_keys
from digest.store import Store


def sending_problems(config: Config) -> list[ConfigError]:
    """Why this config must not send to real readers; empty when it may."""
    settings, problems = config.newsletter, []
    if not settings.unsubscribe_url and not settings.unsubscribe_mailto:
        problems.append(ConfigError(
            config.file, "newsletter.unsubscribe_url", "is not set, nor newsletter.unsubscribe_mailto: the email would carry no way to"
            " unsubscribe (no List-Unsubscribe header, no link)", "set serve.base_url (where `digest serve` answers), or unsubscribe_url"
            " to an https address with {{subscriber}}, or unsubscribe_mailto"))
    elif settings.unsubscribe_url and not settings.unsubscribe_url.lower().startswith("https://"):
        problems.append(ConfigError(
            config.file, "newsletter.unsubscribe_url", f"'{settings.unsubscribe_url}' is not https: mail providers offer one-click"
            " unsubscribe (List-Unsubscribe-Post, RFC 8058) only for an https address", "serve the unsubscribe page over https"))
    if "newsletter.from" in config.left_out:
        problems.append(ConfigError(config.file, "newsletter.from", f"is not set: mail would go out from the placeholder {PLACEHOLDER_FROM}",
                                    'set it to your sender, e.g. from: "Your Daily <daily@your-domain.example>"'))
    if "newsletter.to" in config.left_out:
        problems.append(ConfigError(config.file, "newsletter.to", f"is not set: the placeholder {PLACEHOLDER_TO} would get every edition",
                                    "list your readers, or write to: [] when the subscribers file or `digest serve` lists them"))
    return problems + key_problems(config)


def key_problems(config: Config) -> list[ConfigError]:
    """A DKIM key (delivery.dkim) that cannot sign: every message would fail, so nothing starts."""
    if config.delivery.dkim is None:
        return []
    from digest.delivery.dkim import load_key  # dkimpy, loaded only when a key is configured

    try:
        load_key(config, config.delivery.dkim)
    except ConfigError as exc:
        return [exc]
    return []


def token_problems(config: Config, store: Store) -> list[ConfigError]:
    """Opt-outs an older digest kept by token can only be honoured while a secret can match them."""
    kept = len(store.token_opt_outs())
    if not kept or token_keys(config):
        return []
    name = config.newsletter.unsubscribe_secret_env
    return [ConfigError(config.file, "newsletter.unsubscribe_secret_env",
                        f"{kept} opt-outs in {store.path} were recorded by token, and without {name} they cannot be matched to"
                        " the readers who asked: those readers would be mailed again",
                        f"set {name} (and {config.newsletter.unsubscribe_previous_secrets_env}) to the secrets in use then,"
                        " or `digest readers suppress` their addresses")]


def refusals(config: Config, store: Store) -> list[ConfigError]:
    """Everything `digest send` refuses until it is fixed (and `digest check` reports as such)."""
    return sending_problems(config) + token_problems(config, store)


def refuse_unsafe(config: Config, store: Store) -> None:
    """Stop a send (ConfigError, exit 2) that would break the promise made to readers; every reason is logged."""
    problems = refusals(config, store)
    for problem in problems[1:]:
        log.error(problem.message())
    if problems:
        raise problems[0]


def envelope_problems(config: Config) -> list[Problem]:
    """The return path (the envelope sender): where bounces go, and what SPF checks. DMARC passes on SPF only when
    its domain lines up with From's. An email service sets its own, so only command and smtp are looked at."""
    if config.delivery.method not in ("command", "smtp"):
        return []
    sender = _from_domain(config)
    path = config.delivery.return_path
    if path is None:
        return [Problem("delivery.return_path", "is not set: bounces go to From's mailbox (smtp) or to the user running the command at"
                        " this host (sendmail -t), whose domain does not line up with From for SPF; set it to an address at"
                        f" {sender or 'your domain'} that `digest bounce` reads, e.g. bounces@{sender or 'your-domain.example'}")]
    domain = path.rpartition("@")[2].lower()
    if not aligned(domain, sender):
        return [Problem("delivery.return_path", f"is at {domain}, From at {sender}: DMARC's SPF alignment fails; use an address"
                        f" at {sender} or one of its subdomains")]
    return []


def dkim_problems(config: Config) -> list[Problem]:
    """A DKIM key that cannot help: a service that builds the message itself signs it with its own, and a
    signature by a domain not aligned with From's does not count for DMARC."""
    settings = config.delivery.dkim
    if settings is None:
        return []
    if config.delivery.method == "api" and config.delivery.api.provider in ("postmark", "sendgrid"):
        return [Problem("delivery.dkim", f"does nothing with {config.delivery.api.provider}, which builds and signs the message"
                        " itself: authenticate your domain in its settings instead (README: Deliverability)")]
    sender = _from_domain(config)
    if not aligned(settings.domain.lower(), sender):
        return [Problem("delivery.dkim.domain", f"is {settings.domain}, From at {sender}: DMARC's DKIM alignment fails;"
                        f" sign as {sender} or a domain it is under")]
    return []


def _from_domain(config: Config) -> str:
    """The domain of `newsletter.from`, lower-cased ("" when it has none): what DMARC aligns SPF and DKIM with."""
    return parseaddr(config.newsletter.from_)[1].rpartition("@")[2].lower()


def aligned(one: str, other: str) -> bool:
    """Relaxed alignment, as DMARC has it, near enough without the public suffix list: the same domain,
    or one under the other."""
    return bool(one and other) and (one == other or one.endswith("." + other) or other.endswith("." + one))


def mail_law_problems(config: Config) -> list[Problem]:
    """What bulk-mail law asks of a newsletter sent to real readers (CAN-SPAM: a postal address in
    every message) and the config lacks; an outbox only collects messages, so it is spared."""
    if config.delivery.method != "outbox" and not config.email.postal_address:
        return [Problem("email.postal_address", "is not set: bulk-mail law (CAN-SPAM, and most others) asks for the "
                        "sender's postal address in every message; add it, e.g. \"Example News, 1 Main Street, Kyiv\"")]
    return []
