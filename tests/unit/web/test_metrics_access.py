"""``GET /metrics`` answers only a caller with ``CHECKOUT_METRICS_TOKEN``, and nobody when
the token is unset."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from checkout_links.core.config import Settings
from checkout_links.testing import METRICS_AUTH, METRICS_TOKEN, make_app, memory_redis


def test_without_a_token_metrics_answers_404_like_an_unknown_page() -> None:
    """With the variable unset, /metrics is 404 with or without an Authorization header."""
    client = make_app(memory_redis(), metrics_token=None).test_client()
    unknown = client.get("/no-such-page")
    for headers in ({}, METRICS_AUTH, {"Authorization": "Bearer "}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 404
        assert answer.data == unknown.data
        assert b"checkout_" not in answer.data


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Basic {METRICS_TOKEN}",
        f"Bearer {METRICS_TOKEN[:-1]}",
        f"Bearer {METRICS_TOKEN}x",
        METRICS_TOKEN,
        "Bearer \u00e9" + METRICS_TOKEN,
    ],
    ids=["none", "empty", "basic", "short", "long", "bare", "latin-1"],
)
def test_with_a_token_metrics_refuses_any_other_authorization(authorization: str | None) -> None:
    """A missing or wrong bearer gets 401 with WWW-Authenticate and no metric."""
    client = make_app(memory_redis()).test_client()
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"checkout_" not in answer.data


def test_with_the_token_metrics_answers_prometheus_text_not_to_be_cached() -> None:
    """The right bearer gets the exposition text, marked no-store."""
    client = make_app(memory_redis()).test_client()
    answer = client.get("/metrics", headers=METRICS_AUTH)
    assert answer.status_code == 200
    assert b"# TYPE checkout_links_issued_total counter" in answer.data
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("token", ["short", "x" * 31, "with space " + "x" * 32, "é" * 40])
def test_a_weak_or_unsendable_token_stops_the_start(token: str) -> None:
    """CHECKOUT_METRICS_TOKEN must be 32 or more visible ASCII characters."""
    with pytest.raises(ValidationError, match="metrics_token"):
        Settings(metrics_token=token)  # type: ignore[arg-type]
