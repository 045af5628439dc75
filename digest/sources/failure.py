"""`SourceFailed`: how a loader (or a fetch) says the whole source gave nothing. A module of its own, so
that digest.sources.http, which the source context calls, imports it without a circle."""
from __future__ import annotations


class SourceFailed(Exception):
    """The whole source gave nothing; the message is the reason, for the user."""
