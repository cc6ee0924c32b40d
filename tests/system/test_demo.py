"""The quick start's first command: ``checkout-links demo`` on its embedded store."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from checkout_links.testing.servers import HOST, ProcessServer, free_port


def _banner(server: ProcessServer) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = server.log_text()
        if "curl -s" in text and "-d '" in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"no banner in time:\n{server.log_tail()}")


def test_demo_starts_without_redis_and_its_printed_curl_creates_a_working_link(
    tmp_path: Path,
) -> None:
    """With no CHECKOUT_* settings at all, the demo serves, prints an API key and a curl
    command, and that exact command creates a link whose cart page opens."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKOUT_")}
    server = ProcessServer(
        ["checkout-links", "demo", "--bind", f"127.0.0.1:{port}"],
        port=port,
        log_path=tmp_path / "demo.log",
        env=env,
    )
    with server:
        server.wait_http("/healthz", timeout=30)
        banner = _banner(server)
        assert re.search(r"API key:\s+ck_\w+", banner)
        command = banner[banner.index("curl -s") :].split("\n\n")[0].replace("\\\n", " ")
        created = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=20, check=True
        )
        link = json.loads(created.stdout)
        assert link["url"].startswith(f"http://127.0.0.1:{port}/c/")
        page = httpx.get(link["url"], timeout=10)
        assert page.status_code == 200
        assert "Pro licence, 25 seats, 1 year" in page.text


def _demo_env(**extra: str) -> dict[str, str]:
    """A new shell's environment: no CHECKOUT_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKOUT_")}
    return {**env, **extra}


@pytest.mark.parametrize("busy", ["--bind", "--store-port"])
def test_a_busy_port_stops_the_demo_with_one_line_before_any_banner(busy: str) -> None:
    """With its HTTP port or its store port taken by another program, the demo prints one
    `Error:` line naming the address (no banner, no curl, no traceback) and exits 2 at once."""
    with socket.create_server((HOST, 0)) as taken:
        port = taken.getsockname()[1]
        free = free_port()
        args = (
            ["--bind", f"{HOST}:{port}"]
            if busy == "--bind"
            else [
                "--bind",
                f"{HOST}:{free}",
                "--store-port",
                str(port),
            ]
        )
        started = time.monotonic()
        done = subprocess.run(
            ["checkout-links", "demo", *args],
            capture_output=True,
            text=True,
            env=_demo_env(),
            timeout=60,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    named = f"Error: --store-port {port}: " if busy == "--store-port" else "Error: "
    assert lines[0].startswith(named + "cannot listen on")
    assert f"cannot listen on {HOST}:{port}: another program is already listening there" in lines[0]
    assert time.monotonic() - started < 15  # not gunicorn's retries


def test_two_demos_run_side_by_side_without_a_shared_control_socket(tmp_path: Path) -> None:
    """Two demos on one machine (one home directory) both serve, and neither leaves gunicorn's
    per-user control socket (~/.gunicorn/gunicorn.ctl) for the other to take over."""
    env = _demo_env(HOME=str(tmp_path))
    env.pop("XDG_RUNTIME_DIR", None)
    demos = []
    for name in ("one", "two"):
        port = free_port()
        demos.append(
            ProcessServer(
                ["checkout-links", "demo", "--bind", f"{HOST}:{port}"],
                port=port,
                log_path=tmp_path / f"{name}.log",
                env=env,
            )
        )
    with demos[0], demos[1]:
        for demo in demos:
            demo.wait_http("/healthz", timeout=30)
            _banner(demo)
        assert not (tmp_path / ".gunicorn").exists()
        assert list(tmp_path.glob("**/*.ctl")) == []
