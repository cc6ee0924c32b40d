"""Gunicorn configuration for checkout-links, as code.

Every tunable reads an environment variable, so one image serves laptops,
compose and Kubernetes, and a bad value stops gunicorn with a message naming
the variable. What the service's promises rest on (the request-line limit that
link lengths are derived from, preloading, token-free logs) is fixed here.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any


def _env_int(name: str, default: int, minimum: int) -> int:
    """Return the integer in ``$name`` (``default`` when unset), at least ``minimum``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum}, got {value}")
    return value


def _cores() -> int:
    """Return the CPUs this process may run on (a container's cpuset, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# Without CHECKOUT_REDIS_URL the app keeps its ledger in an in-process
# fakeredis, which is real only inside one process.
_USES_FAKEREDIS = not os.environ.get("CHECKOUT_REDIS_URL")

# --- Prometheus multiprocess mode ---------------------------------------------
# Each worker writes its metrics to files in this directory and /metrics adds
# them up. It must exist before the app is imported (preload_app imports it
# right after this file), so it is created here; this file is read again on
# SIGHUP, and creating an existing directory is harmless.
_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _MULTIPROC_DIR:
    Path(_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

# --- Processes --------------------------------------------------------------
# Threads let a worker overlap the Redis round trips of a redemption (each
# spend waits for an fsync with appendfsync always). Measured with bench/run.py
# on 2 vCPUs (see docs/operations.md, "Scaling"): 2x8, 4x4 and 8x2
# workers x threads gave the same req/s within noise on all three endpoints;
# 2x8 had the lowest p99. We keep 2 workers per core x 4 threads: more
# processes ride out a crashed or recycling worker with less lost capacity.
# Under Kubernetes set GUNICORN_WORKERS to the pod's CPU limit times two: a
# container sees the node's CPUs, not its quota.
#
# Slow clients (docs/performance.md, "Slow clients"): a gthread worker gives a
# connection a thread from its first byte to its last, so 2x4 threads are
# stalled by 8 uploads that never finish. gthread is for instances behind a
# buffering proxy (compose: deploy/nginx.conf reads every request whole
# first). GUNICORN_WORKER_CLASS=gevent gives each connection a greenlet
# instead: 64 stalled uploads left /healthz and the cart page answering in
# well under a second, at a cart-page req/s within the noise of gthread's, so
# an instance that faces clients itself (the image's default, Kubernetes)
# runs gevent.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread").strip() or "gthread"
if worker_class not in ("gthread", "gevent"):
    raise RuntimeError(f"GUNICORN_WORKER_CLASS must be gthread or gevent, got {worker_class!r}")
if worker_class == "gevent":
    # Patched here, before preload_app imports the app: the Redis pool's
    # locks and sockets must be gevent's from the start. (ssl is imported
    # already, by gunicorn, but no SSL context exists yet.)
    import warnings

    from gevent import monkey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", monkey.MonkeyPatchWarning)
        monkey.patch_all()
    # gevent with two bounds (checkout_links/serving/gevent_worker.py): at most
    # GUNICORN_CLIENT_CONNECTIONS (100) connections per client address and
    # worker, and GUNICORN_REQUEST_READ_SECONDS (30 s) to receive a request, so
    # one client can neither fill a worker nor hold a connection a byte at a
    # time. Read here too, so a bad value stops the master, not each worker.
    from checkout_links.serving.gevent_worker import WORKER_CLASS, limits

    limits()
    worker_class = WORKER_CLASS
workers = _env_int("GUNICORN_WORKERS", 2 * _cores(), minimum=1)
threads = _env_int("GUNICORN_THREADS", 4, minimum=1)
# gevent only: connections one worker holds at once (slow ones included).
worker_connections = _env_int("GUNICORN_WORKER_CONNECTIONS", 1000, minimum=1)
# All interfaces: inside a container the port is reached through its network.
bind = os.environ.get("CHECKOUT_BIND", "0.0.0.0:8000")

# Load the app once in the master: a broken configuration fails before any
# worker forks, and workers share the imported code's memory.
preload_app = True

# Recycling workers bounds slow memory growth; the jitter keeps them from all
# restarting at once. A recycled worker would lose a fakeredis ledger, so
# recycling is off by default in that mode (and refused, see on_starting).
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0 if _USES_FAKEREDIS else 10_000, minimum=0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 1_000, minimum=0)

# timeout: a worker silent this long is killed; nginx's proxy_read_timeout is
# longer, so nginx sees the failure and never retries a POST by itself.
# graceful_timeout: in-flight requests get this long after SIGTERM; the
# Kubernetes terminationGracePeriodSeconds is larger.
timeout = _env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1)
# Longer than nginx's upstream keepalive_timeout (4 s): nginx closes an idle
# upstream connection first, so it never sends a request on a socket that
# gunicorn is closing at that very moment.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5, minimum=0)

# The heartbeat file is touched on every request; tmpfs keeps that off disk
# and works with a read-only root filesystem. (A tmpfs, not a shared temp dir.)
_SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

# Recent gunicorn opens a control socket under $HOME; the image's user has no
# writable home (read-only root filesystem) and nothing here uses it.
control_socket_disable = True

# --- Request limits -----------------------------------------------------------
# A customer link is POST /c/<token> with a token of up to ~8,000 characters;
# 8190 is gunicorn's maximum. tests/system/test_deploy_files.py checks this literal
# against checkout_links.core.config.MAX_REQUEST_LINE, from which the app derives
# the longest link it will issue.
limit_request_line = 8190
# A same-origin Referer on the form POST repeats the page URL, token included.
limit_request_field_size = 8190

# Only these proxies may set X-Forwarded-Proto for gunicorn; the app's own
# ProxyFix (CHECKOUT_PROXY_HOPS) decides what the application trusts.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# --- Logging -----------------------------------------------------------------
# Logs go to stdout/stderr for the container runtime to collect; the logger
# class cuts checkout tokens and query strings out of every record.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
logger_class = "checkout_links.serving.access_log.RedactingLogger"
# One JSON object a line; the format lives next to the logger that fills it.
# Imported only here, after the metrics directory exists, because importing
# the package may register metrics.
from checkout_links.serving.access_log import ACCESS_LOG_FORMAT  # noqa: E402

access_log_format = ACCESS_LOG_FORMAT

_METRICS_FILE = re.compile(r"_(\d+)\.db$")


def on_starting(server: Any) -> None:
    """Refuse an unsafe process layout, and drop metrics left by an earlier master."""
    cfg = server.cfg
    if _USES_FAKEREDIS and cfg.workers > 1:
        raise RuntimeError(
            f"CHECKOUT_REDIS_URL is unset, so the ledger is an in-process fakeredis, "
            f"but gunicorn would start {cfg.workers} workers: each would keep its own "
            f"ledger and a link could be spent once per worker. Set CHECKOUT_REDIS_URL, "
            f"or run one worker (GUNICORN_WORKERS=1)."
        )
    if _USES_FAKEREDIS and cfg.max_requests > 0:
        raise RuntimeError(
            "CHECKOUT_REDIS_URL is unset, so the ledger lives in the worker's memory, "
            "but GUNICORN_MAX_REQUESTS recycles workers and each new one would forget "
            "every spent link. Set CHECKOUT_REDIS_URL, or GUNICORN_MAX_REQUESTS=0."
        )
    if not _MULTIPROC_DIR and cfg.workers > 1:
        server.log.warning(
            "PROMETHEUS_MULTIPROC_DIR is unset: /metrics will show one worker's numbers"
        )
    if _MULTIPROC_DIR:
        # Files of dead processes would be summed forever. Runs once per
        # master (not on SIGHUP, when live workers own files here); the
        # master's own files hold values set while preloading the app. A USR2
        # binary upgrade would drop the old generation's files: containers
        # replace the process instead.
        for path in Path(_MULTIPROC_DIR).glob("*.db"):
            match = _METRICS_FILE.search(path.name)
            if match and int(match.group(1)) != os.getpid():
                path.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Tell prometheus_client a worker died, so its live gauges stop counting."""
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, _MULTIPROC_DIR)  # type: ignore[no-untyped-call]


def when_ready(server: Any) -> None:
    """Freeze the preloaded app's objects out of the garbage collector's reach.

    Runs in the master after ``preload_app`` and before any worker forks: the
    imported code, Babel's locale data and the compiled schemas then live in
    the permanent generation, so a worker's collections no longer walk them
    (less CPU per request) and do not dirty their pages (more memory shared).
    """
    import gc

    gc.freeze()
