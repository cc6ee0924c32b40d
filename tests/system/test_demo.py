"""The quick start's first command: ``checkout-links demo`` on its embedded store."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import httpx

from checkout_links.testing.servers import ProcessServer, free_port


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
