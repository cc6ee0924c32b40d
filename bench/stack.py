"""The processes under test: one redis-server and two app servers (service, floor).

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


#: The servers ``bench/run.py --server`` runs both sides under (docs/performance.md, "Servers").
SERVERS = ("gthread", "gevent", "granian")
#: Granian's access log: one line a request, as gunicorn writes, but no path (a path holds
#: a checkout token; gunicorn's RedactingLogger cuts it, Granian's format cannot).
GRANIAN_ACCESS_FORMAT = '%(addr)s "%(method)s" %(status)d %(dt_ms).3f'


@dataclass
class AppServer:
    """One side: the app under one of :data:`SERVERS` on a free loopback port."""

    name: str
    kind: str
    server: ProcessServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def leader(self) -> int:
        """The server's first process: gunicorn's master or Granian's main process."""
        assert self.server._proc is not None
        return self.server._proc.pid

    def cpu_seconds(self) -> float:
        return session_cpu_seconds(self.leader)


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


def process_layout(env: dict[str, str]) -> tuple[int, int]:
    """Workers and threads per worker as ``deploy/gunicorn.conf.py`` resolves them under ``env``.

    Granian gets the same: its workers, and as many blocking threads per worker
    (the threads that run the WSGI app) as a gthread worker has threads.
    """
    cores = len(os.sched_getaffinity(0))
    workers = int(env.get("GUNICORN_WORKERS") or 2 * cores)
    threads = int(env.get("GUNICORN_THREADS") or 4)
    return workers, threads


def server_argv(kind: str, app_spec: str, port: int, env: dict[str, str], conf: Path) -> list[str]:
    """The command that serves ``app_spec`` under ``kind`` (one of :data:`SERVERS`)."""
    if kind in ("gthread", "gevent"):
        return [sys.executable, "-m", "gunicorn", "-c", str(conf), app_spec]
    if kind == "granian":
        workers, threads = process_layout(env)
        return [
            *(sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1", "--no-ws"),
            *("--workers", str(workers), "--blocking-threads", str(threads)),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--access-log", "--access-log-fmt", GRANIAN_ACCESS_FORMAT),
            app_spec,
        ]
    raise ValueError(f"unknown server {kind!r}; one of {', '.join(SERVERS)}")


def start_server(
    kind: str,
    name: str,
    app_spec: str,
    workdir: Path,
    env: dict[str, str],
    port: int,
    conf: Path = GUNICORN_CONF,
) -> AppServer:
    """Start one side under ``kind``; returns once ``/healthz`` answers.

    gunicorn runs ``conf`` (the shipped config) with ``GUNICORN_WORKER_CLASS=kind``.
    Granian has no config file: the metrics directory the config would create is
    made here.
    """
    env = {**env, "GUNICORN_WORKER_CLASS": kind} if kind != "granian" else dict(env)
    if kind == "granian" and env.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
    argv = server_argv(kind, app_spec, port, env, conf)
    if kind != "granian":  # for py-spy and kill: bench/README.md, "Profiling"
        argv[-1:-1] = ["--pid", str(workdir / "gunicorn.pid")]
    server = ProcessServer(
        argv,
        port=port,
        log_path=workdir / f"{kind}.log",
        env=env,
        cwd=REPO,
        name=name,
    )
    server.start()
    server.wait_http("/healthz", timeout=60)
    return AppServer(name, kind, server)


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
