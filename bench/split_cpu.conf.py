"""``deploy/gunicorn.conf.py`` plus a tally of the CPU each worker spends inside the app.

Used by ``python bench/run.py --split-cpu`` for both sides alike. Every
setting is the deploy file's, read and run as it is; this only adds a
``post_worker_init`` hook that wraps the loaded WSGI app: per request kind
(method and first path segment) it adds up the thread CPU time
(``time.thread_time``) spent in the app call, including iterating the
body, and each worker writes its tally to ``$BENCH_SPLIT_CPU_DIR/<pid>.json``
when it exits. The rest of the app CPU the harness measures is gunicorn's:
reading and parsing the request, the access log, writing the response, the
worker's event loop, thread hand-offs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"
exec(compile(_DEPLOY.read_text(), str(_DEPLOY), "exec"))  # noqa: S102 - our own config file

_OUT = os.environ.get("BENCH_SPLIT_CPU_DIR", "")


def kind_of(environ: dict[str, Any]) -> str:
    """``POST /api``, ``GET /c``, ...: what the harness's scenarios tell apart."""
    segment = environ.get("PATH_INFO", "/").split("/", 2)[1]
    return f"{environ.get('REQUEST_METHOD', '')} /{segment}"


def post_worker_init(worker: Any) -> None:
    tally: dict[str, list[float]] = {}
    lock = threading.Lock()
    app: Callable[..., Iterable[bytes]] = worker.wsgi

    def measured(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        started = time.thread_time()
        body = app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        spent = time.thread_time() - started
        with lock:
            entry = tally.setdefault(kind_of(environ), [0, 0.0])
            entry[0] += 1
            entry[1] += spent
        return chunks

    worker.wsgi = measured
    worker.split_cpu_tally = tally


def worker_exit(server: Any, worker: Any) -> None:
    tally = getattr(worker, "split_cpu_tally", None)
    if _OUT and tally:
        Path(_OUT, f"{os.getpid()}.json").write_text(json.dumps(tally))
