"""Typed settings read from ``CHECKOUT_*`` environment variables.

Every setting is validated once at start-up; bad values stop the process
with one message naming every bad variable (see :func:`load_settings`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from checkout_links.core.errors import ConfigError
from checkout_links.core.schemas import check_email
from checkout_links.core.storage import redis_keys as keys

#: Gunicorn's hard maximum for a request line; ``deploy/gunicorn.conf.py`` and
#: ``deploy/nginx.conf`` are set to accept it, and a test checks they agree.
MAX_REQUEST_LINE = 8190

#: The longest request line a link may produce: ``POST <path>?<query> HTTP/1.1``.
#: We keep room for the method, the protocol and a short query string that a
#: return flow or a tracking tool may append.
REQUEST_LINE_MARGIN = 64


#: ``CHECKOUT_SMTP_URL`` schemes: how the connection is secured, and its default port.
SMTP_SCHEMES: dict[str, tuple[Literal["plain", "tls", "starttls"], int]] = {
    "smtp": ("plain", 25),
    "smtps": ("tls", 465),
    "smtp+starttls": ("starttls", 587),
}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where receipts are sent: parsed from ``CHECKOUT_SMTP_URL`` (the password stays secret).

    ``security`` is ``plain`` (no TLS), ``tls`` (TLS from the first byte) or
    ``starttls`` (TLS required: a server that does not offer STARTTLS gets nothing).
    """

    security: Literal["plain", "tls", "starttls"]
    host: str
    port: int
    username: str | None = None
    password: SecretStr | None = None


def parse_smtp_url(value: str) -> SmtpServer:
    """``smtp://[user:pass@]host[:port]`` (or ``smtps://``, ``smtp+starttls://``), checked.

    Errors never repeat the URL: it may hold a password.
    """
    parts = urlsplit(value)
    scheme = SMTP_SCHEMES.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"must start with one of {', '.join(s + '://' for s in SMTP_SCHEMES)}")
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be a server such as smtp+starttls://user:password@mail.example:587")
    try:
        port = parts.port or scheme[1]
    except ValueError:
        # Not chained: the cause quotes the port's text, which a malformed URL (a '/' in
        # the password) fills with part of the password.
        raise ValueError("the port must be a number from 1 to 65535") from None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpServer(
        security=scheme[0],
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(password) if password is not None else None,
    )


class Settings(BaseSettings):
    """All settings of one service instance."""

    model_config = SettingsConfigDict(env_prefix="CHECKOUT_", extra="ignore", frozen=True)

    redis_url: str | None = None
    secret_keys: Annotated[tuple[str, ...], NoDecode] = ()
    base_url: str = "http://127.0.0.1:8000"
    demo: bool = False
    allow_private_webhooks: bool = False
    rate_limits_enabled: bool = True
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    #: Leeway for tokens issued by an instance whose clock runs ahead, and the
    #: margin the ledger keeps a spent mark beyond the link's expiry.
    clock_skew_seconds: int = Field(default=300, ge=0, le=3600)
    #: How long a spent/revoked mark outlives the link (so status keeps saying
    #: ``completed``/``revoked`` rather than ``expired``).
    ledger_retention_seconds: int = Field(default=90 * 86400, ge=0)
    #: How long an order, its event record and their index entries are kept
    #: (400 days by default; at most about 10 years). The spend sets the TTLs,
    #: the worker trims the index members and stream entries (core/orders/retention.py).
    order_retention_seconds: int = Field(default=400 * 86400, ge=1, le=10 * 366 * 86400)
    #: How long an order placed with a provider that takes payment (manual, stripe)
    #: waits for it; the worker then cancels it (core/payments/window.py).
    payment_window_seconds: int = Field(default=86400, ge=1, le=366 * 86400)
    #: Shards (Redis Cluster hash tags) new links are spread over. Each link
    #: carries the shard it was issued in, so this may be raised at any time.
    ledger_shards: int = Field(default=keys.DEFAULT_SHARDS, ge=1, le=keys.MAX_SHARDS)
    #: Seconds that API-key, merchant and catalog lookups are cached per process.
    #: Revoking a key takes effect within this time.
    cache_seconds: float = Field(default=5.0, ge=0, le=300)
    #: Longest link URL path the service issues (bounded by the server configs).
    #: Also an upper bound: gunicorn cannot take a longer request line, and the
    #: token codec refuses tokens over 16 KiB, so a larger value issued dead links.
    max_link_path: int = Field(
        default=MAX_REQUEST_LINE - REQUEST_LINE_MARGIN,
        ge=256,
        le=MAX_REQUEST_LINE - REQUEST_LINE_MARGIN,
    )
    #: Number of trusted reverse-proxy hops (ProxyFix); 0 trusts no header.
    proxy_hops: int = Field(default=0, ge=0, le=5)
    rate_limit_api: str = "600/minute"
    rate_limit_checkout: str = "30/minute"
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    #: How long failed deliveries are retried before an event is ``dead``.
    webhook_retry_seconds: int = Field(default=3 * 86400, ge=1)
    #: First retry delay; each further one doubles (with jitter), capped at 6 h.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    #: An attempt's lease, renewed by the worker's heartbeat while the request is in
    #: flight: a killed worker's events are taken over within this time.
    webhook_claim_idle_ms: int = Field(default=3_000, ge=100, le=60_000)
    #: Deliveries one worker has in flight at once, and at most per merchant.
    webhook_concurrency: int = Field(default=16, ge=1, le=256)
    webhook_merchant_concurrency: int = Field(default=4, ge=1, le=256)
    log_level: str = "INFO"
    #: Where customer receipts are sent (a secret: it may hold a password); unset: none are.
    smtp_url: SecretStr | None = None
    #: The receipts' sender address; the display name is the merchant's.
    mail_from: str | None = None
    #: Each SMTP network step's timeout (connect, every command and reply).
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    #: How long a promotion redemption reserved for an order may wait for its
    #: spend before anyone may settle it (core/promotions/codes.py); longer than a
    #: request can take. A crashed request delays a redemption this long.
    promotion_reservation_seconds: float = Field(default=60.0, ge=0.1, le=3600)
    #: Stripe's API (``core/payments/stripe/``); a local double's URL in tests.
    stripe_api_base: str = "https://api.stripe.com"
    #: Stripe.js, loaded by the payment page (and allowed by its Content-Security-Policy).
    stripe_js_url: str = "https://js.stripe.com/v3/"
    #: What ``GET /metrics`` requires as ``Authorization: Bearer <token>``; unset, the
    #: app answers 404 there (every bind of the app faces clients).
    metrics_token: SecretStr | None = None

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("secret_keys")
    @classmethod
    def _strong_keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key in value:
            if len(key) < 32:
                raise ValueError("each secret key must be at least 32 characters")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        schemes = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://", "unix://")
        if not value.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parse_smtp_url(value.get_secret_value())
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        token = value.get_secret_value()
        # A header value: visible ASCII only; long enough not to be guessed.
        if len(token) < 32 or not token.isascii() or not token.isprintable() or " " in token:
            raise ValueError("must be at least 32 visible ASCII characters without spaces")
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return check_email(value)

    @field_validator("stripe_api_base", "stripe_js_url")
    @classmethod
    def _stripe_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
            raise ValueError("must be an http(s) URL such as https://api.stripe.com")
        return value

    @field_validator("base_url")
    @classmethod
    def _origin(cls, value: str) -> str:
        # Links are built as base_url + "/c/<token>", so only a bare origin
        # (scheme and host, no path) works: parsed, not judged by its slashes.
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or "?" in value
            or "#" in value
            or parts.username is not None
        ):
            raise ValueError("must be an origin such as https://pay.example.com")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        return value.rstrip("/")

    @property
    def smtp(self) -> SmtpServer | None:
        """The receipts' SMTP server, or ``None`` when receipts are off."""
        if self.smtp_url is None:
            return None
        return parse_smtp_url(self.smtp_url.get_secret_value())


