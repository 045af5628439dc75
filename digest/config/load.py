"""Reading config.yaml: the YAML walked against the schema's type hints, every key and type
checked on the way, then the rules that span several settings. A user's mistake becomes one
`ConfigError` naming the file, the key's path and the fix: never a traceback."""
from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import types
import typing
from email.utils import formataddr, getaddresses, parseaddr
from pathlib import Path
from typing import Any, Literal

import yaml

from digest.config.rules import ConfigError, header_problem
from digest.config.schema import Config


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError naming the key and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "no such file", "pass -c PATH, or run from the folder that holds config.yaml") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot be read ({exc.strerror})", "check the file's permissions") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "", "is not UTF-8 text", "save it as UTF-8") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, where, f"is not valid YAML ({problem})", "fix the indentation or quoting there") from None
    if raw is None:
        raw = {}
    config = _build(Config, raw, "", path)
    config.base_dir = path.resolve().parent
    config.file = path
    newsletter = raw.get("newsletter") if isinstance(raw.get("newsletter"), dict) else {}
    config.left_out = frozenset(f"newsletter.{key}" for key in ("from", "to") if key not in newsletter)
    if config.serve.base_url and not config.newsletter.unsubscribe_url:  # `digest serve` answers the one-click POST
        config.newsletter.unsubscribe_url = config.serve.base_url.rstrip("/") + "/unsubscribe/{{subscriber}}"
    _check_sources(config)
    _check_templates(config)
    if config.subscribers and not config.resolve(config.subscribers.path).is_file():
        raise ConfigError(path, "subscribers.path", f"'{config.subscribers.path}' is not a file (paths are relative to the config file)",
                          "fix the path, or remove subscribers:")
    _check_archive(config)
    _check_smtp_login(config)
    _check_addresses(config)
    return config


def _check_addresses(config: Config) -> None:
    """`from` and `to` go into mail headers: no line breaks, and a domain in another script is written
    as IDNA ("xn--..."), the only form a mail header carries without SMTPUTF8."""
    settings = config.newsletter
    settings.from_ = _ascii_address(settings.from_, "newsletter.from", config.file)
    settings.to = [_one_reader(_ascii_address(value, f"newsletter.to[{index}]", config.file), f"newsletter.to[{index}]", config.file)
                   for index, value in enumerate(settings.to)]
    if config.delivery.return_path is not None:
        config.delivery.return_path = _ascii_address(config.delivery.return_path, "delivery.return_path", config.file)
        if "@" not in config.delivery.return_path or parseaddr(config.delivery.return_path)[1] != config.delivery.return_path.strip():
            raise ConfigError(config.file, "delivery.return_path", f"'{config.delivery.return_path}' is not a bare address",
                              "write the address alone, e.g. bounces@example.com")


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _one_reader(value: str, key: str, file: Path) -> str:
    """One `newsletter.to` entry is one reader. Two addresses in one ("a@x.org, b@y.org") would be one
    message showing each reader the other's address (`build --format eml | sendmail -t`), or a reader
    dropped without a word; a comma outside quotes splits a name ("Bob, the builder <bob@x.org>")."""
    bare = _QUOTED.sub('""', value)  # a quoted name may hold a comma or an @
    addresses = [(name, address) for name, address in getaddresses([value]) if "@" in address]
    if bare.count("@") > 1 and len(addresses) > 1:
        listed = ", ".join(json.dumps(formataddr(pair), ensure_ascii=False) for pair in addresses)
        raise ConfigError(file, key, f"'{value}' holds {len(addresses)} addresses; each entry is one reader",
                          f"give each reader an entry of its own: to: [{listed}]")
    if bare.count("@") > 1 or re.search(r"[,;]", re.sub(r"<[^>]*>", "", bare)):
        raise ConfigError(file, key, f"'{value}' is not one address: it has a second @, or a comma or semicolon outside quotes",
                          'write one reader per entry, and put a name with a comma in quotes: \'"Bob, the builder" <bob@example.org>\'')
    return value


def _ascii_address(value: str, key: str, file: Path) -> str:
    """`value` with its address's domain IDNA-encoded; ConfigError when it cannot go in a header."""
    problem = header_problem(value)
    if problem:
        raise ConfigError(file, key, problem)
    address = parseaddr(value)[1]
    local, at, domain = address.rpartition("@")
    if not at:
        return value
    if not local.isascii():
        raise ConfigError(file, key, f"the mailbox name '{local}' is not ASCII, which mail needs SMTPUTF8 for", "use an ASCII address")
    if domain.isascii():
        return value
    try:
        encoded = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ConfigError(file, key, f"'{domain}' is not a domain name", "check the address") from None
    where = value.rindex("@" + domain) + 1
    return value[:where] + encoded + value[where + len(domain):]


def _check_smtp_login(config: Config) -> None:
    """A login over plain TCP sends the password readable by anyone on the path: only when asked for."""
    smtp = config.delivery.smtp
    if config.delivery.method != "smtp" or not (smtp.username_env or smtp.password_env):
        return
    if not (smtp.starttls or smtp.ssl or smtp.allow_plaintext_auth):
        raise ConfigError(config.file, "delivery.smtp", "a login without TLS would send the password in the clear",
                          "set starttls: true or ssl: true, or allow_plaintext_auth: true for a relay on this machine")


