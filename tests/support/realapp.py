"""The real app under real gunicorn, and HTTP helpers that drive it like browsers do.

Used by the cluster, load-balancer and operability tests (and bench/). Every
HTTP client here has ``trust_env=False``: a proxy variable in the environment
must never send a test request anywhere but 127.0.0.1.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .servers import HOST, ProcessServer, free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
SECRET = "a" * 40  # the same as tests/conftest.py's SECRET_A, so tokens verify across both


def gunicorn_app(
    directory: Path,
    redis_url: str,
    *,
    workers: int = 2,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    name: str = "gunicorn",
) -> ProcessServer:
    """An unstarted ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` on a free loopback port.

    It runs with its own ``PROMETHEUS_MULTIPROC_DIR`` and rate limits off
    (``env`` may override either); its stdout and stderr go to ``directory/<name>.log``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {
        "CHECKOUT_REDIS_URL": redis_url,
        "CHECKOUT_SECRET_KEYS": SECRET,
        "CHECKOUT_BASE_URL": base_url or f"http://{HOST}:{port}",
        "CHECKOUT_BIND": f"{HOST}:{port}",
        "CHECKOUT_RATE_LIMITS_ENABLED": "false",
        "GUNICORN_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(directory / f"{name}-metrics"),
        **(env or {}),
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"]
    return ProcessServer(
        argv, port=port, log_path=directory / f"{name}.log", env=full_env, cwd=REPO, name=name
    )


def http_client(base_url: str, **kwargs: Any) -> httpx.Client:
    """An httpx client for ``base_url`` that ignores proxy settings and never follows redirects."""
    return httpx.Client(base_url=base_url, trust_env=False, timeout=30.0, **kwargs)


def csrf_of(html: str) -> str:
    """The CSRF token a cart page embeds in its form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the cart page has no csrf_token field"
    return match.group(1)


def path_of(url: str) -> str:
    """The path of a link URL (``/c/<token>``)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def issue_link(client: httpx.Client, api_key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/links`` and return the 201 body (fails the test on any other status)."""
    response = client.post(
        "/api/v1/links", json=dict(body), headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json()
    return link


def race_one_link(
    client: httpx.Client, path: str, attempts: int, email: str = "racer@example.com"
) -> Counter[int]:
    """Open the cart page ``attempts`` times, then send every form at once; returns the statuses.

    Each POST carries its own CSRF token, as ``attempts`` browser tabs would.
    """
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        pages = list(pool.map(lambda _: client.get(path), range(attempts)))
        assert {page.status_code for page in pages} == {200}
        tokens = [csrf_of(page.text) for page in pages]
        start = threading.Barrier(attempts)

        def post(token: str) -> int:
            start.wait()
            form = {"csrf_token": token, "email": email, "first_name": "Race"}
            return client.post(path, data=form).status_code

        return Counter(pool.map(post, tokens))


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``GET /metrics`` parsed to ``{(sample name, sorted labels): value}``."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(
    samples: Mapping[tuple[str, tuple[tuple[str, str], ...]], float],
    name: str,
    **labels: str,
) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels`` (0 if none)."""
    wanted = set(labels.items())
    return sum(value for (n, lbl), value in samples.items() if n == name and wanted <= set(lbl))


def drain(servers: Sequence[ProcessServer]) -> None:
    """Stop ``servers`` in order, each given its graceful timeout."""
    for server in servers:
        server.stop()
