"""Original products: each merchant's catalog in Redis.

A product is stored as immutable *revisions*: ``rev`` is derived from the
content, and links name the revision they were issued against, so a cart looks
the same later however the catalog changes. Revisions are cached in-process
forever (they never change); the current revision for a short time.
"""

from __future__ import annotations

import hashlib
import time

import msgspec

from checkout_links.core.crypto.encoding import text
from checkout_links.core.errors import FieldError, NotFound, ValidationFailed
from checkout_links.core.i18n.messages import INVALID, sentence
from checkout_links.core.money import parse_amount
from checkout_links.core.primitives.clock import now_iso
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import Product
from checkout_links.core.schemas import PRODUCT_ID, PRODUCT_ID_PATTERN, ProductIn
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.cache import TTLCache
from checkout_links.core.storage.connection import Redis


def _check_money(product: ProductIn) -> list[FieldError]:
    errors = []
    currency = product.currency
    for field in ("price", "price_min", "price_max"):
        value = getattr(product, field)
        if value is None:
            continue
        if currency is None:
            errors.append(FieldError(("body", "currency"), f"Send the currency of {field}."))
            break
        try:
            parse_amount(value, currency)
        except ValueError as exc:
            errors.append(FieldError(("body", field), str(exc)))
    low, high = product.price_min, product.price_max
    if not errors and low and high and currency:  # noqa: SIM102 - reads as two conditions
        if parse_amount(low, currency) > parse_amount(high, currency):
            errors.append(
                FieldError(("body", "price_min"), "Use a price_min of at most price_max.")
            )
    # A default price must lie within the product's own guard rails, or every
    # link relying on it would be refused.
    price = product.price
    if not errors and price and currency:
        amount = parse_amount(price, currency)
        if low and amount < parse_amount(low, currency):
            errors.append(
                FieldError(("body", "price"), f"Use a price of at least price_min, {low}.")
            )
        elif high and amount > parse_amount(high, currency):
            errors.append(
                FieldError(("body", "price"), f"Use a price of at most price_max, {high}.")
            )
    return errors


def check_product_id(product_id: str) -> None:
    """Refuse an id outside the pattern: ``x@1`` would land on the key of x's revision 1."""
    if not PRODUCT_ID.fullmatch(product_id):
        msg = sentence({"type": "string_pattern_mismatch", "ctx": {"pattern": PRODUCT_ID_PATTERN}})
        raise ValidationFailed(INVALID, errors=[FieldError(("path", "product_id"), msg)])


def validate_product(product: ProductIn) -> None:
    """Cross-field checks pydantic cannot do alone (money against currency)."""
    errors = _check_money(product)
    if errors:
        raise ValidationFailed(INVALID, errors=errors)


_decode_product = msgspec.json.Decoder(Product).decode


def _shown(product: Product) -> Product:
    """The product as the API answers it: ``translations`` always there (``{}`` for none).

    Stored without it when empty, so the bytes and revisions of products
    without translations are what they were before translations existed.
    """
    if isinstance(product.translations, dict):
        return product
    return msgspec.structs.replace(product, translations={})


