"""MJML source from the template, and the email's HTML from the MJML (mjml-python, no Node needed)."""
from __future__ import annotations

import mjml

from digest.config import Config
from digest.render.templates import TemplateError, render_template, template_path
from digest.render.view import EmailView

MJML_TEMPLATE = "email.mjml.j2"


def mjml_source(view: EmailView, config: Config) -> str:
    return render_template(config, MJML_TEMPLATE, view=view)


def mjml_to_html(source: str, config: Config) -> str:
    """The responsive HTML. `fonts={}` keeps MJML from linking web fonts: the email uses system fonts
    only, so nothing is fetched when it opens and it looks the same offline."""
    try:
        document = mjml.mjml2html(source, disable_comments=True, fonts={})
    except ValueError as exc:  # the template produced MJML that is not well formed
        raise TemplateError(template_path(config, MJML_TEMPLATE), None, f"produced invalid MJML ({exc})") from None
    return document.rstrip("\n") + "\n"  # a text file's last line ends, as in the message's HTML part
