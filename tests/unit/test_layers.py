"""The package's layers: the core stands without Flask, and nothing imports in a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

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


def test_the_package_has_no_import_cycle() -> None:
    """No module of checkout_links imports, directly or through others, a module that imports it."""
    graph = grimp.build_graph("checkout_links")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} -> {imported}")
    assert cycles == []


def test_bench_imports_nothing_from_the_tests() -> None:
    """bench/ takes its real-server helpers from checkout_links.testing, never from tests/."""
    import ast

    offenders = []
    for path in sorted((PACKAGE.parent / "bench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "tests"]
    assert offenders == []
