"""The Redis connection: one client per process, built from ``CHECKOUT_REDIS_URL``.

Supported forms:

* ``redis://host:port/db`` and ``rediss://...`` (TLS): a single server;
* ``redis+sentinel://host:port,host:port/service_name/db``: Sentinel discovery
  of the current master (``rediss+sentinel`` is not supported); a host
  without a port means Sentinel's 26379;
* ``redis+cluster://host:port,host:port/``: Redis Cluster, from any seed nodes
  (6379 for a host without a port);
* unset: an in-process fakeredis (one process only, data lost at exit).

Every client this module hands out raises :class:`StoreUnavailable` (with the
Redis error as its ``__cause__``) when Redis cannot be reached, so the code
above the storage package never catches Redis's own exceptions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

import redis
import redis.exceptions
from redis.backoff import ExponentialWithJitterBackoff
from redis.client import Pipeline
from redis.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

from checkout_links.core.errors import ConfigError, StoreUnavailable

log = logging.getLogger(__name__)

Redis = redis.Redis

_COMMON: dict[str, Any] = {
    "socket_timeout": 2.0,
    "socket_connect_timeout": 2.0,
    "health_check_interval": 30,
}


def _retry() -> Retry:
    """One quick retry (a pooled connection the server dropped), so an outage answers 503 soon.

    redis-py 8's default is ten retries, and the health check retries inside
    each: against a silent (firewalled, hung) Redis one command then waits
    minutes, every gunicorn thread stalls and workers hit their 30 s timeout.
    With one retry it is ~9 s (about four 2 s socket timeouts). Retrying a
    spend is safe: the script recognises its own request's mark.
    """
    return Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), 1)


SENTINEL_PORT = 26379
CLUSTER_PORT = 6379
#: One entry of a host list: a name or IPv4 address, or an IPv6 one in brackets.
_HOST = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]/@,]+))(?::(?P<port>[0-9]{0,5}))?"
)


def parse_hosts(netloc: str, default_port: int) -> list[tuple[str, int]]:
    """``h1:p1,h2,[::1]:p3`` (user info ignored) as ``(host, port)`` pairs.

    A host without a port gets ``default_port``; IPv6 addresses are written in
    brackets, as in any URL. A malformed list is a :class:`ConfigError`.
    """
    hosts = []
    for part in netloc.rpartition("@")[2].split(","):
        match = _HOST.fullmatch(part)
        if match is None:
            raise ConfigError(f"CHECKOUT_REDIS_URL: {part!r} is not host[:port]")
        host = match["v6"] or match["name"]
        port = int(match["port"]) if match["port"] else default_port
        if not 0 < port < 65536:
            raise ConfigError(f"CHECKOUT_REDIS_URL: port {port} of {host!r} is out of range")
        hosts.append((host, port))
    return hosts


@dataclass(frozen=True, slots=True)
class SentinelUrl:
    """A ``redis+sentinel://`` URL, taken apart."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int
    password: str | None


