"""The numbers one run produces, and the few statistics the report needs."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.wrk import WrkResult

SIDES = ("service", "floor")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    script: str
    expected_status: int
    target: float  # minimum service/floor throughput ratio


SCENARIOS = (
    Scenario("issue", "Issuance `POST /api/v1/links` (5 lines)", "issue", 201, 0.85),
    Scenario("cart", "Cart page `GET /c/<token>`", "cart", 200, 0.85),
    Scenario("order", "Order placement `POST /c/<token>`", "order", 303, 0.75),
)


@dataclass(frozen=True)
class Round:
    """One measured wrk run against one side, with what it cost the machine."""

    side: str
    wrk: WrkResult
    app_cpu_s: float
    redis_cpu_s: float
    redis_calls: dict[str, int]
    redis_memory_delta: int
    aof_delta: int
    wrk_cpu_s: float = 0.0
    #: CPU that neither this side, Redis nor wrk used: other processes on the machine.
    foreign_cpu_s: float = 0.0


@dataclass
class ScenarioResult:
    scenario: Scenario
    rounds: dict[str, list[Round]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def _values(self, side: str, attr: str) -> list[float]:
        return [float(getattr(r.wrk, attr)) for r in self.rounds[side]]

    def rps(self, side: str) -> float:
        return statistics.median(self._values(side, "rps")) if self.rounds[side] else 0.0

    def p50(self, side: str) -> float:
        return statistics.median(self._values(side, "p50_ms")) if self.rounds[side] else 0.0

    def p99(self, side: str) -> float:
        return statistics.median(self._values(side, "p99_ms")) if self.rounds[side] else 0.0

    def ratio(self) -> float:
        floor = self.rps("floor")
        return self.rps("service") / floor if floor else 0.0

    def pair_ratios(self) -> list[float]:
        """service/floor of each round pair (the two sides ran back to back)."""
        pairs = zip(self.rounds["service"], self.rounds["floor"], strict=False)
        return [s.wrk.rps / f.wrk.rps for s, f in pairs if f.wrk.rps]

    def errors(self, side: str) -> int:
        return sum(r.wrk.errors(self.scenario.expected_status) for r in self.rounds[side])

    def error_text(self, side: str) -> str:
        texts = [
            r.wrk.describe_errors(self.scenario.expected_status)
            for r in self.rounds[side]
            if r.wrk.errors(self.scenario.expected_status)
        ]
        return "; ".join(texts) or "none"

    @property
    def valid(self) -> bool:
        return all(self.rounds[s] for s in SIDES) and not any(self.errors(s) for s in SIDES)

    def _total(self, side: str) -> int:
        return sum(r.wrk.requests for r in self.rounds[side])

    def app_cpu_us(self, side: str) -> float:
        """Application CPU (gunicorn master + workers) per request, in µs."""
        total = self._total(side)
        return sum(r.app_cpu_s for r in self.rounds[side]) / total * 1e6 if total else 0.0

    def redis_cpu_us(self, side: str) -> float:
        total = self._total(side)
        return sum(r.redis_cpu_s for r in self.rounds[side]) / total * 1e6 if total else 0.0

    def redis_calls(self, side: str) -> dict[str, float]:
        """Redis commands per request, by command (from ``INFO commandstats``)."""
        total = self._total(side)
        sums: dict[str, int] = {}
        for r in self.rounds[side]:
            for name, n in r.redis_calls.items():
                sums[name] = sums.get(name, 0) + n
        return {k: v / total for k, v in sorted(sums.items())} if total else {}

    def foreign_load(self, nproc: int) -> float:
        """Share of the machine's CPUs other processes used during the rounds (0..1)."""
        rounds = [r for side in SIDES for r in self.rounds[side]]
        seconds = sum(r.wrk.duration_s for r in rounds)
        return sum(r.foreign_cpu_s for r in rounds) / seconds / nproc if seconds else 0.0

    def bytes_per_request(self, side: str, attr: str) -> float:
        total = self._total(side)
        return sum(getattr(r, attr) for r in self.rounds[side]) / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": asdict(self.scenario),
            "rounds": {s: [asdict(r) for r in rs] for s, rs in self.rounds.items()},
        }
