"""``checkout-links serve`` faces clients, so its ``/metrics`` is closed without
``CHECKOUT_METRICS_TOKEN`` and asks for the token with it (real processes, real Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from checkout_links.testing import METRICS_AUTH
from checkout_links.testing.realapp import REPO, serve_cli
from checkout_links.testing.servers import RedisServer


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RedisServer(tmp_path_factory.mktemp("metrics") / "redis") as server:
        yield server.url


def test_serve_without_a_token_answers_404_at_metrics(redis_url: str, tmp_path: Path) -> None:
    """With CHECKOUT_METRICS_TOKEN unset, /metrics is 404 (even with a bearer) and /healthz 200."""
    with serve_cli(tmp_path, redis_url, env={"CHECKOUT_METRICS_TOKEN": ""}) as server:
        server.wait_http("/readyz", timeout=60)
        with httpx.Client(base_url=server.url, trust_env=False, timeout=5.0) as web:
            assert web.get("/healthz").status_code == 200
            assert web.get("/metrics").status_code == 404
            assert web.get("/metrics", headers=METRICS_AUTH).status_code == 404


def test_serve_with_a_token_asks_for_it(redis_url: str, tmp_path: Path) -> None:
    """With the token set, /metrics is 401 without it and Prometheus text with it."""
    with serve_cli(tmp_path, redis_url) as server:
        server.wait_http("/readyz", timeout=60)
        with httpx.Client(base_url=server.url, trust_env=False, timeout=5.0) as web:
            refused = web.get("/metrics")
            assert refused.status_code == 401
            assert "checkout_" not in refused.text
            scraped = web.get("/metrics", headers=METRICS_AUTH)
            assert scraped.status_code == 200
            assert "checkout_request_duration_seconds" in scraped.text


def test_the_deploy_files_set_a_metrics_token_for_every_bind_that_faces_clients() -> None:
    """Compose's secrets and the Kubernetes Secret carry CHECKOUT_METRICS_TOKEN (as a refused
    placeholder), and nginx answers 404 at /metrics whatever the apps do."""
    deploy = REPO / "deploy"
    env_lines = (deploy / "secrets.env.example").read_text().splitlines()
    assert "CHECKOUT_METRICS_TOKEN=REPLACE-ME" in env_lines
    secret = next(
        d
        for d in yaml.safe_load_all((deploy / "k8s" / "secret.example.yaml").read_text())
        if d and d.get("kind") == "Secret"
    )
    assert secret["stringData"]["CHECKOUT_METRICS_TOKEN"] == "REPLACE-ME"
    nginx = (deploy / "nginx.conf").read_text()
    assert "location = /metrics {\n            return 404;" in nginx
