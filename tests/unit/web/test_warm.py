"""Warming the app before it serves: a worker forked from a warmed master compiles nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from checkout_links.testing import new_cart_path
from checkout_links.web.warm import warm


def _compiles_on_first_cart_page(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many templates Jinja compiles to answer the app's first cart page."""
    path = new_cart_path(app)
    env = app.jinja_env
    compiled: list[str | None] = []
    compile_ = env.compile

    def counting(source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return compile_(source, name, *args, **kwargs)

    monkeypatch.setattr(env, "compile", counting)
    page = app.test_client().get(path)
    assert page.status_code == 200
    return len(compiled)


def test_a_cold_app_compiles_templates_on_its_first_cart_page(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without warming, the first cart page pays for compiling its templates."""
    assert _compiles_on_first_cart_page(app, monkeypatch) > 0


def test_a_warmed_app_serves_its_first_cart_page_without_compiling(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After warm(), the first cart page compiles no template: the master did it once."""
    warm(app)
    assert _compiles_on_first_cart_page(app, monkeypatch) == 0
