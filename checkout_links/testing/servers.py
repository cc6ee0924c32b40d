"""Start real servers from Debian packages on 127.0.0.1 for integration tests.

Every child runs in its own session so a kill reaches its workers too (nginx workers do not
die with their master), is registered for atexit cleanup, and on Linux asks the kernel to
SIGKILL it if the test runner itself dies hard, so no redis-server outlives a test run.
"""

from __future__ import annotations

import abc
import atexit
import contextlib
import ctypes
import functools
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

HOST = "127.0.0.1"

_handed_out: set[int] = set()
_live: set[ProcessServer] = set()
# Resolved in the parent: calling dlopen between fork and exec can deadlock on the loader lock.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


class ServerStartError(RuntimeError):
    """A server process exited while starting; the message carries its log tail."""


def free_port() -> int:
    """Return a loopback TCP port that is free now and was not handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            port: int = sock.getsockname()[1]
        # bind(0) may return the same port again while the first caller has not bound it yet.
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def _connects(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=0.5):
        return True


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Block until something accepts TCP connections on host:port, else raise TimeoutError."""
    wait_until(f"TCP accept on {host}:{port}", functools.partial(_connects, host, port), timeout)


def wait_until(
    what: str, check: Callable[[], bool], timeout: float, proc: ProcessServer | None = None
) -> None:
    """Poll check() until true; fail fast with the log tail if proc dies meanwhile."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        if proc is not None and not proc.running:
            proc.kill()  # reap it so the exit code is known and nothing lingers
            raise ServerStartError(
                f"{proc.name} exited with code {proc.returncode} while waiting for {what}\n"
                + proc.log_tail()
            )
        try:
            if check():
                return
        except (OSError, http.client.HTTPException, redis.RedisError) as exc:
            last = exc
        if time.monotonic() >= deadline:
            why = f" (last error: {last!r})" if last is not None else ""
            tail = "\n" + proc.log_tail() if proc is not None else ""
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}{why}{tail}")
        time.sleep(0.05)


def _die_with_parent() -> None:
    # Runs in the child before exec. The signal fires when the *thread* that forked exits,
    # so start servers from the main thread (pytest fixtures do), never from a thread pool.
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _Managed(abc.ABC):
    """`with server:` starts it and always stops it, even when the body raises."""

    @abc.abstractmethod
    def start(self) -> Self: ...

    @abc.abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ProcessServer(_Managed):
    """Any argv listening on 127.0.0.1:port, stdout+stderr appended to log_path.

    env is layered over os.environ. start() may be called again after stop()/kill().
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        port: int,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        name: str | None = None,
    ) -> None:
        self.argv, self.port, self.log_path = list(argv), port, log_path
        self.env, self.cwd = dict(env or {}), cwd
        self.name = name or f"{Path(self.argv[0]).name}:{port}"
        self.url = f"http://{HOST}:{port}"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    @property
    def running(self) -> bool:
        if self._proc is None or self._proc.returncode is not None:
            return False
        # WNOWAIT leaves a dead leader as a zombie, so its pid (= our process group id) cannot
        # be recycled before _reap() SIGKILLs the group's stragglers.
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return os.waitid(os.P_PID, self._proc.pid, flags) is None

    def start(self) -> Self:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the fd
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        _live.add(self)
        return self

    def wait_port(self, timeout: float = 10.0) -> None:
        check = functools.partial(_connects, HOST, self.port)
        wait_until(f"TCP accept by {self.name}", check, timeout, self)

    def wait_http(self, path: str = "/healthz", timeout: float = 20.0) -> None:
        """Poll GET http://127.0.0.1:PORT{path} until it answers 200 (redirects do not count)."""

        def ok() -> bool:
            # http.client, not urllib: urllib would honour HTTP(S)_PROXY and follow redirects,
            # and either could send the probe somewhere other than 127.0.0.1.
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2.0)
            try:
                conn.request("GET", path)
                if (status := conn.getresponse().status) != 200:
                    raise http.client.HTTPException(f"HTTP {status}")  # shows up in the timeout
                return True
            finally:
                conn.close()

        wait_until(f"HTTP 200 from {self.name} on {path}", ok, timeout, self)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the leader so it shuts down cleanly; SIGKILL the group after timeout."""
        if self._proc is None or self._proc.returncode is not None:
            return
        if self.running:
            self._proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.02)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the whole process group and wait for the leader."""
        if self._proc is not None and self._proc.returncode is None:
            self._reap()

    def _reap(self) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        _live.discard(self)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, what: str, check: Callable[[str], bool], timeout: float = 10.0) -> str:
        """Poll the log until check(text) holds and return that text.

        Servers write access lines after the response has gone out, so a client that reads
        the log as soon as it has its answer can miss its own request's line.
        """
        seen = ""

        def ready() -> bool:
            nonlocal seen
            seen = self.log_text()
            return check(seen)

        wait_until(what, ready, timeout)
        return seen

    def log_tail(self, lines: int = 40) -> str:
        tail = "\n".join(self.log_text().splitlines()[-lines:])
        return f"--- last {lines} lines of {self.log_path} ---\n{tail}"


