"""What `digest build` can write, and the file extension of each: a module of names only, so the
command line can list them without loading the renderer."""
from __future__ import annotations

FORMATS = ("html", "text", "mjml", "eml", "json")  # the edition's own documents (render.render)
BUILD_FORMATS = (*FORMATS, "jsonl")  # and one ready message per reader, for an email API
EXTENSIONS = {"html": "html", "text": "txt", "mjml": "mjml", "eml": "eml", "json": "json", "jsonl": "jsonl"}
