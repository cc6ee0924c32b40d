"""The command line on a real redis-server: what a one-shot command prints, and nothing else."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from checkout_links.cli.main import cli
from checkout_links.testing import SECRET_A
from checkout_links.testing.servers import RedisServer


def test_a_command_on_a_redis_without_aof_prints_only_its_answer(tmp_path: Path) -> None:
    """On a Redis the service would warn about (no AOF), `merchant create` prints its one JSON
    object and nothing on stderr: the durability warning is the service's, not each command's."""
    with RedisServer(tmp_path / "redis", appendonly=False) as server:
        clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CHECKOUT_")}
        env = {**clean, "CHECKOUT_SECRET_KEYS": SECRET_A, "CHECKOUT_REDIS_URL": server.url}
        done = CliRunner().invoke(cli, ["merchant", "create", "my-shop"], env=env)
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ""
    [line] = done.stdout.splitlines()
    assert json.loads(line)["merchant_id"] == "my-shop"
