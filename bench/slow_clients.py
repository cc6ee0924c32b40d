"""Slow clients side by side: ``python bench/slow_clients.py [--setups ...] [--attacks ...]``.

For each way of serving the app, on loopback over one real redis-server, and
each attack:

* ``body``: 64 uploads (``--stalled``) that send their headers and 10 bytes
  of a 100,000-byte body and then stall;
* ``headers`` (slowloris): 256 connections that send a request's head one
  byte every half second and never finish it;

while the attack runs, time ``/healthz`` and a cart page (5 probes each, fresh
connections, 5 s timeout); then stop it and measure the cart page's req/s with
``wrk`` for a short run. The attackers connect from 127.0.0.2, the probes from
127.0.0.1: a server's cap per client address (gevent's
``GUNICORN_CLIENT_CONNECTIONS``) applies to the attacker, as it would to one
client on the Internet. Prints a Markdown table (the one in
docs/performance.md, "Slow clients").

``gthread``, ``gevent`` and ``granian`` are started exactly as ``bench/run.py
--server`` starts them (``bench/stack.py``: the shipped config and its worker
count; Granian with as many workers, and as many blocking threads per worker
as a gthread worker has threads).

Bounded: every server is stopped at the end, the attacking sockets are closed
after the probes, and wrk runs for ``--wrk-seconds``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from bench import stack
from bench.stack import session_cpu_seconds
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.realapp import gunicorn_app, render_nginx_conf
from checkout_links.testing.servers import HOST, ProcessServer, RedisServer, free_port

REPO = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(32)
STALLED = 64
DECLARED = 100_000
#: Slowloris: this many connections, each sending one byte of its head every TRICKLE_S.
TRICKLERS = 256
TRICKLE_S = 0.5
#: The attackers' source address: another loopback address than the probes'.
ATTACKER = "127.0.0.2"
PROBES = 5


def _attacker(port: int) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=5, source_address=(ATTACKER, 0))


@contextlib.contextmanager
def stalled_uploads(port: int, path: str, count: int = STALLED) -> Iterator[None]:
    """``count`` connections each sending a POST's headers and 10 bytes of its body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded"
        f"\r\nContent-Length: {DECLARED}\r\n\r\n"
    ).encode()
    socks = []
    try:
        for _ in range(count):
            try:
                sock = _attacker(port)
                socks.append(sock)
                sock.sendall(head + b"email=a%40b")
            except OSError:
                continue  # refused, or cut at once (gevent's cap per address): not stalled
        yield
    finally:
        for sock in socks:
            sock.close()


class Slowloris:
    """``count`` connections sending a GET's head one byte every :data:`TRICKLE_S`, forever.

    The head never ends: after the request line and Host, one header's value
    grows a byte at a time. ``cut`` counts the connections the server closed
    or answered (a 400 or 503) meanwhile.
    """

    def __init__(self, port: int, count: int = TRICKLERS) -> None:
        self.port, self.count = port, count
        self.cut = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Slowloris:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        head = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ".encode()
        socks: list[socket.socket] = []
        for _ in range(self.count):
            try:
                socks.append(_attacker(self.port))
            except OSError:
                self.cut += 1
        for sock in socks:
            sock.setblocking(False)
        sent = 0
        while not self._stop.wait(TRICKLE_S):
            byte = head[sent : sent + 1] or b"a"
            sent += 1
            for sock in list(socks):
                try:
                    sock.send(byte)
                    sock.recv(1024)  # anything at all (an answer, or EOF) ends the hang
                except BlockingIOError:
                    continue  # nothing to read: still hanging, as intended
                except OSError:
                    pass
                socks.remove(sock)
                sock.close()
                self.cut += 1
        for sock in socks:
            sock.close()


def probe(url: str) -> float | None:
    """Seconds for one GET on a fresh connection; None if it failed or took over 5 s."""
    start = time.perf_counter()
    try:
        with httpx.Client(trust_env=False, timeout=5.0) as client:
            ok = client.get(url).status_code == 200
    except httpx.HTTPError:
        return None
    return time.perf_counter() - start if ok else None


