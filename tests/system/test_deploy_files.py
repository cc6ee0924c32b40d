"""Pin the shipped deployment files: what they promise and that the real servers accept them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
import yaml
from gunicorn.config import Config

from checkout_links.core.config import MAX_REQUEST_LINE
from checkout_links.serving.access_log import ACCESS_LOG_FORMAT
from checkout_links.testing.realapp import render_nginx_conf
from checkout_links.testing.servers import HOST, ProcessServer, free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
NGINX_CONF = DEPLOY / "nginx.conf"
K8S = DEPLOY / "k8s"
TOKEN = "T0k-_" * 2000
# Longest token whose "GET /c/<token> HTTP/1.1" line is exactly MAX_REQUEST_LINE bytes.
TOKEN_AT_LIMIT = TOKEN[: MAX_REQUEST_LINE - len("GET /c/ HTTP/1.1")]

# Debian puts nginx in /usr/sbin, which is not on a normal user's PATH.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


# --- helpers ----------------------------------------------------------------------------


def yaml_docs(path: Path) -> list[dict[str, Any]]:
    """Every document in the YAML file at ``path``."""
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def k8s(kind: str, name: str) -> dict[str, Any]:
    """The one manifest of ``kind`` named ``name`` under deploy/k8s."""
    found = [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        for doc in yaml_docs(path)
        if doc.get("kind") == kind and doc.get("metadata", {}).get("name") == name
    ]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def nginx_argv(prefix: Path, conf: Path, *extra: str) -> list[str]:
    """Run nginx in the foreground with ``prefix`` for its pid and temp files."""
    # As root, nginx's workers would drop to "nobody", which cannot enter pytest's
    # private temp dirs to write request bodies there.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    assert NGINX is not None
    return [NGINX, "-p", f"{prefix}/", "-e", "stderr", "-c", str(conf), "-g", directives, *extra]


def raw_http(port: int, request_line: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
    """Send one request over a fresh connection; returns status, headers and body."""
    head = "\r\n".join([request_line, "Host: pay.example.com", *headers, "Connection: close"])
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
            data += chunk
        header_block, _, body = data.partition(b"\r\n\r\n")
        status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
        fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in header_lines)}
        # Read by Content-Length, not to EOF: after an early answer (413) nginx
        # keeps the connection open a while for the body it will not read.
        length = int(fields.get("content-length", sys.maxsize))
        while len(body) < length and (chunk := sock.recv(65536)):
            body += chunk
    return int(status_line.split()[1]), fields, body


def gunicorn_settings(env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The module namespace of deploy/gunicorn.conf.py read under ``env``."""
    unset = (
        "CHECKOUT_REDIS_URL",
        "CHECKOUT_BIND",
        "FORWARDED_ALLOW_IPS",
        "PROMETHEUS_MULTIPROC_DIR",
    )
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


STUB_APP = """
import json

def app(environ, start_response):
    body = json.dumps({
        "raw_uri_length": len(environ["RAW_URI"]),
        "request_id": environ.get("HTTP_X_REQUEST_ID"),
        "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def gunicorn_argv(app_dir: Path) -> list[str]:
    """gunicorn with the shipped config, serving the stub app in ``app_dir``."""
    (app_dir / "stub_app.py").write_text(STUB_APP, encoding="utf-8")
    conf = ["-c", str(GUNICORN_CONF), "--pythonpath", str(app_dir)]
    return [sys.executable, "-m", "gunicorn", *conf, "stub_app:app"]


@pytest.fixture(scope="module")
def stub_gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    """Real gunicorn with deploy/gunicorn.conf.py, two workers, a stale metrics file."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    multiproc = tmp / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_1.db").write_bytes(b"left by a dead master")
    port = free_port()
    env = {
        "CHECKOUT_BIND": f"{HOST}:{port}",
        "CHECKOUT_REDIS_URL": "redis://127.0.0.1:1/0",  # the stub never connects
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
    }
    server = ProcessServer(
        gunicorn_argv(tmp), port=port, log_path=tmp / "gunicorn.log", env=env, cwd=REPO
    )
    with server:
        server.wait_http("/healthz", timeout=30)
        yield server


# --- every file ---------------------------------------------------------------------------


