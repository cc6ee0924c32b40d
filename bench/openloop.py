"""An open-loop load generator: requests sent on a fixed schedule, latency from the schedule.

wrk is closed-loop: each connection sends its next request when the previous
answer arrives, so a server that stalls also slows the load, and the requests
that *would* have been sent during the stall are never measured (coordinated
omission). Here every request has an intended send time, taken from a rate
schedule (:func:`schedule`) before the run starts. When it is due it goes out
on an idle keep-alive connection, or on a new one (up to ``max_connections``);
its latency is measured **from the intended time** to the last byte of the
answer, so time spent queued behind a slow server, or behind this generator,
counts. The generator's own lag (intended → actually written) is reported
apart, so a starved generator shows as such rather than as a slow server.

One thread, one ``selectors`` loop, request bytes built before the run; the
responses are framed by :mod:`bench.http1`.

    python -m bench.openloop http://127.0.0.1:8080/ --rate 2000 --seconds 10
"""

from __future__ import annotations

import argparse
import errno
import gc
import selectors
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.http1 import get_request, response_length

#: Source addresses the connections take in turn (all loopback on Linux): customers
#: come from many addresses, and the gevent worker caps connections per address
#: (GUNICORN_CLIENT_CONNECTIONS, 100 per worker), which a burst from one would hit.
SOURCES = tuple(f"127.0.0.{n}" for n in range(16, 32))
#: Idle keep-alive connections are retired after this long: gunicorn closes them after
#: ``keepalive`` (5 s), and a request written just as the server closes would fail.
IDLE_RETIRE_S = 2.0
_RECV = 262_144


@dataclass(frozen=True)
class Phase:
    """``seconds`` of requests at a constant ``rate`` per second."""

    name: str
    seconds: float
    rate: float


def burst_phases(burst_rate: float, factor: float, burst_s: float, steady_s: float) -> list[Phase]:
    """Steady load, a burst of ``factor`` times it, then steady load again."""
    steady = burst_rate / factor
    return [
        Phase("before", steady_s, steady),
        Phase("burst", burst_s, burst_rate),
        Phase("after", steady_s, steady),
    ]


def schedule(phases: list[Phase]) -> list[tuple[float, int]]:
    """Intended send times (seconds from the start) with their phase index, evenly spaced."""
    out: list[tuple[float, int]] = []
    start = 0.0
    for index, phase in enumerate(phases):
        count = round(phase.seconds * phase.rate)
        out += [(start + k / phase.rate, index) for k in range(count)]
        start += phase.seconds
    return out


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of sorted values, nearest rank; 0.0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n * q / 100), at least 1
    return sorted_values[min(len(sorted_values), int(rank)) - 1]


@dataclass
class PhaseResult:
    """What one phase's requests saw (latency from their intended send times)."""

    name: str
    rate: float
    seconds: float
    sent: int = 0
    answered: int = 0
    sent_rate: float = 0.0  # requests actually written per second over the phase
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    lag_p99_ms: float = 0.0  # the generator's own delay from intended to written
    #: Requests that waited for a connection because all ``max_connections`` were busy:
    #: the server, not the generator, held them back.
    capped: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def wrong(self, expected_status: int) -> int:
        """Answers with another status, plus failed and timed-out requests."""
        bad = sum(n for status, n in self.statuses.items() if status != expected_status)
        return bad + sum(self.errors.values())


@dataclass
class Result:
    phases: list[PhaseResult]
    connections: int  # connections opened
    max_connections: int  # the most open at once allowed
    cpu_s: float  # this generator's CPU over the run
    wall_s: float


