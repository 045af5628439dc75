"""DKIM: each reader's message signed with the newsletter's own key (`delivery.dkim`), at the point its
bytes are final, by dkimpy.

relaxed/relaxed canonicalisation, so a relay that refolds a header or trims a trailing space does not
break the signature. The signed headers are listed once more than the message has them (oversigned):
a header added on the way (a second From, a List-Unsubscribe-Post where there was none, which RFC 8058
asks to be covered) then fails the signature instead of riding on it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

import dkim
import dkim.crypto

from digest.config import Config, ConfigError, DkimConfig

SIGNED = ("From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
          "MIME-Version", "Content-Type")
MIN_KEY_BITS = 1024  # receivers ignore signatures made with shorter keys (RFC 8301)
KEY = "delivery.dkim.private_key_file"
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")

Sign = Callable[[bytes], bytes]


def load_key(config: Config, settings: DkimConfig) -> bytes:
    """The private key's PEM bytes, checked: a file that is missing, unreadable, not an RSA key or a
    short one is a config error naming the key and the file."""
    for key, value in (("delivery.dkim.domain", settings.domain), ("delivery.dkim.selector", settings.selector)):
        if not _NAME.match(value):
            raise ConfigError(config.file, key, f"'{value}' is not a DNS name", "write e.g. domain: example.com, selector: s1")
    path = config.resolve(settings.private_key_file)
    try:
        pem = Path(path).read_bytes().replace(b"\r\n", b"\n")
    except OSError as exc:
        raise ConfigError(config.file, KEY, f"{path} cannot be read ({exc.strerror or exc})",
                          "make the key with `openssl genrsa -out dkim.key 2048` (paths are relative to the config file)") from None
    try:
        bits = dkim.crypto.parse_pem_private_key(pem)["modulus"].bit_length()
    except Exception:  # dkimpy's ASN.1 parser raises several kinds for a file that is not a key
        raise ConfigError(config.file, KEY, f"{path} is not an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)",
                          "make one with `openssl genrsa -out dkim.key 2048`") from None
    if bits < MIN_KEY_BITS:
        raise ConfigError(config.file, KEY, f"{path} is a {bits}-bit key; receivers ignore signatures by keys under {MIN_KEY_BITS} bits",
                          "make a 2048-bit one with `openssl genrsa -out dkim.key 2048`")
    return pem


def signer(config: Config) -> Sign:
    """What every message to a reader goes through before it is handed over: DKIM signing when
    `delivery.dkim` is set, else nothing."""
    settings = config.delivery.dkim
    if settings is None:
        return lambda message: message
    pem = load_key(config, settings)
    selector, domain = settings.selector.encode("ascii"), settings.domain.encode("ascii")

    def sign(message: bytes) -> bytes:
        head = message.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        present = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
        include = [name.lower().encode("ascii") for name in SIGNED for _ in range(len(present.get_all(name) or []) + 1)]
        signature = dkim.sign(message, selector, domain, pem, canonicalize=(b"relaxed", b"relaxed"), include_headers=include)
        return signature + message

    return sign