@atexit.register
def _kill_all() -> None:
    for server in list(_live):
        server.kill()


def _client(port: int) -> redis.Redis:
    # No retries: redis-py's default backoff would stall every poll for seconds and hide a
    # dead server; wait_until does the retrying, and tests want failures to surface at once.
    return redis.Redis(
        host=HOST, port=port, socket_timeout=2.0, decode_responses=True, retry=Retry(NoBackoff(), 0)
    )


def _command(port: int, *args: str) -> Any:
    with _client(port) as conn:
        return conn.execute_command(*args)


def _info(port: int, section: str) -> dict[str, str]:
    with _client(port) as conn:
        return {key: str(value) for key, value in conn.info(section).items()}


class RedisServer(_Managed):
    """One foreground redis-server; its AOF, redis.conf and redis.log live in `directory`.

    The port is fixed after the first successful start, so restart() replays the same AOF.
    """

    def __init__(
        self,
        directory: Path,
        *,
        appendonly: bool = True,
        appendfsync: str = "always",
        maxmemory_policy: str = "noeviction",
        extra: Sequence[str] = (),
        port: int | None = None,
        cluster: bool = False,
        name: str = "redis-server",
    ) -> None:
        self.directory, self.extra, self.cluster, self.name = directory, list(extra), cluster, name
        self.appendonly, self.appendfsync = appendonly, appendfsync
        self.maxmemory_policy = maxmemory_policy
        self._pinned = port is not None
        self.port = port if port is not None else free_port()
        # Explicit bus port: the default (port + 10000) may be taken or exceed 65535.
        self.bus_port = free_port() if cluster else None
        self.process: ProcessServer | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def client(self) -> redis.Redis:
        """A new decode_responses client without retries; the caller closes it."""
        return _client(self.port)

    def _argv(self) -> list[str]:
        # An (empty) config file makes CONFIG REWRITE work, which Sentinel uses on failover.
        (conf := self.directory / "redis.conf").touch()
        argv = ["redis-server", str(conf), "--port", str(self.port), "--bind", HOST]
        argv += ["--daemonize", "no", "--dir", str(self.directory), "--logfile", ""]
        argv += ["--protected-mode", "no", "--save", ""]  # no RDB: the AOF is what we test
        # Redis waits 5s for more replicas before a diskless full sync; tests have no time.
        argv += ["--repl-diskless-sync-delay", "0"]
        argv += ["--appendonly", "yes" if self.appendonly else "no"]
        argv += ["--appendfsync", self.appendfsync, "--maxmemory-policy", self.maxmemory_policy]
        if self.bus_port is not None:
            argv += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            argv += ["--cluster-port", str(self.bus_port)]
        return argv + self.extra

    def _launch(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = self.directory / "redis.log"
        self.process = ProcessServer(self._argv(), port=self.port, log_path=log, name=self.name)
        self.process.start()

    def _ready(self) -> bool:
        with _client(self.port) as conn:
            conn.ping()  # raises BusyLoadingError while the AOF is replayed
            return str(conn.info("persistence")["loading"]) == "0"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        for attempt in range(3):
            assert self.process is not None
            try:
                wait_until(
                    f"PING and loading:0 from {self.name}", self._ready, timeout, self.process
                )
                break
            except ServerStartError:
                # Another process (e.g. an xdist worker) took our port between free_port()
                # and bind; only a never-started server may move to new ports.
                if self._pinned or attempt == 2 or "in use" not in self.process.log_tail(5):
                    raise
                self.port = free_port()
                self.bus_port = free_port() if self.cluster else None
                self._launch()
        self._pinned = True

    def start(self) -> Self:
        self._launch()
        self._wait_ready()
        return self

    def stop(self) -> None:
        """SIGTERM: Redis fsyncs the AOF and exits (it may wait up to 10s for replicas)."""
        if self.process is not None:
            self.process.stop(timeout=30.0)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def restart(self) -> Self:
        self.stop()
        return self.start()
