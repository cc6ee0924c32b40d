"""The processes under test: one redis-server and two gunicorns (service, floor).

Servers come from ``checkout_links/testing/servers.py``: each runs in its own session,
dies with the harness (``PR_SET_PDEATHSIG``) and is killed at exit, so no
process outlives a run, even on Ctrl-C. CPU time is read from ``/proc`` per
session, so it includes workers that gunicorn recycled during a round.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from checkout_links.testing.servers import ProcessServer, RedisServer, free_port

REPO = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"

#: Same for both sides (one server serves both, in alternate rounds). AOF
#: rewrites are off so that a background fork+dump cannot land in one side's
#: rounds only; production rewrites each time the AOF doubles.
REDIS_EXTRA = ["--auto-aof-rewrite-percentage", "0"]
_TICK = os.sysconf("SC_CLK_TCK")


def start_redis(directory: Path) -> RedisServer:
    """A redis-server with AOF on, ``appendfsync always`` and ``noeviction``."""
    return RedisServer(
        directory,
        appendonly=True,
        appendfsync="always",
        maxmemory_policy="noeviction",
        extra=REDIS_EXTRA,
    ).start()


def session_cpu_seconds(leader: int) -> float:
    """User+system CPU of every process in ``leader``'s session, reaped children included."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) != leader:  # field 6, session id
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if int(entry.name) == leader:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped workers
    return total / _TICK


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (``/proc/stat``; steal left out)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / _TICK


@dataclass
class Gunicorn:
    """One side: ``gunicorn -c deploy/gunicorn.conf.py <app>`` on a free loopback port."""

    name: str
    server: ProcessServer
    pidfile: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def master_pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def cpu_seconds(self) -> float:
        return session_cpu_seconds(self.master_pid)


def gunicorn_env(redis_url: str, secret: str, port: int, workdir: Path) -> dict[str, str]:
    """The environment both sides get (the floor reads only the Redis URL)."""
    return {
        "CHECKOUT_REDIS_URL": redis_url,
        "CHECKOUT_SECRET_KEYS": secret,
        "CHECKOUT_BIND": f"127.0.0.1:{port}",
        "CHECKOUT_BASE_URL": f"http://127.0.0.1:{port}",
        "CHECKOUT_RATE_LIMITS_ENABLED": "false",
        # As deploy/compose.yaml and the Kubernetes manifests run it.
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
    }


def start_gunicorn(
    name: str,
    app_spec: str,
    workdir: Path,
    env: dict[str, str],
    port: int,
    conf: Path = GUNICORN_CONF,
) -> Gunicorn:
    """Start one side under ``conf`` (the shipped config); returns once ``/healthz`` answers."""
    pidfile = workdir / "gunicorn.pid"
    argv = [sys.executable, "-m", "gunicorn", "-c", str(conf)]
    argv += ["--pid", str(pidfile), app_spec]
    server = ProcessServer(
        argv, port=port, log_path=workdir / "gunicorn.log", env=env, cwd=REPO, name=name
    )
    server.start()
    server.wait_http("/healthz", timeout=60)
    return Gunicorn(name, server, pidfile)


def new_port() -> int:
    return free_port()


@dataclass(frozen=True)
class RedisSample:
    """Counters read from one ``INFO`` call."""

    cpu_s: float
    used_memory: int
    aof_size: int
    calls: dict[str, int]


def redis_sample(client: redis.Redis) -> RedisSample:
    info: dict[str, Any] = client.info("all")
    calls = {
        key.removeprefix("cmdstat_"): int(value["calls"])
        for key, value in info.items()
        if key.startswith("cmdstat_")
    }
    return RedisSample(
        cpu_s=float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
        used_memory=int(info["used_memory"]),
        aof_size=int(info.get("aof_current_size", 0)),
        calls=calls,
    )


def calls_delta(before: RedisSample, after: RedisSample) -> dict[str, int]:
    """Commands run between two samples, by name (``info``/``ping`` of the harness left out)."""
    out = {}
    for name, n in after.calls.items():
        d = n - before.calls.get(name, 0)
        if d and name not in ("info", "ping"):
            out[name] = d
    return out
