"""What deploy/nginx.conf adds for browsers (HSTS) and against one client's flood (a
connection cap per address), on a real nginx in front of a stub app on 127.0.0.1."""

from __future__ import annotations

import resource
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from checkout_links.testing.rawhttp import stall_uploads
from checkout_links.testing.realapp import nginx_server
from checkout_links.testing.servers import HOST

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")

HSTS = "max-age=63072000; includeSubDomains"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def stub_app() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_answer_carries_hsts(tmp_path: Path, stub_app: str) -> None:
    """The app's answers and nginx's own (404 at /metrics, 413) all carry the HSTS header."""
    with nginx_server(tmp_path, [stub_app]) as nginx:
        nginx.wait_port()
        with httpx.Client(base_url=nginx.url, trust_env=False, timeout=5.0) as web:
            answers = [
                web.get("/healthz"),
                web.get("/metrics"),
                web.post("/api/v1/links", content=b"x" * (1024 * 1024 + 1)),
            ]
    assert [a.status_code for a in answers] == [200, 404, 413]
    assert [a.headers.get_list("Strict-Transport-Security") for a in answers] == [[HSTS]] * 3


MANY = 2_100
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


def test_one_client_with_thousands_of_stalled_uploads_is_capped_per_address(
    tmp_path: Path, stub_app: str, room_for_sockets: None
) -> None:
    """2,100 uploads stalled mid-body from one address get 503 beyond 100 connections, and
    another client's /healthz answers within 1 s all along."""
    with nginx_server(tmp_path, [stub_app]) as nginx:
        nginx.wait_port()
        socks = stall_uploads(nginx.port, "/c/flood", MANY, refusals_ok=True)
        try:
            time.sleep(1.0)
            other = httpx.HTTPTransport(local_address=OTHER_CLIENT)
            for _ in range(3):
                with httpx.Client(base_url=nginx.url, transport=other, timeout=5.0) as fresh:
                    start = time.perf_counter()
                    status = fresh.get("/healthz").status_code
                    took = time.perf_counter() - start
                assert status == 200
                assert took < 1.0, f"/healthz took {took:.2f} s with {MANY} stalled uploads"
            answers = []
            for sock in socks:
                sock.setblocking(False)
                try:
                    answers.append(sock.recv(64)[:12])
                except BlockingIOError:
                    answers.append(b"held")
                except OSError:
                    answers.append(b"reset")
            assert answers.count(b"held") <= 100
            assert answers.count(b"HTTP/1.1 503") >= MANY - 100
        finally:
            for sock in socks:
                sock.close()


class _Typed(BaseHTTPRequestHandler):
    """4 KiB of the type the path names: a stylesheet under /static/, else a page."""

    def do_GET(self) -> None:
        kind = "text/css" if self.path.startswith("/static/") else "text/html; charset=utf-8"
        body = b"a { color: red }\n" * 256
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_pages_and_static_files_go_compressed(tmp_path: Path) -> None:
    """Through nginx a stylesheet and a page are sent gzip-compressed to a client that takes
    gzip (and plain to one that does not), each with the HSTS header."""
    server = ThreadingHTTPServer((HOST, 0), _Typed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with nginx_server(tmp_path, [f"{HOST}:{server.server_address[1]}"]) as nginx:
            nginx.wait_port()
            with httpx.Client(base_url=nginx.url, trust_env=False, timeout=5.0) as web:
                gzip = {"Accept-Encoding": "gzip"}
                css = web.get("/static/checkout.css?v=0123456789abcdef", headers=gzip)
                page = web.get("/c/sometoken", headers=gzip)
                plain = web.get("/c/sometoken", headers={"Accept-Encoding": "identity"})
    finally:
        server.shutdown()
        server.server_close()
    assert [a.status_code for a in (css, page, plain)] == [200, 200, 200]
    assert [a.headers.get("Content-Encoding") for a in (css, page, plain)] == ["gzip", "gzip", None]
    assert css.text == page.text == plain.text == "a { color: red }\n" * 256  # decompressed
    assert [a.headers.get("Strict-Transport-Security") for a in (css, page)] == [HSTS, HSTS]
