"""The routes of `digest serve`, relative to the root `serve.base_url` names:

    GET/POST /subscribe           the form; its POST asks for a confirmation email (double opt-in)
    GET/POST /confirm/<token>     a page with one button; its POST adds the reader
    GET/POST /unsubscribe/<token> a page with one button; a POST (RFC 8058 one-click, or the button) opts out
    POST     /webhooks/postmark | /webhooks/sendgrid | /webhooks/ses

A GET never changes anything. The store is the one `send` uses; every call to it runs in one thread
of its own (an SQLite connection belongs to the thread that opened it), so a write waits for a send's
transaction as any other process's would, and nothing is lost on either side.
"""
from __future__ import annotations

import asyncio
import email.parser
import email.policy
import re
import traceback
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from digest.config import Config
from digest.errors import DigestError
from digest.i18n import N_
from digest.logs import log
from digest.readers import (
    Reader,
    ReaderError,
    Reason,
    address_problem,
    confirm_subscription,
    is_token,
    normalise,
    request_subscription,
    soft_bounce,
    suppress,
    unsubscribe,
)
from digest.serve.guard import FORM_BYTES, WEBHOOK_BYTES, Csrf, RateLimit, Refused, clean_address, clean_name, parse_form, read_body
from digest.serve.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, Event, Kind, Postmark, SendGrid
from digest.serve.mail import Outbox
from digest.serve.pages import Pages
from digest.serve.sns import Sns, ses_events
from digest.store import Store, open_store

HOUR, DAY = 3600.0, 86400.0
_CONFIRM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
EVENTS_REMEMBERED = 100_000  # webhook event ids seen, so a replayed soft bounce is not counted twice

T = TypeVar("T")


class StoreThread:
    """The store, opened in and used from one thread: `await run(call)` calls call(store) there."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="serve-store")
        self.store: Store | None = None

    def _call(self, call: Callable[[Store], T]) -> T:
        if self.store is None:
            self.store = open_store(self.config)
        return call(self.store)

    async def run(self, call: Callable[[Store], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._call, call)

    def close(self) -> None:
        def shut() -> None:
            if self.store is not None:
                self.store.close()
        self.pool.submit(shut).result()
        self.pool.shutdown(wait=True)


class Seen:
    """Event ids recently recorded (bounded): a service retrying a delivery is not two bounces."""

    def __init__(self, size: int = EVENTS_REMEMBERED) -> None:
        self.size, self.ids = size, OrderedDict[str, None]()

    def first_time(self, event_id: str) -> bool:
        if not event_id:
            return True
        if event_id in self.ids:
            return False
        self.ids[event_id] = None
        while len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return True


def one_click(body: bytes, content_type: str) -> bool:
    """Whether the body says `List-Unsubscribe=One-Click`, urlencoded or as multipart/form-data (RFC 8058 allows both)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        return any(part.get_param("name", header="content-disposition") == "List-Unsubscribe"
                   and part.get_content().strip() == "One-Click" for part in message.iter_parts())
    return parse_form(body, content_type).get("List-Unsubscribe") == "One-Click"


