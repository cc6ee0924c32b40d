"""Seed the merchant and mint order-placement links in-process, with the service's keys.

Order placement needs a fresh link per request (a link yields one order) and
the CSRF token its cart page would embed. Fetching every page would cost more
than the benchmark itself, so the harness builds the app in-process over the
same Redis and the same ``CHECKOUT_SECRET_KEYS``, issues the benchmark cart
once through :meth:`Links.issue`, and then seals copies of that payload under
new random link ids with the app's own codec and CSRF serializer: exactly
what the service would have issued and rendered.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from typing import Any

import msgspec
import redis
from flask import Flask

from bench.workload import LINK_REQUEST, MERCHANT_ID, order_form
from checkout_links.core.links.choices import LinkChoicesIn
from checkout_links.core.services import Services
from checkout_links.core.storage.redis_keys import new_link_rand
from checkout_links.testing import add_merchant, make_app
from checkout_links.web.extensions import services


def seed(redis_url: str, secret: str, base_url: str) -> tuple[Flask, str]:
    """An in-process app over ``redis_url`` and a new merchant with the test catalog.

    Returns the app and the merchant's API key.
    """
    client = redis.Redis.from_url(redis_url)
    app = make_app(client, secret_keys=secret, base_url=base_url, rate_limits_enabled=False)
    return app, add_merchant(app, MERCHANT_ID)


class Minter:
    """Makes ``<path>\\t<form body>`` lines, one per order, for ``lua/order.lua``."""

    def __init__(self, app: Flask, request: dict[str, Any] | None = None) -> None:
        """``request``: the link request the links copy (the benchmark cart by default)."""
        with app.app_context():
            svc = services()
            merchant = svc.merchants.get(MERCHANT_ID)
            body = LinkChoicesIn.model_validate(request or LINK_REQUEST)
            issued = svc.links.issue(merchant, body)
            token = issued.url.rsplit("/", 1)[1]
            self._template = svc.codec.decode(token)
            self._codec = svc.codec
            self._csrf_for = form_token_maker(svc)
        self.request = request or LINK_REQUEST
        self.token_chars = len(token)
        self.csrf_chars = len(self._csrf_for(self._template.link_rand))

    def service_lines(self, n: int) -> list[str]:
        """``n`` fresh links of the benchmark cart, each with a valid CSRF token."""
        out = []
        for _ in range(n):
            payload = msgspec.structs.replace(self._template, link_rand=new_link_rand(16))
            token = self._codec.encode(payload)
            out.append(f"/c/{token}\t{order_form(self._csrf_for(payload.link_rand))}")
        return out

    def floor_lines(self, n: int) -> list[str]:
        """``n`` lines of the same lengths for the floor, with random tokens."""
        return [
            f"/c/{_random_text(self.token_chars)}\t{order_form(_random_text(self.csrf_chars))}"
            for _ in range(n)
        ]


def form_token_maker(svc: Services) -> Callable[[bytes], str]:
    """What the cart page puts in its form's ``csrf_token`` field, for a link id."""
    return lambda link_rand: svc.form_tokens.make(link_rand, int(time.time()))


def _random_text(chars: int) -> str:
    raw = base64.urlsafe_b64encode(os.urandom(chars)).decode()
    return raw[:chars]
