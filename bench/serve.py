"""One-click unsubscribe POSTs per second against a real `digest serve` on loopback, beside a do-nothing
endpoint of the same stack (Starlette on uvicorn, same settings) in the same run, then both again
while a `digest send` to 10,000 readers (outbox delivery) writes to the same store.

    python bench/serve.py [--readers 10000] [--seconds 5] [--clients 4]

Each POST carries `List-Unsubscribe=One-Click` to a different reader's URL (their real token), on
keep-alive connections, `--clients` at once. Every answer must be 200, the send must exit 0, and at
the end the store must hold every opt-out posted and the send's outcome for every reader: the
figures are only printed when nothing was lost.
"""
from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
ONE_CLICK = b"List-Unsubscribe=One-Click"


def noop_server(port: int) -> None:
    """The baseline: the same stack and server settings, an endpoint that reads the body and answers 200."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def noop(request: Request) -> PlainTextResponse:
        await request.body()
        return PlainTextResponse("ok\n")

    app = Starlette(routes=[Route("/noop/{token}", noop, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, http="h11", log_config=None, access_log=False, proxy_headers=True,
                server_header=False, timeout_keep_alive=5, limit_concurrency=256)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered on port {port}")


Run = tuple[list[float], list[int], float]  # each answer's latency in ms, each status, the wall time in s


def hammer(port: int, paths: list[str], seconds: float, clients: int, until: subprocess.Popen | None = None) -> Run:
    """POST one-click to each path in turn from `clients` threads for `seconds` (or until `until` exits)."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    cursor = iter(range(len(paths)))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        seen: list[int] = []
        while time.monotonic() < stop and (until is None or until.poll() is None):
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            start = time.perf_counter()
            connection.request("POST", paths[index], ONE_CLICK, {"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            seen.append(response.status)
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(seen)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.monotonic() - began


def rate(run: Run) -> tuple[float, float, float, int]:
    """(POSTs per second, median ms, p95 ms, count) of one `hammer` run."""
    times, _, elapsed = run
    if not times:
        return 0.0, 0.0, 0.0, 0
    ordered = sorted(times)
    return len(times) / elapsed, statistics.median(times), ordered[int(len(ordered) * 0.95) - 1 if len(ordered) > 1 else 0], len(times)


def setup(folder: Path, readers: int, port: int) -> Path:
    """The shipped sample config, sending to `readers` readers by outbox, with `digest serve` at `port`."""
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for source in shipped.get("sources", []):
        if source.get("path"):
            source["path"] = str(ROOT / source["path"])
    with open(folder / "readers.csv", "w", encoding="utf-8") as handle:
        handle.write("email,name\n" + "".join(f"reader{n}@example.org,Reader {n}\n" for n in range(readers)))
    shipped["newsletter"].update(to=[], unsubscribe_url=None)
    shipped.pop("archive", None)
    shipped.update(subscribers={"path": "readers.csv"}, store={"path": "store.db", "wait": 60}, output={"dir": "out"},
                   serve={"base_url": "https://news.example/newsletter", "port": port})  # the proxy's address in the emails
    shipped["delivery"] = {"method": "outbox", "outbox": "outbox"}
    if shipped.get("templates"):
        shipped["templates"] = str(ROOT / shipped["templates"])
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    from digest.config import load_config
    from digest.readers import recipients, token
    from digest.store import Store

    env = {**os.environ, "DIGEST_UNSUBSCRIBE_SECRET": SECRET}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        serve_port, noop_port = free_port(), free_port()
        config_path = setup(folder, args.readers, serve_port)
        serve = subprocess.Popen([sys.executable, "-m", "digest", "serve", "-c", str(config_path), "--port", str(serve_port)],
                                 env=env, stderr=subprocess.DEVNULL)
        noop = subprocess.Popen([sys.executable, __file__, "--noop", str(noop_port)], stderr=subprocess.DEVNULL)
        rows: list[tuple[str, tuple[float, float, float, int]]] = []
        try:
            wait_for(serve_port, serve)
            wait_for(noop_port, noop)
            key = SECRET.encode()
            tokens = [token(f"reader{n}@example.org", key) for n in range(args.readers)]
            quarter = len(tokens) // 4  # a quarter each to post to before and during the send; the other half stay readers
            quiet = [f"/unsubscribe/{t}" for t in tokens[:quarter]]
            busy = [f"/unsubscribe/{t}" for t in tokens[quarter : 2 * quarter]]
            noop_paths = [f"/noop/{t}" for t in tokens]

            rows.append(("do-nothing endpoint (baseline)", rate(hammer(noop_port, noop_paths, args.seconds, args.clients))))
            run = hammer(serve_port, quiet, args.seconds, args.clients)
            assert set(run[1]) == {200}, f"one-click answers: {sorted(set(run[1]))}"
            posted = quiet[: len(run[1])]
            rows.append(("one-click unsubscribe", rate(run)))

            started = time.monotonic()
            send = subprocess.Popen([sys.executable, "-m", "digest", "send", "-c", str(config_path)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            outbox = folder / "outbox"
            while send.poll() is None and not (outbox.is_dir() and any(outbox.iterdir())):
                time.sleep(0.02)  # past the build: the send is delivering and writing outcomes
            run = hammer(serve_port, busy, args.seconds, args.clients, until=send)
            assert set(run[1]) <= {200}, f"one-click answers during the send: {sorted(set(run[1]))}"
            posted += busy[: len(run[1])]
            rows.append(("one-click unsubscribe during the send", rate(run)))
            run = hammer(noop_port, noop_paths, min(args.seconds, 3.0), args.clients, until=send)
            rows.append(("do-nothing endpoint during the send", rate(run)))
            _, err = send.communicate(timeout=1800)
            send_seconds = time.monotonic() - started
            if send.returncode != 0:
                raise SystemExit(f"digest send exited {send.returncode}: {err.decode(errors='replace')[-2000:]}")
        finally:
            for process in (serve, noop):
                process.terminate()
                process.wait(timeout=30)
        config = load_config(config_path)
        with Store(config.resolve(config.store.path)) as store:
            left = {reader.address for reader in recipients(config, store, lambda _: None)}
            day = store.editions()[-1].date
            counts = store.delivery_counts(day)
            settled = {delivery.address for delivery in store.deliveries(day) if delivery.status != "pending"}
        owner = {made: f"reader{n}@example.org" for n, made in enumerate(tokens)}
        gone = {owner[path.rsplit("/", 1)[1]] for path in posted}
        assert not gone & left, f"{len(gone & left)} opt-outs were lost"
        missing = set(owner.values()) - settled - gone
        assert not missing, f"{len(missing)} readers have no outcome from the send and did not opt out"

    base = rows[0][1][0]
    print(f"digest serve on 127.0.0.1, {args.clients} keep-alive clients, {args.readers:,} readers; "
          f"{len(gone):,} opt-outs posted, all recorded")
    print(f"the send: {send_seconds:.1f} s, outcomes {dict(sorted((str(k), v) for k, v in counts.items()))}\n")
    print("| endpoint | POSTs | POSTs/s | median ms | p95 ms | vs. baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (per_second, median, p95, count) in rows:
        print(f"| {name} | {count:,} | {per_second:,.0f} | {median:.1f} | {p95:.1f} | {per_second / base:.2f}x |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--noop":
        noop_server(int(sys.argv[2]))
    else:
        main()
