"""Slow clients side by side: ``python bench/slow_clients.py [--setups a,b] [--wrk-seconds 8]``.

For each way of serving the app, on loopback over one real redis-server:
open 64 uploads that send their headers and 10 bytes of a 100,000-byte body
and then stall; while they hang, time ``/healthz`` and a cart page (5 probes
each, fresh connections, 5 s timeout); then let them go and measure the cart
page's req/s with ``wrk`` for a short run. Prints a Markdown table (the one
in docs/performance.md, "Slow clients").

Bounded: every server is stopped at the end, the stalled sockets are closed
after the probes, and wrk runs for ``--wrk-seconds``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from bench.stack import session_cpu_seconds
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.realapp import SECRET, gunicorn_app, render_nginx_conf
from checkout_links.testing.servers import HOST, ProcessServer, RedisServer, free_port

REPO = Path(__file__).resolve().parent.parent
STALLED = 64
DECLARED = 100_000
PROBES = 5


def stall(port: int, path: str, count: int = STALLED) -> list[socket.socket]:
    """``count`` connections each sending a POST's headers and 10 bytes of its body."""
    socks = []
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded"
        f"\r\nContent-Length: {DECLARED}\r\n\r\n"
    ).encode()
    for _ in range(count):
        sock = socket.create_connection((HOST, port), timeout=5)
        sock.sendall(head + b"email=a%40b")
        socks.append(sock)
    return socks


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
def gunicorn(directory: Path, redis_url: str, env: dict[str, str]) -> Iterator[Served]:
    server = gunicorn_app(directory, redis_url, workers=2, env=env)
    with server:
        server.wait_http("/readyz", timeout=60)
        yield server.url, [leader(server)]


@contextlib.contextmanager
def behind_nginx(directory: Path, redis_url: str) -> Iterator[Served]:
    port = free_port()
    app = gunicorn_app(directory, redis_url, workers=2, base_url=f"http://{HOST}:{port}")
    conf = directory / "nginx.conf"
    conf.write_text(render_nginx_conf([f"{HOST}:{app.port}"], f"{HOST}:{port}"))
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    argv = ["nginx", "-p", f"{directory}/", "-e", "stderr", "-c", str(conf), "-g", directives]
    nginx = ProcessServer(argv, port=port, log_path=directory / "nginx.log", name="nginx")
    with app:
        app.wait_http("/readyz", timeout=60)
        with nginx:
            nginx.wait_http("/readyz")
            yield nginx.url, [leader(app), leader(nginx)]


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


@contextlib.contextmanager
def granian(directory: Path, redis_url: str, threads: int) -> Iterator[Served]:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://{HOST}:{port}"
    argv = [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "2"]
    argv += ["--blocking-threads", str(threads), "--host", HOST, "--port", str(port), "wsgi:app"]
    server = ProcessServer(
        argv,
        port=port,
        log_path=directory / "granian.log",
        env=app_env(redis_url, port, base),
        cwd=REPO,
        name="granian",
    )
    with server:
        server.wait_http("/readyz", timeout=60)
        yield server.url, [leader(server)]


SETUPS: dict[str, tuple[str, Setup]] = {
    "gthread": (
        "gunicorn gthread 2x4, facing clients",
        lambda d, r: gunicorn(d, r, {}),
    ),
    "nginx": ("gunicorn gthread 2x4 behind the shipped nginx", behind_nginx),
    "gthread-2x64": (
        "gunicorn gthread 2x64, facing clients",
        lambda d, r: gunicorn(d, r, {"GUNICORN_THREADS": "64"}),
    ),
    "gevent": (
        "gunicorn gevent 2 workers, facing clients",
        lambda d, r: gunicorn(d, r, {"GUNICORN_WORKER_CLASS": "gevent"}),
    ),
    "serve": ("`checkout-links serve` (gevent, 2 workers), facing clients", serve_cli),
    "granian": (
        "Granian WSGI 2 workers x 4 blocking threads, facing clients",
        lambda d, r: granian(d, r, 4),
    ),
    "granian-2x64": (
        "Granian WSGI 2 workers x 64 blocking threads, facing clients",
        lambda d, r: granian(d, r, 64),
    ),
}


def measure(name: str, directory: Path, redis_url: str, api_key: str, wrk_s: int) -> str:
    label, setup = SETUPS[name]
    with setup(directory / name, redis_url) as (url, leaders):
        with httpx.Client(base_url=url, trust_env=False, timeout=10) as web:
            link = web.post(
                "/api/v1/links",
                json={"products": [{"id": "kit"}]},
                headers={"Authorization": f"Bearer {api_key}"},
            ).json()
        cart = url + "/c/" + link["url"].rsplit("/c/", 1)[1]
        port = int(url.rsplit(":", 1)[1])
        socks = stall(port, "/c/" + link["url"].rsplit("/c/", 1)[1])
        time.sleep(0.5)
        health = [probe(url + "/healthz") for _ in range(PROBES)]
        pages = [probe(cart) for _ in range(PROBES)]
        for sock in socks:
            sock.close()
        time.sleep(1)
        cpu_before = sum(session_cpu_seconds(pid) for pid in leaders)
        rps, count = wrk_run(cart, wrk_s)
        cpu_us = (sum(session_cpu_seconds(pid) for pid in leaders) - cpu_before) / count * 1e6

    def cell(times: list[float | None]) -> str:
        answered = [t for t in times if t is not None and t < 1.0]
        worst = max((t for t in times if t is not None), default=None)
        worst_s = f"{worst * 1000:.0f} ms" if worst is not None else "timeout"
        return f"{len(answered)}/{len(times)} (max {worst_s})"

    return f"| {label} | {cell(health)} | {cell(pages)} | {rps:.0f} | {cpu_us:.0f} |"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--setups", default=",".join(SETUPS))
    p.add_argument("--wrk-seconds", type=int, default=8)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="slow-clients-") as tmp:
        directory = Path(tmp)
        with RedisServer(directory / "redis") as redis_server:
            api_key = add_merchant(make_app(None, redis_url=redis_server.url), "slow")
            url, wrk_s = redis_server.url, args.wrk_seconds
            rows = [measure(n, directory, url, api_key, wrk_s) for n in args.setups.split(",")]
    print(
        f"| Server | /healthz under 1 s, {STALLED} stalled uploads | cart page under 1 s "
        "| cart page req/s (wrk -t2 -c16) | server CPU per cart page (µs) |"
    )
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
