"""Token size and codec speed for carts of 1..100 lines, measured in-process."""

from __future__ import annotations

import statistics
import timeit
import zlib
from dataclasses import dataclass

import msgspec

from bench.workload import codec_payload
from checkout_links.core.config import Settings
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.links.token import TokenCodec

LINE_COUNTS = (1, 5, 20, 50, 100)


@dataclass(frozen=True)
class CodecRow:
    lines: int
    msgpack_bytes: int
    deflated_bytes: int
    token_chars: int
    fits: bool  # "/c/" + token within the longest link path the service issues
    encode_us: float
    decode_us: float


def _per_call_us(stmt: object, budget_s: float) -> float:
    """Median µs per call over 5 repeats, each about ``budget_s / 5`` long."""
    timer = timeit.Timer(stmt)  # type: ignore[arg-type]
    number, _ = timer.autorange()
    number = max(1, int(number * budget_s / 5 / 0.2))
    runs = timer.repeat(repeat=5, number=number)
    return statistics.median(runs) / number * 1e6


def measure(secret: str, budget_s: float = 1.0) -> list[CodecRow]:
    """One row per cart size in :data:`LINE_COUNTS`."""
    codec = TokenCodec(KeyRing([secret]))
    max_path = Settings(secret_keys=(secret,)).max_link_path
    rows = []
    for n in LINE_COUNTS:
        payload = codec_payload(n)
        raw = msgspec.msgpack.encode(payload)
        token = codec.encode(payload)
        assert codec.decode(token) == payload
        rows.append(
            CodecRow(
                lines=n,
                msgpack_bytes=len(raw),
                deflated_bytes=len(zlib.compress(raw, 6, -12)),
                token_chars=len(token),
                fits=len("/c/" + token) <= max_path,
                encode_us=_per_call_us(lambda p=payload: codec.encode(p), budget_s),
                decode_us=_per_call_us(lambda t=token: codec.decode(t), budget_s),
            )
        )
    return rows
