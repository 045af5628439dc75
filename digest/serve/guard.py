"""What stands between the open internet and the store: body caps, form fields, rate limits, CSRF, headers.

Every rule here is one a request meets before any handler looks at its meaning, so each route gets
the same ones: a body is read only up to its cap (a declared Content-Length past it is refused before
one byte is read), a form field is bounded and cleaned, a client and an address have their budgets,
a form is posted back with the token its page was given, and every answer carries the same headers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from digest import readers
from digest.i18n import N_

FORM_BYTES = 64 * 1024  # a subscribe form is a few hundred bytes; room for a long name refused with a clear answer
WEBHOOK_BYTES = 5 * 1024 * 1024  # a service's batch of events (SendGrid sends hundreds at once)
FORM_FIELDS = 20
ADDRESS_CHARS = 254  # RFC 5321's longest path
CSRF_COOKIE = "digest_csrf"
CSRF_FIELD = "csrf"



class Refused(Exception):
    """A request answered with `status` and why: on a page, a catalogue string (N_) translated there and
    filled with `values`; to a webhook, plain English for the service's log."""

    def __init__(self, status: int, message: str, **values: str) -> None:
        super().__init__(message % values if values else message)
        self.status, self.message, self.values = status, message, values


async def read_body(request: Request, cap: int) -> bytes:
    """The request's body, refused with 413 as soon as it is known to pass `cap`: at once when it says
    so in Content-Length, else after `cap` bytes of a chunked body. The rest is never read."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > cap:
        raise Refused(413, N_("The request is larger than %(bytes)s bytes."), bytes=str(cap))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise Refused(413, N_("The request is larger than %(bytes)s bytes."), bytes=str(cap))
    return bytes(body)


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """A urlencoded form's fields (the last of a repeated name wins). Anything else is refused: the
    pages post urlencoded forms only, and a mail provider's one-click POST is urlencoded too."""
    kind = content_type.split(";")[0].strip().lower()
    if kind and kind != "application/x-www-form-urlencoded":
        raise Refused(415, N_("The form must be sent as application/x-www-form-urlencoded."))
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, N_("The form is not valid UTF-8 form data, or has too many fields.")) from None
    return dict(pairs)


def clean_name(value: str) -> str:
    """A reader's name as digest.readers keeps every name (`readers.clean_name`); too long is refused
    rather than cut, so nobody's name is silently changed."""
    name = readers.clean_name(value)
    if len(name) > readers.NAME_CHARS:
        raise Refused(400, N_("The name is too long: keep it under %(count)s characters."), count=str(readers.NAME_CHARS))
    return name


def clean_address(value: str) -> str:
    """The address as typed, trimmed; a line break or a control in it is refused, never mended."""
    address = value.strip()
    if len(address) > ADDRESS_CHARS:
        raise Refused(400, N_("The email address is too long: an address has at most %(count)s characters."), count=str(ADDRESS_CHARS))
    if readers.CONTROLS_AND_BIDI.search(address):
        raise Refused(400, N_("The email address holds a line break or an invisible character."))
    return address


class RateLimit:
    """A token bucket per key: `limit` requests per `window` seconds, refilled evenly. At most `keys`
    keys are remembered (the least recently seen are forgotten first), so memory stays bounded under
    a flood of new clients."""

    def __init__(self, limit: int, window: float, keys: int = 100_000) -> None:
        self.limit, self.rate, self.keys = limit, limit / window, keys
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one request from `key`'s budget; False when it has none left."""
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.pop(key, (float(self.limit), now))
        tokens = min(float(self.limit), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self.buckets[key] = (tokens - 1 if allowed else tokens, now)
        while len(self.buckets) > self.keys:
            self.buckets.popitem(last=False)
        return allowed


class Csrf:
    """Double-submit tokens: the page sets a random cookie and carries a MAC of it in a hidden field;
    a POST must bring both back. The key lives as long as the process: a form from before a restart
    is refused with "reload the page", never accepted blindly."""

    def __init__(self, base_url: str) -> None:
        self.key = secrets.token_bytes(32)
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}".lower()
        self.path = (parts.path.rstrip("/") or "") + "/"
        self.secure = parts.scheme == "https"

    def cookie(self, request: Request) -> str:
        """The client's cookie if it has a sound one, else a new one (the page then sets it)."""
        value = request.cookies.get(CSRF_COOKIE, "")
        return value if re.fullmatch(r"[A-Za-z0-9_-]{22}", value) else base64.urlsafe_b64encode(secrets.token_bytes(16)).decode()[:22]

    def field(self, cookie: str) -> str:
        return hmac.new(self.key, cookie.encode("ascii"), hashlib.sha256).hexdigest()

    def set_cookie_header(self, cookie: str) -> str:
        secure = "; Secure" if self.secure else ""
        return f"{CSRF_COOKIE}={cookie}; Path={self.path}; HttpOnly; SameSite=Strict{secure}"

    def check(self, request: Request, form: dict[str, str]) -> None:
        """Refuse (403) a POST from another site, or without the cookie and field its page was given."""
        origin = request.headers.get("origin")
        if origin and origin.lower() != "null" and origin.lower() != self.origin:
            raise Refused(403, N_("The form was sent from another site."))
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(self.field(cookie), form.get(CSRF_FIELD, "")):
            raise Refused(403, N_("The form has expired: reload the page and try again."))


@dataclass(frozen=True)
class Headers:
    """The headers every answer carries. The pages' one stylesheet is allowed by its hash, so the
    Content-Security-Policy allows no script, no other style, no frame and no other form target."""

    style_hash: str
    https: bool

    def for_page(self) -> dict[str, str]:
        headers = {
            "Content-Security-Policy": (f"default-src 'none'; style-src '{self.style_hash}'; img-src 'self' data:;"
                                        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",  # a token in the URL must not travel on to another site
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            "Cache-Control": "no-store",
        }
        if self.https:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        return headers


def style_hash(css: str) -> str:
    """The CSP source for an inline <style> with exactly this text."""
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
