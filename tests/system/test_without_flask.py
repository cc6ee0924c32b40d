"""Processes that import the package with the web framework made unimportable.

The core and the command line must stand without Flask (the CLI builds its
services from the settings; only ``serve`` and ``demo`` import the web app).
Each test runs a fresh interpreter, so these are system tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from checkout_links.testing.servers import RedisServer

PACKAGE = Path(__file__).resolve().parents[2] / "checkout_links"

_IMPORT_CORE_WITHOUT_FLASK = """
import importlib, pkgutil, sys
for name in ("flask", "werkzeug", "jinja2", "markupsafe", "flask_limiter"):
    sys.modules[name] = None  # makes "import flask" raise ImportError
import checkout_links.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "checkout_links.core.")]
for name in names:
    importlib.import_module(name)
import checkout_links
print(len(names))
"""


def test_every_core_module_imports_with_flask_unimportable() -> None:
    """Each module of checkout_links.core (and the package itself) imports with no web framework."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_CORE_WITHOUT_FLASK],
        capture_output=True,
        text=True,
        check=False,
        cwd=PACKAGE.parent,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 15  # the walk really found the core's modules


_RUN_WITHOUT_FLASK = """
import sys
for name in ("flask", "werkzeug", "jinja2", "flask_limiter"):
    sys.modules[name] = None  # makes "import flask" raise ImportError
from checkout_links.cli.main import cli
import checkout_links.worker.deliverer  # what `worker` imports when it starts
cli.main(sys.argv[1:], prog_name="checkout-links")
"""


def _without_flask(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHECKOUT_", "FLASK_"))}
    return subprocess.run(
        [sys.executable, "-c", _RUN_WITHOUT_FLASK, *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


def test_the_cli_imports_and_lists_its_commands_without_flask() -> None:
    """The CLI and the worker it starts import, and `--help` lists every command, without Flask."""
    done = _without_flask("--help")
    assert done.returncode == 0, done.stderr
    for command in ("catalog", "demo", "merchant", "orders", "serve", "worker"):
        assert f"  {command} " in done.stdout


def test_a_store_command_runs_without_flask(real_redis: RedisServer) -> None:
    """`orders export` reads the settings, connects the store and answers without Flask:
    an unknown merchant is named on stderr with exit code 2."""
    done = _without_flask(
        "orders", "export", "ghost", CHECKOUT_DEMO="true", CHECKOUT_REDIS_URL=real_redis.url
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == "Error: No merchant 'ghost'."
    assert done.stdout == ""
