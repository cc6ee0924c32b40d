"""The client's exceptions, one per kind of answer, under :class:`CheckoutLinksError`."""

from __future__ import annotations

from typing import Any


class CheckoutLinksError(Exception):
    """Base of every error this module raises.

    For an HTTP error, ``status`` is its status code and ``problem`` the
    RFC 9457 problem+json body; ``detail`` and ``errors`` are read from it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem: dict[str, Any] | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problem: dict[str, Any] = problem or {}
        self.detail: str = str(self.problem.get("detail") or message)
        errors = self.problem.get("errors")
        #: ``[{"loc": [...], "msg": "..."}]`` on validation failures, else ``[]``.
        self.errors: list[dict[str, Any]] = errors if isinstance(errors, list) else []
        #: Seconds from the ``Retry-After`` header, when the server sent one.
        self.retry_after = retry_after
        #: The service's ``X-Request-ID`` of the failed request: quote it to support.
        self.request_id = request_id


class AuthenticationError(CheckoutLinksError):
    """401: no, unknown or revoked API key."""


class NotFoundError(CheckoutLinksError):
    """404: unknown id, or an id that belongs to another merchant."""


class ConflictError(CheckoutLinksError):
    """409: the request conflicts with the current state (revoking a completed link)."""


class ValidationError(CheckoutLinksError):
    """422: the request is invalid; ``errors`` says where (``loc``) and why (``msg``)."""


class RateLimitError(CheckoutLinksError):
    """429: too many requests; ``retry_after`` says when to come back."""


class ServiceUnavailableError(CheckoutLinksError):
    """503: the service's ledger store is unreachable; nothing was changed."""


class TransportError(CheckoutLinksError):
    """The request failed on the network (connection refused, timeout, ...); no status."""


class WebhookVerificationError(CheckoutLinksError):
    """A webhook request that is not provably ours and fresh: answer it with 4xx."""
