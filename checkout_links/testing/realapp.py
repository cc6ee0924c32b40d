"""The real app under real gunicorn, and HTTP helpers that drive it like browsers do.

Used by the cluster, load-balancer and operability tests (and bench/). Every
HTTP client here has ``trust_env=False``: a proxy variable in the environment
must never send a test request anywhere but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from checkout_links.testing import BERLIN, METRICS_AUTH, METRICS_TOKEN, link_path
from checkout_links.testing import SECRET_A as SECRET
from checkout_links.testing import csrf_of as csrf_of  # bench/ reads it here
from checkout_links.testing.servers import HOST, ProcessServer, free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
NGINX_CONF = REPO / "deploy" / "nginx.conf"

#: The path of a link URL (``/c/<token>``), as bench/ and the system tests call it.
path_of = link_path


def gunicorn_app(
    directory: Path,
    redis_url: str,
    *,
    workers: int = 2,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    name: str = "gunicorn",
) -> ProcessServer:
    """An unstarted ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` on a free loopback port.

    It runs with its own ``PROMETHEUS_MULTIPROC_DIR`` and rate limits off
    (``env`` may override either); its stdout and stderr go to ``directory/<name>.log``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {
        "CHECKOUT_REDIS_URL": redis_url,
        "CHECKOUT_SECRET_KEYS": SECRET,
        "CHECKOUT_BASE_URL": base_url or f"http://{HOST}:{port}",
        "CHECKOUT_BIND": f"{HOST}:{port}",
        "CHECKOUT_RATE_LIMITS_ENABLED": "false",
        "CHECKOUT_METRICS_TOKEN": METRICS_TOKEN,
        "GUNICORN_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(directory / f"{name}-metrics"),
        **(env or {}),
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"]
    return ProcessServer(
        argv, port=port, log_path=directory / f"{name}.log", env=full_env, cwd=REPO, name=name
    )


def serve_cli(
    directory: Path,
    redis_url: str,
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    name: str = "serve",
) -> ProcessServer:
    """An unstarted ``checkout-links serve`` (its defaults: gevent workers) on a free loopback
    port, run by this interpreter from this tree; ``args`` are added to its command line,
    ``env`` overrides the environment (the metrics token is the tests' unless unset there)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CHECKOUT_REDIS_URL": redis_url,
        "CHECKOUT_SECRET_KEYS": SECRET,
        "CHECKOUT_BASE_URL": f"http://{HOST}:{port}",
        "CHECKOUT_RATE_LIMITS_ENABLED": "false",
        "CHECKOUT_METRICS_TOKEN": METRICS_TOKEN,
        **(env or {}),
    }
    entry = "from checkout_links.cli.main import main; main()"
    argv = [sys.executable, "-c", entry, "serve", "--bind", f"{HOST}:{port}", *args]
    return ProcessServer(
        argv, port=port, log_path=directory / f"{name}.log", env=full_env, cwd=REPO, name=name
    )


def nginx_server(directory: Path, upstreams: Sequence[str], name: str = "nginx") -> ProcessServer:
    """An unstarted nginx running deploy/nginx.conf on a free loopback port, balancing over
    ``upstreams``; its pid, temp files and log live in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(render_nginx_conf(upstreams, f"{HOST}:{port}"))
    # As root, nginx's workers would drop to "nobody", which cannot enter pytest's
    # private temp dirs to write request bodies there.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    argv = ["nginx", "-p", f"{directory}/", "-e", "stderr", "-c", str(conf), "-g", directives]
    return ProcessServer(argv, port=port, log_path=directory / f"{name}.log", name=name)


def render_nginx_conf(upstreams: Sequence[str], listen: str) -> str:
    """deploy/nginx.conf with its marked ``# upstream-server`` and ``# listen`` lines rewritten."""
    out: list[str] = []
    for line in NGINX_CONF.read_text(encoding="utf-8").splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        if line.endswith("# upstream-server"):
            if not any(o.endswith("# upstream-server") for o in out):
                out += [f"{indent}server {u};  # upstream-server" for u in upstreams]
        elif line.endswith("# listen"):
            out.append(f"{indent}listen {listen};  # listen")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


@contextlib.contextmanager
def balanced(
    directory: Path,
    redis_url: str,
    *,
    instances: int = 3,
    env: Mapping[str, str] | None = None,
) -> Iterator[tuple[ProcessServer, list[ProcessServer]]]:
    """``instances`` 2-worker gunicorns on ``redis_url`` behind nginx running deploy/nginx.conf.

    Yields ``(nginx, apps)``; link URLs point at nginx. Everything is stopped on exit.
    """
    port = free_port()
    base = f"http://{HOST}:{port}"
    apps = [
        gunicorn_app(directory, redis_url, base_url=base, env=env, name=f"app{n}")
        for n in range(instances)
    ]
    conf = directory / "nginx.conf"
    conf.write_text(render_nginx_conf([f"{HOST}:{a.port}" for a in apps], f"{HOST}:{port}"))
    # As root, nginx's workers would drop to "nobody", who cannot read pytest's temp dirs.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    argv = ["nginx", "-p", f"{directory}/", "-e", "stderr", "-c", str(conf), "-g", directives]
    nginx = ProcessServer(argv, port=port, log_path=directory / "nginx.log", name="nginx")
    try:
        for app in apps:  # start all before waiting, so their imports overlap
            app.start()
        for app in apps:
            app.wait_http("/readyz", timeout=60)
        nginx.start()
        nginx.wait_http("/readyz")
        yield nginx, apps
    finally:
        nginx.stop()
        with ThreadPoolExecutor() as pool:  # each waits for its workers to finish
            list(pool.map(lambda app: app.stop(), apps))


def http_client(base_url: str, **kwargs: Any) -> httpx.Client:
    """An httpx client for ``base_url`` that ignores proxy settings and never follows redirects."""
    return httpx.Client(base_url=base_url, trust_env=False, timeout=30.0, **kwargs)


def issue_link(client: httpx.Client, api_key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/links`` and return the 201 body (fails the test on any other status)."""
    response = client.post(
        "/api/v1/links", json=dict(body), headers={"Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json()
    return link


def race_one_link(
    client: httpx.Client, path: str, attempts: int, email: str = "racer@example.com"
) -> Counter[int]:
    """Open the cart page ``attempts`` times, then send every form at once; returns the statuses.

    Each POST carries its own CSRF token, as ``attempts`` browser tabs would.
    """
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        pages = list(pool.map(lambda _: client.get(path), range(attempts)))
        assert {page.status_code for page in pages} == {200}
        tokens = [csrf_of(page.text) for page in pages]
        start = threading.Barrier(attempts)

        def post(token: str) -> int:
            start.wait()
            # With a billing address: the racers' links may hold the physical kit.
            form = {"csrf_token": token, "email": email, "first_name": "Race", **BERLIN}
            return client.post(path, data=form).status_code

        return Counter(pool.map(post, tokens))


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``GET /metrics`` parsed to ``{(sample name, sorted labels): value}``."""
    response = client.get("/metrics", headers=METRICS_AUTH)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(
    samples: Mapping[tuple[str, tuple[tuple[str, str], ...]], float],
    name: str,
    **labels: str,
) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels`` (0 if none)."""
    wanted = set(labels.items())
    return sum(value for (n, lbl), value in samples.items() if n == name and wanted <= set(lbl))


def worker_pids(master: int) -> list[int]:
    """The children of gunicorn's master, read from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == master and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def kill_workers(
    guns: list[ProcessServer],
    done: threading.Event,
    kills: list[int],
    *,
    seed: int,
    every: float,
    most: int,
) -> None:
    """SIGKILL a random gunicorn worker every ``every`` seconds, up to ``most``, until ``done``."""
    rng = random.Random(seed)
    masters = [gun._proc.pid for gun in guns if gun._proc is not None]
    while not done.wait(every) and len(kills) < most:
        pids = [pid for master in masters for pid in worker_pids(master)]
        if pids:
            victim = rng.choice(pids)
            try:
                os.kill(victim, signal.SIGKILL)
                kills.append(victim)
            except ProcessLookupError:
                pass
