"""Compose's Redis requires the password from secrets.env, and the apps' URL there carries it:
the shipped command run by a shell over the shipped redis.conf, on a real redis-server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis
import yaml

from checkout_links.core.storage.connection import connect
from checkout_links.testing.realapp import REPO
from checkout_links.testing.servers import HOST, ProcessServer, free_port

DEPLOY = REPO / "deploy"
PASSWORD = "s3cret-Redis-password-for-the-test-0123456789"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_compose_redis_refuses_commands_without_the_password(tmp_path: Path) -> None:
    """Without AUTH every command is refused; the example's URL with the password works."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    sh, flag, script = compose["services"]["redis"]["command"]
    # Compose turns "$$" into "$" before the container's shell sees it.
    script = script.replace("$$", "$").replace(
        "/usr/local/etc/redis/redis.conf", str(DEPLOY / "redis.conf")
    )
    port = free_port()
    script += f" --port {port} --bind {HOST} --dir {tmp_path}"
    argv = [sh, flag, script]
    env = {"REDIS_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin:/usr/local/bin"}
    log = tmp_path / "redis.log"
    with ProcessServer(argv, port=port, log_path=log, env=env, cwd=tmp_path) as server:
        server.wait_port()
        with (
            redis.Redis(host=HOST, port=port) as anonymous,
            pytest.raises(redis.AuthenticationError),
        ):
            anonymous.get("cl:{s0}:l:x")
        line = next(
            line
            for line in (DEPLOY / "secrets.env.example").read_text().splitlines()
            if line.startswith("CHECKOUT_REDIS_URL=")
        )
        url = (
            line.split("=", 1)[1]
            .replace("REPLACE-ME", PASSWORD)
            .replace("redis:6379", f"{HOST}:{port}")
        )
        client = connect(url)
        assert client.ping()
