"""The one harness of the robustness suite: a real HTTP server on 127.0.0.1, a project with one good
source beside the sources under test, the real command line in a child process, and the contract
every source case must meet, asserted in one place (`assert_contract`).

The contract (from the robustness issue): exit 0 when another source was good (1 with --strict), the
good items present, the bad source named on stderr with its reason, no hostile markup and no local
file content in any output, and the run within a bounded time and memory: time as a multiple of
an ordinary build run beside it (QUIET_BUILD_SECONDS), memory beside a build of the good source.

Each case runs the command line twice, at the same time: `--format eml` (the message as sent: its
text and HTML parts are both checked) and `--strict --format text`. Each run is a process of its
own, forked from a server that has imported digest already (forkserver.py), or a new
`python -m digest` where a test needs that; either way its exit status, output, time and peak
memory (wait4) are its own.
"""
from __future__ import annotations

import ctypes
import email
import email.policy
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAY = "2024-05-01"  # the edition every case builds
SUSPECT = "Suspect source"  # the name of the source under test (a case with several numbers them)
GOOD = "Good wire"
GOOD_TITLES = ("Harbour ferry resumes night sailings", "Library opens a reading room for children")
SECRET = "LOCAL-SECRET-7f3a9c"  # planted in a local file that hostile XML points at; must never come out
RUN_SECONDS = 20.0  # any one run of the command line, whatever the case, on a quiet machine (see QUIET_BUILD_SECONDS)
# What a build of the good source alone takes on a quiet 2-core machine: the cases' time bounds are
# set for that, and each case scales them by how much longer such a build takes beside it, at the
# same moment (a machine busy with other work makes every run slower; a bad case must stand out
# against an ordinary build, not against the clock).
QUIET_BUILD_SECONDS = 0.5
RSS_MARGIN_MB = 120  # a case may use this much more memory than a build of the good source alone


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every case here runs the command line in processes of its own (its exit status, time and peak
    memory are the contract), a second or more each: the whole suite is `slow`, out of the quick loop."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)


# --- the HTTP server --------------------------------------------------------------------------------

Handler = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A threaded HTTP/1.1 server (on 127.0.0.1 unless told) whose paths are Python functions with the raw request,
    so a case can answer, redirect, stream hundreds of MB, or never answer at all."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.requested: list[str] = []
        self.closing = threading.Event()
        server = self

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            app = server

            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                server.requested.append(self.path)
                handler = server.routes.get(self.path.split("?")[0])
                if handler is None:
                    respond(b"no such path", status=404, content_type="text/plain")(self)
                else:
                    handler(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Request)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def close(self) -> None:
        self.closing.set()  # lets handlers that never answer go
        self.httpd.shutdown()
        self.httpd.server_close()


def respond(body: bytes, *, status: int = 200, content_type: str = "application/rss+xml", headers: dict[str, str] | None = None) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)

    return handle


def redirect(location: str, status: int = 302) -> Handler:
    return respond(b"", status=status, content_type="text/plain", headers={"Location": location})


def never_answer(request: BaseHTTPRequestHandler) -> None:
    """Read the request, then say nothing until the server closes."""
    request.app.closing.wait()  # type: ignore[attr-defined]


def stream(chunk: bytes, total: int, sent: list[int], *, head: bytes = b"") -> Handler:
    """A body of `total` bytes sent as it is read, without Content-Length, never held in memory:
    `head`, then `chunk` again and again. `sent` counts what went out before the client hung up."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        sent.append(0)
        try:
            request.wfile.write(head)
            while sent[-1] < total:
                request.wfile.write(chunk)
                sent[-1] += len(chunk)
        except OSError:  # the client stopped reading and closed: what the cap is for
            pass

    return handle


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


# --- feeds ------------------------------------------------------------------------------------------------

SUSPECT_TITLES = ("Tide gauge replaced at the north pier", "Fishing quota talks end without a deal", "New buoys mark the channel")


def entry(title: str, body: str = "The harbour office said so on Wednesday. More details will follow next week.", *,
          link: str | None = None, guid: str | None = None, date: str | None = "Wed, 01 May 2024 10:00:00 GMT") -> str:
    """One RSS 2.0 item; `title` and `body` are XML already (escape them with xml_text when they are text)."""
    parts = [f"<title>{title}</title>", f"<description>{body}</description>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f"<guid isPermaLink=\"false\">{guid}</guid>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def rss(*entries: str, prolog: str = "", encoding: str = "utf-8") -> bytes:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    document = (declaration + prolog + '<rss version="2.0"><channel><title>Quay news</title><link>https://quay.example/</link>'
                + "".join(entries) + "</channel></rss>\n")
    return document.encode(encoding)


def plain_feed() -> bytes:
    """A good feed of SUSPECT_TITLES, dated on the edition's day."""
    return rss(*(entry(title, link=f"https://quay.example/{n}", date=f"Wed, 01 May 2024 1{n}:00:00 GMT")
                 for n, title in enumerate(SUSPECT_TITLES)))