def wrk_run(url: str, seconds: int) -> tuple[float, int]:
    """Requests per second and the number of requests of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    if rps is None or count is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return float(rps.group(1)), int(count.group(1))


def app_env(redis_url: str, port: int, base: str) -> dict[str, str]:
    return {
        **os.environ,
        "CHECKOUT_REDIS_URL": redis_url,
        "CHECKOUT_SECRET_KEYS": SECRET,
        "CHECKOUT_BASE_URL": base,
        "CHECKOUT_RATE_LIMITS_ENABLED": "false",
        "PYTHONPATH": str(REPO),
    }


#: A setup yields the URL clients use and the session leaders whose CPU is counted.
Served = tuple[str, list[int]]
Setup = Callable[[Path, str], contextlib.AbstractContextManager[Served]]


def leader(server: ProcessServer) -> int:
    assert server._proc is not None
    return server._proc.pid


@contextlib.contextmanager
def as_bench_runs_it(
    kind: str, directory: Path, redis_url: str, extra: dict[str, str] | None = None
) -> Iterator[Served]:
    """The service under ``kind`` exactly as ``bench/run.py --server kind`` starts it."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**stack.gunicorn_env(redis_url, SECRET, port, directory), **(extra or {})}
    server = stack.start_server(kind, kind, "wsgi:app", directory, env, port)
    try:
        yield server.url, [server.leader]
    finally:
        server.server.stop(timeout=20)


@contextlib.contextmanager
def _nginx(directory: Path, upstream: str, port: int) -> Iterator[ProcessServer]:
    """The shipped deploy/nginx.conf on ``port`` in front of ``upstream``."""
    conf = directory / "nginx.conf"
    conf.write_text(render_nginx_conf([upstream], f"{HOST}:{port}"))
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    argv = ["nginx", "-p", f"{directory}/", "-e", "stderr", "-c", str(conf), "-g", directives]
    nginx = ProcessServer(argv, port=port, log_path=directory / "nginx.log", name="nginx")
    with nginx:
        nginx.wait_http("/readyz")
        yield nginx


@contextlib.contextmanager
def behind_nginx(directory: Path, redis_url: str) -> Iterator[Served]:
    port = free_port()
    app = gunicorn_app(directory, redis_url, workers=2, base_url=f"http://{HOST}:{port}")
    with app:
        app.wait_http("/readyz", timeout=60)
        with _nginx(directory, f"{HOST}:{app.port}", port) as nginx:
            yield nginx.url, [leader(app), leader(nginx)]


@contextlib.contextmanager
def granian_behind_nginx(directory: Path, redis_url: str) -> Iterator[Served]:
    """Granian as ``bench/run.py --server granian`` starts it, 2 workers, behind nginx."""
    directory.mkdir(parents=True, exist_ok=True)
    port, app_port = free_port(), free_port()
    env = {
        **stack.gunicorn_env(redis_url, SECRET, app_port, directory),
        "CHECKOUT_BASE_URL": f"http://{HOST}:{port}",
        "GUNICORN_WORKERS": "2",
    }
    app = stack.start_server("granian", "granian", "wsgi:app", directory, env, app_port)
    try:
        with _nginx(directory, f"{HOST}:{app_port}", port) as nginx:
            yield nginx.url, [app.leader, leader(nginx)]
    finally:
        app.server.stop(timeout=20)


@contextlib.contextmanager
def serve_cli(directory: Path, redis_url: str) -> Iterator[Served]:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    entry = "from checkout_links.cli.main import main; main()"
    argv = [sys.executable, "-c", entry, "serve", "--bind", f"{HOST}:{port}"]
    env = app_env(redis_url, port, f"http://{HOST}:{port}")
    server = ProcessServer(argv, port=port, log_path=directory / "serve.log", env=env, cwd=REPO)
    with server:
        server.wait_http("/readyz", timeout=60)
        yield server.url, [leader(server)]


_WORKERS, _THREADS = stack.process_layout({})

