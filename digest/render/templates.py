"""The jinja2 environment: the shipped templates, optionally overridden from the user's own folder.

A user's folder (`templates:` in the config) is searched first, so a designer can replace one partial
and keep the rest. Autoescaping is on for every template except the plain-text ones (`*.txt.j2`),
undefined names are errors rather than silent blanks, and any mistake in a template becomes one
`TemplateError` naming the file and the line, which the command line turns into exit status 2.
"""
from __future__ import annotations

import textwrap
import traceback
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2
from markupsafe import Markup

from digest.config import Config
from digest.errors import UsageError
from digest.i18n import language

TEXT_WIDTH = 76  # under the 78 characters RFC 5322 recommends, with room for a client's quoting


class TemplateError(UsageError):
    """A template that cannot be compiled or rendered: which file, which line, what went wrong."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file, self.line, self.problem = file, line, problem
        super().__init__(f"{file}{f', line {line}' if line else ''}: {problem}")

    def message(self) -> str:
        return f"template {self}"


def search_path(config: Config) -> tuple[str, ...]:
    """The folders templates are looked up in, the user's first."""
    shipped = str(files("digest.templates"))
    if not config.templates:
        return (shipped,)
    folder = config.resolve(config.templates)
    if not folder.is_dir():  # else every template would silently come from the shipped folder
        raise TemplateError(str(folder), None, "is not a folder; fix `templates:` in the config (relative to the config file)")
    return (str(folder), shipped)


@lru_cache(maxsize=8)
def environment(folders: tuple[str, ...], lang: str = "en") -> jinja2.Environment:
    """The templates of `folders` with the words of `lang`: `_()`, `ngettext()` and `{% trans %}` look
    them up in its catalogue (digest.i18n), and `lang`, `dir` and the arrows follow its direction."""
    words = language(lang)
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader(list(folders)),
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
    rtl = words.dir == "rtl"
    env.globals.update(lang=lang, dir=words.dir, start="right" if rtl else "left", end="left" if rtl else "right",
                       forward=Markup("&larr;" if rtl else "&rarr;"), back=Markup("&rarr;" if rtl else "&larr;"))
    return env


def render_template(config: Config, name: str, **context: object) -> str:
    """Render template `name` with `context`; every failure is a TemplateError with file and line."""
    folders = search_path(config)
    try:
        return environment(folders, config.newsletter.lang).get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.filename or exc.name or name, exc.lineno, exc.message or "syntax error") from None
    except jinja2.TemplateNotFound as exc:
        missing = exc.name if isinstance(exc.name, str) and exc.name else name
        raise TemplateError(missing, None, "no such template in " + " or ".join(folders)) from None
    except Exception as exc:  # a template's runtime error: undefined name, bad filter argument...
        file, line = _template_frame(exc, folders, name)
        raise TemplateError(file, line, f"{type(exc).__name__}: {exc}") from None


def _template_frame(exc: Exception, folders: tuple[str, ...], name: str) -> tuple[str, int | None]:
    """The innermost traceback frame inside a template file (jinja2 rewrites frames to template lines)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(folders):
            return frame.filename, frame.lineno
    return name, None


def wrap(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str | None = None) -> str:
    """Text wrapped for a plain-text email; words and URLs are never split, so links stay clickable."""
    return textwrap.fill(
        text, width=width, initial_indent=indent if first is None else first, subsequent_indent=indent,
        break_long_words=False, break_on_hyphens=False,
    )


def template_path(config: Config, name: str) -> str:
    """The file a template name resolves to, for error messages about what it produced."""
    for folder in search_path(config):
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    return name
