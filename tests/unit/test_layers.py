"""The package's layers: nothing imports in a circle, and bench/ takes nothing from the tests."""

from __future__ import annotations

from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[2] / "checkout_links"


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
