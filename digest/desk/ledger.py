"""The editor's ledger: `edition.desk/YYYY-MM-DD.yaml`, read and checked into plain data.

The file is written by hand, so every mistake is named by the file, the line and the key
("editions/2026-05-14.yaml: line 4: stories[1].match: ..."), never a traceback. Its values are
untrusted like any item's text: they are capped here and escaped where they are shown, and a link
must be http(s). The ledger's text is what the store keeps with a sent edition and what an approval
is given to (`Ledger.fingerprint`), so it is kept exactly as read.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from digest.config import BUILT_IN_SECTIONS, Config
from digest.errors import UsageError
from digest.model import Kind
from digest.text.markup import safe_url

MAX_BYTES = 16_000_000  # a ledger is a page of notes; past this, read no further (below it, a too-long value is named by its key)
CAPS = {"note": 4000, "title": 300, "blurb": 2000, "key": 300, "drop": 300, "match": 2000, "url": 2000}
STORY_KEYS = ("match", "pin", "drop", "title", "blurb", "section", "key")
ADD_KEYS = ("title", "url", "blurb", "section", "kind")
TOP_KEYS = ("note", "stories", "add")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LedgerError(UsageError):
    """A mistake in the editor's ledger: the message names the file, the line and the key (exit 2)."""


@dataclass(frozen=True)
class StoryEdit:
    """One `stories:` entry: what the editor does to the story `match` names."""

    match: str
    where: str  # "file: line N: stories[i]", for every warning about it
    pin: int | None = None
    drop: str | None = None
    title: str | None = None
    blurb: str | None = None
    section: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Addition:
    """One `add:` entry: a story the feeds do not carry."""

    title: str
    url: str
    where: str
    blurb: str = ""
    section: str | None = None
    kind: Kind = "story"


@dataclass(frozen=True)
class Ledger:
    """One edition's ledger, as read from its file (or from the store, for an edition already sent)."""

    name: str  # how messages name it: the file's path as the config gives it
    text: str  # the file's text, exactly: what is stored and approved
    note: str | None = None
    stories: tuple[StoryEdit, ...] = ()
    add: tuple[Addition, ...] = ()

    @property
    def fingerprint(self) -> str:
        """What an approval is given to: a change to the text withdraws it."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def empty(self) -> bool:
        return not (self.note or self.stories or self.add)


def ledger_path(config: Config, day: date) -> Path | None:
    """Where the ledger of `day` is (whether or not it exists); None without `edition.desk`."""
    if config.edition.desk is None:
        return None
    return config.resolve(config.edition.desk) / f"{day.isoformat()}.yaml"


def shown_path(config: Config, day: date) -> str:
    """The ledger's path as the config writes it, for messages."""
    return str(Path(config.edition.desk or "editions") / f"{day.isoformat()}.yaml")


def read_ledger(config: Config, day: date) -> Ledger | None:
    """The ledger of `day` from its file; None when `edition.desk` is off or the file does not exist.
    Raises LedgerError for a file that cannot be read or is wrong."""
    path = ledger_path(config, day)
    if path is None or not path.exists():
        return None
    name = shown_path(config, day)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise LedgerError(f"{name}: is {path.stat().st_size:,} bytes; a ledger may be at most {MAX_BYTES:,} (a blurb at most"
                              f" {CAPS['blurb']:,} characters)")
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LedgerError(f"{name}: is not UTF-8 text; save it as UTF-8") from None
    return parse_ledger(text, name, config)