def _check_sources(config: Config) -> None:
    names: set[str] = set()
    for index, source in enumerate(config.sources):
        key = f"sources[{index}]"
        if source.name in names:
            raise ConfigError(config.file, f"{key}.name", f"'{source.name}' names two sources", "give each source its own name")
        names.add(source.name)
        if source.kind == "pagetext" and not source.path:  # its url: is the page's own address, never fetched
            raise ConfigError(config.file, key, f"source '{source.name}' reads scraped text from a file",
                              "add path: (url: is the address of the page it was scraped from)")
        if not (source.url or source.path):
            raise ConfigError(config.file, key, f"source '{source.name}' has neither url nor path", "add url: or path:")
        if source.url and source.path and source.kind != "pagetext":
            raise ConfigError(config.file, key, f"source '{source.name}' has both url and path", "keep one of them")
        if source.url and not re.match(r"^https?://", source.url):
            raise ConfigError(config.file, f"{key}.url", f"'{source.url}' is not an http(s) URL", "use http:// or https://, or path: for a file")
        if source.path and not _has_glob(source.path) and not config.resolve(source.path).exists():
            raise ConfigError(config.file, f"{key}.path", f"'{source.path}' does not exist (paths are relative to the config file)", "fix the path")


def _check_templates(config: Config) -> None:
    """The user's template folder must be one digest can list: a missing or unreadable folder would
    otherwise be passed over in silence, and the shipped templates used instead of the user's."""
    if config.templates is None:
        return
    folder = config.resolve(config.templates)
    if not folder.exists():
        raise ConfigError(config.file, "templates", f"'{config.templates}' does not exist (paths are relative to the config file)",
                          "fix the path, or remove templates: to use the shipped templates")
    if not folder.is_dir():
        raise ConfigError(config.file, "templates", f"'{config.templates}' is a file, not a folder", "name the folder that holds your templates")
    try:
        next(folder.iterdir(), None)
    except OSError as exc:
        raise ConfigError(config.file, "templates", f"the folder '{config.templates}' cannot be read ({exc.strerror})",
                          "check the folder's permissions") from None


def _check_archive(config: Config) -> None:
    """The archive folder is published as it is, so it must not hold (or be) the config's or the
    store's folder, the subscribers file or output.dir (where `build --format jsonl` writes every
    reader's address and token): a web server serving it would serve them too. Checked on the paths
    as written and as their links lead."""
    if config.archive is None:
        return
    folder = config.resolve(config.archive.dir).resolve()
    private = {"the config file": config.file, "the store": config.resolve(config.store.path),
               "the outbox": config.resolve(config.delivery.outbox), "output.dir": config.resolve(config.output.dir)}
    if config.subscribers:
        private["the subscribers file"] = config.resolve(config.subscribers.path)
    for what, written in private.items():
        for path in (Path(os.path.abspath(written)), written.resolve()):
            if folder == path or folder in path.parents:
                raise ConfigError(config.file, "archive.dir", f"'{config.archive.dir}' would publish {what} ({path})",
                                  "use a folder of its own for the archive, e.g. archive/ or public/")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(config.file, "archive.dir", f"'{config.archive.dir}' is a file, not a folder", "name a folder")


def _has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _field_key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def _build(cls: type, raw: Any, prefix: str, file: Path) -> Any:
    """Turn a YAML mapping into dataclass `cls`, checking every key and type on the way."""
    if not isinstance(raw, dict):
        raise ConfigError(file, prefix or "(top level)", f"should be a mapping of keys, not {_describe(raw)}", "")
    hints = typing.get_type_hints(cls)
    fields = {_field_key(f): f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in raw:
        if key not in fields:
            near = difflib.get_close_matches(str(key), fields, n=1)
            fix = f"did you mean '{near[0]}'?" if near else "valid keys: " + ", ".join(fields)
            raise ConfigError(file, _join(prefix, str(key)), "is not a known setting", fix)
    values = {}
    for key, f in fields.items():
        path = _join(prefix, key)
        if key not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(file, path, "is required", f"add {key}:")
            continue
        value = _coerce(hints[f.name], raw[key], path, file)
        problem = f.metadata.get("check") and f.metadata["check"](value)
        if problem:
            raise ConfigError(file, path, problem)
        values[f.name] = value
    return cls(**values)


def _coerce(hint: Any, value: Any, path: str, file: Path) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(inner, value, path, file)
    if origin is Literal:
        if value not in args:
            raise ConfigError(file, path, f"'{value}' is not one of the choices", "use one of " + ", ".join(map(str, args)))
        return value
    if origin is list:
        if isinstance(value, (str, dict)) or not isinstance(value, list):
            raise ConfigError(file, path, f"should be a list, not {_describe(value)}", "write it as [a, b] or one '- item' a line")
        return [_coerce(args[0], v, f"{path}[{i}]", file) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(file, path, f"should be a mapping, not {_describe(value)}")
        return {str(k): _coerce(args[1], v, f"{path}.{k}", file) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, path, file)
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(file, path, f"should be {_type_name(hint)}, not {_describe(value)}")
    return value


def _type_name(hint: Any) -> str:
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(hint, getattr(hint, "__name__", str(hint)))


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}
    return f"{kind.get(type(value), type(value).__name__)} ({value!r:.40})"


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
