"""An edition's public page: the email as anyone may read it, kept in the store when it is recorded."""
from __future__ import annotations

import dataclasses

from digest.config import Config
from digest.i18n import language
from digest.model import Edition
from digest.render.mjml import mjml_source, mjml_to_html
from digest.render.view import EmailView, email_view
from digest.store import PageRecord


def public_view(view: EmailView) -> EmailView:
    """The view without anything that belongs to one reader's inbox: no unsubscribe link or address,
    no "why you get this" (the footer says what the page is instead), no link to itself, no hidden
    inbox preview. The one place that decides what a public page leaves out, so no reader's link
    or token is ever published. Its <title> names the newsletter and the day, which a subject (the
    top headline) leaves to the sender's name."""
    return dataclasses.replace(view, archive_url=None, unsubscribe_url=None, unsubscribe_mailto=None, preheader="",
                               subject=f"{view.title} · {view.date} · {view.subject}",
                               reason=language(view.lang).gettext("You are reading the web edition of %(title)s.") % {"title": view.title})


def public_page(edition: Edition, config: Config) -> PageRecord:
    """The prepared edition's page: the email's own template and content, rendered from the public view."""
    view = email_view(edition, config)
    return PageRecord(
        date=edition.date,
        subject=view.subject,
        description=view.preheader,
        headline=next((story.headline for section in view.sections for story in section.stories), ""),
        issue=edition.number,
        html=mjml_to_html(mjml_source(public_view(view), config), config),
    )
