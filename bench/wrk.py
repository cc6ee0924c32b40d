"""Run ``wrk`` with one of the Lua scripts in ``bench/lua`` and read its JSON line."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"
_MARK = "BENCH_JSON "


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency (ms), and every response status seen."""

    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    exhausted: int
    used_per_thread: list[int] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def errors(self, expected_status: int) -> int:
        """Responses with another status, plus connect/read/write errors and timeouts."""
        wrong = sum(n for status, n in self.statuses.items() if status != expected_status)
        return wrong + sum(self.socket_errors.values())

    def describe_errors(self, expected_status: int) -> str:
        parts = [f"{n}x HTTP {s}" for s, n in sorted(self.statuses.items()) if s != expected_status]
        parts += [f"{n} {kind} errors" for kind, n in self.socket_errors.items() if n]
        if self.exhausted:
            parts.append(f"{self.exhausted} requests after the link file ran out")
        return ", ".join(parts) or "none"


def parse(stdout: str) -> WrkResult:
    """The result from wrk's output (the line ``lua/common.lua`` prints in ``done()``)."""
    lines = [line for line in stdout.splitlines() if line.startswith(_MARK)]
    if not lines:
        raise RuntimeError(f"wrk printed no {_MARK.strip()} line:\n{stdout[-2000:]}")
    data: dict[str, Any] = json.loads(lines[-1][len(_MARK) :])
    lat = data["latency_us"]
    return WrkResult(
        requests=int(data["requests"]),
        duration_s=data["duration_us"] / 1e6,
        p50_ms=lat["p50"] / 1000,
        p90_ms=lat["p90"] / 1000,
        p99_ms=lat["p99"] / 1000,
        mean_ms=lat["mean"] / 1000,
        max_ms=lat["max"] / 1000,
        statuses={int(k): int(v) for k, v in data["statuses"].items()},
        socket_errors={k: int(v) for k, v in data["socket_errors"].items()},
        exhausted=int(data["exhausted"]),
        used_per_thread=[int(n) for n in data["used_per_thread"]],
    )


def run(
    url: str,
    script: str,
    args: list[str],
    *,
    threads: int,
    connections: int,
    duration: float,
    timeout_s: int = 5,
) -> WrkResult:
    """Drive ``url`` for ``duration`` seconds with ``lua/<script>.lua`` and ``args``."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    argv += ["--timeout", f"{timeout_s}s", "-s", str(LUA / f"{script}.lua"), url, "--", *args]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return parse(proc.stdout)
