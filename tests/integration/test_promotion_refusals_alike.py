"""Every promotion code a customer cannot use is refused alike on the page: the same status
and the same words for unknown, not yet valid, expired, inactive, used up and not applicable
codes, so trying codes learns nothing about which exist (real redis-server)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from checkout_links.core.pricing import UNUSABLE_CODE
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app

CODES: dict[str, dict[str, Any]] = {
    "SOON": {"percent": "10", "starts_at": "2099-01-01T00:00:00Z"},
    "PAST": {"percent": "10", "expires_at": "2001-01-01T00:00:00Z"},
    "GONE": {"percent": "10"},  # deactivated below
    "ONCE": {"percent": "10", "max_redemptions": 1},  # used below
    "ELSEWHERE": {"percent": "10", "products": ["support"]},  # not for the kit
    "DOLLARS": {"amount": "5.00", "currency": "USD"},  # not for a EUR cart
}


@pytest.fixture
def shop(real_redis: Any) -> tuple[Flask, dict[str, str]]:
    app = make_app(None, redis_url=real_redis.url, rate_limits_enabled=False)
    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    web = app.test_client()
    for code, terms in CODES.items():
        assert web.put(f"/api/v1/promotions/{code}", json=terms, headers=auth).status_code in (
            200,
            201,
        )
    assert web.delete("/api/v1/promotions/GONE", headers=auth).status_code in (200, 204)
    return app, auth


def _place(app: Flask, auth: dict[str, str], code: str) -> tuple[int, str]:
    web = app.test_client()
    body = {"products": [{"id": "kit"}], "allow_promotion_codes": True}
    link = web.post("/api/v1/links", json=body, headers=auth).get_json()
    path = link_path(link["url"])
    form = {
        "csrf_token": csrf_of(web.get(path).get_data(as_text=True)),
        "email": "ana@example.com",
        **BERLIN,
        "promo_code": code,
    }
    answer = web.post(path, data=form)
    return answer.status_code, answer.get_data(as_text=True)


def _error_at_code(html: str) -> str:
    match = re.search(r'<p class="error" id="e-promo_code">([^<]*)</p>', html)
    assert match, "no error at the code field"
    return match.group(1)


def test_every_unusable_code_gets_the_same_status_and_words(
    shop: tuple[Flask, dict[str, str]],
) -> None:
    """Unknown, not yet valid, expired, inactive, used up and not applicable: one answer."""
    app, auth = shop
    assert _place(app, auth, "ONCE")[0] == 303  # its one redemption
    answers = {
        code: _place(app, auth, code)
        for code in ["NOSUCHCODE", "SOON", "PAST", "GONE", "ONCE", "ELSEWHERE", "DOLLARS"]
    }
    statuses = {code: status for code, (status, _) in answers.items()}
    words = {code: _error_at_code(html) for code, (_, html) in answers.items()}
    assert set(statuses.values()) == {422}, statuses
    assert set(words.values()) == {UNUSABLE_CODE}, words
