"""The pages a reader sees: subscribe, confirm, unsubscribe and their outcomes, in the newsletter's
language and look (templates/serve_page.html.j2 and serve_style.css.j2, overridable like the email's).

Every word is the catalogue's (digest.i18n), every value is escaped by the template, and every page
carries the same security headers; the stylesheet is inline and allowed by its hash alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup
from starlette.responses import HTMLResponse

from digest.config import Config
from digest.i18n import language
from digest.render.templates import render_template
from digest.serve.guard import CSRF_FIELD, Headers, style_hash


@dataclass
class Form:
    """A page's one form: the subscribe fields, or a single button; posted back to the page's own URL."""

    button: str
    hidden: list[tuple[str, str]] = field(default_factory=list)
    fields: bool = False
    email: str = ""
    name: str = ""
    action: str = ""


@dataclass
class Link:
    url: str
    text: str


class Pages:
    """Renders the pages of one config; the stylesheet and its hash are worked out once."""

    def __init__(self, config: Config) -> None:
        self.config, self.words = config, language(config.newsletter.lang)
        self.root = config.serve.root
        self.css = render_template(config, "serve_style.css.j2").strip()
        self.headers = Headers(style_hash(self.css), self.root.startswith("https://"))
        # A page's form posts to its own URL, as the proxy publishes it (a relative action would
        # lose a path the proxy adds or strips).

    def _(self, message: str, **values: str) -> str:
        text = self.words.gettext(message)
        return text % values if values else text

    def render(self, status: int, heading: str, paragraphs: list[str], *, error: str = "", form: Form | None = None,
               link: Link | None = None, cookie: str | None = None) -> HTMLResponse:
        settings = self.config.newsletter
        html = render_template(
            self.config, "serve_page.html.j2", style=Markup(self.css), title=settings.title, tagline=settings.tagline,
            heading=heading, paragraphs=paragraphs, error=error, form=form, link=link,
            footer=self._("%(title)s: the newsletter's own page. It keeps no cookie but the one its form needs.", title=settings.title),
        )
        response = HTMLResponse(html, status_code=status, headers=self.headers.for_page())
        if cookie is not None:
            response.headers.append("Set-Cookie", cookie)
        return response

    def subscribe_link(self) -> Link:
        return Link(f"{self.root}/subscribe", self._("Subscribe to %(title)s", title=self.config.newsletter.title))

    # the pages, one method each

    def subscribe(self, csrf: str, cookie: str, *, status: int = 200, error: str = "", email: str = "", name: str = "") -> HTMLResponse:
        title = self.config.newsletter.title
        form = Form(self._("Subscribe"), [(CSRF_FIELD, csrf)], fields=True, email=email, name=name, action=f"{self.root}/subscribe")
        return self.render(status, self._("Subscribe to %(title)s", title=title),
                           [self._("Enter your email address. We will send you a link to confirm it; nothing is sent to you until you do.")],
                           error=error, form=form, cookie=cookie)

    def check_inbox(self, address: str) -> HTMLResponse:
        """The one answer to every accepted subscribe POST, whether or not the address is already a reader."""
        days = f"{self.config.serve.confirm_days:g}"
        return self.render(200, self._("Check your inbox"), [
            self._("If %(address)s can receive %(title)s, a message with a confirmation link is on its way to it.",
                   address=address, title=self.config.newsletter.title),
            self._("The link works for %(days)s days. If nothing arrives, look in your spam folder.", days=days),
        ])

    def confirm(self, token: str, csrf: str, cookie: str) -> HTMLResponse:
        form = Form(self._("Confirm my subscription"), [(CSRF_FIELD, csrf)], action=f"{self.root}/confirm/{token}")
        return self.render(200, self._("Confirm your subscription"),
                           [self._("Press the button to start receiving %(title)s.", title=self.config.newsletter.title)],
                           form=form, cookie=cookie)

    def confirmed(self) -> HTMLResponse:
        return self.render(200, self._("You are subscribed"),
                           [self._("%(title)s will come to your inbox from the next edition.", title=self.config.newsletter.title),
                            self._("Every edition has a link to unsubscribe at the bottom.")])

    def confirm_failed(self) -> HTMLResponse:
        return self.render(404, self._("This link has expired or was already used"),
                           [self._("Subscribe again to get a new confirmation link.")], link=self.subscribe_link())

    def unsubscribe(self, token: str) -> HTMLResponse:
        form = Form(self._("Unsubscribe"), [("List-Unsubscribe", "One-Click")], action=f"{self.root}/unsubscribe/{token}")
        return self.render(200, self._("Unsubscribe from %(title)s?", title=self.config.newsletter.title),
                           [self._("Press the button and no more editions will be sent to you.")], form=form)

    def unsubscribed(self) -> HTMLResponse:
        return self.render(200, self._("You are unsubscribed"),
                           [self._("No more editions of %(title)s will be sent to you.", title=self.config.newsletter.title)],
                           link=Link(f"{self.root}/subscribe", self._("Changed your mind? Subscribe again")))

    def unknown_reader(self) -> HTMLResponse:
        return self.render(404, self._("This unsubscribe link is not valid"),
                           [self._("It matches no reader of %(title)s. If you still receive the newsletter, use the link in the latest email.",
                                   title=self.config.newsletter.title)])

    def problem(self, status: int, message: str, **values: str) -> HTMLResponse:
        """An error page: why the request was refused, in the reader's language where the reason is known."""
        headings = {
            400: self._("Please check the form"), 403: self._("This form has expired"), 404: self._("Page not found"),
            405: self._("This page cannot do that"), 413: self._("That is too much to send"), 415: self._("Please check the form"),
            429: self._("Too many requests"), 503: self._("Please try again in a moment"),
        }
        return self.render(status, headings.get(status, self._("Something went wrong")), [self._(message, **values)])