class _Conn:
    __slots__ = ("buf", "idle_since", "index", "out", "sent_at", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.out = b""
        self.index = -1  # the request in flight, -1 when idle
        self.sent_at = 0.0
        self.idle_since = 0.0


def run(
    host: str,
    port: int,
    requests: list[bytes],
    phases: list[Phase],
    *,
    max_connections: int = 512,
    timeout_s: float = 5.0,
) -> Result:
    """Send ``requests[i]`` at the ``i``-th time of :func:`schedule` and time each answer.

    ``requests`` must hold at least as many entries as the schedule; each is sent once.
    """
    plan = schedule(phases)
    if len(requests) < len(plan):
        raise ValueError(f"{len(plan)} requests scheduled, {len(requests)} given")
    n = len(plan)
    latency = [-1.0] * n
    sent_at = [-1.0] * n
    status = [0] * n
    capped = [False] * n
    capped_hi = -1
    failure: dict[int, str] = {}
    sel = selectors.DefaultSelector()
    idle: list[_Conn] = []
    waiting: deque[int] = deque()
    live: set[_Conn] = set()
    opened = 0
    finished = 0

    def close(conn: _Conn, why: str | None) -> None:
        nonlocal finished
        sel.unregister(conn.sock)
        conn.sock.close()
        live.discard(conn)
        if conn in idle:
            idle.remove(conn)
        if conn.index >= 0 and why is not None:
            failure[conn.index] = why
            finished += 1
        conn.index = -1

    def start(conn: _Conn, index: int, now: float) -> None:
        conn.index, conn.out, conn.sent_at = index, requests[index], now
        conn.buf.clear()
        sent_at[index] = now
        write(conn)

    def write(conn: _Conn) -> None:
        try:
            done = conn.sock.send(conn.out)
        except BlockingIOError:
            done = 0
        except OSError:
            close(conn, "write")
            return
        conn.out = conn.out[done:]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0)
        sel.modify(conn.sock, events, conn)

    def connect(index: int) -> None:
        """Open a connection for request ``index``; it is written once the connect completes."""
        nonlocal opened, finished
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if host.startswith("127."):
            sock.bind((SOURCES[opened % len(SOURCES)], 0))
        sock.setblocking(False)
        code = sock.connect_ex((host, port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            failure[index] = "connect"
            finished += 1
            return
        conn = _Conn(sock)
        conn.index = index
        sel.register(sock, selectors.EVENT_WRITE, conn)
        live.add(conn)
        opened += 1

    def read(conn: _Conn, now: float) -> None:
        nonlocal finished
        try:
            chunk = conn.sock.recv(_RECV)
        except BlockingIOError:
            return
        except OSError:
            close(conn, "read")
            return
        if not chunk:
            if conn.index >= 0 and conn.buf:
                parsed = response_length(conn.buf)
                if parsed is not None and parsed[1] == -1:  # ends at close: complete
                    complete(conn, parsed[0], now)
            close(conn, "closed")
            return
        if conn.index < 0:
            return  # nothing asked: stray bytes on an idle connection are dropped
        conn.buf += chunk
        parsed = response_length(conn.buf)
        if parsed is None or parsed[1] == -1:
            return
        complete(conn, parsed[0], now)
        if parsed[2]:
            conn.idle_since = now
            idle.append(conn)
        else:
            close(conn, None)

    def complete(conn: _Conn, code: int, now: float) -> None:
        nonlocal finished
        status[conn.index] = code
        latency[conn.index] = now - plan[conn.index][0]
        finished += 1
        conn.index = -1

    gc.collect()
    gc.disable()  # a collection in the middle of the burst would be the generator's pause
    cpu0 = time.process_time()
    t0 = time.perf_counter() + 0.05
    next_i = 0
    last_sweep = 0.0
    try:
        while finished < n:
            now = time.perf_counter() - t0
            while next_i < n and plan[next_i][0] <= now:
                waiting.append(next_i)
                next_i += 1
            while waiting:
                while idle and now - idle[-1].idle_since > IDLE_RETIRE_S:
                    close(idle.pop(), None)
                if idle:
                    conn = idle.pop()
                elif len(live) < max_connections:
                    connect(waiting.popleft())
                    continue
                else:  # every waiting request is held back by the cap (FIFO: one range)
                    for i in range(max(capped_hi + 1, waiting[0]), waiting[-1] + 1):
                        capped[i] = True
                    capped_hi = waiting[-1]
                    break
                start(conn, waiting.popleft(), now)
            wait = plan[next_i][0] - now if next_i < n else 0.05
            for key, events in sel.select(max(0.0, min(wait, 0.05))):
                conn = key.data
                now = time.perf_counter() - t0
                if events & selectors.EVENT_WRITE:
                    if not conn.out and conn.index >= 0 and sent_at[conn.index] < 0:
                        err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if err:
                            close(conn, "connect")
                            continue
                        start(conn, conn.index, now)
                    elif conn.out:
                        write(conn)
                if events & selectors.EVENT_READ and conn in live:
                    read(conn, now)
            now = time.perf_counter() - t0
            if now - last_sweep > 0.05:  # not per event: the sweep walks every connection
                last_sweep = now
                for conn in list(live):
                    if conn.index >= 0 and now - plan[conn.index][0] > timeout_s:
                        close(conn, "timeout")
    finally:
        for conn in list(live):
            close(conn, None)
        sel.close()
        gc.enable()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    results = _summarise(phases, plan, latency, sent_at, status, failure)
    for (_, phase), held in zip(plan, capped, strict=True):
        results[phase].capped += held
    return Result(results, opened, max_connections, cpu, wall)


def _summarise(
    phases: list[Phase],
    plan: list[tuple[float, int]],
    latency: list[float],
    sent_at: list[float],
    status: list[int],
    failure: dict[int, str],
) -> list[PhaseResult]:
    out = [PhaseResult(p.name, p.rate, p.seconds) for p in phases]
    lat: list[list[float]] = [[] for _ in phases]
    lag: list[list[float]] = [[] for _ in phases]
    sends: list[list[float]] = [[] for _ in phases]
    for i, (intended, phase) in enumerate(plan):
        res = out[phase]
        if sent_at[i] >= 0:
            res.sent += 1
            sends[phase].append(sent_at[i])
            lag[phase].append(sent_at[i] - intended)
        if i in failure:
            res.errors[failure[i]] = res.errors.get(failure[i], 0) + 1
        elif latency[i] >= 0:
            res.answered += 1
            res.statuses[status[i]] = res.statuses.get(status[i], 0) + 1
            lat[phase].append(latency[i])
        else:
            res.errors["unsent"] = res.errors.get("unsent", 0) + 1
    for res, values, lags, times in zip(out, lat, lag, sends, strict=True):
        values.sort()
        lags.sort()
        res.p50_ms = percentile(values, 50) * 1000
        res.p90_ms = percentile(values, 90) * 1000
        res.p99_ms = percentile(values, 99) * 1000
        res.max_ms = (values[-1] if values else 0.0) * 1000
        res.lag_p99_ms = percentile(lags, 99) * 1000
        span = max(times) - min(times) if len(times) > 1 else 0.0
        res.sent_rate = (len(times) - 1) / span if span else 0.0
    return out


def main(argv: list[str] | None = None) -> None:
    """Drive one URL at a constant rate and print what the generator achieved."""
    p = argparse.ArgumentParser(description="Open-loop GETs of one URL at a fixed rate.")
    p.add_argument("url")
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--max-connections", type=int, default=512)
    args = p.parse_args(argv)
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    phases = [Phase("constant", args.seconds, args.rate)]
    count = len(schedule(phases))
    request = get_request(host, port, parts.path or "/")
    result = run(host, port, [request] * count, phases, max_connections=args.max_connections)
    ph = result.phases[0]
    print(
        f"scheduled {args.rate:.0f}/s for {args.seconds:g} s: sent {ph.sent} at "
        f"{ph.sent_rate:.0f}/s, answered {ph.answered}, statuses {ph.statuses}, "
        f"errors {ph.errors or 'none'}; latency p50 {ph.p50_ms:.2f} ms p99 {ph.p99_ms:.2f} ms "
        f"max {ph.max_ms:.1f} ms; generator lag p99 {ph.lag_p99_ms:.2f} ms; "
        f"{result.connections} connections; generator CPU "
        f"{result.cpu_s / max(ph.sent, 1) * 1e6:.0f} µs/request "
        f"({result.cpu_s / result.wall_s:.0%} of one core)"
    )


if __name__ == "__main__":
    main()
