"""A small Python client for the checkout-links merchant API, and webhook verification.

Standalone on purpose: it needs only ``httpx`` and the standard library, and
imports nothing of the server, so a merchant may copy this package into their
own project.

    with CheckoutLinksClient("https://pay.example.com", api_key) as api:
        link = api.create_link([{"id": "pro-licence", "price": "1249.00"}])
        redirect(link["url"])

Retries: connection errors, 429 and 503 are retried (at most ``max_retries``
times) only for requests that are safe to repeat: ``GET``/``PUT``/``DELETE``,
revoking a link, and ``create_link``, which always sends an ``Idempotency-Key``
(a random one unless given) and reuses it, with the same body, on every retry.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Self, cast
from urllib.parse import quote

import httpx

from checkout_links.client.errors import (
    AuthenticationError,
    CheckoutLinksError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    TransportError,
    ValidationError,
    WebhookVerificationError,
)
from checkout_links.client.params import _filters, _page
from checkout_links.client.types import (
    Account,
    Event,
    EventState,
    Link,
    LinkStatus,
    Money,
    Order,
    Page,
    Payment,
    PaymentSettings,
    Product,
    ProductText,
    Promotion,
    Refund,
    ResponseInfo,
    StripeSettings,
    TaxRate,
    WebhookEvent,
)
from checkout_links.client.webhooks import HeaderMapping, verify_webhook

__all__ = [
    "Account",
    "AuthenticationError",
    "CheckoutLinksClient",
    "CheckoutLinksError",
    "ConflictError",
    "Event",
    "EventState",
    "HeaderMapping",
    "Link",
    "LinkStatus",
    "Money",
    "NotFoundError",
    "Order",
    "Page",
    "Payment",
    "PaymentSettings",
    "Product",
    "ProductText",
    "Promotion",
    "RateLimitError",
    "Refund",
    "ResponseInfo",
    "ServiceUnavailableError",
    "StripeSettings",
    "TaxRate",
    "TransportError",
    "ValidationError",
    "WebhookEvent",
    "WebhookVerificationError",
    "verify_webhook",
]

USER_AGENT = "checkout-links-python/1"


_BY_STATUS: dict[int, type[CheckoutLinksError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}
_RETRY_STATUSES = frozenset({429, 503})


def _seg(value: str) -> str:
    """One path segment, escaped; an empty or dot id would silently change the path."""
    if value in ("", ".", ".."):
        raise ValueError(f"invalid id {value!r}")
    return quote(value, safe="")


def _json_default(value: object) -> str:
    # Money is a decimal string on the wire; let callers compute with Decimal.
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after", "").strip()
    if raw.isdigit():
        return float(raw)
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error(response: httpx.Response) -> CheckoutLinksError:
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        # Not ours (a proxy's HTML page, say): keep what is useful.
        problem = {"status": response.status_code, "title": response.reason_phrase}
    cls = _BY_STATUS.get(response.status_code, CheckoutLinksError)
    message = f"{response.status_code} {problem.get('title') or response.reason_phrase}"
    if problem.get("detail"):
        message += f": {problem['detail']}"
    retry_after = _retry_after(response)
    return cls(
        message,
        status=response.status_code,
        problem=problem,
        retry_after=retry_after,
        request_id=response.headers.get("x-request-id"),
    )


class CheckoutLinksClient:
    """The merchant API of one checkout-links service, as one merchant (its API key)."""

    #: First backoff after a connection error, in seconds (doubles per retry, with jitter).
    RETRY_BACKOFF = 0.5
    #: The longest wait before a retry; a longer ``Retry-After`` is raised to the caller.
    MAX_RETRY_WAIT = 30.0

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 2,
    ) -> None:
        root = base_url.rstrip("/")
        if not root.endswith("/api/v1"):
            root += "/api/v1"
        self.max_retries = max_retries
        #: Status and headers of the last response (``request_id``, ``idempotent_replayed``).
        self.last_response: ResponseInfo | None = None
        self._http = httpx.Client(
            base_url=root + "/",
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # Catalog

    def put_product(self, product_id: str, **fields: Any) -> Product:
        """Create or replace an original product; returns it as stored."""
        return cast(Product, self._call("PUT", f"products/{_seg(product_id)}", body=fields))

    def get_product(self, product_id: str) -> Product:
        return cast(Product, self._call("GET", f"products/{_seg(product_id)}"))

    def list_products(self, cursor: str | None = None, limit: int = 50) -> Page[Product]:
        """One page: ``{"items": [...], "next_cursor": str | None}``, in id order."""
        return cast(Page[Product], self._call("GET", "products", params=_page(cursor, limit)))

    def iter_products(self, *, limit: int = 100) -> Iterator[Product]:
        """Every product, fetching pages of ``limit`` as needed."""
        return cast(Iterator[Product], self._iterate("products", limit))

    def delete_product(self, product_id: str) -> Product:
        """Deactivate a product (links already issued keep working); returns it."""
        return cast(Product, self._call("DELETE", f"products/{_seg(product_id)}"))

    # Tax rates

    def put_tax_rate(self, rate_id: str, **fields: Any) -> TaxRate:
        """Create or replace a tax rate (``country``, ``percent``, ``display_name``, ...)."""
        return cast(TaxRate, self._call("PUT", f"tax_rates/{_seg(rate_id)}", body=fields))

    def get_tax_rate(self, rate_id: str) -> TaxRate:
        return cast(TaxRate, self._call("GET", f"tax_rates/{_seg(rate_id)}"))

    def list_tax_rates(self, cursor: str | None = None, limit: int = 50) -> Page[TaxRate]:
        """One page of rates, active and not, in id order."""
        return cast(Page[TaxRate], self._call("GET", "tax_rates", params=_page(cursor, limit)))

    def delete_tax_rate(self, rate_id: str) -> TaxRate:
        """Deactivate a tax rate (placed orders keep their tax); returns it."""
        return cast(TaxRate, self._call("DELETE", f"tax_rates/{_seg(rate_id)}"))

    # Links

    def create_link(
        self,
        products: Sequence[Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Link:
        """Issue a checkout link; ``fields`` are the other body fields (``customer``, ...).

        Every attempt of this call sends the same ``Idempotency-Key`` (``idempotency_key``
        or a random one), so a retry never yields a second link. Pass your own key
        (an order or quote id) to make retries across processes safe too. Whether the
        answer replayed an earlier request's link: ``last_response.idempotent_replayed``.
        """
        key = idempotency_key or str(uuid.uuid4())
        body = {"products": [dict(p) for p in products], **fields}
        headers = {"Idempotency-Key": key}
        return cast(Link, self._call("POST", "links", body=body, headers=headers, retry=True))

    def get_link(self, link_id: str) -> LinkStatus:
        """``{"id", "status", "order_id"?}``; status is open, expired, completed or revoked."""
        return cast(LinkStatus, self._call("GET", f"links/{_seg(link_id)}"))

    def revoke_link(self, link_id: str) -> LinkStatus:
        """Withdraw a link; :class:`ConflictError` if it already produced an order."""
        # Revoking is idempotent (a revoked link stays revoked), so it may be retried.
        return cast(LinkStatus, self._call("POST", f"links/{_seg(link_id)}/revoke", retry=True))

    # Orders and events

    def get_order(self, order_id: str) -> Order:
        return cast(Order, self._call("GET", f"orders/{_seg(order_id)}"))

    def find_order(self, number: str) -> Order | None:
        """The order with the customer-facing ``number`` (case and dashes do not matter)."""
        page = cast(Page[Order], self._call("GET", "orders", params={"number": number}))
        return page["items"][0] if page["items"] else None

    def _order_action(
        self, order_id: str, action: str, body: dict[str, Any], idempotency_key: str | None
    ) -> Order:
        # Every attempt sends the same key, so a retry never repeats the change.
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        path = f"orders/{_seg(order_id)}/{action}"
        return cast(Order, self._call("POST", path, body=body, headers=headers, retry=True))

    def mark_paid(
        self, order_id: str, reference: str | None = None, *, idempotency_key: str | None = None
    ) -> Order:
        """A manual order's payment arrived: ``paid`` (:class:`ConflictError` for another
        provider's order); on an order already paid, the order unchanged."""
        body = {"reference": reference} if reference is not None else {}
        return self._order_action(order_id, "mark_paid", body, idempotency_key)

    def refund(
        self,
        order_id: str,
        amount: Decimal | str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Refund ``amount`` (``None``: all that is left) of a paid order; retried with one
        ``Idempotency-Key``, so it refunds once. Pass your own key to be safe across processes."""
        body = {"amount": str(amount)} if amount is not None else {}
        return self._order_action(order_id, "refund", body, idempotency_key)

    def cancel_order(self, order_id: str, *, idempotency_key: str | None = None) -> Order:
        """Cancel an order awaiting payment (:class:`ConflictError` unless it is pending)."""
        return self._order_action(order_id, "cancel", {}, idempotency_key)

    def erase_personal_data(self, order_id: str) -> Order:
        """Erase the customer's details, ``additional_data``, delivery address and custom
        field answers of an order for good (a customer's erasure request); returns the
        order as it is now. Idempotent."""
        return cast(Order, self._call("DELETE", f"orders/{_seg(order_id)}/personal_data"))

    def list_orders(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        created_gte: datetime | str | None = None,
        created_lt: datetime | str | None = None,
        external_ref: str | None = None,
    ) -> Page[Order]:
        """One page of orders, newest first: ``{"items", "next_cursor"}``.

        ``created_gte`` (inclusive) and ``created_lt`` (exclusive) are aware
        datetimes or RFC 3339 strings; ``external_ref`` matches exactly. Send
        the same filters with the cursor of a filtered page.
        """
        params = {**_page(cursor, limit), **_filters(created_gte, created_lt, external_ref)}
        return cast(Page[Order], self._call("GET", "orders", params=params))

    def iter_orders(
        self,
        *,
        limit: int = 100,
        created_gte: datetime | str | None = None,
        created_lt: datetime | str | None = None,
        external_ref: str | None = None,
    ) -> Iterator[Order]:
        """Every order (in the window, with the reference, if given), newest first."""
        filters = _filters(created_gte, created_lt, external_ref)
        return cast(Iterator[Order], self._iterate("orders", limit, filters))

    def list_events(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        state: EventState | None = None,
        type: str | None = None,
    ) -> Page[Event]:
        """One page of webhook events and their delivery state, newest first; ``state`` and
        ``type`` keep only those events (a filtered page may be short: follow the cursor)."""
        params = _page(cursor, limit, state=state, type=type)
        return cast(Page[Event], self._call("GET", "events", params=params))

    def iter_events(
        self, *, limit: int = 100, state: EventState | None = None, type: str | None = None
    ) -> Iterator[Event]:
        """Every webhook event (in ``state``, of ``type``), newest first."""
        filters = {k: v for k, v in (("state", state), ("type", type)) if v}
        return cast(Iterator[Event], self._iterate("events", limit, filters))

    def get_event(self, event_id: str) -> Event:
        return cast(Event, self._call("GET", f"events/{_seg(event_id)}"))

    def redeliver_event(self, event_id: str) -> Event:
        """Queue a webhook event for another delivery now; returns its delivery state.

        Raises :class:`ConflictError` while the merchant has no webhook URL (the
        event would only be ``skipped`` again).
        """
        return cast(Event, self._call("POST", f"events/{_seg(event_id)}/redeliver"))

    # Plumbing

    def _iterate(
        self, path: str, limit: int, filters: dict[str, str] | None = None
    ) -> Iterator[Any]:
        cursor: str | None = None
        while True:
            page = self._call("GET", path, params={**_page(cursor, limit), **(filters or {})})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry: bool | None = None,
    ) -> dict[str, Any]:
        """Send one request, retrying when that is safe; the JSON body or an error."""
        if retry is None:
            retry = method in ("GET", "HEAD", "PUT", "DELETE")
        headers = dict(headers or {})
        content = None
        if body is not None:
            # Encoded once: a retry must send the very same bytes (idempotency keys
            # are bound to the body).
            content = json.dumps(body, default=_json_default).encode()
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            final = not retry or attempt >= self.max_retries
            try:
                response = self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
                self.last_response = ResponseInfo(
                    response.status_code, {k.lower(): v for k, v in response.headers.items()}
                )
            except httpx.RequestError as exc:
                # Only network failures are worth a retry (not e.g. an undecodable body).
                if final or not isinstance(exc, httpx.TransportError):
                    raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
                wait = self._backoff(attempt)
            else:
                if response.is_success:
                    return _json(response)
                error = _error(response)
                if final or response.status_code not in _RETRY_STATUSES:
                    raise error
                wait = self._backoff(attempt) if error.retry_after is None else error.retry_after
                if wait > self.MAX_RETRY_WAIT:
                    # Retrying sooner than the server asked would only be refused again.
                    raise error
            attempt += 1
            time.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.MAX_RETRY_WAIT, self.RETRY_BACKOFF * 2.0**attempt)
        return delay * random.uniform(0.5, 1.0)


def _json(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise CheckoutLinksError(
            f"{response.status_code}: the response is not a JSON object",
            status=response.status_code,
        )
    return data