def test_every_yaml_file_parses() -> None:
    """Each YAML file under deploy/ parses, and each document in it is a mapping."""
    paths = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
    assert len(paths) >= 9
    for path in paths:
        docs = yaml_docs(path)
        assert docs, path
        assert all(isinstance(doc, dict) for doc in docs), path


# --- compose ------------------------------------------------------------------------------


def test_compose_puts_three_app_replicas_behind_nginx() -> None:
    """nginx waits for app1..app3, which share one image and settings, and proxies to them."""
    services = yaml_docs(DEPLOY / "compose.yaml")[0]["services"]
    apps = [services[name] for name in ("app1", "app2", "app3")]
    assert all(app == apps[0] for app in apps)
    env = apps[0]["environment"]
    assert env["CHECKOUT_PROXY_HOPS"] == "1"
    # Both hold secrets (the Redis URL its password), so both come from secrets.env.
    assert "CHECKOUT_SECRET_KEYS" not in env
    assert "CHECKOUT_REDIS_URL" not in env
    assert apps[0]["env_file"] == "secrets.env"
    example = (DEPLOY / "secrets.env.example").read_text()
    assert example.count("CHECKOUT_SECRET_KEYS=") == 1
    assert "CHECKOUT_REDIS_URL=redis://:REPLACE-ME@redis:6379/0" in example.splitlines()
    nginx = services["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["depends_on"] == {
        name: {"condition": "service_healthy"} for name in ("app1", "app2", "app3")
    }
    upstreams = re.findall(r"server (\S+);\s+# upstream-server", NGINX_CONF.read_text())
    assert upstreams == ["app1:8000", "app2:8000", "app3:8000"]


def test_compose_runs_workers_and_a_persistent_redis() -> None:
    """Two workers run `checkout-links worker`, Redis runs redis.conf on a volume, all checked."""
    services = yaml_docs(DEPLOY / "compose.yaml")[0]["services"]
    worker = services["worker"]
    assert worker["command"] == ["checkout-links", "worker"]
    assert worker["deploy"]["replicas"] == 2
    # Only gunicorn creates the metrics directory; the worker must not expect one.
    assert "PROMETHEUS_MULTIPROC_DIR" not in worker["environment"]
    redis_service = services["redis"]
    assert "./redis.conf:/usr/local/etc/redis/redis.conf:ro" in redis_service["volumes"]
    assert "redis-data:/data" in redis_service["volumes"]
    assert redis_service["command"][:2] == ["sh", "-c"]
    assert redis_service["command"][2].startswith(
        "exec redis-server /usr/local/etc/redis/redis.conf --requirepass"
    )
    assert redis_service["env_file"] == "secrets.env"
    for name, service in services.items():
        assert "test" in service["healthcheck"], name
        for dependency in service.get("depends_on", {}).values():
            assert dependency == {"condition": "service_healthy"}, name


# --- redis --------------------------------------------------------------------------------


def redis_directives() -> dict[str, str]:
    """The last value of each directive in deploy/redis.conf."""
    lines = (line.strip() for line in (DEPLOY / "redis.conf").read_text().splitlines())
    pairs = (line.split(None, 1) for line in lines if line and not line.startswith("#"))
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


def test_redis_conf_keeps_every_acknowledged_spend() -> None:
    """AOF with fsync on every write, kept during rewrites, and no eviction of spent marks."""
    conf = redis_directives()
    assert conf["appendonly"] == "yes"
    assert conf["appendfsync"] == "always"
    assert conf["no-appendfsync-on-rewrite"] == "no"
    assert conf["maxmemory-policy"] == "noeviction"


@needs_redis
def test_redis_server_runs_the_shipped_config(tmp_path: Path) -> None:
    """A real redis-server starts from redis.conf with AOF, noeviction and no FLUSHALL."""
    port = free_port()
    argv = ["redis-server", str(DEPLOY / "redis.conf"), "--port", str(port), "--bind", HOST]
    with ProcessServer(argv, port=port, log_path=tmp_path / "redis.log", cwd=tmp_path) as server:
        server.wait_port()
        with redis.Redis(host=HOST, port=port, decode_responses=True) as conn:
            assert conn.config_get("appendonly") == {"appendonly": "yes"}
            assert conn.config_get("appendfsync") == {"appendfsync": "always"}
            assert conn.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
            with pytest.raises(redis.ResponseError, match="unknown command"):
                conn.flushall()


