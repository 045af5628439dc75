"""The lead picture a source gives for an item: one rule for every source kind.

Pictures are links, never downloaded or embedded: the email points at the publisher's image, so a
build stays offline and a blocked or broken image costs the reader nothing but the picture. Only an
http(s) address is kept (never `data:` or any other scheme), and a picture the source says is tiny
(a 1x1 tracking pixel, an icon) is no lead picture.
"""
from __future__ import annotations

from typing import Any

from digest.model import Image
from digest.text.markup import inline_text, safe_url

SMALLEST = 100  # pixels: a declared width or height below this is a pixel or an icon, not a picture
ALT_CHARS = 300


def lead_image(url: Any, alt: Any = None, width: Any = None, height: Any = None, base: str | None = None) -> Image | None:
    """The picture at `url` (made absolute against `base`) if it can lead a story, else None.

    Values come straight from untrusted feeds and exports, so each is checked here: `alt` (a caption
    or credit) becomes one line of plain text, `width` and `height` whole pixels or nothing."""
    address = safe_url(url, base) if isinstance(url, str) else None
    if not address or not address.lower().startswith(("http://", "https://")):
        return None
    size = [_pixels(width), _pixels(height)]
    if any(value is not None and value < SMALLEST for value in size):
        return None
    text = inline_text(alt)[:ALT_CHARS] if isinstance(alt, str) else ""
    return Image(url=address, alt=text, width=size[0], height=size[1])


def _pixels(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip().removesuffix("px")) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= 20_000 else None


def from_feed_entry(entry: Any, base: str | None) -> Image | None:
    """media:content (an image), else media:thumbnail, else an image enclosure; alt from media:credit."""
    credit = next((c.get("content") for c in entry.get("media_credit", []) if c.get("content")), None)
    candidates = [m for m in entry.get("media_content", []) if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")]
    candidates += list(entry.get("media_thumbnail", []))
    for media in candidates:
        image = lead_image(media.get("url"), credit, media.get("width"), media.get("height"), base)
        if image:
            return image
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            image = lead_image(link.get("href"), credit, base=base)
            if image:
                return image
    return None
