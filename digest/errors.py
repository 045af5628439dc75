"""The failures a command reports in one line, each carrying the exit status it maps to.

The command line catches `DigestError` in one place (`cli.main`), writes `digest: error: ...` and
exits with `exit_status`: 1 when an edition could not be built or delivered, 2 for the user's own
mistake in the config, a template or the command line. The EXIT_ names are the one map of exit
statuses (DESIGN.md): code that ends a command with a status names it from here.
"""
from __future__ import annotations

EXIT_OK = 0  # built or sent (warnings allowed)
EXIT_FAILED = 1  # could not build, write or deliver (or something is still pending)
EXIT_USAGE = 2  # bad usage or bad config: the message names the file, the key and the fix
EXIT_WAITING = 3  # the edition waits for an editor's `digest approve` (edition.approval: required)


class DigestError(Exception):
    """A failure that stops the command; `str()` is the message for the user."""

    exit_status = EXIT_FAILED

    def message(self) -> str:
        """The words after `digest: error: `."""
        return str(self)


class UsageError(DigestError):
    """A mistake on the command line or in a setting, which the user fixes."""

    exit_status = EXIT_USAGE
