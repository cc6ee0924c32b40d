"""What the numbers were measured on: the machine, the versions, the gunicorn settings."""

from __future__ import annotations

import os
import platform
import runpy
import subprocess
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bench.stack import GRANIAN_ACCESS_FORMAT, GUNICORN_CONF, REPO, process_layout

_GUNICORN_KEYS = (
    "worker_class",
    "workers",
    "threads",
    "preload_app",
    "keepalive",
    "max_requests",
    "max_requests_jitter",
    "timeout",
    "accesslog",
    "logger_class",
    "limit_request_line",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _first_line(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "not installed"
    return (
        (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.stdout or proc.stderr else ""
    )


def _memory_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _version_or_none(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def describe() -> dict[str, Any]:
    """nproc, CPU model, memory, kernel and the versions of everything in the path."""
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gib": round(_memory_gib(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "flask": version("flask"),
        "gunicorn": version("gunicorn"),
        "granian": _version_or_none("granian"),
        "redis_py": version("redis"),
        "redis_server": _first_line(["redis-server", "--version"]),
        "wrk": _first_line(["wrk", "-v"]),
        "loadavg_start": os.getloadavg(),
        "code": _first_line(["git", "-C", str(REPO), "describe", "--always", "--dirty"]),
    }


def gunicorn_settings(env: dict[str, str]) -> dict[str, Any]:
    """The settings ``deploy/gunicorn.conf.py`` resolves to under ``env`` (both sides')."""
    saved = dict(os.environ)
    # The config monkey-patches this process for gevent: read it as gthread, then say gevent.
    gevent = env.get("GUNICORN_WORKER_CLASS") == "gevent"
    os.environ.update({k: v for k, v in env.items() if k != "GUNICORN_WORKER_CLASS"})
    try:
        conf = runpy.run_path(str(GUNICORN_CONF))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    settings = {key: conf[key] for key in _GUNICORN_KEYS if key in conf}
    if gevent:
        from checkout_links.serving.gevent_worker import WORKER_CLASS

        settings["worker_class"] = WORKER_CLASS
        settings.pop("threads", None)
    return settings


def server_settings(kind: str, env: dict[str, str]) -> dict[str, Any]:
    """What serves both sides under ``bench/run.py --server kind``: its settings as run."""
    if kind != "granian":
        return gunicorn_settings({**env, "GUNICORN_WORKER_CLASS": kind})
    workers, threads = process_layout(env)
    return {
        "server": f"granian {version('granian')}",
        "interface": "wsgi",
        "http": "1",
        "workers": workers,
        "blocking_threads": threads,
        "access_log_fmt": GRANIAN_ACCESS_FORMAT,
    }
