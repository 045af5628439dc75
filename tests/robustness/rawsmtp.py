"""A hand-written SMTP server on 127.0.0.1 that misbehaves on cue, for what aiosmtpd will not do:
answer QUIT with an error, hang up right after accepting a message, or trickle its greeting a byte
at a time for ever."""
from __future__ import annotations

import socket
import threading


class RawSmtp:
    """`quit_reply`: what QUIT gets (None: the connection is closed right after DATA's 250 instead).
    `trickle`: seconds between the bytes of an endless multi-line greeting (None: a normal greeting)."""

    def __init__(self, *, quit_reply: bytes | None = b"221 2.0.0 bye\r\n", trickle: float | None = None) -> None:
        self.quit_reply, self.trickle = quit_reply, trickle
        self.messages: list[bytes] = []
        self.commands: list[bytes] = []
        self.connected = threading.Event()
        self.closing = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connected.set()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            try:
                while self.trickle is not None:
                    for byte in b"220-slow greeting\r\n":
                        if self.closing.wait(self.trickle):
                            return
                        conn.sendall(bytes([byte]))
                conn.sendall(b"220 raw.example ESMTP\r\n")
                for line in lines:
                    self.commands.append(line)
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        conn.sendall(b"250-raw.example\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n")
                    elif verb == b"AUTH":
                        conn.sendall(b"235 2.7.0 accepted\r\n")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go ahead\r\n")
                        data = b""
                        for body_line in lines:
                            if body_line == b".\r\n":
                                break
                            data += body_line
                        self.messages.append(data)
                        conn.sendall(f"250 2.0.0 queued as R{len(self.messages)}\r\n".encode())
                        if self.quit_reply is None:
                            return  # hang up: the message was accepted, QUIT gets nothing
                    elif verb == b"QUIT":
                        conn.sendall(self.quit_reply)
                        return
                    else:
                        conn.sendall(b"250 2.0.0 ok\r\n")
            except OSError:
                return
