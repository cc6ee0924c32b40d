"""What every command works on: the services built from the CHECKOUT_* settings, without Flask."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NoReturn, ParamSpec, TypeVar

import click

from checkout_links import logs
from checkout_links.core.config import Settings, load_settings
from checkout_links.core.errors import ConfigError, StoreUnavailable
from checkout_links.core.services import Services, build, connect_services
from checkout_links.core.storage.connection import connect

P = ParamSpec("P")
R = TypeVar("R")

#: Where the settings and the services built from them are kept, in the invocation's ``ctx.meta``.
_SETTINGS = "checkout_links.settings"
_SERVICES = "checkout_links.services"


def fail(*problems: str, details: Sequence[str] = ()) -> NoReturn:
    """Say what is wrong on stderr, one ``Error:`` line per problem, and exit 2.

    ``details`` follow, indented, one a line (each bad item of a file, say).
    2 is the exit code of every refusal, click's usage errors included, and
    ``Error:`` is how click spells them.
    """
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    for detail in details:
        click.echo(f"  {detail}", err=True)
    raise SystemExit(2)


def _settings() -> Settings:
    meta = click.get_current_context().meta
    if _SETTINGS not in meta:
        try:
            # Every command works on a store it shares with the service: an
            # unset CHECKOUT_REDIS_URL is named with any other missing setting.
            meta[_SETTINGS] = load_settings(shared_store=True)
        except ConfigError as exc:
            fail(*exc.problems)
    settings: Settings = meta[_SETTINGS]
    return settings


def services(*, waits_for_store: bool = False) -> Services:
    """The services the running command works on, built once from the environment.

    Ready services handed in as the context object (``CliRunner().invoke(cli,
    args, obj=svc)``) are used as they are. Otherwise the settings must name a
    shared store (CHECKOUT_REDIS_URL): an in-process one would be gone when the
    command exits, and reading one would find nothing. A store that does not
    answer stops the command in one line, unless it ``waits_for_store`` (the
    worker, which waits out outages).
    """
    ctx = click.get_current_context()
    given = ctx.find_object(Services)
    if given is not None:
        return given
    settings = _settings()
    if _SERVICES not in ctx.meta:
        logs.configure(settings.log_level)
        try:
            client = connect(settings.redis_url)
            if waits_for_store:
                # A long-running process: it logs unsafe Redis settings at start, as the app does.
                ctx.meta[_SERVICES] = connect_services(settings, client)
            else:
                # A one-shot command: a store that is not there is one line of ours, and
                # the operator's durability warnings are the service's to log, not each
                # command's (they would print a JSON log record before every answer).
                client.ping()
                ctx.meta[_SERVICES] = build(settings, client)
        except ConfigError as exc:
            fail(*exc.problems)
        except StoreUnavailable as exc:
            fail(
                f"CHECKOUT_REDIS_URL: no Redis answers there ({exc.__cause__}); start it, or "
                "export the CHECKOUT_REDIS_URL that a running `checkout-links demo` prints"
            )
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
