"""Settings from CHECKOUT_* environment variables: parsing, defaults and refusals."""

from __future__ import annotations

import os
import re

import pytest

from checkout_links import create_app
from checkout_links.core.config import MAX_REQUEST_LINE, REQUEST_LINE_MARGIN, load_settings
from checkout_links.core.crypto.keyring import KeyRing
from checkout_links.core.errors import ConfigError
from checkout_links.core.links.token import LinkPayload, TokenCodec
from checkout_links.testing import SECRET_A, SECRET_B

SECRET_C = "c" * 32


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Each test starts from an environment without any CHECKOUT_* variable."""
    for name in list(os.environ):
        if name.startswith("CHECKOUT_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _refused(variable: str) -> str:
    """The ConfigError message of load_settings(), checked to start with ``variable``."""
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{variable}:"), message
    assert "\n" not in message
    return message


def test_missing_secret_keys_are_refused() -> None:
    """Without CHECKOUT_SECRET_KEYS (and not in demo mode) the settings do not load."""
    message = _refused("CHECKOUT_SECRET_KEYS")
    assert "CHECKOUT_DEMO" in message


@pytest.mark.parametrize("value", ["", " , ,", ","])
def test_empty_secret_keys_are_refused(clean_env: pytest.MonkeyPatch, value: str) -> None:
    """A CHECKOUT_SECRET_KEYS with no actual secret in it counts as missing."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", value)
    _refused("CHECKOUT_SECRET_KEYS")


def test_the_app_does_not_start_without_keys() -> None:
    """create_app() itself refuses to build without secret keys."""
    with pytest.raises(ConfigError, match="CHECKOUT_SECRET_KEYS"):
        create_app()


def test_demo_mode_makes_an_ephemeral_key(clean_env: pytest.MonkeyPatch) -> None:
    """In demo mode a strong random key is made, a different one on every start."""
    clean_env.setenv("CHECKOUT_DEMO", "true")
    first, second = load_settings(), load_settings()
    assert len(first.secret_keys) == 1
    assert len(first.secret_keys[0]) >= 32
    assert first.secret_keys != second.secret_keys


def test_demo_mode_keeps_configured_keys(clean_env: pytest.MonkeyPatch) -> None:
    """Demo mode does not replace keys that were configured."""
    clean_env.setenv("CHECKOUT_DEMO", "true")
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    assert load_settings().secret_keys == (SECRET_A,)


@pytest.mark.parametrize("value", ["short", "x" * 31, f"{SECRET_A},tooshort"])
def test_short_secret_key_is_refused(clean_env: pytest.MonkeyPatch, value: str) -> None:
    """Every secret must be at least 32 characters, including each one of a list."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", value)
    assert "32" in _refused("CHECKOUT_SECRET_KEYS")


def test_keys_are_parsed_oldest_first(clean_env: pytest.MonkeyPatch) -> None:
    """Comma-separated keys keep their order (blanks trimmed), and the last one seals tokens."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", f" {SECRET_A} ,{SECRET_B},, {SECRET_C}")
    settings = load_settings()
    assert settings.secret_keys == (SECRET_A, SECRET_B, SECRET_C)
    payload = LinkPayload(b"r" * 16, "acme", 1, 2, "EUR", [])
    token = TokenCodec(KeyRing(settings.secret_keys)).encode(payload)
    assert TokenCodec(KeyRing([SECRET_C])).decode(token) == payload


@pytest.mark.parametrize(
    "url", ["http://localhost:6379", "localhost:6379", "redis:/x", "memcached://h:1"]
)
def test_bad_redis_url_scheme_is_refused(clean_env: pytest.MonkeyPatch, url: str) -> None:
    """A CHECKOUT_REDIS_URL that is not a redis URL stops the start naming the variable."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_REDIS_URL", url)
    _refused("CHECKOUT_REDIS_URL")


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "rediss://user:pw@redis.example:6380",
        "redis+sentinel://s1:26379,s2:26379/mymaster/0",
        "redis+cluster://n1:7000,n2:7001/",
    ],
)
def test_redis_url_schemes_are_accepted(clean_env: pytest.MonkeyPatch, url: str) -> None:
    """Single-server, TLS, Sentinel and Cluster URLs are accepted as given."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_REDIS_URL", url)
    assert load_settings().redis_url == url


