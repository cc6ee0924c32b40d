"""A link's status from its ledger mark, its expiry and a clock: the one mapping."""

from __future__ import annotations

from checkout_links.core.links.status import gone, status_of

EXPIRES = 1_800_000_000


def test_the_mark_decides_before_the_clock() -> None:
    """A spent or revoked link keeps that status after its expiry; the ledger's expired stays."""
    assert status_of("spent", EXPIRES, EXPIRES + 10) == "completed"
    assert status_of("revoked", EXPIRES, EXPIRES + 10) == "revoked"
    assert status_of("expired", EXPIRES, EXPIRES - 10) == "expired"


def test_an_open_link_expires_from_its_expiry_second_on() -> None:
    """Open up to the second before its expiry, expired from that second, as the spend judges."""
    assert status_of("open", EXPIRES, EXPIRES - 0.001) == "open"
    assert status_of("open", EXPIRES, EXPIRES) == "expired"


def test_a_gone_link_says_why_and_when_it_expired() -> None:
    """The customer pages' error carries the reason, and the expiry only for an expired link."""
    assert (gone("completed", EXPIRES).reason, gone("completed", EXPIRES).expires_at) == (
        "completed",
        None,
    )
    assert gone("revoked", EXPIRES).reason == "revoked"
    assert (gone("expired", EXPIRES).reason, gone("expired", EXPIRES).expires_at) == (
        "expired",
        EXPIRES,
    )