class Catalog:
    """One process's view of all merchants' catalogs."""

    def __init__(self, client: Redis, cache_seconds: float) -> None:
        self.client = client
        self._snapshots: TTLCache[tuple[str, str, int], Product] = TTLCache(
            ttl=None, maxsize=20_000
        )
        self._current: TTLCache[tuple[str, str], Product | None] = TTLCache(
            ttl=cache_seconds, maxsize=20_000
        )

    def put_product(
        self, merchant_id: str, product_id: str, product: ProductIn
    ) -> tuple[Product, bool]:
        """Create or replace a product; returns ``(product, created)``."""
        check_product_id(product_id)
        validate_product(product)
        doc = product.model_dump(mode="json")
        if not doc["translations"]:
            # A product without translations keeps the revision it had before they existed.
            del doc["translations"]
        doc["id"] = product_id
        # The revision is a hash of the content as JSON without ``rev`` (so the
        # same content always gets the same revision).
        body = dumps(doc)
        rev = int.from_bytes(hashlib.sha256(body).digest()[:4], "big")
        # A different body under the same 32-bit rev (a hash collision) must not
        # overwrite an immutable revision: step to the next free rev instead.
        while True:
            revision = msgspec.convert({**doc, "rev": rev}, Product)
            snapshot = dumps(revision)
            if self.client.set(
                keys.catalog_snapshot(merchant_id, product_id, rev), snapshot, nx=True
            ):
                break
            existing = self.client.get(keys.catalog_snapshot(merchant_id, product_id, rev))
            if existing == snapshot:
                break
            rev = (rev + 1) % 2**32
        current = msgspec.structs.replace(revision, updated_at=now_iso())
        pipe = self.client.pipeline(transaction=True)
        pipe.getset(keys.catalog_current(merchant_id, product_id), dumps(current))
        pipe.zadd(keys.catalog_index(merchant_id), {product_id: 0})
        previous, _ = pipe.execute()
        self._current.pop((merchant_id, product_id))
        return _shown(current), previous is None

    def get_product(self, merchant_id: str, product_id: str) -> Product:
        """The current product; :class:`NotFound` if the merchant has none by that id."""
        raw = self.client.get(keys.catalog_current(merchant_id, product_id))
        if raw is None:
            raise NotFound(f"No product {product_id!r}.")
        return _shown(_decode_product(raw))

    def current_products(
        self, merchant_id: str, product_ids: list[str]
    ) -> dict[str, Product | None]:
        """Current products by id (``None`` for unknown), cached for a short time."""
        now = time.monotonic()
        found: dict[str, Product | None] = {}
        missing = []
        for pid in dict.fromkeys(product_ids):
            hit, value = self._current.lookup((merchant_id, pid), now)
            if hit:
                found[pid] = value
            else:
                missing.append(pid)
        if missing:
            raws = self.client.mget([keys.catalog_current(merchant_id, pid) for pid in missing])
            for pid, raw in zip(missing, raws, strict=True):
                product = _decode_product(raw) if raw is not None else None
                self._current.put((merchant_id, pid), product, now)
                found[pid] = product
        return found

    def snapshots(
        self, merchant_id: str, refs: list[tuple[str, int]]
    ) -> dict[tuple[str, int], Product]:
        """Product revisions by ``(product_id, rev)``; :class:`NotFound` if one is gone."""
        out: dict[tuple[str, int], Product] = {}
        missing = []
        for pid, rev in dict.fromkeys(refs):
            hit, value = self._snapshots.lookup((merchant_id, pid, rev))
            if hit and value is not None:
                out[(pid, rev)] = value
            else:
                missing.append((pid, rev))
        if missing:
            raws = self.client.mget([keys.catalog_snapshot(merchant_id, p, r) for p, r in missing])
            for ref, raw in zip(missing, raws, strict=True):
                if raw is None:
                    raise NotFound("A product of this cart no longer exists.")
                revision = _decode_product(raw)
                self._snapshots.put((merchant_id, *ref), revision)
                out[ref] = revision
        return out

    def list_products(
        self, merchant_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Product], str | None]:
        """One page of products in id order; the cursor is the last id returned."""
        start = f"({cursor}" if cursor else "-"
        ids = self.client.zrangebylex(
            keys.catalog_index(merchant_id), start, "+", start=0, num=limit + 1
        )
        page_ids = [text(i) for i in ids[:limit]]
        raws = (
            self.client.mget([keys.catalog_current(merchant_id, pid) for pid in page_ids])
            if page_ids
            else []
        )
        items = [_shown(_decode_product(raw)) for raw in raws if raw is not None]
        next_cursor = page_ids[-1] if len(ids) > limit else None
        return items, next_cursor

    def deactivate(self, merchant_id: str, product_id: str) -> Product:
        """Mark a product inactive (links already issued keep their revision)."""
        fields = msgspec.json.decode(dumps(self.get_product(merchant_id, product_id)))
        for internal in ("id", "rev", "updated_at"):
            fields.pop(internal, None)
        fields["active"] = False
        updated, _ = self.put_product(merchant_id, product_id, ProductIn.model_validate(fields))
        return updated
