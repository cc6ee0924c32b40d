"""Benchmark checkout-links against a bare-Flask floor: ``python bench/run.py``.

Starts a redis-server (AOF, ``appendfsync always``, ``noeviction``), the
service and the floor (``bench/floor.py``) under the same
``deploy/gunicorn.conf.py``, drives both with wrk in alternating rounds
(service-floor, then floor-service, ...) after an unmeasured warm-up, and
prints median throughput, p50/p99 latency and service/floor ratios per
scenario, then token sizes and codec speed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: put the repository root (bench, tests, checkout_links) in
    # place of bench/ itself, whose module names must not shadow anything.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import redis

from bench import burst, codec, machine, openloop, redisbench, report, stack, wrk
from bench.mint import Minter, seed
from bench.results import SCENARIOS, SIDES, Round, Scenario, ScenarioResult
from bench.workload import LINK_REQUEST

SPLIT_CPU_CONF = Path(__file__).resolve().parent / "split_cpu.conf.py"
#: The request kind (bench/split_cpu.conf.py's ``kind_of``) of each scenario.
SPLIT_KINDS = {"issue": "POST /api", "cart": "GET /c", "order": "POST /c"}
#: First guess of the order rate, to size the warm-up's link files.
_ORDER_RATE_GUESS = 800.0
#: Links a round gets per thread: this many times what the best rate so far needs.
_LINK_MARGIN = 1.8


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=5, help="measured rounds per side (default 5)")
    p.add_argument("--duration", type=float, default=10, help="seconds per round (default 10)")
    p.add_argument("--warmup", type=float, default=5, help="unmeasured seconds per side first")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--gunicorn-workers", type=int, help="GUNICORN_WORKERS (default: config's)")
    p.add_argument("--gunicorn-threads", type=int, help="GUNICORN_THREADS (default: config's)")
    p.add_argument(
        "--server",
        choices=stack.SERVERS,
        default="gthread",
        help="what serves both sides (default gthread, deploy/gunicorn.conf.py's default); "
        "Granian gets the same workers, and the threads as blocking threads",
    )
    p.add_argument(
        "--burst",
        action="store_true",
        help="also measure p50/p99 under a burst of 10x a steady rate (open loop)",
    )
    p.add_argument(
        "--burst-only",
        action="store_true",
        help="only the burst: no throughput rounds (give --burst-rate for every scenario "
        "but the cart page)",
    )
    p.add_argument(
        "--burst-rate",
        default="",
        metavar="SCENARIO=RATE,...",
        help="req/s during the burst, per scenario (e.g. cart=1000,order=300); default: "
        f"cart={burst.TARGET_RATE:g} (the target), others {burst.DEFAULT_FRACTION:g} of the "
        "service's req/s measured in this run",
    )
    p.add_argument(
        "--burst-fraction",
        type=float,
        default=burst.DEFAULT_FRACTION,
        help="burst rate as a share of the service's measured req/s, where no rate is given",
    )
    p.add_argument("--burst-seconds", type=float, default=30, help="length of the burst (30)")
    p.add_argument(
        "--burst-steady-seconds",
        type=float,
        default=10,
        help="steady load before and after the burst (10 each)",
    )
    p.add_argument(
        "--burst-scenarios", default="cart,order", help="scenarios measured under the burst"
    )
    p.add_argument(
        "--baseline",
        type=Path,
        help="a --json file of an earlier run: --write-docs adds a before/after table",
    )
    p.add_argument(
        "--compare",
        type=Path,
        nargs="*",
        default=[],
        metavar="JSON",
        help="--json files of runs under other --server values: --write-docs adds them to "
        "the servers table",
    )
    p.add_argument("--scenarios", default="issue,cart,order", help="comma-separated subset")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 short rounds, little else")
    p.add_argument("--write-docs", action="store_true", help="regenerate docs/performance.md")
    p.add_argument("--json", type=Path, help="also write every number to this file")
    p.add_argument("--no-redis-benchmark", action="store_true", help="skip redis-benchmark")
    p.add_argument("--keep", action="store_true", help="keep the work dir (logs, AOF)")
    p.add_argument(
        "--split-cpu",
        action="store_true",
        help="run both sides under bench/split_cpu.conf.py and report the app's share of CPU",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 2, 3.0, 1.0
        args.burst_seconds, args.burst_steady_seconds = 5.0, 2.0
    if args.burst_only:
        args.burst = True
    for path in [args.baseline, *args.compare]:
        if path is not None and not path.is_file():
            p.error(f"{path}: no such file (a --json file of an earlier run)")
    if args.split_cpu and args.server == "granian":
        p.error("--split-cpu needs gunicorn (its config hook); not with --server granian")
    try:
        args.burst_rates = burst.parse_rates(args.burst_rate)
    except ValueError as exc:
        p.error(str(exc))
    unknown = set(args.burst_scenarios.split(",")) - set(burst.EXPECTED_STATUS)
    if unknown:
        p.error(f"--burst-scenarios: {', '.join(sorted(unknown))}: not cart or order")
    if args.burst_only:
        for key in args.burst_scenarios.split(","):
            if key != burst.TARGET_SCENARIO and key not in args.burst_rates:
                p.error(f"--burst-only measures no throughput: give --burst-rate {key}=RATE")
    return args


def _log(text: str) -> None:
    print(text, flush=True)


def _children_cpu() -> float:
    """CPU seconds of this process's waited-for children (wrk runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _http(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