def test_empty_redis_url_means_the_in_process_store(clean_env: pytest.MonkeyPatch) -> None:
    """An empty CHECKOUT_REDIS_URL is the same as unset (the in-process fakeredis)."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_REDIS_URL", "")
    assert load_settings().redis_url is None


@pytest.mark.parametrize(
    "url",
    [
        "pay.example.com",
        "ftp://pay.example.com",
        "https://",
        "https:///c",
        "https://pay.example.com/shop",
        "https://pay.example.com/shop/",
        "https://pay.example.com?x=1",
        "https://pay.example.com#top",
        "https://user@pay.example.com",
        "https://pay.example.com:notaport",
    ],
)
def test_bad_base_url_is_refused(clean_env: pytest.MonkeyPatch, url: str) -> None:
    """CHECKOUT_BASE_URL must be a bare http(s) origin; anything else is refused."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_BASE_URL", url)
    _refused("CHECKOUT_BASE_URL")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pay.example.com", "https://pay.example.com"),
        ("https://pay.example.com/", "https://pay.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ],
)
def test_base_url_origins_are_accepted(
    clean_env: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    """An origin is accepted, without its trailing slash (links append /c/<token>)."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_BASE_URL", url)
    assert load_settings().base_url == expected


def test_documented_defaults(clean_env: pytest.MonkeyPatch) -> None:
    """Unset variables take the defaults API.md documents."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.allow_private_webhooks is False
    assert settings.rate_limits_enabled is True
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.demo is False


def test_typed_values_are_parsed_and_checked(clean_env: pytest.MonkeyPatch) -> None:
    """Booleans and numbers are parsed from text; an out-of-range number names its variable."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_ALLOW_PRIVATE_WEBHOOKS", "true")
    clean_env.setenv("CHECKOUT_RATE_LIMITS_ENABLED", "false")
    clean_env.setenv("CHECKOUT_MAX_BODY_BYTES", "4096")
    settings = load_settings()
    assert settings.allow_private_webhooks is True
    assert settings.rate_limits_enabled is False
    assert settings.max_body_bytes == 4096
    clean_env.setenv("CHECKOUT_MAX_BODY_BYTES", "10")
    _refused("CHECKOUT_MAX_BODY_BYTES")
    clean_env.setenv("CHECKOUT_MAX_BODY_BYTES", "lots")
    _refused("CHECKOUT_MAX_BODY_BYTES")


def test_overrides_win_over_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    """Values passed to load_settings() take precedence over the environment."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_BASE_URL", "https://env.example")
    settings = load_settings({"base_url": "https://override.example"})
    assert settings.base_url == "https://override.example"


def test_error_messages_do_not_leak_secrets(clean_env: pytest.MonkeyPatch) -> None:
    """A refused key list does not repeat the secrets in the error message."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", f"{SECRET_A},s3cr3t-but-short")
    message = _refused("CHECKOUT_SECRET_KEYS")
    assert not re.search("s3cr3t|a{32}", message)


def test_link_path_limit_cannot_exceed_the_server_request_line(
    clean_env: pytest.MonkeyPatch,
) -> None:
    """CHECKOUT_MAX_LINK_PATH may be lowered but not raised past what gunicorn accepts."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    assert load_settings().max_link_path == MAX_REQUEST_LINE - REQUEST_LINE_MARGIN
    clean_env.setenv("CHECKOUT_MAX_LINK_PATH", "600")
    assert load_settings().max_link_path == 600
    for too_big in ("8191", "20000"):
        clean_env.setenv("CHECKOUT_MAX_LINK_PATH", too_big)
        _refused("CHECKOUT_MAX_LINK_PATH")


def test_every_bad_setting_is_named_at_once(clean_env: pytest.MonkeyPatch) -> None:
    """Several bad or missing settings are all named in one refusal, each once, so a newcomer
    fixes them in one go rather than one per start."""
    clean_env.setenv("CHECKOUT_BASE_URL", "pay.example.com/checkout")
    clean_env.setenv("CHECKOUT_CACHE_SECONDS", "-1")
    with pytest.raises(ConfigError) as info:
        load_settings(shared_store=True)
    named = [problem.split(":", 1)[0] for problem in info.value.problems]
    assert sorted(named) == [
        "CHECKOUT_BASE_URL",
        "CHECKOUT_CACHE_SECONDS",
        "CHECKOUT_REDIS_URL",
        "CHECKOUT_SECRET_KEYS",
    ]
    assert str(info.value) == "; ".join(info.value.problems)


def test_a_bad_setting_does_not_hide_good_ones(clean_env: pytest.MonkeyPatch) -> None:
    """When one setting is invalid, settings that are given are not reported as missing."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv("CHECKOUT_REDIS_URL", "redis://127.0.0.1:6379/0")
    clean_env.setenv("CHECKOUT_MAX_BODY_BYTES", "12")
    with pytest.raises(ConfigError) as info:
        load_settings(shared_store=True)
    assert [p.split(":", 1)[0] for p in info.value.problems] == ["CHECKOUT_MAX_BODY_BYTES"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHECKOUT_SECRET_KEYS", "short"),
        ("CHECKOUT_BASE_URL", "https://pay.example.com/path"),
        ("CHECKOUT_REDIS_URL", "http://127.0.0.1:6379"),
        ("CHECKOUT_SMTP_URL", "ftp://mail.example"),
    ],
)
def test_refusals_carry_no_pydantic_prefix(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A setting refused by our own check reads "NAME: sentence", without pydantic's
    "Value error, " in between."""
    clean_env.setenv("CHECKOUT_SECRET_KEYS", SECRET_A)
    clean_env.setenv(variable, value)
    message = _refused(variable)
    assert "Value error" not in message
    assert re.match(rf"{variable}: [a-z]", message), message
