"""Stalled uploads against every way the repo runs the web app facing clients.

Each upload sends its headers and 10 bytes of a 100,000-byte body, then waits.
While they hang, ``/healthz`` and a cart page must still answer within a
second, on real processes over a real redis-server:

* ``checkout-links serve`` (gevent workers);
* deploy/gunicorn.conf.py with the Kubernetes ConfigMap's GUNICORN_* settings
  (gevent; the Service sends clients straight to the pods);
* deploy/gunicorn.conf.py with compose's GUNICORN_* settings (gthread) behind
  deploy/nginx.conf, as compose runs it.

Bare gthread workers fail this (8 stalled uploads take all 2x4 threads);
docs/performance.md, "Slow clients", has the measured comparison.

One client with 2,100 stalled uploads (more than the 2 x 1,000 connections of
the gevent workers) meets the per-address cap of the guarded gevent worker
(checkout_links/serving/gevent_worker.py): another client's /healthz and cart
page still answer within a second; a request that never finishes arriving is
ended at GUNICORN_REQUEST_READ_SECONDS.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.rawhttp import stall_uploads
from checkout_links.testing.realapp import (
    REPO,
    gunicorn_app,
    http_client,
    issue_link,
    path_of,
    race_one_link,
    render_nginx_conf,
    serve_cli,
)
from checkout_links.testing.servers import HOST, ProcessServer, RedisServer, free_port

pytestmark = pytest.mark.slow

STALLED = 64
DEPLOY = REPO / "deploy"


def gunicorn_env(yaml_path: Path, *keys: str) -> dict[str, str]:
    """The GUNICORN_* settings a deployment file gives the web app."""
    doc = next(
        d for d in yaml.safe_load_all(yaml_path.read_text()) if d and ("data" in d or "x-app" in d)
    )
    env = doc["data"] if "data" in doc else doc["x-app"]["environment"]
    return {k: str(v) for k, v in env.items() if k.startswith("GUNICORN_")}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RedisServer(tmp_path_factory.mktemp("slow") / "redis") as server:
        yield server.url


@pytest.fixture(scope="module")
def api_key(redis_url: str) -> str:
    return add_merchant(make_app(None, redis_url=redis_url), "slow")


@contextlib.contextmanager
def serve(directory: Path, redis_url: str) -> Iterator[str]:
    with serve_cli(directory, redis_url) as server:
        server.wait_http("/readyz", timeout=60)
        yield server.url


@contextlib.contextmanager
def k8s_pod(directory: Path, redis_url: str) -> Iterator[str]:
    env = gunicorn_env(DEPLOY / "k8s" / "configmap.yaml")
    server = gunicorn_app(directory, redis_url, workers=int(env["GUNICORN_WORKERS"]), env=env)
    with server:
        server.wait_http("/readyz", timeout=60)
        yield server.url


@contextlib.contextmanager
def compose_stack(directory: Path, redis_url: str) -> Iterator[str]:
    env = gunicorn_env(DEPLOY / "compose.yaml")
    port = free_port()
    app = gunicorn_app(
        directory,
        redis_url,
        workers=int(env["GUNICORN_WORKERS"]),
        base_url=f"http://{HOST}:{port}",
        env={**env, "CHECKOUT_PROXY_HOPS": "1"},
    )
    conf = directory / "nginx.conf"
    conf.write_text(render_nginx_conf([f"{HOST}:{app.port}"], f"{HOST}:{port}"))
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    argv = ["nginx", "-p", f"{directory}/", "-e", "stderr", "-c", str(conf), "-g", directives]
    nginx = ProcessServer(argv, port=port, log_path=directory / "nginx.log", name="nginx")
    with app:
        app.wait_http("/readyz", timeout=60)
        with nginx:
            nginx.wait_http("/readyz")
            yield nginx.url


WAYS = {"checkout-links serve": serve, "k8s": k8s_pod, "compose": compose_stack}


@pytest.mark.parametrize("way", list(WAYS))
def test_stalled_uploads_leave_health_and_cart_page_answering(
    way: str, redis_url: str, api_key: str, tmp_path: Path
) -> None:
    """With 64 uploads stalled mid-body, /healthz and a cart page each answer 200 in under 1 s."""
    with WAYS[way](tmp_path, redis_url) as url, http_client(url) as web:
        path = path_of(issue_link(web, api_key, {"products": [{"id": "kit"}]})["url"])
        assert web.get(path).status_code == 200  # warm: templates, product cache
        socks = stall_uploads(int(url.rsplit(":", 1)[1]), path, STALLED)
        try:
            time.sleep(0.5)  # every stalled request is in the server by now
            for target in ["/healthz", path] * 3:
                with httpx.Client(base_url=url, trust_env=False, timeout=5.0) as fresh:
                    start = time.perf_counter()  # a new connection each time
                    status = fresh.get(target).status_code
                    took = time.perf_counter() - start
                assert status == 200
                assert took < 1.0, f"{target} took {took:.2f} s with {STALLED} stalled uploads"
        finally:
            for sock in socks:
                sock.close()
        # The ledger still holds its promise on these workers: one order per link.
        race_path = path_of(issue_link(web, api_key, {"products": [{"id": "kit"}]})["url"])
        assert race_one_link(web, race_path, 12) == Counter({303: 1, 409: 11})


MANY = 2_100
#: Another client on the loopback network (all of 127.0.0.0/8 is loopback on Linux).
OTHER_CLIENT = "127.0.0.2"


@pytest.fixture
def room_for_sockets() -> Iterator[None]:
    """Enough file descriptors for MANY client sockets in this process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MANY + 1_024
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _refused(sock: socket.socket) -> bool:
    """Whether the server already answered this connection (the cap's 503) or closed it."""
    sock.setblocking(False)
    try:
        data = sock.recv(64)
    except BlockingIOError:
        return False  # held open, waiting for the rest of its body
    except OSError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.1 503")