class Server:
    """One config's app: pages, limits, the store thread, the confirmation outbox, the webhooks."""

    def __init__(self, config: Config) -> None:
        self.config, self.settings = config, config.serve
        self.pages = Pages(config)
        self.csrf = Csrf(self.settings.root)
        self.per_client = RateLimit(self.settings.subscribe_per_client, HOUR)
        self.per_address = RateLimit(self.settings.subscribe_per_address, DAY)
        hooks = self.settings.webhooks
        self.postmark = Postmark(hooks.postmark, config.file) if hooks.postmark else None
        self.sendgrid = SendGrid(hooks.sendgrid, config.file) if hooks.sendgrid else None
        self.sns = Sns(hooks.ses, config.fetch) if hooks.ses else None
        self.seen = Seen()
        self.store = StoreThread(config)
        self.outbox = Outbox(config)

    def app(self) -> Starlette:
        routes = [
            Route("/subscribe", self.subscribe, methods=["GET", "POST"]),
            Route("/confirm/{token}", self.confirm, methods=["GET", "POST"]),
            Route("/unsubscribe/{token}", self.unsubscribe, methods=["GET", "POST"]),
            Route("/webhooks/postmark", self.postmark_hook, methods=["POST"]),
            Route("/webhooks/sendgrid", self.sendgrid_hook, methods=["POST"]),
            Route("/webhooks/ses", self.ses_hook, methods=["POST"]),
        ]
        return Starlette(routes=routes, exception_handlers={Refused: self.refused, HTTPException: self.http_error, Exception: self.failed},
                         lifespan=self.lifespan)

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """The store thread and the confirmation outbox live as long as the server."""
        try:
            yield
        finally:
            await run_in_threadpool(self.close)

    def close(self) -> None:
        self.outbox.close()
        self.store.close()

    # answers to what went wrong

    async def refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        headers = {"Connection": "close"} if exc.status == 413 else {}  # the rest of a too-large body is never read
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="digest webhooks"'
        if exc.status == 429:
            headers["Retry-After"] = str(int(HOUR / self.settings.subscribe_per_client) + 1)
        if request.url.path.startswith("/webhooks/"):
            response: Response = PlainTextResponse(str(exc) + "\n", status_code=exc.status, headers=self.pages.headers.for_page())
        else:
            response = self.pages.problem(exc.status, exc.message, **exc.values)
        response.headers.update(headers)
        return response

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: N_("There is no page at this address."), 405: N_("This address does not take that kind of request.")}
        return await self.refused(request, Refused(exc.status_code, messages.get(exc.status_code, N_("The request was refused."))))

    async def failed(self, request: Request, exc: Exception) -> Response:
        """A fault of the server's own: said on stderr with where it happened (the path's token masked), answered 500."""
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {frame.filename}:{frame.lineno}" if frame else ""
        path = re.sub(r"/(unsubscribe|confirm)/[^/]+", r"/\1/...", request.url.path)
        log.error(f"serve: {request.method} {path} failed: {type(exc).__name__}: {exc}{where}")
        return self.pages.problem(500, N_("Something went wrong on our side; please try again later."))

    async def stored(self, call: Callable[[Store], T]) -> T:
        """Run call(store) in the store's thread; a store that stays busy or broken is a 503, said on stderr."""
        try:
            return await self.store.run(call)
        except ReaderError as exc:  # an address the checks before should have refused: said, never a 503
            log.warning(f"serve: {exc}")
            raise Refused(400, N_("That is not an email address like name@example.com.")) from None
        except DigestError as exc:
            log.error(f"serve: {exc.message()}")
            raise Refused(503, N_("The newsletter's records are busy; please try again in a moment.")) from None

    @staticmethod
    def client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    async def form(self, request: Request) -> dict[str, str]:
        form = parse_form(await read_body(request, FORM_BYTES), request.headers.get("content-type", ""))
        self.csrf.check(request, form)
        if not self.per_client.allow(self.client(request)):
            log.warning(f"serve: {self.client(request)} sent more than {self.settings.subscribe_per_client} forms in an hour; refused")
            raise Refused(429, N_("Too many requests from your address; please wait an hour and try again."))
        return form

    # subscribe and confirm

    async def subscribe(self, request: Request) -> Response:
        cookie = self.csrf.cookie(request)
        if request.method == "GET":
            return self.pages.subscribe(self.csrf.field(cookie), self.csrf.set_cookie_header(cookie))
        form = await self.form(request)
        typed = form.get("email", "")
        try:
            address, name = clean_address(typed), clean_name(form.get("name", ""))
        except Refused as exc:
            return self.pages.subscribe(self.csrf.field(cookie), self.csrf.set_cookie_header(cookie), status=400,
                                        error=self.pages._(exc.message, **exc.values), email=typed[:254], name=form.get("name", "")[:100])
        if address_problem(address):
            return self.pages.subscribe(self.csrf.field(cookie), self.csrf.set_cookie_header(cookie), status=400,
                                        error=self.pages._("That is not an email address like name@example.com."), email=address, name=name)
        if form.get("website"):  # the honeypot: only a program fills a field nobody can see
            log.info(f"serve: a subscribe form from {self.client(request)} filled the hidden field; nothing sent")
        elif not self.per_address.allow(normalise(address)):
            log.warning(f"serve: {normalise(address)} asked to subscribe more than {self.settings.subscribe_per_address} times today;"
                        " no more confirmation emails to it today")
        else:
            now = datetime.now(UTC)
            token = await self.stored(lambda store: request_subscription(self.config, store, address, name, now))
            if token:
                self.outbox.post(Reader(normalise(address), name), f"{self.settings.root}/confirm/{token}", now)
        return self.pages.check_inbox(address)

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        if not _CONFIRM_TOKEN.fullmatch(token):
            return self.pages.confirm_failed()
        cookie = self.csrf.cookie(request)
        if request.method == "GET":
            return self.pages.confirm(token, self.csrf.field(cookie), self.csrf.set_cookie_header(cookie))
        await self.form(request)
        reader = await self.stored(lambda store: confirm_subscription(self.config, store, token, datetime.now(UTC)))
        if reader is None:
            return self.pages.confirm_failed()
        log.info(f"serve: {reader.address} confirmed their subscription")
        return self.pages.confirmed()

    # unsubscribe

    async def unsubscribe(self, request: Request) -> Response:
        token = request.path_params["token"]
        if not is_token(token):  # a token, never an address: nobody unsubscribes someone else by typing theirs
            return self.pages.unknown_reader()
        if request.method == "GET":
            return self.pages.unsubscribe(token)
        body = await read_body(request, FORM_BYTES)
        try:
            wanted = one_click(body, request.headers.get("content-type", "application/x-www-form-urlencoded"))
        except ValueError:
            wanted = False
        if not wanted:
            raise Refused(400, N_("An unsubscribe request carries List-Unsubscribe=One-Click."))
        address = await self.stored(lambda store: unsubscribe(self.config, store, token, "serve: one-click", datetime.now(UTC)))
        if address is None:
            return self.pages.unknown_reader()
        log.info(f"serve: {address} unsubscribed")
        return self.pages.unsubscribed()

    # webhooks

    async def record(self, events: list[Event], source: str) -> Response:
        """Suppress for hard bounces, complaints and opt-outs; count soft bounces. Returns 200 with a tally."""
        taken = []
        for event in events:
            problem = address_problem(event.address)
            if problem:
                log.warning(f"serve: {source}: {problem}; ignored")
            elif self.seen.first_time(event.id):
                taken.append(event)
        if taken:
            now = datetime.now(UTC)
            await self.stored(lambda store: self._apply(store, taken, source, now))
        return PlainTextResponse(f"recorded {len(taken)} of {len(events)} events\n", headers=self.pages.headers.for_page())

    def _apply(self, store: Store, events: list[Event], source: str, now: datetime) -> None:
        reasons = {Kind.HARD_BOUNCE: Reason.HARD_BOUNCE, Kind.COMPLAINT: Reason.COMPLAINT, Kind.UNSUBSCRIBED: Reason.UNSUBSCRIBED}
        for event in events:
            if event.kind is Kind.SOFT_BOUNCE:
                if soft_bounce(self.config, store, event.address, source, now):
                    log.info(f"serve: {source}: {event.address} bounced softly once too often; suppressed")
            elif suppress(store, event.address, reasons[event.kind], source, now):
                log.info(f"serve: {source}: {event.address} suppressed ({event.kind})")

    def hook(self, configured: Any) -> Any:
        if configured is None:
            raise HTTPException(404)
        return configured

    async def postmark_hook(self, request: Request) -> Response:
        hook: Postmark = self.hook(self.postmark)
        hook.check(request.headers.get("authorization", ""))  # before a byte of the body is read
        return await self.record(hook.events(await read_body(request, WEBHOOK_BYTES)), "postmark webhook")

    async def sendgrid_hook(self, request: Request) -> Response:
        hook: SendGrid = self.hook(self.sendgrid)
        signature, timestamp = request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            raise Refused(403, "The webhook's signature does not verify.")
        body = await read_body(request, WEBHOOK_BYTES)
        hook.check(signature, timestamp, body)
        return await self.record(hook.events(body), "sendgrid webhook")

    async def ses_hook(self, request: Request) -> Response:
        sns: Sns = self.hook(self.sns)
        body = await read_body(request, WEBHOOK_BYTES)
        message = await run_in_threadpool(sns.message, body)  # may fetch the signing certificate
        if message["Type"] == "SubscriptionConfirmation":
            await run_in_threadpool(sns.confirm_subscription, message)
            return PlainTextResponse("subscribed\n", headers=self.pages.headers.for_page())
        if message["Type"] == "UnsubscribeConfirmation":
            log.warning(f"serve: SES webhook: the topic {message.get('TopicArn')} unsubscribed this server")
            return PlainTextResponse("noted\n", headers=self.pages.headers.for_page())
        return await self.record(ses_events(message), "ses webhook")