def parse_ledger(text: str, name: str, config: Config) -> Ledger:
    """The ledger in `text` (named `name` in messages); LedgerError naming the line and key of a mistake."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise LedgerError(f"{name}: {where}is not valid YAML ({problem}); fix the indentation or quoting there") from None
    if root is None:
        return Ledger(name, text)
    reader = _Reader(name, config)
    top = reader.mapping(root, "(top level)", TOP_KEYS)
    note = reader.text(top["note"], "note") if "note" in top else None
    stories = tuple(reader.story(node, f"stories[{i}]") for i, node in enumerate(reader.sequence(top.get("stories"), "stories")))
    add = tuple(reader.addition(node, f"add[{i}]") for i, node in enumerate(reader.sequence(top.get("add"), "add")))
    return Ledger(name, text, note or None, stories, add)


class _Reader:
    """Walks the YAML nodes, so every mistake can name its line."""

    def __init__(self, name: str, config: Config) -> None:
        self.name = name
        self.sections = (*BUILT_IN_SECTIONS[1:], *(section.key for section in config.sections))

    def fail(self, node: yaml.Node, key: str, problem: str) -> LedgerError:
        return LedgerError(f"{self.name}: line {node.start_mark.line + 1}: {key}: {problem}")

    def where(self, node: yaml.Node, key: str) -> str:
        return f"{self.name}: line {node.start_mark.line + 1}: {key}"

    def mapping(self, node: yaml.Node, key: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, key, f"should be a mapping of {', '.join(allowed)}, not {_kind(node)}")
        found: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            path = name if key == "(top level)" else f"{key}.{name}"
            if name not in allowed:
                raise self.fail(key_node, path, f"is not a ledger key; use {', '.join(allowed)}")
            if name in found:
                raise self.fail(key_node, path, "is given twice; keep one")
            found[name] = value
        return found

    def sequence(self, node: yaml.Node | None, key: str) -> list[yaml.Node]:
        if node is None or _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, key, f"should be a list ('- {{...}}' a line), not {_kind(node)}")
        return list(node.value)

    def text(self, node: yaml.Node, key: str, *, cap: str | None = None) -> str:
        """A text value (a number is taken as its text); capped, so a 5 MB blurb is a mistake, not an email."""
        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            raise self.fail(node, key, f"should be text, not {_kind(node)}")
        value = str(node.value)
        limit = CAPS[cap or key.rsplit(".", 1)[-1]]
        if len(value) > limit:
            raise self.fail(node, key, f"is {len(value):,} characters; at most {limit:,}")
        return value

    def story(self, node: yaml.Node, key: str) -> StoryEdit:
        fields = self.mapping(node, key, STORY_KEYS)
        if "match" not in fields:
            raise self.fail(node, key, "has no match: (the story id, an item id or the story's url)")
        match = fields["match"]
        if not isinstance(match, yaml.ScalarNode) or match.tag != "tag:yaml.org,2002:str" or not str(match.value).strip():
            raise self.fail(match, f"{key}.match", f"should be a story id, item id or url in quotes, not {_kind(match)}")
        values: dict[str, Any] = {"match": self.text(match, f"{key}.match").strip(), "where": self.where(node, key)}
        if "pin" in fields:
            values["pin"] = self.position(fields["pin"], f"{key}.pin")
        if "drop" in fields:
            values["drop"] = self.reason(fields["drop"], f"{key}.drop")
        for name in ("title", "blurb", "key"):
            if name in fields:
                values[name] = self.text(fields[name], f"{key}.{name}")
        if "section" in fields:
            values["section"] = self.section(fields["section"], f"{key}.section")
        if "drop" in values and len(values) > 3:
            raise self.fail(node, key, "drops the story and edits it too; keep drop: alone")
        return StoryEdit(**values)

    def addition(self, node: yaml.Node, key: str) -> Addition:
        fields = self.mapping(node, key, ADD_KEYS)
        for required in ("title", "url"):
            if required not in fields:
                raise self.fail(node, key, f"has no {required}:")
        url = self.text(fields["url"], f"{key}.url").strip()
        if safe_url(url) is None or not url.lower().startswith(("http://", "https://")):
            raise self.fail(fields["url"], f"{key}.url", f"'{url[:80]}' is not an http(s) link; only http:// and https:// links go in the email")
        values: dict[str, Any] = {"title": self.text(fields["title"], f"{key}.title"), "url": url, "where": self.where(node, key)}
        if "blurb" in fields:
            values["blurb"] = self.text(fields["blurb"], f"{key}.blurb")
        if "section" in fields:
            values["section"] = self.section(fields["section"], f"{key}.section")
        if "kind" in fields:
            kind = self.text(fields["kind"], f"{key}.kind", cap="title")
            if kind not in ("story", "brief"):
                raise self.fail(fields["kind"], f"{key}.kind", f"'{kind}' is not a kind; use story or brief")
            values["kind"] = kind
        return Addition(**values)

    def position(self, node: yaml.Node, key: str) -> int:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if node.tag != "tag:yaml.org,2002:int" or not str(value).lstrip("+").isdigit() or int(str(value)) < 1:
            raise self.fail(node, key, f"should be a position in the edition, 1 for the top story, not {_kind(node)}")
        return int(str(value))

    def reason(self, node: yaml.Node, key: str) -> str:
        """`drop: "legal hold"`, or `drop: true` when the editor gives no reason."""
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            if node.value.lower() in ("false", "no", "off"):
                raise self.fail(node, key, "is false; remove the entry to keep the story")
            return "by the editor"
        return self.text(node, key) or "by the editor"

    def section(self, node: yaml.Node, key: str) -> str:
        value = self.text(node, key, cap="title")
        if value == "top":
            raise self.fail(node, key, "'top' is the top story's place; use pin: 1")
        if value not in self.sections:
            raise self.fail(node, key, f"'{value}' is not a section; use one of {', '.join(self.sections)}")
        return value


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _kind(node: yaml.Node) -> str:
    """How a value reads to the editor: "a number (42)", "a list", "a mapping"."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    names = {"int": "a number", "float": "a number", "bool": "true/false", "null": "empty", "str": "text"}
    kind = names.get(node.tag.rsplit(":", 1)[-1], "a value")
    return f"{kind} ({str(node.value)[:40]!r})" if kind != "empty" else kind
