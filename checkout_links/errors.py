"""One exception tree for the whole service, and the one place that renders it.

Domain code raises these; :func:`init_app` turns them into RFC 9457
``application/problem+json`` under ``/api/`` and into HTML pages elsewhere.
Messages never carry secrets, tokens or personal data.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException


class CheckoutError(Exception):
    """Base of every error the service raises on purpose."""

    status = 500
    title = "Internal error"
    slug = "internal"
    headers: dict[str, str]

    def __init__(self, detail: str = "", *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = {}


class ConfigError(CheckoutError):
    """A setting is missing or invalid; the process must not start."""

    title = "Invalid configuration"
    slug = "config"


class Unauthorized(CheckoutError):
    """No, unknown or revoked API key."""

    status = 401
    title = "Unauthorized"
    slug = "unauthorized"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer realm="checkout-links"'


class NotFound(CheckoutError):
    """Unknown id, or an id that belongs to another merchant."""

    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(CheckoutError):
    """The request conflicts with the current state (revoking a completed link...)."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class LinkGone(CheckoutError):
    """A link that was valid once but can no longer be used."""

    status = 410
    title = "Link no longer available"
    slug = "link-gone"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or f"This link is {reason}.")
        #: One of ``expired``, ``completed``, ``revoked``.
        self.reason = reason


class PayloadTooLarge(CheckoutError):
    """The request body is over ``CHECKOUT_MAX_BODY_BYTES``."""

    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class UnsupportedMediaType(CheckoutError):
    """The body is not ``application/json``."""

    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class ValidationFailed(CheckoutError):
    """The input does not satisfy the contract; ``errors`` says where."""

    status = 422
    title = "Validation failed"
    slug = "validation"


class InvalidToken(CheckoutError):
    """A token or id that does not verify; says nothing more on purpose."""

    status = 404
    title = "Not found"
    slug = "not-found"


class RateLimited(CheckoutError):
    """Too many requests; ``Retry-After`` says when to come back."""

    status = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(detail or "Rate limit exceeded; retry later.")
        self.headers["Retry-After"] = str(max(1, retry_after))


class StoreUnavailable(CheckoutError):
    """The ledger store (Redis) cannot be reached; nothing was written."""

    status = 503
    title = "Service unavailable"
    slug = "store-unavailable"

    def __init__(self, detail: str = "", retry_after: int = 5) -> None:
        super().__init__(detail or "The ledger store is unreachable; nothing was changed.")
        self.headers["Retry-After"] = str(retry_after)


_HTTP_TITLES = {405: "Method not allowed", 400: "Bad request"}


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def problem_response(exc: CheckoutError) -> Response:
    """Render ``exc`` as RFC 9457 problem+json."""
    from checkout_links.jsonutil import dumps

    body: dict[str, Any] = {
        "type": f"https://checkout-links.dev/problems/{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
    }
    if exc.errors is not None:
        body["errors"] = exc.errors
    response = Response(dumps(body), status=exc.status, mimetype="application/problem+json")
    response.headers.update(exc.headers)
    return response


def _page(exc: CheckoutError) -> Response:
    html = render_template("error.html", error=exc)
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
        if exc.status >= 500 and not isinstance(exc, StoreUnavailable):
            app.logger.exception("unhandled checkout error")
        return render_error(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return render_error(_from_http(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        from checkout_links.store import as_store_error

        mapped = as_store_error(exc)
        if mapped is not None:
            app.logger.warning("ledger store unavailable: %s", type(exc).__name__)
            return render_error(mapped)
        app.logger.exception("unhandled error")
        return render_error(CheckoutError("An unexpected error occurred."))
