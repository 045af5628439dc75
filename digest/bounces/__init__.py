"""Bounces and complaints: `parse` reads one message into plain events (RFC 3464 reports, RFC 5965
complaints, `text` the plain notices of Postfix, Exim, Gmail and Microsoft); `intake` is `digest bounce`,
which records them against the list."""
from digest.bounces.events import Event, Ignored, Kind, Report, Unreadable
from digest.bounces.parse import read

__all__ = ["Event", "Ignored", "Kind", "Report", "Unreadable", "read"]
