"""What every command works on: the services built from the CHECKOUT_* settings, without Flask."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import click

from checkout_links import logs
from checkout_links.core.config import Settings, load_settings
from checkout_links.core.errors import ConfigError
from checkout_links.core.services import Services, connect_services

_NO_STORE = (
    "CHECKOUT_REDIS_URL is not set, so this command would write to a throwaway in-process "
    "store that is gone when it exits. Set CHECKOUT_REDIS_URL to your Redis, or to the "
    "store of a running `checkout-links demo` (it prints the URL to export)."
)


P = ParamSpec("P")
R = TypeVar("R")

#: Where the settings and the services built from them are kept, in the invocation's ``ctx.meta``.
_SETTINGS = "checkout_links.settings"
_SERVICES = "checkout_links.services"


def fail(message: str) -> NoReturn:
    """Say what is wrong on stderr and exit 2, the exit code of every refusal."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def _settings() -> Settings:
    meta = click.get_current_context().meta
    if _SETTINGS not in meta:
        try:
            meta[_SETTINGS] = load_settings()
        except ConfigError as exc:
            fail(str(exc))
    settings: Settings = meta[_SETTINGS]
    return settings


def services(*, writes: bool = False) -> Services:
    """The services the running command works on, built once from the environment.

    Ready services handed in as the context object (``CliRunner().invoke(cli,
    args, obj=svc)``) are used as they are. A command that ``writes`` refuses
    an unset CHECKOUT_REDIS_URL: the in-process store would be gone when it exits.
    """
    ctx = click.get_current_context()
    given = ctx.find_object(Services)
    if given is not None:
        return given
    settings = _settings()
    if writes and settings.redis_url is None:
        fail(_NO_STORE)
    if _SERVICES not in ctx.meta:
        logs.configure(settings.log_level)
        try:
            ctx.meta[_SERVICES] = connect_services(settings)
        except ConfigError as exc:
            fail(str(exc))
    built: Services = ctx.meta[_SERVICES]
    return built


def with_settings(command: Callable[P, R]) -> Callable[P, R]:
    """Read the settings before the command runs: a bad one stops it before it does anything."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if click.get_current_context().find_object(Services) is None:
            _settings()
        return command(*args, **kwargs)

    return run
