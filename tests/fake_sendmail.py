"""A stand-in for `sendmail -t` that a test can pause: `fake_sendmail.py MAILBOX`.

It reads the message from stdin and "accepts" it by renaming it into MAILBOX/new/, as a mail queue
would. It reports each stage (started, received, accepted) in MAILBOX/stage as "STAGE PID", and
waits at a stage while MAILBOX/hold-STAGE exists, so a test can kill digest at that very point.
MAILBOX/refuse makes it exit 75 (temporary failure); MAILBOX/sigterm-parent makes it send SIGTERM
to digest while it holds the message.
"""
import os
import signal
import sys
import time
from pathlib import Path

box = Path(sys.argv[1])


def stage(name: str) -> None:
    tmp = box / f".stage.{os.getpid()}"
    tmp.write_text(f"{name} {os.getpid()}")
    os.replace(tmp, box / "stage")
    while (box / f"hold-{name}").exists():
        time.sleep(0.01)


stage("started")
data = sys.stdin.buffer.read()
stage("received")
if (box / "refuse").exists():
    print("fake-sendmail: queue full, try again later", file=sys.stderr)
    sys.exit(75)
if (box / "sigterm-parent").exists():
    os.kill(os.getppid(), signal.SIGTERM)
    time.sleep(0.3)  # digest must wait for us
(box / "new").mkdir(exist_ok=True)
tmp = box / f".{os.getpid()}.tmp"
tmp.write_bytes(data)
os.replace(tmp, box / "new" / f"{time.time_ns()}.{os.getpid()}.eml")
stage("accepted")
print("fake-sendmail: queued", flush=True)
