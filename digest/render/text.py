"""The plain-text alternative: the text template, with its blank lines tidied."""
from __future__ import annotations

import re

from digest.config import Config
from digest.render.templates import render_template
from digest.render.view import EmailView

TEXT_TEMPLATE = "email.txt.j2"


def plain_text(view: EmailView, config: Config) -> str:
    """The text twin: trailing spaces gone and never more than one blank line in a row, whatever the
    template's control blocks left behind."""
    text = render_template(config, TEXT_TEMPLATE, view=view)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
