"""Order numbers (core/orders/numbers.py): their alphabet, their shard, their lenient reading."""

from __future__ import annotations

import os
import re

from hypothesis import given
from hypothesis import strategies as st

from checkout_links.core.orders.numbers import number_for, parse_number
from checkout_links.core.storage import redis_keys as keys

FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}")


@given(st.binary(min_size=16, max_size=16), st.integers(0, keys.MAX_SHARDS - 1), st.integers(0, 9))
def test_a_number_reads_back_as_itself_and_names_its_shard(
    random: bytes, shard: int, attempt: int
) -> None:
    """Every number is 12 characters of the unambiguous alphabet, and reading it gives it back
    with the shard of its link."""
    rand = random + shard.to_bytes(2, "big")
    number = number_for(rand, attempt)
    assert FORMAT.fullmatch(number)
    assert len(number) <= 14
    assert parse_number(number) == (number, shard)


def test_a_number_is_read_leniently() -> None:
    """Lower case, spaces, missing dashes and O/I/L for 0/1 read as the number they stand for."""
    rand = os.urandom(16) + (7).to_bytes(2, "big")
    number = number_for(rand)
    sloppy = number.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert parse_number(sloppy) == (number, 7)


def test_the_next_attempt_draws_another_number() -> None:
    """After a collision the next attempt gives the same link another number, same shard."""
    rand = os.urandom(16) + (3).to_bytes(2, "big")
    numbers = {number_for(rand, attempt) for attempt in range(5)}
    assert len(numbers) == 5
    assert {parse_number(n)[1] for n in numbers if parse_number(n)} == {3}  # type: ignore[index]


def test_what_is_not_a_number_is_refused() -> None:
    """Wrong length, foreign characters and a U are no number."""
    for text in ("", "7KQ4-M2XH-9", "7KQ4-M2XH-9DD", "7KQ4-M2XH-9U", "ord_abc", "7KQ4-M2XH-9!"):
        assert parse_number(text) is None
