"""Pin the behaviour of checkout_links.testing against real redis-server / HTTP processes."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.cluster import ClusterNode
from redis.cluster import RedisCluster as ClusterClient

from checkout_links.testing.cluster import RedisCluster
from checkout_links.testing.sentinel import RedisSentinelSetup
from checkout_links.testing.servers import (
    HOST,
    ProcessServer,
    RedisServer,
    ServerStartError,
    free_port,
    wait_for_port,
)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


def test_wait_for_port_times_out_with_clear_message() -> None:
    """wait_for_port raises TimeoutError naming host:port when nothing listens there."""
    port = free_port()
    assert port != free_port()
    with pytest.raises(TimeoutError, match=f"{HOST}:{port}"):
        wait_for_port(HOST, port, timeout=0.3)


def test_aof_always_survives_kill_and_restart(redis_server: RedisServer) -> None:
    """A write acknowledged under appendfsync=always is still there after SIGKILL + restart."""
    port = redis_server.port
    with redis_server.client() as conn:
        conn.set("order:1", "paid")
    redis_server.kill()
    assert not redis_server.running
    with pytest.raises(redis.ConnectionError), redis_server.client() as conn:
        conn.ping()
    redis_server.restart()
    assert redis_server.port == port
    assert redis_server.url == f"redis://{HOST}:{port}/0"
    with redis_server.client() as conn:
        assert conn.get("order:1") == "paid"


def test_start_failure_reports_log_tail(tmp_path: Path) -> None:
    """A redis-server that refuses its config fails start() with its own log in the error."""
    server = RedisServer(tmp_path, extra=["--no-such-directive", "1"])
    with pytest.raises(ServerStartError, match="no-such-directive"):
        server.start()
    assert not server.running


def test_process_server_wait_http_and_stop(tmp_path: Path) -> None:
    """wait_http sees a 200 from a real HTTP server and stop() leaves no process behind."""
    (tmp_path / "healthz").write_text("ok")
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", HOST]
    with ProcessServer(argv, port=port, log_path=tmp_path / "http.log", cwd=tmp_path) as server:
        server.wait_http("/healthz", timeout=10)
    assert not server.running
    assert "GET /healthz" in server.log_text()


@pytest.mark.slow
def test_cluster_reaches_ok_and_routes_keys_across_masters(tmp_path: Path) -> None:
    """A 3-master cluster reaches cluster_state:ok and serves keys owned by every master."""
    with RedisCluster(tmp_path, masters=3, replicas=0) as cluster:
        # redis-py leaves ClusterNode and get_node_from_key unannotated.
        nodes = [ClusterNode(h, p) for h, p in cluster.startup_nodes]  # type: ignore[no-untyped-call]
        client = ClusterClient(startup_nodes=nodes, decode_responses=True)
        try:
            owners: dict[str, str] = {}
            for i in range(100):  # enough keys that every master owns at least one
                key = f"link:{i}"
                owners[key] = client.get_node_from_key(key).name  # type: ignore[no-untyped-call]
                client.set(key, str(i))
            assert len(set(owners.values())) == 3
            assert all(client.get(key) == key.split(":")[1] for key in owners)
        finally:
            client.close()
    assert not any(node.running for node in cluster.nodes)


@pytest.mark.slow
def test_sentinel_promotes_replica_after_master_dies(tmp_path: Path) -> None:
    """Killing the master makes the Sentinels promote the replica within a few seconds."""
    with RedisSentinelSetup(tmp_path) as setup:
        assert setup.url.startswith("redis+sentinel://127.0.0.1:")
        assert setup.url.endswith("/mymaster/0")
        assert setup.master_address() == (HOST, setup.master.port)
        started = time.monotonic()
        setup.kill_master()
        assert setup.wait_for_failover(timeout=30) == (HOST, setup.replica.port)
        assert time.monotonic() - started < 15
