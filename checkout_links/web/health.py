"""Operations endpoints: liveness, readiness and metrics."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Histogram

from checkout_links import metrics
from checkout_links.core.errors import NotFound, StoreUnavailable, Unauthorized
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.storage.connection import check_durability
from checkout_links.web.extensions import services
from checkout_links.web.problems import problem_response

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', mimetype="application/json")


@bp.get("/readyz")
def readyz() -> Response:
    """200 with the store's durability warnings; 503 problem+json while the store is down."""
    client = services().redis
    try:
        client.ping()
        warnings = check_durability(client)
    except StoreUnavailable as exc:
        # Not ready, never a 500; the problem names the check that failed, as the
        # 200 answer names the one that passed.
        return problem_response(exc, redis="unreachable")
    body: dict[str, object] = {"status": "ready", "redis": "ok", "warnings": warnings}
    return Response(dumps(body), mimetype="application/json")


#: Labelled children by (endpoint, method, status): ``labels()`` costs more
#: than the observation itself, and the set of keys is small and fixed.
_children: dict[tuple[str, str, int], Histogram] = {}


@bp.get("/metrics")
def metrics_view() -> Response:
    """Prometheus text for a caller with ``CHECKOUT_METRICS_TOKEN``; 404 when it is unset.

    The app cannot tell a private bind from one that faces clients, so without a
    token it shows nothing: the numbers (orders, refusals, endpoints) are the
    merchants' business, not the internet's.
    """
    token = services().settings.metrics_token
    if token is None:
        raise NotFound("No such page.")
    expected = b"Bearer " + token.get_secret_value().encode()
    given = request.headers.get("Authorization", "").encode("latin-1", "replace")
    if not hmac.compare_digest(given, expected):
        raise Unauthorized("Send Authorization: Bearer and the CHECKOUT_METRICS_TOKEN.")
    # Marked no-store, like every page outside /api/, by web/customer/headers.py.
    return Response(metrics.render(), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Register the endpoints and the request-latency hooks."""
    app.register_blueprint(bp)

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            # The endpoint name, never the path: paths hold tokens and ids.
            key = (request.endpoint or "unmatched", request.method, response.status_code)
            child = _children.get(key)
            if child is None:
                child = _children[key] = metrics.REQUEST_LATENCY.labels(key[0], key[1], str(key[2]))
            child.observe(time.perf_counter() - started)
        return response
