"""A public server that sends digest into private address space, through the command line.

Telling a public address from a private one needs a public address to serve from, so each case runs
in a network namespace of its own (a forked child of the test), where PUBLIC is an address of the
loopback interface: a "public" server there and a "private" one on 127.0.0.1, nothing reachable
from outside. The child runs the real `python -m digest` inside and hands back its outcome.
"""
from __future__ import annotations

import ctypes
import os
import pickle
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import DAY, GOOD_TITLES, SUSPECT, Outcome, Server, entry, redirect, respond, rss, run, write_project

PUBLIC = "11.22.33.44"  # a global address, only ever on the namespace's own loopback
INTRANET_TEXT = "INTRANET-ONLY-7c1e: the payroll export lives on the file server."
INTRANET_PAGE = (f"<html><head><title>Payroll</title></head><body><article><h1>Payroll</h1>"
                 f"<p>{INTRANET_TEXT}</p><p>{INTRANET_TEXT}</p></article></body></html>").encode()


def _enter_own_network() -> None:
    """unshare(CLONE_NEWNET) (in a new user namespace when not root), then loopback up with PUBLIC on it."""
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    uid, gid = os.getuid(), os.getgid()
    flags = clone_newnet if uid == 0 else clone_newnet | clone_newuser
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    if uid != 0:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{PUBLIC}/32", "dev", "lo"]):
        subprocess.run(command, check=True, capture_output=True)


def in_own_network(body: Callable[[], Any]) -> Any:
    """`body()` run in a forked child inside a network namespace of its own; its (picklable) result."""
    if not shutil.which("ip"):
        pytest.skip("iproute2's `ip` is not installed (.ci/run installs it)")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            try:
                _enter_own_network()
            except (OSError, subprocess.CalledProcessError) as exc:
                answer: tuple[str, Any] = ("skip", f"no network namespace for the test ({exc})")
            else:
                answer = ("done", body())
        except BaseException as exc:  # noqa: BLE001 (reported to the parent, which fails the test)
            answer = ("error", f"{type(exc).__name__}: {exc}")
        with os.fdopen(write, "wb") as out:
            pickle.dump(answer, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as into:
        data = into.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "skip":
        pytest.skip(value)
    assert kind == "done", value
    return value


def test_redirects_and_links_into_private_space_are_refused_unless_the_source_allows_it(tmp_path: Path) -> None:
    def body() -> tuple[Outcome, list[str]]:
        public, private = Server(PUBLIC), Server()
        try:
            private.route("/admin", respond(INTRANET_PAGE, content_type="text/html"))
            private.route("/intranet-feed", respond(rss(entry("Canteen closes early on Friday", link="https://intranet.example/canteen",
                                                              date="Wed, 01 May 2024 12:00:00 GMT"))))
            teaser = rss(entry("Pier lights switched to LED", body="The pier is brighter now.", link=private.url("/admin"),
                               date="Wed, 01 May 2024 11:00:00 GMT"))
            sources = [
                {"kind": "feed", "url": public.route("/feed", redirect(private.url("/admin"))), "allow_private": False},
                {"kind": "html", "url": public.route("/page", redirect(private.url("/admin"), status=301)), "allow_private": False},
                {"kind": "feed", "url": public.route("/teasers", respond(teaser)), "full_text": True, "allow_private": False},
                {"kind": "feed", "url": public.route("/to-intranet", redirect(private.url("/intranet-feed"))), "allow_private": True},
            ]
            config = write_project(tmp_path, *sources)
            outcome = run("build", "-c", str(config), "--date", DAY, "--format", "text", "-o", "-", cwd=tmp_path, fresh=True)
            return outcome, private.requested
        finally:
            public.close()
            private.close()

    outcome, private_requests = in_own_network(body)
    assert outcome.status == 0 and "Traceback" not in outcome.stderr, outcome
    refused = r"refused: 127\.0\.0\.1 is at a non-public address \(127\.0\.0\.1\); set allow_private: true"
    for suspect in (SUSPECT, f"{SUSPECT} 2"):
        assert any(f"'{suspect}'" in line and re.search(refused, line) for line in outcome.stderr.splitlines()), outcome
    assert any(f"'{SUSPECT} 3'" in line and "full text of 'Pier lights switched to LED' not fetched (refused: 127.0.0.1"
               in line for line in outcome.stderr.splitlines()), outcome
    assert private_requests == ["/intranet-feed"]  # the refused hops never sent a request
    text = outcome.stdout.decode()
    for title in (*GOOD_TITLES, "Pier lights switched to LED", "The pier is brighter now.", "Canteen closes early on Friday"):
        assert title in text, outcome
    assert "INTRANET-ONLY" not in text



class Listener:
    """A bare TCP port on 127.0.0.1 that counts the connections made to it and keeps every byte sent
    (a TLS ClientHello among them), and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections, self.received = 0, b""
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.settimeout(0.5)
            try:
                self.received += conn.recv(65536)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.closing.set()
        self.thread.join()
        self.sock.close()


def test_a_private_address_is_refused_before_any_tcp_or_tls_handshake_with_it(tmp_path: Path) -> None:
    """The address is checked before connecting: a loopback server named by the URL, by a host name
    or by a public server's redirect gets no connection, so no TLS ClientHello either."""
    def body() -> tuple[Outcome, int, bytes]:
        public, private = Server(PUBLIC), Listener()
        try:
            sources = [
                {"kind": "feed", "url": f"https://127.0.0.1:{private.port}/feed", "allow_private": False},
                {"kind": "feed", "url": f"https://localhost:{private.port}/feed", "allow_private": False},
                {"kind": "feed", "url": public.route("/tls", redirect(f"https://127.0.0.1:{private.port}/feed")), "allow_private": False},
            ]
            config = write_project(tmp_path, *sources)
            outcome = run("build", "-c", str(config), "--date", DAY, "--format", "text", "-o", "-", cwd=tmp_path, fresh=True)
            return outcome, private.connections, private.received
        finally:
            public.close()
            private.close()

    outcome, connections, received = in_own_network(body)
    assert outcome.status == 0 and "Traceback" not in outcome.stderr, outcome
    lines = outcome.stderr.splitlines()
    for suspect, host in ((SUSPECT, "127.0.0.1"), (f"{SUSPECT} 2", "localhost"), (f"{SUSPECT} 3", "127.0.0.1")):
        assert any(f"'{suspect}'" in line and f"refused: {host} is at a non-public address (" in line for line in lines), outcome
    assert (connections, received) == (0, b"")
    for title in GOOD_TITLES:
        assert title in outcome.stdout.decode()
