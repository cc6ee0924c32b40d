"""Merchants (tenants) and their API keys.

An API key is ``ck_<key id>_<secret>``. Only a SHA-256 of the whole key is
stored (the key has 256 bits of entropy, so a slow hash would add nothing) and
compared in constant time. Lookups are cached per process for
``CHECKOUT_CACHE_SECONDS``; a revoked key stops working within that time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import msgspec

from checkout_links.core.crypto.encoding import text
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from checkout_links.core.merchants.account import AccountPatch, account_of, merged
from checkout_links.core.merchants.payment import merged_payment
from checkout_links.core.money import check_currency
from checkout_links.core.primitives.clock import iso_seconds, now_iso
from checkout_links.core.primitives.jsonutil import dumps
from checkout_links.core.records import ApiKey, KeyInfo, Merchant, WebhookSecret
from checkout_links.core.storage import redis_keys as keys
from checkout_links.core.storage.cache import TTLCache
from checkout_links.core.storage.connection import Redis

_decode_merchant = msgspec.json.Decoder(Merchant).decode
_decode_key = msgspec.json.Decoder(ApiKey).decode


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Merchants:
    """Create merchants, issue and revoke keys, and authenticate requests."""

    def __init__(
        self,
        client: Redis,
        cache_seconds: float,
        *,
        keyring: KeyRing | None = None,
        base_url: str | None = None,
    ) -> None:
        self.client = client
        #: Seals the payment secrets (``merchants/payment.py``); ``None``: they cannot be set.
        self.keyring = keyring
        #: The service's origin, for the Stripe webhook URL the account shows.
        self.base_url = base_url
        self._keys: TTLCache[str, ApiKey | None] = TTLCache(cache_seconds, 10_000)
        self._merchants: TTLCache[str, Merchant | None] = TTLCache(cache_seconds, 10_000)

    def create(
        self,
        merchant_id: str,
        *,
        name: str = "",
        webhook_url: str | None = None,
        currency: str = "EUR",
    ) -> dict[str, str]:
        """Create a merchant with a first API key; returns the only copy of the key."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,62}", merchant_id):
            raise ValidationFailed(
                "A merchant id is 2 to 63 lowercase letters, digits, '_' or '-', "
                "starting with a letter or digit."
            )
        try:
            check_currency(currency)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from exc
        secret = new_webhook_secret()
        record = Merchant(
            id=merchant_id,
            name=name or merchant_id,
            webhook_url=webhook_url,
            currency=currency,
            webhook_secrets=(WebhookSecret(secret=secret),),
            created_at=now_iso(),
        )
        if not self.client.set(keys.merchant(merchant_id), dumps(record), nx=True):
            raise Conflict(f"Merchant {merchant_id!r} already exists.")
        self.client.sadd(keys.merchant_index(), merchant_id)
        api_key = self.add_key(merchant_id)
        return {
            "merchant_id": merchant_id,
            "api_key": api_key,
            "webhook_secret": secret,
        }

    def get(self, merchant_id: str) -> Merchant:
        """The merchant record (cached); :class:`NotFound` if there is none."""
        hit, record = self._merchants.lookup(merchant_id)
        if not hit:
            raw = self.client.get(keys.merchant(merchant_id))
            record = _decode_merchant(raw) if raw is not None else None
            self._merchants.put(merchant_id, record)
        if record is None:
            raise NotFound(f"No merchant {merchant_id!r}.")
        return record

    def save(self, record: Merchant) -> None:
        self.client.set(keys.merchant(record.id), dumps(record))
        self._merchants.pop(record.id)

    def add_key(self, merchant_id: str) -> str:
        """Issue another API key for ``merchant_id``; returns it (shown once)."""
        self.get(merchant_id)
        key_id = secrets.token_hex(6)
        api_key = f"ck_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(merchant_id=merchant_id, sha256=_digest(api_key), created_at=now_iso())
        self.client.set(keys.api_key(key_id), dumps(record))
        self.client.sadd(keys.merchant_keys(merchant_id), key_id)
        return api_key

    def keys_of(self, merchant_id: str) -> list[KeyInfo]:
        """The merchant's API keys in key id order, without their digests."""
        ids = sorted(text(k) for k in self.client.smembers(keys.merchant_keys(merchant_id)))
        out = []
        for key_id in ids:
            raw = self.client.get(keys.api_key(key_id))
            if raw is not None:
                rec = _decode_key(raw)
                out.append(KeyInfo(key_id=key_id, created_at=rec.created_at, revoked=rec.revoked))
        return out

    def list_keys(self, merchant_id: str) -> list[dict[str, str | bool]]:
        """:meth:`keys_of` as JSON-ready dicts (what ``checkout-links keys list`` prints)."""
        return [msgspec.structs.asdict(info) for info in self.keys_of(merchant_id)]

    def revoke_key(self, merchant_id: str, key_id: str) -> None:
        """Revoke one key; other processes stop accepting it within the cache time."""
        raw = self.client.get(keys.api_key(key_id))
        record = _decode_key(raw) if raw is not None else None
        if record is None or record.merchant_id != merchant_id:
            raise NotFound(f"No key {key_id!r} for merchant {merchant_id!r}.")
        self.client.set(keys.api_key(key_id), dumps(msgspec.structs.replace(record, revoked=True)))
        self._keys.pop(key_id)

    def authenticate(self, header: str | None) -> Merchant:
        """The merchant record for an ``Authorization: Bearer`` header, or :class:`Unauthorized`."""
        if header is not None and header.strip() == "Bearer":
            # What `-H "Authorization: Bearer $API_KEY"` sends with API_KEY unset (the
            # server may have trimmed the trailing space).
            raise Unauthorized(
                "The Authorization header holds no API key after 'Bearer ': send "
                "'Authorization: Bearer <api_key>' (in a shell, is $API_KEY exported?)."
            )
        if not header or not header.startswith("Bearer "):
            raise Unauthorized("Send an API key as 'Authorization: Bearer <api_key>'.")
        api_key = header[7:].strip()
        parts = api_key.split("_", 2)
        if len(parts) != 3 or parts[0] != "ck" or len(parts[1]) != 12:
            raise Unauthorized("Unknown or revoked API key.")
        key_id = parts[1]
        now = time.monotonic()
        hit, record = self._keys.lookup(key_id, now)
        if not hit:
            raw = self.client.get(keys.api_key(key_id))
            record = _decode_key(raw) if raw is not None else None
            self._keys.put(key_id, record, now)
        if (
            record is None
            or record.revoked
            or not hmac.compare_digest(record.sha256, _digest(api_key))
        ):
            raise Unauthorized("Unknown or revoked API key.")
        return self.get(record.merchant_id)

    def rotate_webhook_secret(self, merchant_id: str, grace_seconds: int) -> str:
        """Make a new signing secret; the current ones keep signing for ``grace_seconds``."""
        record = self.get(merchant_id)
        until = iso_seconds(time.time() + grace_seconds)
        now = now_iso()
        kept = []
        for entry in record.webhook_secrets:
            if entry.expires_at is None or entry.expires_at > now:
                expires = entry.expires_at if entry.expires_at is not None else until
                kept.append(WebhookSecret(secret=entry.secret, expires_at=min(expires, until)))
        secret = new_webhook_secret()
        secrets_now = (WebhookSecret(secret=secret), *kept)
        self.save(msgspec.structs.replace(record, webhook_secrets=secrets_now))
        return secret

    def update_account(self, merchant_id: str, patch: AccountPatch) -> dict[str, Any]:
        """Apply a JSON merge patch to the public settings; returns them as now stored."""
        record = merged(self.get(merchant_id), patch, patch.model_fields_set)
        if "payment" in patch.model_fields_set:
            if self.keyring is None:
                raise RuntimeError("payment settings need the key ring")
            record = merged_payment(record, patch.payment, patch.model_fields_set, self.keyring)
        self.save(record)
        return account_of(record, self.base_url)

    def set_webhook_url(self, merchant_id: str, url: str | None) -> None:
        self.save(msgspec.structs.replace(self.get(merchant_id), webhook_url=url))

    def webhook_secrets(self, merchant_id: str) -> list[str]:
        """Secrets that sign webhooks now: the current one plus any in its grace period."""
        return self.get(merchant_id).active_secrets(now_iso())
