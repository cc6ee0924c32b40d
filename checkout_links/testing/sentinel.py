"""A Redis Sentinel topology on loopback: 1 master, 1 replica, N Sentinels (default 3).

Kept apart from servers.py because only failover tests need it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Self

from checkout_links.testing.servers import (
    HOST,
    ProcessServer,
    RedisServer,
    _command,
    _info,
    _Managed,
    free_port,
    wait_until,
)

SENTINEL_MASTER = "mymaster"


class RedisSentinelSetup(_Managed):
    """One master, one replica and `sentinels` Sentinels monitoring SENTINEL_MASTER."""

    def __init__(
        self,
        directory: Path,
        *,
        sentinels: int = 3,
        quorum: int = 2,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 3000,
    ) -> None:
        # Pinned ports: the replica's --replicaof and the Sentinel configs refer to them.
        self.master = RedisServer(directory / "master", port=free_port(), name="master")
        replicaof = ["--replicaof", HOST, str(self.master.port)]
        self.replica = RedisServer(
            directory / "replica", port=free_port(), extra=replicaof, name="replica"
        )
        self.sentinels: list[ProcessServer] = []
        for i in range(sentinels):
            port, sdir = free_port(), directory / f"sentinel-{i}"
            sdir.mkdir(parents=True, exist_ok=True)
            # Sentinel rewrites its config file as it learns the topology: must be writable.
            (conf := sdir / "sentinel.conf").write_text(
                f'port {port}\nbind {HOST}\ndaemonize no\nlogfile ""\ndir {sdir}\n'
                f"sentinel monitor {SENTINEL_MASTER} {HOST} {self.master.port} {quorum}\n"
                f"sentinel down-after-milliseconds {SENTINEL_MASTER} {down_after_ms}\n"
                f"sentinel failover-timeout {SENTINEL_MASTER} {failover_timeout_ms}\n"
            )
            argv, log = ["redis-server", str(conf), "--sentinel"], sdir / "sentinel.log"
            self.sentinels.append(ProcessServer(argv, port=port, log_path=log, name=sdir.name))

    @property
    def url(self) -> str:
        hosts = ",".join(f"{HOST}:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{SENTINEL_MASTER}/0"

    def master_address(self, sentinel: int = 0) -> tuple[str, int]:
        """The master as Sentinel number `sentinel` currently reports it."""
        port = self.sentinels[sentinel].port
        host, master_port = _command(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER)
        return str(host), int(master_port)

    def _replica_synced(self) -> bool:
        return _info(self.replica.port, "replication").get("master_link_status") == "up"

    def _sentinel_ready(self, port: int) -> bool:
        # Peers are found via hello messages every ~2s; failover needs them for the quorum.
        raw = _command(port, "SENTINEL", "MASTER", SENTINEL_MASTER)
        # RESP3 (redis-py 8's default) answers with a map, RESP2 with a flat key/value list.
        pairs = raw.items() if isinstance(raw, dict) else zip(raw[::2], raw[1::2], strict=True)
        fields = {str(key): str(value) for key, value in pairs}
        return (
            fields.get("flags") == "master"
            and int(fields.get("num-slaves", "0")) >= 1
            and int(fields.get("num-other-sentinels", "0")) >= len(self.sentinels) - 1
        )

    def start(self) -> Self:
        try:
            self.master.start()
            self.replica.start()
            wait_until("replica sync", self._replica_synced, 30.0, self.replica.process)
            for sentinel in self.sentinels:
                sentinel.start()
            for sentinel in self.sentinels:
                check = functools.partial(self._sentinel_ready, sentinel.port)
                wait_until(f"{sentinel.name} seeing master, replica, peers", check, 30.0, sentinel)
        except BaseException:
            self.stop()
            raise
        return self

    def kill_master(self) -> None:
        self.master.kill()

    def wait_for_failover(self, timeout: float = 30.0) -> tuple[str, int]:
        """Wait until every Sentinel names the replica as master and it has been promoted."""

        def promoted() -> bool:
            ports = {self.master_address(i)[1] for i in range(len(self.sentinels))}
            return (
                ports == {self.replica.port}
                and _info(self.replica.port, "replication")["role"] == "master"
            )

        wait_until("Sentinel failover to the replica", promoted, timeout)
        return HOST, self.replica.port

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.kill()
        self.replica.kill()
        self.master.kill()
