"""The burst's rates and its verdict on the issue-24 target (bench/burst.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bench import burst


def test_rates_parse_per_scenario() -> None:
    """``cart=1000,order=300`` gives a rate per scenario, and an empty option none."""
    assert burst.parse_rates("cart=1000, order=300") == {"cart": 1000.0, "order": 300.0}
    assert burst.parse_rates("") == {}


@pytest.mark.parametrize("text", ["issue=100", "cart", "cart=5"])
def test_a_rate_for_an_unknown_scenario_or_below_the_factor_is_refused(text: str) -> None:
    """Only cart and order have a burst, and a burst below 10/s has no whole steady rate."""
    with pytest.raises(ValueError, match="--burst-rate"):
        burst.parse_rates(text)


def test_the_cart_page_defaults_to_the_target_rate_and_others_to_a_share_of_throughput() -> None:
    """Without a given rate the cart burst is 1,000/s and an order burst half the measured req/s,
    rounded down to a multiple of the factor."""
    assert burst.rate_for("cart", {}, 1800.0, 0.5) == 1000.0
    assert burst.rate_for("order", {}, 663.0, 0.5) == 330.0
    assert burst.rate_for("order", {"order": 250.0}, 663.0, 0.5) == 250.0


def test_an_order_burst_needs_a_rate_or_a_measured_throughput() -> None:
    """With neither, the harness says which option is missing instead of guessing."""
    with pytest.raises(ValueError, match="no --burst-rate for order"):
        burst.rate_for("order", {}, 0.0, 0.5)


def _scenario(
    rate: float, p99: float, sent_rate: float, errors: int = 0, capped: int = 0
) -> dict[str, Any]:
    phase = {"name": "burst", "p99_ms": p99, "sent_rate": sent_rate, "capped": capped}
    return {
        "key": "cart",
        "rate": rate,
        "sides": {"service": {"phases": [phase], "errors": errors}},
    }


def test_the_target_is_met_below_50_ms_at_1000_pages_per_second() -> None:
    """A service p99 of 31 ms in a 1,000/s burst the generator kept up with meets the target."""
    v = burst.verdict([_scenario(1000.0, 31.0, 999.0)])
    assert (v["met"], v["p99_ms"]) == (True, 31.0)


def test_the_target_is_missed_at_or_above_50_ms_or_with_errors() -> None:
    """50 ms is not under 50 ms, and failed requests miss the target whatever the p99."""
    assert burst.verdict([_scenario(1000.0, 50.0, 1000.0)])["met"] is False
    assert burst.verdict([_scenario(1000.0, 10.0, 1000.0, errors=3)])["met"] is False


def test_no_verdict_without_a_1000_per_second_burst_or_when_the_generator_fell_behind() -> None:
    """Another rate, or a generator that wrote under 98% of the rate, gives no verdict."""
    assert burst.verdict([_scenario(800.0, 10.0, 800.0)])["met"] is None
    behind = burst.verdict([_scenario(1000.0, 10.0, 900.0)])
    assert behind["met"] is None
    assert "not a result" in behind["why"]
    assert burst.verdict([])["met"] is None


def test_order_bursts_send_each_line_as_its_own_form_post() -> None:
    """Each minted ``path<TAB>form`` line becomes one POST of that form to that path."""
    requests = burst.requests_for("order", "127.0.0.1", 80, ["/c/a\tx=1", "/c/b\tx=2"])
    assert [r.split(b" ", 2)[1] for r in requests] == [b"/c/a", b"/c/b"]
    assert [r.rsplit(b"\r\n\r\n", 1)[1] for r in requests] == [b"x=1", b"x=2"]
    carts = burst.requests_for("cart", "127.0.0.1", 80, ["/c/a\tx=1"])
    assert carts[0].startswith(b"GET /c/a HTTP/1.1\r\n")


def test_a_server_that_holds_every_connection_is_judged_on_its_latency() -> None:
    """Sending fell behind because all connections were busy: the server misses, not no result."""
    v = burst.verdict([_scenario(1000.0, 1546.0, 925.0, capped=4000)])
    assert v["met"] is False
