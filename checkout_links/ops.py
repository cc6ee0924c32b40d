"""Operations endpoints: liveness, readiness and metrics."""

from __future__ import annotations

from flask import Blueprint, Flask, Response

from checkout_links.jsonutil import dumps
from checkout_links.services import services
from checkout_links.store import as_store_error, check_durability

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return Response(b'{"status":"ok"}', mimetype="application/json")


@bp.get("/readyz")
def readyz() -> Response:
    client = services().redis
    try:
        client.ping()
        warnings = check_durability(client)
    except Exception as exc:  # any store failure means "not ready", never a 500
        if as_store_error(exc) is None:
            raise
        down = {"status": "unavailable", "redis": "unreachable"}
        return Response(
            dumps(down), status=503, mimetype="application/json", headers={"Retry-After": "5"}
        )
    body: dict[str, object] = {"status": "ready", "redis": "ok", "warnings": warnings}
    return Response(dumps(body), mimetype="application/json")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