# --- the project: one good source and the sources under test -------------------------------------------


def good_lines() -> str:
    lines = [
        {"title": GOOD_TITLES[0], "body": "The ferry between the two harbours sails after dark again. The crews were hired over the winter.",
         "url": "https://good.example/ferry", "published": f"{DAY}T08:00:00Z"},
        {"title": GOOD_TITLES[1], "body": "Children get a quiet room with low shelves and cushions. It opens on Saturday mornings.",
         "url": "https://good.example/library", "published": f"{DAY}T09:30:00Z"},
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


def write_project(folder: Path, *suspects: dict, fetch: dict | None = None, store: dict | None = None, extra: str = "") -> Path:
    """A config with the good source first, then each suspect source (named SUSPECT, or SUSPECT 2, 3...)."""
    (folder / "good.jsonl").write_text(good_lines(), encoding="utf-8")
    (folder / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    sources = [{"name": GOOD, "kind": "jsonl", "path": "good.jsonl"}]
    for number, suspect in enumerate(suspects, start=1):
        # the test server is on loopback: an intranet server to digest, allowed unless a case says otherwise
        private = {"allow_private": True} if "url" in suspect else {}
        sources.append({"name": SUSPECT if number == 1 else f"{SUSPECT} {number}", **private, **suspect})
    settings = {"connect_timeout": 1, "timeout": 1, "retries": 0, "backoff": 0, "max_bytes": 2_000_000, **(fetch or {})}
    config = folder / "config.yaml"
    config.write_text(
        "newsletter: {title: Harbour Daily, timezone: UTC, from: 'Harbour Daily <daily@example.com>', to: [readers@example.com],"
        " unsubscribe_url: 'https://example.com/unsubscribe'}\n"
        f"sources: {json.dumps(sources)}\n"
        f"fetch: {json.dumps(settings)}\n"
        f"store: {json.dumps({'path': 'state/digest.db', **(store or {})})}\n"
        "edition: {cutoff: '24:00'}\n"  # the edition dated DAY holds the items published on DAY
        + extra,
        encoding="utf-8",
    )
    return config


# --- the command line in a child process ---------------------------------------------------------------


@dataclass
class Outcome:
    """One finished run of the command line."""

    args: tuple[str, ...]
    status: int
    stdout: bytes
    stderr: str
    seconds: float
    max_rss_mb: float

    def __str__(self) -> str:
        return f"digest {' '.join(self.args)} -> {self.status} in {self.seconds:.1f} s, {self.max_rss_mb:.0f} MB\n{self.stderr}"


class Child:
    """A running digest command line, its output going to files so that nothing blocks on a full pipe.

    By default it is forked from the fork server (forkserver.py: digest already imported, so a run
    costs a tenth of a second rather than half of one); with `preexec`, or `fresh=True`, it is a
    new `python -m digest` process. Either way it is a process of its own, waited for with wait4 so
    its own peak memory is known, and killed past its time limit.
    """

    def __init__(self, args: Iterable[str], *, cwd: Path, preexec: Callable[[], None] | None = None, fresh: bool = False) -> None:
        self.args = tuple(args)
        self.out = tempfile.NamedTemporaryFile(prefix="digest-out-")
        self.err = tempfile.NamedTemporaryFile(prefix="digest-err-")
        self.started = time.monotonic()
        self.server = None if preexec or fresh else fork_server()
        if self.server:
            self.pid = self.server.ask({"op": "run", "args": list(self.args), "cwd": str(cwd), "out": self.out.name, "err": self.err.name})["pid"]
        else:
            self.pid = subprocess.Popen(
                [sys.executable, "-m", "digest", *self.args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.out,
                stderr=self.err, env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=preexec,
            ).pid

    def finish(self, timeout: float = RUN_SECONDS) -> Outcome:
        """Wait for the child (killing it past `timeout`); its exit status and its own peak memory."""
        status, max_rss_kb = self.server.wait(self.pid, self.started + timeout) if self.server else self._wait(self.started + timeout)
        if status == -signal.SIGKILL:
            pytest.fail(f"digest {' '.join(self.args)} still running after {timeout:g} s; killed\n{self._read(self.err).decode()}")
        return Outcome(self.args, status, self._read(self.out), self._read(self.err).decode("utf-8", "replace"),
                       time.monotonic() - self.started, max_rss_kb / 1024)

    def _wait(self, deadline: float) -> tuple[int, int]:
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status), usage.ru_maxrss
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
            time.sleep(0.01)

    @staticmethod
    def _read(file) -> bytes:
        file.seek(0)
        data = file.read()
        file.close()
        return data


class ForkServer:
    """The process forkserver.py runs, and the one-line-JSON conversation with it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py"))], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def ask(self, request: dict, deadline: float | None = None, on_late: Callable[[], None] | None = None) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        if deadline is not None and not select.select([self.process.stdout], [], [], max(0, deadline - time.monotonic()))[0]:
            on_late()
        answer = self.process.stdout.readline()
        assert answer, "the fork server died"
        return json.loads(answer)

    def wait(self, pid: int, deadline: float) -> tuple[int, int]:
        answer = self.ask({"op": "wait", "pid": pid}, deadline, on_late=lambda: os.kill(pid, signal.SIGKILL))
        return answer["status"], answer["max_rss_kb"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


_fork_server: ForkServer | None = None


def fork_server() -> ForkServer:
    global _fork_server
    if _fork_server is None:
        _fork_server = ForkServer()
    return _fork_server


@pytest.fixture(scope="session", autouse=True)
def _close_fork_server() -> Iterator[None]:
    yield
    if _fork_server is not None:
        _fork_server.close()


def run(*args: str, cwd: Path = ROOT, timeout: float = RUN_SECONDS, **kwargs) -> Outcome:
    return Child(args, cwd=cwd, **kwargs).finish(timeout)


def build_twice(config: Path, *, preexec: Callable[[], None] | None = None) -> tuple[Outcome, Outcome, float]:
    """The same build as the message (eml) and, at the same time, as text with --strict; beside them,
    the baseline: a build of the good source alone. Returns both outcomes and the slowness factor:
    how many times longer than on a quiet machine the baseline took (at least 1)."""
    common = ("build", "-c", str(config), "--date", DAY, "-o", "-")
    with tempfile.TemporaryDirectory(prefix="digest-baseline-") as folder:
        ordinary = write_project(Path(folder))
        baseline = Child(("build", "-c", str(ordinary), "--date", DAY, "--format", "eml", "-o", "-"), cwd=ordinary.parent,
                         preexec=preexec)
        message = Child((*common, "--format", "eml"), cwd=config.parent, preexec=preexec)
        strict = Child((*common, "--format", "text", "--strict"), cwd=config.parent, preexec=preexec)
        done = baseline.finish()
        assert done.status == 0, done
        slowness = max(1.0, done.seconds / QUIET_BUILD_SECONDS)
        return message.finish(RUN_SECONDS * slowness), strict.finish(RUN_SECONDS * slowness), slowness


@pytest.fixture(scope="session")
def baseline_rss(tmp_path_factory) -> float:
    """Peak memory of a build of the good source alone, measured in this run: what cases are held to."""
    config = write_project(tmp_path_factory.mktemp("baseline"))
    outcome = run("build", "-c", str(config), "--date", DAY, "--format", "eml", "-o", "-")
    assert outcome.status == 0, outcome
    return outcome.max_rss_mb


def without_file_permission_checks() -> Callable[[], None] | None:
    """For a child that must meet a permission error although the suite runs as root: drop the
    capabilities that let root ignore file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from
    the child's bounding set before it starts. Not root: nothing to drop."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2

    def drop() -> None:
        for capability in (cap_dac_override, cap_dac_read_search):
            if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
                os._exit(126)

    return drop


def permissions_enforced(tmp_path: Path) -> None:
    """Skip unless a child of this suite really meets file permissions (root without CAP_SETPCAP would not)."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    done = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"], preexec_fn=without_file_permission_checks(),
                          capture_output=True)
    probe.chmod(0o600)
    if done.returncode == 0:
        pytest.skip("file permissions are not enforced for this user (root with CAP_DAC_OVERRIDE that cannot be dropped)")


# --- reading the outputs -----------------------------------------------------------------------------


@dataclass
class Message:
    """The parts of a built .eml."""

    subject: str
    text: str
    html: str
    stderr: str = ""  # what the run that built it said


def read_message(data: bytes) -> Message:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative", "not a multipart/alternative message"
    defects = [defect for part in message.walk() for defect in part.defects]
    assert not defects, defects
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    # the message is sent with CRLF line ends (RFC 5322); the parts are compared as documents
    return Message(str(message["Subject"]), text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n"))


CONTROL = re.compile(r".{0,20}[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button",
                  "textarea", "select", "base", "svg", "math", "audio", "video", "source", "portal"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "xlink:href", "srcset", "lowsrc", "dynsrc"}


class _Markup(HTMLParser):
    """Every element, attribute and piece of CSS in a document, for the safety checks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.css: list[str] = []
        self.text: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.in_style = tag == "style"
        self.css.extend(value or "" for name, value in attrs if name == "style")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        (self.css if self.in_style else self.text).append(data)


def markup_of(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def hostile_markup(html: str, markers: Iterable[str] = ()) -> list[str]:
    """What in `html` could run, load, or restyle the email on a sender's behalf: dangerous elements,
    event handlers, links that are not http(s)/mailto, and `markers` (planted in hostile CSS or
    attributes) anywhere in an attribute or in CSS. Empty when the document is safe."""
    found = []
    parsed = markup_of(html)
    for tag, attrs in parsed.tags:
        if tag in DANGEROUS_TAGS:
            found.append(f"<{tag}> element")
        if tag == "meta" and any(name == "http-equiv" and (value or "").lower() == "refresh" for name, value in attrs):
            found.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"event handler {name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value and not re.match(r"^(?:https?:|mailto:|#|cid:)", value.strip(), re.I):
                found.append(f"{name}={value[:60]!r} on <{tag}>")
            for marker in markers:
                if marker in (value or ""):
                    found.append(f"{marker} in {name}= of <{tag}>")
    for marker in markers:
        if any(marker in css for css in parsed.css):
            found.append(f"{marker} in CSS")
    return found


def visible_text(html: str) -> str:
    return " ".join(" ".join(markup_of(html).text).split())


# --- the contract ----------------------------------------------------------------------------------------


@dataclass
class Expect:
    """What a case expects beyond the common contract.

    `failed`: the suspect source gives nothing (exit 1 with --strict) or only part of it is bad
    (exit 0 even with --strict). `reason`: a regex stderr must match after the suspect's name; None
    when nothing about the suspect should be on stderr. `present`/`absent`: text that must / must not
    be in both the text and the HTML part. `markers`: strings planted in hostile CSS or attributes.
    """

    failed: bool
    reason: str | None
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    seconds: float = 10.0  # on a quiet machine; scaled by the baseline build beside the case (build_twice)
    rss_margin_mb: float = RSS_MARGIN_MB
    suspect: str = SUSPECT


def assert_contract(config: Path, expect: Expect, baseline_rss: float, *, preexec: Callable[[], None] | None = None) -> Message:
    """Build `config` both ways and hold the outcome to the robustness contract; return the message."""
    message_run, strict_run, slowness = build_twice(config, preexec=preexec)
    for outcome in (message_run, strict_run):
        assert "Traceback" not in outcome.stderr, outcome
        bound = expect.seconds * slowness
        assert outcome.seconds < bound, f"took {outcome.seconds:.1f} s, bound {expect.seconds} s x {slowness:.1f} (this machine now)\n{outcome}"
        assert outcome.max_rss_mb < baseline_rss + expect.rss_margin_mb, \
            f"peak memory {outcome.max_rss_mb:.0f} MB, bound {baseline_rss:.0f} + {expect.rss_margin_mb} MB\n{outcome}"
        for leaked in (SECRET,):
            assert leaked not in outcome.stderr and leaked.encode() not in outcome.stdout, f"{leaked} leaked\n{outcome}"
    assert message_run.status == 0, message_run
    assert strict_run.status == (1 if expect.failed else 0), strict_run
    assert strict_run.stdout, "--strict still writes the edition"

    said = [line for line in message_run.stderr.splitlines() if f"'{expect.suspect}'" in line]
    if expect.reason is None:
        assert not said, message_run
    else:
        assert any(re.search(expect.reason, line) for line in said), \
            f"stderr does not name {expect.suspect!r} with a reason matching {expect.reason!r}:\n{message_run.stderr}"
    if expect.failed:
        assert any(line.startswith("digest: warning:") for line in said)
    assert f"'{GOOD}'" not in message_run.stderr, message_run  # the good source is not blamed

    message = read_message(message_run.stdout)
    message.stderr = message_run.stderr
    strict_text = strict_run.stdout.decode("utf-8")
    assert strict_text == message.text, "the text part and --format text differ"
    shown = visible_text(message.html)
    for title in (*GOOD_TITLES, *expect.present):
        assert title in message.text, f"{title!r} missing from the text part"
        assert title in shown, f"{title!r} missing from the HTML part"
    for text in expect.absent:
        assert text not in message.text, f"{text!r} in the text part"
        assert text not in message.html, f"{text!r} in the HTML part"
    assert hostile_markup(message.html, expect.markers) == []
    for part in (message.text, message.html, message.subject):
        assert not CONTROL.search(part), f"a control character in {CONTROL.search(part).group()!r}"
    assert len(message.html.encode()) < 102_000
    return message
