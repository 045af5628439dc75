"""digest: a day of stories and live-feed items, condensed into one daily email newsletter."""

__version__ = "0.1.0"
