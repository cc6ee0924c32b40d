"""Token budget: a big cart with every choice issues, opens and places through nginx + gunicorn."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkout_links.core.config import Settings
from checkout_links.testing import add_merchant, make_app
from checkout_links.testing.realapp import balanced, http_client, issue_link, path_of
from checkout_links.testing.servers import ProcessServer, RedisServer

pytestmark = pytest.mark.slow


def _text(rng: random.Random, n: int) -> str:
    # Random letters: texts a compressor cannot shorten, the worst case for the token.
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def _line(i: int, kind: str) -> dict[str, Any]:
    """A line as a CRM sends one: its own name, price, SKU, vendor code, two properties, bounds."""
    rng = random.Random(f"{kind}{i}")
    return {
        "id": "pro-licence",
        "name": f"{kind} {i}: {_text(rng, 32)}",
        "price": f"{100 + i * 37}.50",
        "quantity": 2,
        "sku": _text(rng, 12),
        "vendor_code": _text(rng, 16),
        "properties": {"seats": str(5 + i), "contract": _text(rng, 12)},
        "adjustable_quantity": {"enabled": True, "minimum": 0, "maximum": 99},
    }


BIG: dict[str, Any] = {
    "products": [_line(i, "Line") for i in range(20)],
    "optional_items": [
        {**_line(j, "Offer"), "quantity": 1, "replaces": j} if j < 3 else _line(j, "Offer")
        for j in range(10)
    ],
    "discount": {"percent": "12.5", "label": "Framework agreement"},
    "allow_promotion_codes": True,
    "customer": {"email": "ana@example.com", "first_name": "Ana", "country": "DE"},
    "return_url": "https://shop.example/thanks",
}
SIZES: dict[str, int] = {}


@pytest.fixture(scope="module")
def nginx_and_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProcessServer, str]]:
    """One gunicorn (deploy/gunicorn.conf.py) behind deploy/nginx.conf, on a redis-server."""
    tmp: Path = tmp_path_factory.mktemp("budget")
    with RedisServer(tmp / "redis") as server:
        api_key = add_merchant(make_app(None, redis_url=server.url), "budget")
        with balanced(tmp, server.url, instances=1) as (nginx, _):
            yield nginx, api_key


def test_a_twenty_line_cart_with_ten_offers_bounds_and_a_discount_fits_a_link(
    nginx_and_key: tuple[ProcessServer, str],
) -> None:
    """It issues (201), opens (200) and, with choices changed, places (303) through nginx."""
    nginx, api_key = nginx_and_key
    with http_client(nginx.url) as web:
        plain = issue_link(web, api_key, {**BIG, "optional_items": None, "discount": None})
        link = issue_link(web, api_key, BIG)
        path = path_of(link["url"])
        SIZES.update(with_choices=len(path) - 3, without_choices=len(path_of(plain["url"])) - 3)
        print(f"\ntoken sizes (characters): {SIZES}, limit {Settings().max_link_path - 3}")
        assert len(path) <= Settings().max_link_path
        page = web.get(path)
        assert page.status_code == 200
        assert page.text.count('name="qty_') == 20
        assert page.text.count('name="opt_') == 10
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        form = {"csrf_token": csrf.group(1), "email": "ana@example.com", "action": "place"}
        form.update({"qty_4": "7", "opt_0": "1", "opt_9": "3"})
        placed = web.post(path, data=form)
    assert placed.status_code == 303, placed.text