# --- kubernetes -------------------------------------------------------------------------


def test_k8s_deployment_probes_and_locks_down_the_web_pods() -> None:
    """3 web pods: /readyz readiness, /healthz liveness, non-root, read-only root, emptyDirs."""
    deployment = k8s("Deployment", "checkout-links-web")
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port_names = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert port_names == {"http": 8000}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"requests", "limits"} <= container["resources"].keys()
    env = {item["name"]: item["value"] for item in container["env"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    empty_dirs = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
    assert {mounts["/tmp"], mounts[env["PROMETHEUS_MULTIPROC_DIR"]]} <= empty_dirs
    sources = container["envFrom"]
    assert {
        "configMapRef": {"name": k8s("ConfigMap", "checkout-links-config")["metadata"]["name"]}
    } in sources
    assert {
        "secretRef": {"name": k8s("Secret", "checkout-links-secrets")["metadata"]["name"]}
    } in sources


def test_k8s_worker_runs_the_worker_command() -> None:
    """The worker Deployment runs `checkout-links worker` from the same settings, locked down."""
    worker = k8s("Deployment", "checkout-links-worker")
    pod = worker["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["checkout-links", "worker"]
    web_pod = k8s("Deployment", "checkout-links-web")["spec"]["template"]["spec"]
    assert container["envFrom"] == web_pod["containers"][0]["envFrom"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_k8s_service_hpa_and_pdb_target_the_web_pods_only() -> None:
    """Service, HPA and PDB select the web pods (not the workers); HPA at 70 % CPU, PDB keeps 2."""
    web = k8s("Deployment", "checkout-links-web")
    web_labels = web["spec"]["template"]["metadata"]["labels"]
    worker = k8s("Deployment", "checkout-links-worker")
    worker_labels = worker["spec"]["template"]["metadata"]["labels"]
    assert web["spec"]["selector"]["matchLabels"].items() <= web_labels.items()

    service = k8s("Service", "checkout-links-web")
    assert service["spec"]["selector"].items() <= web_labels.items()
    assert not service["spec"]["selector"].items() <= worker_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"

    pdb = k8s("PodDisruptionBudget", "checkout-links-web")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["minAvailable"] == 2
    assert pdb["spec"]["selector"]["matchLabels"].items() <= web_labels.items()
    assert not pdb["spec"]["selector"]["matchLabels"].items() <= worker_labels.items()

    hpa = k8s("HorizontalPodAutoscaler", "checkout-links-web")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", web["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}


def test_k8s_example_secret_holds_only_refused_placeholders() -> None:
    """The example Secret's values are marked placeholders too short for the app to accept."""
    secret = k8s("Secret", "checkout-links-secrets")
    for value in secret["stringData"].values():
        assert "REPLACE-ME" in value
        assert len(value) < 32
    kustomization = yaml_docs(K8S / "kustomization.yaml")[0]
    assert "secret.example.yaml" not in kustomization["resources"]
    others = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == others


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_ships_only_the_venv_and_runs_as_non_root() -> None:
    """The final stage copies the venv, runs as a non-root user, checks /healthz with Python."""
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert len(stages) == 2
    assert stages[0].startswith("${PYTHON_IMAGE} AS builder")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    final = stages[1]
    assert "COPY --from=builder /opt/venv /opt/venv" in final
    assert not re.search(r"apt-get|build-essential|gcc", final)
    assert re.search(r"^USER 10001", final, flags=re.MULTILINE)
    assert "EXPOSE 8000" in final
    healthcheck = final[final.index("HEALTHCHECK") :].split("\nCMD")[0]
    assert "/healthz" in healthcheck
    assert "python" in healthcheck
    assert "curl" not in healthcheck
    assert final.rstrip().endswith('CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]')


def test_only_instances_behind_nginx_run_gthread() -> None:
    """The image and k8s pods run gevent; compose's apps, reached only through nginx, gthread."""
    final = re.split(r"^FROM ", (DEPLOY / "Dockerfile").read_text(), flags=re.MULTILINE)[-1]
    assert re.search(r"^\s+GUNICORN_WORKER_CLASS=gevent$", final, flags=re.MULTILINE)
    assert k8s("ConfigMap", "checkout-links-config")["data"]["GUNICORN_WORKER_CLASS"] == "gevent"
    compose = yaml_docs(DEPLOY / "compose.yaml")[0]
    assert compose["x-app"]["environment"]["GUNICORN_WORKER_CLASS"] == "gthread"
    published = [name for name, svc in compose["services"].items() if svc.get("ports")]
    assert published == ["nginx"]


def test_gunicorn_conf_refuses_an_unknown_worker_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """GUNICORN_WORKER_CLASS takes gthread or gevent only, and says so."""
    with pytest.raises(RuntimeError, match="GUNICORN_WORKER_CLASS must be gthread or gevent"):
        gunicorn_settings({"GUNICORN_WORKER_CLASS": "sync"}, monkeypatch)


# --- gunicorn -----------------------------------------------------------------------------


def test_gunicorn_conf_accepts_the_longest_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn.conf.py accepts request lines of exactly the app's MAX_REQUEST_LINE (8190)."""
    settings = gunicorn_settings({"CHECKOUT_REDIS_URL": "redis://redis:6379/0"}, monkeypatch)
    assert settings["limit_request_line"] == MAX_REQUEST_LINE == 8190
    assert settings["limit_request_field_size"] >= MAX_REQUEST_LINE
    match = re.search(r"large_client_header_buffers\s+\d+\s+(\d+)k;", NGINX_CONF.read_text())
    assert match is not None
    # nginx must hold the line and its CRLF in one buffer.
    assert int(match.group(1)) * 1024 >= MAX_REQUEST_LINE + 2


def test_gunicorn_conf_production_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a Redis URL: preloaded gthread workers, recycling, JSON access log on stdout."""
    settings = gunicorn_settings({"CHECKOUT_REDIS_URL": "redis://redis:6379/0"}, monkeypatch)
    assert settings["preload_app"] is True
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] == 4
    assert settings["bind"] == "0.0.0.0:8000"
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (10_000, 1_000)
    assert (settings["timeout"], settings["graceful_timeout"], settings["keepalive"]) == (30, 30, 5)
    assert settings["forwarded_allow_ips"] == "127.0.0.1"
    assert settings["accesslog"] == "-"
    assert settings["logger_class"] == "checkout_links.serving.access_log.RedactingLogger"
    assert settings["access_log_format"] == ACCESS_LOG_FORMAT


def test_gunicorn_conf_reads_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """GUNICORN_* and CHECKOUT_BIND override the defaults; a bad number names its variable."""
    env = {
        "CHECKOUT_REDIS_URL": "redis://redis:6379/0",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_THREADS": "8",
        "CHECKOUT_BIND": "127.0.0.1:9000",
    }
    settings = gunicorn_settings(env, monkeypatch)
    assert (settings["workers"], settings["threads"], settings["bind"]) == (3, 8, "127.0.0.1:9000")
    with pytest.raises(RuntimeError, match="GUNICORN_WORKERS must be an integer"):
        gunicorn_settings({**env, "GUNICORN_WORKERS": "many"}, monkeypatch)
    with pytest.raises(RuntimeError, match="GUNICORN_THREADS must be at least 1"):
        gunicorn_settings({**env, "GUNICORN_THREADS": "0"}, monkeypatch)


def test_gunicorn_conf_refuses_fakeredis_in_several_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without CHECKOUT_REDIS_URL, on_starting refuses 2 workers and worker recycling."""
    settings = gunicorn_settings({"GUNICORN_WORKERS": "2"}, monkeypatch)
    assert settings["max_requests"] == 0
    cfg = Config()
    cfg.set("workers", 2)
    with pytest.raises(RuntimeError, match="CHECKOUT_REDIS_URL is unset"):
        settings["on_starting"](SimpleNamespace(cfg=cfg))
    cfg.set("workers", 1)
    cfg.set("max_requests", 100)
    with pytest.raises(RuntimeError, match="GUNICORN_MAX_REQUESTS"):
        settings["on_starting"](SimpleNamespace(cfg=cfg))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GUNICORN_WORKERS": "2"}, "gunicorn would start 2 workers"),
        ({"GUNICORN_WORKERS": "1", "GUNICORN_MAX_REQUESTS": "50"}, "GUNICORN_MAX_REQUESTS"),
    ],
)
def test_gunicorn_exits_rather_than_split_a_fakeredis_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    """Real gunicorn exits 1 with a clear message when a fakeredis ledger would be split."""
    monkeypatch.delenv("CHECKOUT_REDIS_URL", raising=False)
    env = {**env, "CHECKOUT_BIND": f"{HOST}:{free_port()}"}
    result = subprocess.run(
        gunicorn_argv(tmp_path),
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert message in result.stderr


def test_gunicorn_names_every_bad_setting_in_one_line(tmp_path: Path) -> None:
    """gunicorn with the shipped config and the real app, started with bad settings, exits 1
    with one `Error:` line naming each bad variable in our words: no traceback, no pydantic
    prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKOUT_")}
    env |= {
        "CHECKOUT_SECRET_KEYS": "short",
        "CHECKOUT_BASE_URL": "pay.example.com",
        "CHECKOUT_BIND": f"{HOST}:{free_port()}",
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"]
    done = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Value error" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert line.startswith("Error: CHECKOUT_SECRET_KEYS: each secret key must be at least 32")
    assert "; CHECKOUT_BASE_URL: must be an origin such as https://pay.example.com" in line


def test_gunicorn_serves_the_longest_link_and_logs_it_cut(
    stub_gunicorn: ProcessServer,
) -> None:
    """Real gunicorn answers an 8,190-byte request line, refuses 8,191, and logs no token."""
    status, _, body = raw_http(stub_gunicorn.port, f"GET /c/{TOKEN_AT_LIMIT} HTTP/1.1")
    assert status == 200
    assert json.loads(body)["raw_uri_length"] == len(f"/c/{TOKEN_AT_LIMIT}")
    status, _, _ = raw_http(stub_gunicorn.port, f"GET /c/{TOKEN_AT_LIMIT}x HTTP/1.1")
    assert status in {400, 414}  # gunicorn 27 says 414, older releases 400
    status, _, _ = raw_http(stub_gunicorn.port, f"POST /c/{TOKEN[:2000]}?utm=mail-42 HTTP/1.1")
    assert status == 200
    log = stub_gunicorn.wait_log("the POST's access line", lambda text: "POST" in text)
    assert TOKEN[:9] not in log
    assert "mail-42" not in log
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    posted = {record["path"] for record in records if record["method"] == "POST"}
    assert f"/c/{TOKEN[:8]}…" in posted


def test_gunicorn_replaces_stale_metric_files(stub_gunicorn: ProcessServer) -> None:
    """On start, files a dead master left in PROMETHEUS_MULTIPROC_DIR are removed."""
    multiproc = Path(stub_gunicorn.env["PROMETHEUS_MULTIPROC_DIR"])
    assert multiproc.is_dir()
    assert not (multiproc / "counter_1.db").exists()


# --- nginx --------------------------------------------------------------------------------


@needs_nginx
def test_nginx_accepts_the_shipped_config(tmp_path: Path) -> None:
    """`nginx -t` passes on nginx.conf with its upstream hostnames pointed at 127.0.0.1."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx_conf([f"{HOST}:8000"] * 3, f"{HOST}:{free_port()}"))
    result = subprocess.run(
        nginx_argv(tmp_path, conf, "-t"), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@contextlib.contextmanager
def nginx_in_front_of(tmp_path: Path, upstreams: Sequence[str]) -> Iterator[ProcessServer]:
    """Real nginx running deploy/nginx.conf, balancing over ``upstreams``."""
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx_conf(upstreams, f"{HOST}:{port}"))
    with ProcessServer(
        nginx_argv(tmp_path, conf), port=port, log_path=tmp_path / "nginx.log"
    ) as nginx:
        nginx.wait_port()
        yield nginx


@contextlib.contextmanager
def dropping_upstream() -> Iterator[tuple[int, list[str]]]:
    """An upstream that reads each request and hangs up without answering.

    Yields its port and the request lines it read: the app "saw" these requests.
    """
    seen: list[str] = []
    listener = socket.create_server((HOST, 0))
    listener.settimeout(0.1)  # so the thread notices `done` without a connection
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                seen.append(conn.recv(65536).decode("latin-1").split("\r\n", 1)[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        done.set()
        thread.join(timeout=5)
        listener.close()


@needs_nginx
def test_nginx_passes_the_longest_link_and_logs_it_cut(
    tmp_path: Path, stub_gunicorn: ProcessServer
) -> None:
    """Through nginx, an 8,190-byte request line reaches gunicorn whole, with a request id, and
    the access log cuts tokens and confirmation references to 8 characters."""
    with nginx_in_front_of(tmp_path, [f"{HOST}:{stub_gunicorn.port}"] * 3) as nginx:
        status, headers, body = raw_http(nginx.port, f"GET /c/{TOKEN_AT_LIMIT} HTTP/1.1")
        seen = json.loads(body)
        assert status == 200
        assert seen["raw_uri_length"] == len(f"/c/{TOKEN_AT_LIMIT}")
        assert seen["forwarded_for"] == HOST
        assert re.fullmatch(r"[0-9a-f]{32}", seen["request_id"])
        assert headers["x-request-id"] == seen["request_id"]
        line = "GET /healthz?probe=1 HTTP/1.1"
        status, _, body = raw_http(nginx.port, line, "X-Request-ID: trace-0042")
        assert status == 200
        assert json.loads(body)["request_id"] == "trace-0042"
        for prefix in ("/done/", "/%64one/"):
            status, _, _ = raw_http(nginx.port, f"GET {prefix}{TOKEN[:90]} HTTP/1.1")
            assert status == 200
    log = nginx.log_text()
    assert TOKEN[:9] not in log
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    # Each nginx worker writes its own records, so the file's order is not the requests'.
    assert sorted(record["path"] for record in records) == sorted(
        [
            f"/c/{TOKEN[:8]}…",
            "/healthz?…",
            f"/done/{TOKEN[:8]}…",
            f"/%64one/{TOKEN[:8]}…",
        ]
    )


@needs_nginx
def test_nginx_answers_oversized_bodies_as_problem_json_and_hides_metrics(
    tmp_path: Path, stub_gunicorn: ProcessServer
) -> None:
    """A body over 1 MiB gets nginx's 413 as problem+json; /metrics is not served publicly."""
    with nginx_in_front_of(tmp_path, [f"{HOST}:{stub_gunicorn.port}"]) as nginx:
        too_long = f"Content-Length: {1024 * 1024 + 1}"
        line = "POST /api/v1/links HTTP/1.1"
        status, headers, body = raw_http(nginx.port, line, too_long)
        assert status == 413
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == 413
        status, _, _ = raw_http(nginx.port, "GET /metrics HTTP/1.1")
        assert status == 404


@needs_nginx
def test_nginx_never_resends_a_post_the_app_may_have_seen(
    tmp_path: Path, stub_gunicorn: ProcessServer
) -> None:
    """A POST whose replica hung up gets 502 and is not replayed on another replica."""
    with (
        dropping_upstream() as (dropping_port, seen),
        nginx_in_front_of(
            tmp_path, [f"{HOST}:{dropping_port}", f"{HOST}:{stub_gunicorn.port}"]
        ) as nginx,
    ):
        answers = {}
        for n in range(4):
            line = f"POST /c/post-{n} HTTP/1.1"
            answers[line] = raw_http(nginx.port, line, "Content-Length: 0")[0]
    assert seen, "no POST reached the dropping replica"
    # What the dropping replica saw failed; nothing it saw reached gunicorn too.
    assert {answers[line] for line in seen} == {502}
    assert all(answers[line] == 200 for line in answers.keys() - set(seen))
    assert not any(line.split()[1] in stub_gunicorn.log_text() for line in seen)


@needs_nginx
def test_nginx_retries_a_get_on_another_replica(
    tmp_path: Path, stub_gunicorn: ProcessServer
) -> None:
    """A GET whose replica hung up is answered by another replica, so the customer sees 200."""
    with (
        dropping_upstream() as (dropping_port, seen),
        nginx_in_front_of(
            tmp_path, [f"{HOST}:{dropping_port}", f"{HOST}:{stub_gunicorn.port}"]
        ) as nginx,
    ):
        statuses = [raw_http(nginx.port, f"GET /c/get-{n} HTTP/1.1")[0] for n in range(4)]
    assert seen, "no GET reached the dropping replica"
    assert statuses == [200] * 4
