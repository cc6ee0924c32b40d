"""How bench/run.py --server starts each server (bench/stack.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bench import stack


def test_granian_gets_the_gunicorn_configs_workers_and_threads() -> None:
    """GUNICORN_WORKERS and GUNICORN_THREADS become Granian's workers and blocking threads."""
    env = {"GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "6"}
    argv = stack.server_argv("granian", "wsgi:app", 8123, env, stack.GUNICORN_CONF)
    pairs = dict(itertools.pairwise(argv))
    assert (pairs["--workers"], pairs["--blocking-threads"]) == ("3", "6")
    assert (pairs["--interface"], pairs["--port"], argv[-1]) == ("wsgi", "8123", "wsgi:app")


def test_granian_logs_each_request_without_its_path() -> None:
    """Granian's access log format names no path: a path holds a checkout token."""
    argv = stack.server_argv("granian", "wsgi:app", 8123, {}, stack.GUNICORN_CONF)
    fmt = argv[argv.index("--access-log-fmt") + 1]
    assert "--access-log" in argv
    assert "path" not in fmt
    assert "query" not in fmt


@pytest.mark.parametrize("kind", ["gthread", "gevent"])
def test_gunicorn_kinds_run_the_shipped_config(kind: str) -> None:
    """gthread and gevent both start gunicorn with the config given (deploy's by default)."""
    argv = stack.server_argv(kind, "bench.floor:app", 8123, {}, Path("/x/gunicorn.conf.py"))
    assert argv[1:5] == ["-m", "gunicorn", "-c", "/x/gunicorn.conf.py"]
    assert argv[-1] == "bench.floor:app"


def test_an_unknown_server_is_refused() -> None:
    """A typo is an error naming the servers, not a silent gthread run."""
    with pytest.raises(ValueError, match="gthread, gevent, granian"):
        stack.server_argv("uwsgi", "wsgi:app", 8123, {}, stack.GUNICORN_CONF)
