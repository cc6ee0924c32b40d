"""A Redis Cluster of real redis-server processes on 127.0.0.1, for the cluster tests and bench.

Kept apart from servers.py because only the cluster tests and the balancer benchmark need it.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from checkout_links.testing.servers import (
    HOST,
    RedisServer,
    ServerStartError,
    _command,
    _info,
    _Managed,
    wait_until,
)


def _cluster_info(port: int) -> dict[str, str]:
    # Parsed by hand: redis-py's CLUSTER INFO callback differs across versions and protocols.
    text = str(_command(port, "CLUSTER", "INFO"))
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: value.strip() for key, value in pairs}


class RedisCluster(_Managed):
    """`masters` masters plus `replicas` replicas each, in node-N subdirs of `directory`."""

    def __init__(
        self,
        directory: Path,
        *,
        masters: int = 3,
        replicas: int = 1,
        node_timeout_ms: int = 5000,
        extra: Sequence[str] = (),
    ) -> None:
        if masters < 3:
            raise ValueError("redis-cli --cluster create needs at least 3 masters")
        self.directory, self.replicas = directory, replicas
        args = ["--cluster-node-timeout", str(node_timeout_ms), *extra]
        self.nodes = [
            RedisServer(directory / f"node-{i}", cluster=True, extra=args, name=f"cluster-node-{i}")
            for i in range(masters * (1 + replicas))
        ]

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        return [(HOST, node.port) for node in self.nodes]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def _node_ok(self, node: RedisServer) -> bool:
        info, repl = _cluster_info(node.port), _info(node.port, "replication")
        return (
            info.get("cluster_state") == "ok"
            and info.get("cluster_slots_assigned") == "16384"
            and info.get("cluster_known_nodes") == str(len(self.nodes))
            and (repl.get("role") == "master" or repl.get("master_link_status") == "up")
        )

    def start(self) -> Self:
        try:
            for node in self.nodes:  # launch all before waiting so their start-ups overlap
                node._launch()
            for node in self.nodes:
                node._wait_ready()
            argv = ["redis-cli", "--cluster", "create", *(f"{HOST}:{n.port}" for n in self.nodes)]
            argv += ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
            res = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
            (self.directory / "cluster-create.log").write_text(res.stdout + res.stderr)
            if res.returncode != 0 or "All 16384 slots covered" not in res.stdout:
                raise ServerStartError(f"{' '.join(argv)} failed:\n{res.stdout}{res.stderr}")
            for node in self.nodes:
                check = functools.partial(self._node_ok, node)
                wait_until(f"cluster_state:ok on {node.name}", check, 30.0, node.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
