"""`digest serve` as a real process on 127.0.0.1, and a small HTTP client that keeps cookies like a browser.

The server is started with the real command line on a free port, with a config in a temporary folder
whose delivery goes to a real aiosmtpd server; `Served.stop` ends it with SIGTERM and returns its stderr.
"""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml
from conftest import ROOT

from digest.config import load_config
from digest.store import Store

SECRET = "serve-test-secret"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Served:
    port: int
    folder: Path
    config: Path
    process: subprocess.Popen
    log: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.msg, response.read())
        finally:
            connection.close()

    def suppressions(self) -> dict:
        """The store's suppressed addresses, each with its reason, as the server left them."""
        config = load_config(self.config)
        with Store(config.resolve(config.store.path)) as store:
            return store.suppressions()

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.stderr()


def write_config(folder: Path, port: int, smtp_port: int, serve: dict | None = None, **sections: object) -> Path:
    """A config for the server: its store and readers in `folder`, delivery to the SMTP server at `smtp_port`."""
    (folder / "readers.csv").write_text("email,name\nann@example.org,Ann\n", encoding="utf-8")
    config = {
        "newsletter": {"title": "Ukraine Daily", "tagline": "News from Ukraine in your inbox", "timezone": "Europe/Kyiv",
                       "from": "Ukraine Daily <daily@example.com>", "to": ["bob@example.org"]},
        "subscribers": {"path": "readers.csv"},
        "store": {"path": "store.db"},
        "delivery": {"method": "smtp", "smtp": {"host": "127.0.0.1", "port": smtp_port}},
        "serve": {"base_url": f"http://127.0.0.1:{port}", **(serve or {})},
        **sections,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def start(folder: Path, config: Path, port: int, env: dict[str, str] | None = None, wait: float = 60) -> Served:
    """Run `digest serve` and wait until it answers (or fail with what it said)."""
    environment = {**os.environ, "DIGEST_UNSUBSCRIBE_SECRET": SECRET, **(env or {})}
    log = folder / f"serve-{port}.log"
    handle = open(log, "wb")  # noqa: SIM115 - the process writes to it until stopped
    process = subprocess.Popen([sys.executable, "-m", "digest", "serve", "-c", str(config), "--port", str(port)],
                               cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env=environment)
    handle.close()
    served = Served(port, folder, config, process, log, environment)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"digest serve exited with {process.returncode}: {served.stderr()}")
        try:
            served.request("GET", "/subscribe")
            return served
        except OSError:
            time.sleep(0.1)
    served.stop()
    raise AssertionError(f"digest serve did not answer within {wait} s: {served.stderr()}")


class _Fields(HTMLParser):
    """The inputs of the page's form, as a browser would post them back."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action")
        if tag == "input" and found.get("name"):
            self.fields[found["name"] or ""] = found.get("value") or ""


def form_fields(html: str) -> tuple[str | None, dict[str, str]]:
    parser = _Fields()
    parser.feed(html)
    return parser.action, parser.fields


@dataclass
class Client:
    """A client that keeps the cookies it is given and sends them back, as a browser does."""

    served: Served
    cookies: dict[str, str] = field(default_factory=dict)
    forwarded_for: str | None = None

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.forwarded_for:
            sent["X-Forwarded-For"] = self.forwarded_for
        answer = self.served.request(method, path, body, sent)
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return answer

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        from urllib.parse import urlencode

        return self.send("POST", path, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    def fill_and_post(self, path: str, **values: str) -> Answer:
        """GET the form at `path`, fill `values` in, and POST every field back."""
        page = self.send("GET", path)
        assert page.status == 200, page.text
        _, fields = form_fields(page.text)
        return self.post_form(path, {**fields, **values})