@pytest.mark.parametrize("way", ["checkout-links serve", "k8s"])
def test_thousands_of_stalled_uploads_from_one_client_leave_others_served(
    way: str, redis_url: str, api_key: str, tmp_path: Path, room_for_sockets: None
) -> None:
    """2,100 uploads stalled mid-body from one address: another client's /healthz and cart
    page answer 200 within 1 s, and the flood's address is refused beyond the cap."""
    with WAYS[way](tmp_path, redis_url) as url, http_client(url) as web:
        path = path_of(issue_link(web, api_key, {"products": [{"id": "kit"}]})["url"])
        socks = stall_uploads(int(url.rsplit(":", 1)[1]), path, MANY, refusals_ok=True)
        try:
            time.sleep(1.0)  # every connection has been accepted (and capped) by now
            other = httpx.HTTPTransport(local_address=OTHER_CLIENT)
            for target in ["/healthz", path] * 3:
                with httpx.Client(base_url=url, transport=other, timeout=5.0) as fresh:
                    start = time.perf_counter()
                    status = fresh.get(target).status_code
                    took = time.perf_counter() - start
                assert status == 200
                assert took < 1.0, f"{target} took {took:.2f} s with {MANY} stalled uploads"
            refused = sum(_refused(sock) for sock in socks)
            # 2 workers, at most 100 connections of one address each.
            assert refused >= MANY - 200, f"only {refused} of {MANY} were refused"
        finally:
            for sock in socks:
                sock.close()


def test_a_request_that_never_finishes_arriving_ends_at_the_read_deadline(
    redis_url: str, api_key: str, tmp_path: Path
) -> None:
    """With GUNICORN_REQUEST_READ_SECONDS=2, a stalled upload is answered 400 (its body fell
    short) and closed after about 2 s, while a trickled request head is closed too."""
    env = {"GUNICORN_REQUEST_READ_SECONDS": "2"}
    with serve_cli(tmp_path, redis_url, env=env) as server:
        server.wait_http("/readyz", timeout=60)
        with http_client(server.url) as web:
            path = path_of(issue_link(web, api_key, {"products": [{"id": "kit"}]})["url"])
        (upload,) = stall_uploads(server.port, path, 1)
        trickle = socket.create_connection((HOST, server.port), timeout=10)
        start = time.monotonic()
        try:
            trickle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            upload.settimeout(10)
            answer = upload.recv(65536)
            took = time.monotonic() - start
            assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
            assert 1.0 < took < 6.0, f"answered after {took:.1f} s"
            trickle.settimeout(10)
            while trickle.recv(65536):  # nothing ever answers a head that never ends
                pass
            assert time.monotonic() - start < 6.0
        finally:
            upload.close()
            trickle.close()


PIPELINED = 200


def test_a_busy_keep_alive_connection_does_not_hold_a_gevent_worker(
    redis_url: str, tmp_path: Path
) -> None:
    """A connection with 200 pipelined requests that never wait on I/O (``/healthz``)
    does not keep a gevent worker from another client: in the access log, the worker
    served the other client's request (``/metrics``, 401 without the token) before half
    of the busy connection's."""
    with serve_cli(tmp_path, redis_url, args=["--workers", "1"]) as server:
        server.wait_http("/readyz", timeout=60)
        busy = socket.create_connection((HOST, server.port), timeout=30)
        other = socket.create_connection((HOST, server.port), timeout=30)
        try:
            busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * PIPELINED)
            other.sendall(b"GET /metrics HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n")
            assert other.recv(65536).startswith(b"HTTP/1.1 401")
            answered = b""
            while answered.count(b"HTTP/1.1 200") < PIPELINED:
                chunk = busy.recv(65536)
                assert chunk, "the busy connection was closed before all its answers"
                answered += chunk
        finally:
            busy.close()
            other.close()
        # The access log has a line per request, in the order the worker served them.
        served = re.findall(r"GET (/healthz|/metrics) HTTP", server.log_path.read_text())
    assert served.count("/metrics") == 1
    assert len(served) == PIPELINED + 1
    before = served.index("/metrics")
    assert before < PIPELINED // 2, f"{before} of the busy connection's requests went first"
