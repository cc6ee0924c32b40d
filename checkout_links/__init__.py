"""checkout-links: one-time checkout links for carts of dynamic products.

Importing the package imports no web framework: the domain lives in
:mod:`checkout_links.core`; the Flask app is built by :func:`create_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the WSGI app (see :func:`checkout_links.web.app.create_app`)."""
    from checkout_links.web.app import create_app as factory

    return factory(test_config)