class Bench:
    """One run: the processes, the per-side inputs and the results."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.secret = secrets.token_urlsafe(32)
        self.sides: dict[str, stack.AppServer] = {}
        self.redis: Any = None
        self.client: redis.Redis | None = None
        self.cart_path: dict[str, str] = {}
        self.sizes: dict[str, dict[str, int]] = {}
        #: Best order rate seen per side (req/s); sizes the next round's link files.
        self.order_rate: dict[str, float] = {}
        self.results: dict[str, ScenarioResult] = {}
        self.extra: dict[str, Any] = {}
        self.machine = machine.describe()  # before anything of ours runs: the load average
        self.redis_idle_cpu = 0.0  # Redis CPU seconds per second with no load

    # --- set-up -------------------------------------------------------------------------
    def _env(self, side: str, port: int) -> dict[str, str]:
        (self.work / side).mkdir(exist_ok=True)
        env = stack.gunicorn_env(self.redis.url, self.secret, port, self.work / side)
        if self.args.gunicorn_workers:
            env["GUNICORN_WORKERS"] = str(self.args.gunicorn_workers)
        if self.args.gunicorn_threads:
            env["GUNICORN_THREADS"] = str(self.args.gunicorn_threads)
        if self.args.split_cpu:
            env["BENCH_SPLIT_CPU_DIR"] = str(self._split_dir(side))
            self._split_dir(side).mkdir(exist_ok=True)
        return env

    def _split_dir(self, side: str) -> Path:
        return self.work / side / "split-cpu"

    @property
    def _conf(self) -> Path:
        return SPLIT_CPU_CONF if self.args.split_cpu else stack.GUNICORN_CONF

    def start(self) -> None:
        _log(f"work dir {self.work}")
        self.redis = stack.start_redis(self.work / "redis")
        self.client = redis.Redis.from_url(self.redis.url)
        before = stack.redis_sample(self.client).cpu_s
        time.sleep(2)
        self.redis_idle_cpu = (stack.redis_sample(self.client).cpu_s - before) / 2
        port = stack.new_port()
        app, self.api_key = seed(self.redis.url, self.secret, f"http://127.0.0.1:{port}")
        self.minter = Minter(app)
        env = self._env("service", port)
        self.sides["service"] = stack.start_server(
            self.args.server, "service", "wsgi:app", self.work / "service", env, port, self._conf
        )
        self.env_shown = {k: v for k, v in env.items() if k != "CHECKOUT_SECRET_KEYS"}
        self._probe_service()
        port = stack.new_port()
        env = self._env("floor", port)
        env["BENCH_FLOOR_LINK_BYTES"] = str(self.sizes["service"]["issue"])
        env["BENCH_FLOOR_PAGE_BYTES"] = str(self.sizes["service"]["cart"])
        env["BENCH_FLOOR_LOCATION"] = self.location
        self.sides["floor"] = stack.start_server(
            self.args.server, "floor", "bench.floor:app", self.work / "floor", env, port, self._conf
        )
        self._probe_floor()

    def _probe(self, side: str, cart_path: str, order_line: str) -> None:
        """One request per scenario: checks the status and records the body sizes."""
        url = self.sides[side].url
        auth = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        status, body, _ = _http(url, "POST", "/api/v1/links", self.body, auth)
        if status != 201:
            raise RuntimeError(f"{side}: POST /api/v1/links answered {status}: {body[:300]!r}")
        issue_bytes = len(body)
        if side == "service":
            cart_path = "/c/" + json.loads(body)["url"].rsplit("/c/", 1)[1]
        status, page, _ = _http(url, "GET", cart_path)
        if status != 200:
            raise RuntimeError(f"{side}: GET {cart_path[:20]}... answered {status}")
        path, form = order_line.split("\t", 1)
        form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, answer, headers = _http(url, "POST", path, form.encode(), form_headers)
        if status != 303:
            raise RuntimeError(f"{side}: POST /c/<token> answered {status}: {answer[:300]!r}")
        self.cart_path[side] = cart_path
        self.location = headers.get("location", "")
        self.sizes[side] = {
            "issue": issue_bytes,
            "cart": len(page),
            "order_request": len(form),
            "path": len(cart_path),
        }

    def _probe_service(self) -> None:
        self.body = json.dumps(LINK_REQUEST).encode()
        (self.work / "link.json").write_bytes(self.body)
        self._probe("service", "", self.minter.service_lines(1)[0])
        assert self.client is not None
        self.extra["order_json_bytes"] = max(
            (int(self.client.strlen(k)) for k in self.client.scan_iter("cl:*:o:*", count=1000)),
            default=0,
        )

    def _probe_floor(self) -> None:
        token_path = self.minter.floor_lines(1)[0].split("\t", 1)[0]
        self._probe("floor", token_path, self.minter.floor_lines(1)[0])
        _log("response sizes (bytes), service vs floor: " + json.dumps(self.sizes))

    # --- measuring ----------------------------------------------------------------------
    def _order_files(self, side: str, tag: str, duration: float) -> str:
        """Per-thread link files for one order round; returns the prefix order.lua reads."""
        threads = self.args.threads
        # Never below the guess: a short warm-up (--quick) measures a rate still climbing.
        rate = max(self.order_rate.get(side, 0.0), _ORDER_RATE_GUESS)
        # --quick's 1 s warm-up underestimates the rate the rounds reach: a wider margin.
        margin = 2 * _LINK_MARGIN if self.args.quick else _LINK_MARGIN
        per_thread = math.ceil(rate * duration * margin / threads) + 50
        prefix = self.work / "orders" / f"{side}-{tag}"
        prefix.parent.mkdir(exist_ok=True)
        make = self.minter.service_lines if side == "service" else self.minter.floor_lines
        started = time.monotonic()
        for tid in range(threads):
            Path(f"{prefix}.{tid}").write_text("\n".join(make(per_thread)) + "\n")
        took = time.monotonic() - started
        _log(f"    ({per_thread * threads} fresh links for {side} in {took:.1f} s)")
        return str(prefix)

    def _drive(self, scenario: Scenario, side: str, duration: float, tag: str) -> Round:
        url = self.sides[side].url
        if scenario.key == "issue":
            url, args = url + "/api/v1/links", [str(self.work / "link.json"), self.api_key]
        elif scenario.key == "cart":
            url, args = url + self.cart_path[side], []
        else:
            args = [self._order_files(side, tag, duration)]
        assert self.client is not None
        server = self.sides[side]
        cpu0, r0 = server.cpu_seconds(), stack.redis_sample(self.client)
        busy0, children0 = stack.machine_busy_seconds(), _children_cpu()
        result = wrk.run(
            url,
            scenario.script,
            args,
            threads=self.args.threads,
            connections=self.args.connections,
            duration=duration,
        )
        busy1, children1 = stack.machine_busy_seconds(), _children_cpu()
        cpu1, r1 = server.cpu_seconds(), stack.redis_sample(self.client)
        app_cpu, redis_cpu, wrk_cpu = cpu1 - cpu0, r1.cpu_s - r0.cpu_s, children1 - children0
        if scenario.key == "order":
            sent = sum(result.used_per_thread) / result.duration_s
            if not result.exhausted:  # an exhausted round says only "at least"
                self.order_rate[side] = max(self.order_rate.get(side, 0.0), sent)
            for f in Path(args[0]).parent.glob(Path(args[0]).name + ".*"):
                f.unlink()
        return Round(
            side=side,
            wrk=result,
            app_cpu_s=app_cpu,
            # Redis's own background work (cron, event loop) is not the requests'.
            redis_cpu_s=max(0.0, redis_cpu - self.redis_idle_cpu * result.duration_s),
            redis_calls=stack.calls_delta(r0, r1),
            redis_memory_delta=r1.used_memory - r0.used_memory,
            aof_delta=r1.aof_size - r0.aof_size,
            wrk_cpu_s=wrk_cpu,
            foreign_cpu_s=max(0.0, busy1 - busy0 - app_cpu - redis_cpu - wrk_cpu),
        )

    def _show(self, scenario: Scenario, label: str, rnd: Round) -> None:
        w = rnd.wrk
        errors = w.errors(scenario.expected_status)
        note = f"  ERRORS: {w.describe_errors(scenario.expected_status)}" if errors else ""
        _log(
            f"  {label:<16} {rnd.side:<8} {w.rps:9.1f} req/s  p50 {w.p50_ms:7.2f} ms  "
            f"p99 {w.p99_ms:7.2f} ms  "
            f"app CPU {rnd.app_cpu_s / max(w.requests, 1) * 1e6:6.0f} µs/req  "
            f"other load {rnd.foreign_cpu_s / w.duration_s / self.machine['nproc']:4.0%}"
            f"{note}"
        )

    def scenario(self, scenario: Scenario) -> ScenarioResult:
        _log(f"\n== {scenario.title}")
        result = ScenarioResult(scenario)
        for side in SIDES:
            for attempt in range(3):
                rnd = self._drive(scenario, side, self.args.warmup, f"warmup{attempt}")
                self._show(scenario, "warm-up", rnd)
                if not rnd.wrk.exhausted:
                    break
                # The file ran out: the rate is at least twice the guess.
                self.order_rate[side] = 2 * self.order_rate.get(side, _ORDER_RATE_GUESS)
        for i in range(self.args.rounds):
            order = SIDES if i % 2 == 0 else SIDES[::-1]
            for side in order:
                rnd = self._drive(scenario, side, self.args.duration, f"r{i}")
                self._show(scenario, f"round {i + 1}/{self.args.rounds}", rnd)
                result.rounds[side].append(rnd)
        return result

    def run(self) -> int:
        self.start()
        wanted = {s.strip() for s in self.args.scenarios.split(",")}
        for scenario in SCENARIOS:
            if scenario.key in wanted and not self.args.burst_only:
                self.results[scenario.key] = self.scenario(scenario)
        if self.args.burst:
            self.extra["burst"] = self.bursts()
        if self.args.split_cpu:
            self.extra["split_cpu"] = self._split_cpu()
        _log("\n== Token codec (in-process, checkout_links.core.links.token)")
        budget = 0.3 if self.args.quick else 1.0
        self.extra["codec"] = codec.measure(self.secret, budget)
        if not self.args.no_redis_benchmark and redisbench.available():
            _log("== redis-benchmark on a fresh Redis with the same settings")
            n = 20_000 if self.args.quick else 100_000
            self.extra["redis_benchmark"] = redisbench.measure(
                self.work / "redis-benchmark", self.extra["order_json_bytes"] or 2500, n
            )
        return self.finish()

    # --- burst latency ------------------------------------------------------------------
    def bursts(self) -> dict[str, Any]:
        """Each of ``--burst-scenarios`` under a burst, on both sides (bench/burst.py)."""
        out = []
        for key in (k.strip() for k in self.args.burst_scenarios.split(",") if k.strip()):
            measured = self.results.get(key)
            rps = measured.rps("service") if measured else 0.0
            rate = burst.rate_for(key, self.args.burst_rates, rps, self.args.burst_fraction)
            phases = openloop.burst_phases(
                rate, burst.FACTOR, self.args.burst_seconds, self.args.burst_steady_seconds
            )
            title = next(s.title for s in SCENARIOS if s.key == key)
            _log(
                f"\n== Burst: {title}: {rate / burst.FACTOR:g}/s for "
                f"{self.args.burst_steady_seconds:g} s, {rate:g}/s for "
                f"{self.args.burst_seconds:g} s, {rate / burst.FACTOR:g}/s for "
                f"{self.args.burst_steady_seconds:g} s"
            )
            sides = {side: self._burst_side(key, side, phases) for side in SIDES}
            out.append(
                {
                    "key": key,
                    "title": title,
                    "rate": rate,
                    "steady_rate": rate / burst.FACTOR,
                    "expected_status": burst.EXPECTED_STATUS[key],
                    "phases": [asdict(p) for p in phases],
                    "sides": sides,
                }
            )
        return {
            "server": self.args.server,
            "factor": burst.FACTOR,
            "scenarios": out,
            "target": burst.verdict(out),
        }

    def _burst_side(self, key: str, side: str, phases: list[openloop.Phase]) -> dict[str, Any]:
        count = len(openloop.schedule(phases))
        started = time.monotonic()
        make = self.minter.service_lines if side == "service" else self.minter.floor_lines
        lines = make(count)
        server = self.sides[side]
        host, port = server.url.removeprefix("http://").split(":")
        requests = burst.requests_for(key, host, int(port), lines)
        del lines
        _log(f"    ({count} fresh links for {side} in {time.monotonic() - started:.1f} s)")
        assert self.client is not None
        cpu0, r0, busy0 = (
            server.cpu_seconds(),
            stack.redis_sample(self.client),
            stack.machine_busy_seconds(),
        )
        result = openloop.run(host, int(port), requests, phases)
        cpu1, r1, busy1 = (
            server.cpu_seconds(),
            stack.redis_sample(self.client),
            stack.machine_busy_seconds(),
        )
        app, redis_cpu = cpu1 - cpu0, r1.cpu_s - r0.cpu_s
        other = max(0.0, busy1 - busy0 - app - redis_cpu - result.cpu_s)
        summary = burst.side_summary(
            result,
            burst.EXPECTED_STATUS[key],
            app,
            other / result.wall_s / self.machine["nproc"] if result.wall_s else 0.0,
        )
        for line in burst.side_lines(key, side, summary):
            _log("  " + line)
        return summary

    def _split_cpu(self) -> dict[str, dict[str, float]]:
        """Stop both sides (their workers write their tallies) and sum the tallies.

        Returns µs of app CPU per request by scenario and side. Recycled
        workers wrote theirs when they exited; warm-ups and probes count too.
        """
        for server in self.sides.values():
            server.server.stop(timeout=40)
        out: dict[str, dict[str, float]] = {}
        for side in SIDES:
            totals: dict[str, list[float]] = {}
            for path in self._split_dir(side).glob("*.json"):
                for kind, (n, cpu) in json.loads(path.read_text()).items():
                    entry = totals.setdefault(kind, [0, 0.0])
                    entry[0] += n
                    entry[1] += cpu
            for scenario in SCENARIOS:
                n, cpu = totals.get(SPLIT_KINDS[scenario.key], [0, 0.0])
                if n:
                    out.setdefault(scenario.key, {})[side] = cpu / n * 1e6
        return out

    def finish(self) -> int:
        data = report.collect(self, self.args)
        text = report.console(data)
        _log("\n" + text)
        if self.args.json:
            self.args.json.write_text(json.dumps(data, indent=2, default=str))
        if self.args.write_docs:
            baseline = json.loads(self.args.baseline.read_text()) if self.args.baseline else None
            others = [json.loads(path.read_text()) for path in self.args.compare]
            path = report.write_docs(data, baseline=baseline, others=others)
            _log(f"wrote {path}")
        invalid = [r.scenario.key for r in self.results.values() if not r.valid]
        bursts = (data.get("burst") or {}).get("scenarios", [])
        invalid += [f"{s['key']} burst" for s in bursts if s["sides"]["service"]["errors"]]
        if invalid:
            _log(f"NOT A RESULT: errors in {', '.join(invalid)} (see the rounds above)")
            return 1
        return 0

    def stop(self) -> None:
        for side in self.sides.values():
            side.server.stop(timeout=40)
        if self.client is not None:
            self.client.close()
        if self.redis is not None:
            self.redis.stop()


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    # SIGTERM unwinds like Ctrl-C, so the finally below stops every process.
    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    work = Path(tempfile.mkdtemp(prefix="checkout-bench-"))
    bench = Bench(args, work)
    try:
        return bench.run()
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the servers", file=sys.stderr)
        return 130
    finally:
        bench.stop()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