def parse_sentinel_url(url: str) -> SentinelUrl:
    """The Sentinels, service name, db and master password of a ``redis+sentinel://`` URL."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unbalanced IPv6 bracket
        raise ConfigError(f"CHECKOUT_REDIS_URL: {exc}") from exc
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise ConfigError("CHECKOUT_REDIS_URL: sentinel URL needs /service_name[/db]")
    try:
        db = int(segments[1]) if len(segments) > 1 else 0
    except ValueError as exc:
        raise ConfigError("CHECKOUT_REDIS_URL: the sentinel URL's db must be a number") from exc
    return SentinelUrl(parse_hosts(parts.netloc, SENTINEL_PORT), segments[0], db, parts.password)


def connect(url: str | None) -> Redis:
    """Return a client for ``url``; the in-process fake when ``url`` is None."""
    if url is None:
        import fakeredis

        return guarded(fakeredis.FakeRedis(server=_fake_server()))
    parts = urlsplit(url)
    if parts.scheme == "redis+sentinel":
        target = parse_sentinel_url(url)
        common = {**_COMMON, "retry": _retry()}
        sentinel = Sentinel(target.sentinels, **common)
        master = sentinel.master_for(
            target.service, redis_class=StoreRedis, db=target.db, password=target.password, **common
        )
        return cast(Redis, master)
    if parts.scheme == "redis+cluster":
        seeds = parse_hosts(parts.netloc, CLUSTER_PORT)
        nodes = [ClusterNode(h, p) for h, p in seeds]  # type: ignore[no-untyped-call]
        cluster = StoreCluster(
            startup_nodes=nodes,
            password=parts.password,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
        )
        # RedisCluster speaks the same commands we use; the ledger keeps every
        # multi-key step inside one hash slot so the cluster can run it.
        return cast(Redis, cluster)
    return StoreRedis.from_url(url, **_COMMON, retry=_retry())


def guarded(client: Redis) -> Redis:
    """``client``, or a client on its connections, whose outages raise :class:`StoreUnavailable`.

    For clients built elsewhere (tests, an embedding application); those of
    :func:`connect` are guarded already.
    """
    if isinstance(client, (StoreRedis, StoreCluster)):
        return client
    if isinstance(client, RedisCluster):
        raise TypeError("build Redis Cluster clients with connect('redis+cluster://...')")
    return StoreRedis(connection_pool=client.connection_pool)


_FAKE_SERVER: Any = None


def _fake_server() -> Any:
    global _FAKE_SERVER
    if _FAKE_SERVER is None:
        import fakeredis

        _FAKE_SERVER = fakeredis.FakeServer(version=(7, 2))
    return _FAKE_SERVER


#: Redis cannot take the command now; anything else it raises is a bug of ours.
_STORE_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.MasterDownError,
)


def as_store_error(exc: BaseException) -> StoreUnavailable | None:
    """Map a Redis availability failure to :class:`StoreUnavailable`, else ``None``."""
    if isinstance(exc, _STORE_ERRORS):
        return StoreUnavailable()
    # redis-py raises OutOfMemoryError without the "OOM" code; a script's error keeps it.
    if isinstance(exc, redis.exceptions.OutOfMemoryError) or (
        isinstance(exc, redis.exceptions.ResponseError) and "OOM" in str(exc)
    ):
        return StoreUnavailable("The ledger store is out of memory; nothing was changed.")
    return None


def _reraise(exc: redis.exceptions.RedisError) -> NoReturn:
    """Raise ``exc`` as :class:`StoreUnavailable` if it is an outage, else as it is."""
    unavailable = as_store_error(exc)
    if unavailable is None:
        raise exc
    raise unavailable from exc


class StoreRedis(redis.Redis):
    """A Redis client whose outages raise :class:`StoreUnavailable`, the Redis error its cause.

    Commands, pipelines and registered scripts (``EVALSHA`` is a command) all
    go through :meth:`execute_command` or :meth:`StorePipeline.execute`.
    """

    def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except redis.exceptions.RedisError as exc:
            _reraise(exc)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> StorePipeline:
        return StorePipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)


class StorePipeline(Pipeline):
    """A pipeline of :class:`StoreRedis`: its outages raise :class:`StoreUnavailable` too."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        try:  # queues, unless the pipeline WATCHes: then it runs at once
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except redis.exceptions.RedisError as exc:
            _reraise(exc)

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return super().execute(raise_on_error)
        except redis.exceptions.RedisError as exc:
            _reraise(exc)


class StoreCluster(RedisCluster):
    """:class:`StoreRedis` for Redis Cluster."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]
        except redis.exceptions.RedisError as exc:
            _reraise(exc)

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> ClusterPipeline:
        pipe: ClusterPipeline = super().pipeline(transaction, shard_hint)  # type: ignore[no-untyped-call]
        # The cluster pipeline takes a dozen of the client's internals; rather
        # than copy that list, the one it built becomes ours (no state added).
        pipe.__class__ = StoreClusterPipeline
        return pipe


class StoreClusterPipeline(ClusterPipeline):
    """A pipeline of :class:`StoreCluster`: its outages raise :class:`StoreUnavailable` too."""

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return super().execute(raise_on_error)
        except redis.exceptions.RedisError as exc:
            _reraise(exc)


def check_durability(client: Redis) -> list[str]:
    """Warnings for Redis settings that can lose spends (eviction, no AOF)."""
    warnings: list[str] = []
    if isinstance(client, RedisCluster):
        return warnings  # checked per node by the operator; see docs/operations.md
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
        aof = client.config_get("appendonly").get("appendonly", "")
    except redis.exceptions.ResponseError:
        return warnings  # managed Redis often forbids CONFIG; nothing to check
    if policy not in ("noeviction", b"noeviction"):
        warnings.append(f"Redis maxmemory-policy is {policy!r}: spent marks can be evicted")
    if aof not in ("yes", b"yes"):
        warnings.append("Redis appendonly is off: a crash can forget spent links")
    return warnings