#: Why a process that must share its data (the command line) refuses an unset store.
NO_SHARED_STORE = (
    "CHECKOUT_REDIS_URL: not set, so this command would work on a throwaway in-process store "
    "that is gone when it exits; give your Redis, or the store URL that a running "
    "`checkout-links demo` prints"
)


def _sentence(error: Any) -> str:
    """Pydantic's message for one setting, without its "Value error, " prefix."""
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


def load_settings(
    overrides: dict[str, Any] | None = None, *, shared_store: bool = False
) -> Settings:
    """Read the environment (plus ``overrides``) and check the combination.

    ``shared_store``: the process keeps nothing itself (a command of the command
    line), so an unset ``CHECKOUT_REDIS_URL`` is a problem too. Raises
    :class:`ConfigError` naming every missing or invalid variable at once, each
    problem a sentence in :attr:`ConfigError.problems` ("; "-joined in the message).
    """
    problems: list[str] = []
    settings: Settings | None = None
    try:
        settings = Settings(**(overrides or {}))
    except ValidationError as exc:
        # Not chained: pydantic's error quotes the values, secret keys and passwords too.
        for error in exc.errors():
            name = "CHECKOUT_" + str(error["loc"][0]).upper() if error["loc"] else "CHECKOUT_*"
            problems.append(f"{name}: {_sentence(error)}")
    if settings is not None and settings.smtp_url is not None and settings.mail_from is None:
        problems.append(
            "CHECKOUT_MAIL_FROM: required when CHECKOUT_SMTP_URL is set; give the receipts' "
            "sender address, e.g. receipts@pay.example.com"
        )
    # Whether a setting was given, also when another one failed (no Settings then).
    raw = {
        **{k.upper(): v for k, v in os.environ.items()},
        **{f"CHECKOUT_{k.upper()}": v for k, v in (overrides or {}).items()},
    }
    if settings is not None:
        keys_given, demo, store_given = (
            bool(settings.secret_keys),
            settings.demo,
            settings.redis_url,
        )
    else:
        keys_given = bool(str(raw.get("CHECKOUT_SECRET_KEYS") or "").strip(", "))
        demo = str(raw.get("CHECKOUT_DEMO", "")).lower() in ("1", "true", "yes", "on")
        store_given = str(raw.get("CHECKOUT_REDIS_URL") or "")
    if not keys_given and not demo and shared_store:
        # A command works on the service's data: it needs the service's keys, not new ones.
        problems.append(
            "CHECKOUT_SECRET_KEYS: not set; give the service's secret keys, or the "
            "CHECKOUT_SECRET_KEYS that a running `checkout-links demo` prints"
        )
    elif not keys_given and not demo:
        problems.append(
            "CHECKOUT_SECRET_KEYS: not set; give at least one secret of 32+ characters "
            "(or set CHECKOUT_DEMO=true for an ephemeral demo key)"
        )
    if shared_store and not store_given:
        problems.append(NO_SHARED_STORE)
    if problems or settings is None:
        raise ConfigError("; ".join(problems), problems=problems)
    if not settings.secret_keys:
        settings = settings.model_copy(update={"secret_keys": (secrets.token_urlsafe(32),)})
    return settings
