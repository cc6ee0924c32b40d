"""Where the service's time goes, per scenario: ``python bench/profiling.py``.

Runs the app in-process over a real redis-server (AOF always, as in
``bench/run.py``) and calls its WSGI entry point directly with environs built
beforehand, so neither HTTP nor the test client is measured. Per scenario it
prints the CPU time per request of the service and of the floor
(``bench/floor.py``) measured the same way, then pyinstrument's call tree and
flat self-time list for the service. Gunicorn, the access log and the socket
writes are not in these profiles; ``py-spy record --pid <gunicorn master>
--subprocesses`` during ``bench/run.py`` shows them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from flask import Flask
from pyinstrument import Profiler
from werkzeug.test import EnvironBuilder

from bench import stack
from bench.mint import Minter, seed
from bench.workload import LINK_REQUESTS

Environ = dict[str, Any]


def _call(app: Flask, environ: Environ) -> int:
    status: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(s)
        return lambda data: None

    body: Iterable[bytes] = app(environ, start_response)
    for _chunk in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()
    return int(status[0].split()[0])


def _environs(
    minter: Minter, api_key: str, scenario: str, n: int, floor: bool = False
) -> list[Environ]:
    if scenario == "issue":
        data = json.dumps(minter.request).encode()
        headers = [("Authorization", f"Bearer {api_key}")]
        return [
            EnvironBuilder(
                path="/api/v1/links",
                method="POST",
                headers=headers,
                data=data,
                content_type="application/json",
            ).get_environ()
            for _ in range(n)
        ]
    lines = minter.floor_lines(n) if floor else minter.service_lines(n)
    if scenario == "cart":
        path = lines[0].split("\t", 1)[0]
        return [EnvironBuilder(path=path).get_environ() for _ in range(n)]
    out = []
    for line in lines:
        path, form = line.split("\t", 1)
        out.append(
            EnvironBuilder(
                path=path,
                method="POST",
                data=form,
                content_type="application/x-www-form-urlencoded",
            ).get_environ()
        )
    return out


EXPECTED = {"issue": 201, "cart": 200, "order": 303}

#: ``--payment``: the merchant's payment settings (``PATCH /api/v1/account``). The
#: Stripe keys are never used: placing an order only records that it awaits payment.
PAYMENT: dict[str, dict[str, Any]] = {
    "none": {"provider": "none"},
    "manual": {"provider": "manual", "instructions": "Pay by bank transfer within 14 days."},
    "stripe": {
        "provider": "stripe",
        "stripe": {
            "publishable_key": "pk_test_bench",
            "secret_key": "sk_test_bench",
            "webhook_secret": "whsec_bench",
        },
    },
}


#: ``--link tax``: the merchant's tax rates and settings (a German shop, prices net).
TAX_RATES = {
    "de-mwst": {"country": "DE", "percent": "19", "display_name": "MwSt."},
    "fr-tva": {"country": "FR", "percent": "20", "display_name": "TVA"},
}
TAX_SETTINGS = {"prices_include_tax": False, "origin_country": "DE", "reverse_charge": True}


def cpu_per_request(app: Flask, environs: list[Environ], expected: int) -> float:
    """CPU µs per request (process time, so other load on the machine counts less)."""
    started = time.process_time()
    statuses = [_call(app, environ) for environ in environs]
    took = time.process_time() - started
    bad = [s for s in statuses if s != expected]
    if bad:
        raise RuntimeError(f"{len(bad)} unexpected statuses, e.g. {bad[0]}")
    return took / len(environs) * 1e6


#: Budgets of issue 24: the service's in-process CPU per request at most this many times
#: the floor's (same run, median of the paired batches).
BUDGETS = {"issue": 1.25, "cart": 1.40, "order": 1.30}


def profile(
    apps: dict[str, Flask],
    minter: Minter,
    api_key: str,
    scenario: str,
    n: int,
    lines: int,
    runs: int = 7,
) -> None:
    """Print the CPU per request of both sides, their ratio, and the service's profile.

    The sides are measured in ``runs`` alternating batches (service, floor, floor,
    service, ...) of ``n // 2 // runs`` requests each: on a shared virtual machine one
    long batch per side drifts with the host, while the median of paired batches,
    and of their ratios, holds still.
    """
    expected = EXPECTED[scenario]
    for side, app in apps.items():
        # Warm every per-process cache first, as a long-running worker has them.
        cpu_per_request(app, _environs(minter, api_key, scenario, 50, side == "floor"), expected)
    batch = max(50, n // 2 // runs)
    samples: dict[str, list[float]] = {side: [] for side in apps}
    ratios: list[float] = []
    for run in range(runs):
        order = list(apps) if run % 2 == 0 else list(reversed(apps))
        pair: dict[str, float] = {}
        for side in order:
            environs = _environs(minter, api_key, scenario, batch, side == "floor")
            pair[side] = cpu_per_request(apps[side], environs, expected)
            samples[side].append(pair[side])
        ratios.append(pair["service"] / pair["floor"])
    cpu = {side: statistics.median(values) for side, values in samples.items()}
    ratio = statistics.median(ratios)
    budget = BUDGETS[scenario]
    verdict = "within" if ratio <= budget else "over"
    print(
        f"\n==== {scenario}: in-process CPU per request: service {cpu['service']:.0f} µs, "
        f"floor {cpu['floor']:.0f} µs, service/floor {ratio:.2f} ({verdict} the budget of "
        f"{budget:.2f}; medians of {runs} paired batches of {batch}, ratios "
        f"{min(ratios):.2f} to {max(ratios):.2f}; no HTTP server, no access log)"
    )
    if lines <= 0:
        return
    environs = _environs(minter, api_key, scenario, n // 2)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for environ in environs:
        _call(apps["service"], environ)
    profiler.stop()
    tree = profiler.output_text(time="percent_of_total")
    print("\n".join(tree.splitlines()[:lines]))
    flat = profiler.output_text(flat=True, time="percent_of_total")
    print("--- flat, self time ---")
    print("\n".join(line for line in flat.splitlines()[:40] if "%" in line))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    p.add_argument("--scenarios", default="issue,cart,order")
    p.add_argument("--lines", type=int, default=70, help="call tree lines (0: none)")
    p.add_argument("--runs", type=int, default=7, help="paired batches per scenario (median)")
    p.add_argument(
        "--payment",
        choices=sorted(PAYMENT),
        default="none",
        help="the merchant's payment provider (orders: stripe places, then sends to /pay/)",
    )
    p.add_argument(
        "--link",
        choices=sorted(LINK_REQUESTS),
        default="plain",
        help="the link: the benchmark cart, without its physical item, with cart choices, "
        "or for a merchant with tax rates",
    )
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="checkout-profile-"))
    server = stack.start_redis(work / "redis")
    try:
        app, api_key = seed(server.url, secrets.token_urlsafe(32), "http://127.0.0.1:8000")
        if args.payment != "none":
            answer = app.test_client().patch(
                "/api/v1/account",
                json={"payment": PAYMENT[args.payment]},
                headers={"Authorization": f"Bearer {api_key}"},
            )
            if answer.status_code != 200:
                raise RuntimeError(f"payment settings refused: {answer.get_data(as_text=True)}")
        auth = {"Authorization": f"Bearer {api_key}"}
        if args.link == "tax":
            client = app.test_client()
            for rate_id, rate in TAX_RATES.items():
                answer = client.put(f"/api/v1/tax_rates/{rate_id}", json=rate, headers=auth)
                if answer.status_code != 201:
                    raise RuntimeError(f"tax rate refused: {answer.get_data(as_text=True)}")
            answer = client.patch("/api/v1/account", json={"tax": TAX_SETTINGS}, headers=auth)
            if answer.status_code != 200:
                raise RuntimeError(f"tax settings refused: {answer.get_data(as_text=True)}")
        minter = Minter(app, LINK_REQUESTS[args.link])
        os.environ["CHECKOUT_REDIS_URL"] = server.url
        floor: Flask = importlib.import_module("bench.floor").app
        apps = {"service": app, "floor": floor}
        for scenario in args.scenarios.split(","):
            profile(apps, minter, api_key, scenario.strip(), args.requests, args.lines, args.runs)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