SETUPS: dict[str, tuple[str, Setup]] = {
    "gthread": (
        f"gunicorn gthread {_WORKERS}x{_THREADS} (`--server gthread`), facing clients",
        lambda d, r: as_bench_runs_it("gthread", d, r),
    ),
    "nginx": ("gunicorn gthread 2x4 behind the shipped nginx", behind_nginx),
    "gthread-x64": (
        f"gunicorn gthread {_WORKERS}x64, facing clients",
        lambda d, r: as_bench_runs_it("gthread", d, r, {"GUNICORN_THREADS": "64"}),
    ),
    "gevent": (
        f"gunicorn gevent {_WORKERS} workers (`--server gevent`), facing clients",
        lambda d, r: as_bench_runs_it("gevent", d, r),
    ),
    "serve": ("`checkout-links serve` (gevent, 2 workers), facing clients", serve_cli),
    "granian": (
        f"Granian WSGI {_WORKERS} workers x {_THREADS} blocking threads (`--server granian`), "
        "facing clients",
        lambda d, r: as_bench_runs_it("granian", d, r),
    ),
    "granian-nginx": (
        f"Granian WSGI 2 workers x {_THREADS} blocking threads behind the shipped nginx",
        granian_behind_nginx,
    ),
    "granian-x64": (
        f"Granian WSGI {_WORKERS} workers x 64 blocking threads, facing clients",
        lambda d, r: as_bench_runs_it("granian", d, r, {"GUNICORN_THREADS": "64"}),
    ),
}
ATTACKS = {
    "body": "{stalled} stalled uploads",
    "headers": f"slowloris: {TRICKLERS} heads, a byte per {TRICKLE_S:g} s",
}


def measure(
    name: str,
    attacks: list[str],
    directory: Path,
    redis_url: str,
    api_key: str,
    wrk_s: int,
    stalled: int = STALLED,
) -> list[str]:
    """One Markdown row per attack on setup ``name``, then one of its cart-page req/s."""
    label, setup = SETUPS[name]
    rows = []
    with setup(directory / name, redis_url) as (url, leaders):
        with httpx.Client(base_url=url, trust_env=False, timeout=10) as web:
            link = web.post(
                "/api/v1/links",
                json={"products": [{"id": "kit"}]},
                headers={"Authorization": f"Bearer {api_key}"},
            ).json()
        path = "/c/" + link["url"].rsplit("/c/", 1)[1]
        port = int(url.rsplit(":", 1)[1])
        for attack in attacks:
            loris = Slowloris(port)
            hold = stalled_uploads(port, path, stalled) if attack == "body" else loris
            with hold:
                time.sleep(0.5 if attack == "body" else 3 * TRICKLE_S)
                health = [probe(url + "/healthz") for _ in range(PROBES)]
                pages = [probe(url + path) for _ in range(PROBES)]
            cut = f"{loris.cut}/{TRICKLERS}" if attack == "headers" else "-"
            what = ATTACKS[attack].format(stalled=stalled)
            rows.append(f"| {label} | {what} | {cell(health)} | {cell(pages)} | {cut} |")
            time.sleep(1)
        cpu_before = sum(session_cpu_seconds(pid) for pid in leaders)
        rps, count = wrk_run(url + path, wrk_s)
        cpu_us = (sum(session_cpu_seconds(pid) for pid in leaders) - cpu_before) / count * 1e6
    rows.append(
        f"| {label} | none: `wrk -t2 -c16` {rps:.0f} req/s, {cpu_us:.0f} µs CPU/page | | | |"
    )
    return rows


def cell(times: list[float | None]) -> str:
    answered = [t for t in times if t is not None and t < 1.0]
    worst = max((t for t in times if t is not None), default=None)
    worst_s = f"{worst * 1000:.0f} ms" if worst is not None else "timeout"
    return f"{len(answered)}/{len(times)} (max {worst_s})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--setups", default=",".join(SETUPS), help=", ".join(SETUPS))
    p.add_argument("--attacks", default=",".join(ATTACKS), help=", ".join(ATTACKS))
    p.add_argument("--wrk-seconds", type=int, default=8)
    p.add_argument(
        "--stalled",
        type=int,
        default=STALLED,
        help=f"stalled uploads of the body attack ({STALLED}; more than a server's threads "
        "shows whether more threads only move the threshold)",
    )
    args = p.parse_args()
    attacks = args.attacks.split(",")
    if set(attacks) - set(ATTACKS) or set(args.setups.split(",")) - set(SETUPS):
        p.error(f"setups are {', '.join(SETUPS)}; attacks are {', '.join(ATTACKS)}")
    with tempfile.TemporaryDirectory(prefix="slow-clients-") as tmp:
        directory = Path(tmp)
        with RedisServer(directory / "redis") as redis_server:
            api_key = add_merchant(make_app(None, redis_url=redis_server.url), "slow")
            url, wrk_s = redis_server.url, args.wrk_seconds
            rows = [
                row
                for n in args.setups.split(",")
                for row in measure(n, attacks, directory, url, api_key, wrk_s, args.stalled)
            ]
    print(
        "| Server | attack | /healthz under 1 s | cart page under 1 s "
        "| attacking connections the server cut |"
    )
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
