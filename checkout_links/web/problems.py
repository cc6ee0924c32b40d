"""The one place that turns errors into answers.

:class:`~checkout_links.core.errors.CheckoutError` (and Werkzeug's HTTP
errors) become RFC 9457 ``application/problem+json`` under
``/api/`` and an HTML page everywhere else. Views never build error bodies.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from checkout_links.core.errors import (
    CheckoutError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    StoreUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.web.customer import pages

_HTTP_TITLES = {405: "Method not allowed", 400: "Bad request"}


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def problem_response(exc: CheckoutError, **extensions: object) -> Response:
    """Render ``exc`` as RFC 9457 problem+json; ``extensions`` are added as members."""
    body: dict[str, Any] = {
        "type": f"https://checkout-links.dev/problems/{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        **extensions,
    }
    if exc.errors is not None:
        body["errors"] = exc.errors
    response = Response(dumps(body), status=exc.status, mimetype="application/problem+json")
    response.headers.update(exc.headers)
    return response


def _page(exc: CheckoutError) -> Response:
    html = pages.error_page(exc)
    response = Response(html, status=exc.status, mimetype="text/html")
    response.headers.update(exc.headers)
    return response


def render_error(exc: CheckoutError) -> Response:
    """Problem+json for the API, an HTML page for everything else."""
    return problem_response(exc) if _wants_problem() else _page(exc)


def _from_http(exc: HTTPException) -> CheckoutError:
    status = exc.code or 500
    mapped: dict[int, type[CheckoutError]] = {
        401: Unauthorized,
        404: NotFound,
        409: Conflict,
        413: PayloadTooLarge,
        415: UnsupportedMediaType,
        422: ValidationFailed,
    }
    if status in mapped:
        ours = mapped[status]()
    else:
        ours = CheckoutError(exc.description or "")
        ours.status = status
        ours.title = _HTTP_TITLES.get(status, exc.name)
        ours.slug = exc.name.lower().replace(" ", "-")
    if status == 413:
        ours.detail = "The request body is over the size limit."
    for name in ("Allow", "Retry-After"):
        value = exc.get_headers() and dict(exc.get_headers()).get(name)
        if value:
            ours.headers[name] = value
    return ours


def init_app(app: Flask) -> None:
    """Register the single error boundary of the app."""

    @app.errorhandler(CheckoutError)
    def _ours(exc: CheckoutError) -> Response:
        if isinstance(exc, StoreUnavailable):
            app.logger.warning("ledger store unavailable: %s", exc.cause_name)
        elif exc.status >= 500:
            app.logger.exception("unhandled checkout error")
        return render_error(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return render_error(_from_http(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return render_error(CheckoutError("An unexpected error occurred."))
