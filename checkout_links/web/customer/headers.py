"""Security headers of every customer page (everything outside ``/api/`` and ``/static/``),
and the one header every API answer gets: ``Cache-Control: no-store``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The customer pages' Content-Security-Policy; ``{extra}`` adds the origin
#: of a link's return URL to ``form-action``.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https:; script-src 'self'; "
    "connect-src 'self'; "
    "form-action 'self'{extra}; frame-ancestors 'none'; base-uri 'none'"
)


_NOSNIFF = ("X-Content-Type-Options", "nosniff")
_PAGE_HEADERS = [
    ("Cache-Control", "no-store"),
    # no-referrer: the path holds the token, so it must never leave in a Referer.
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    _NOSNIFF,
]
_DEFAULTCSP = ("Content-Security-Policy", CSP.format(extra=""))
#: API answers carry customers' personal data (orders, events, links with their
#: customer, exports) and merchants' secrets: no cache on the way may keep one.
_API_HEADERS = [("Cache-Control", "no-store")]


class CustomerHeaders:
    """WSGI middleware: the security headers of every page outside ``/api/``.

    Added to the raw header list as the response starts, so every answer gets
    them (pages, error pages, redirects, static files) at almost no cost; a
    view that set its own Content-Security-Policy (the cart page) keeps it.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/static/"):
            # The pages' own files hold no token and no personal data: browsers keep
            # them (web/assets.py says how long); only the type sniffing is refused.

            def start_static(
                status: str, headers: list[tuple[str, str]], exc_info: Any = None
            ) -> Any:
                headers.append(_NOSNIFF)
                return start_response(status, headers, exc_info)

            return self.app(environ, start_static)
        if path.startswith("/api/"):

            def start_api(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                if not any(name.lower() == "cache-control" for name, _ in headers):
                    headers.extend(_API_HEADERS)
                return start_response(status, headers, exc_info)

            return self.app(environ, start_api)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.extend(_PAGE_HEADERS)
            if not any(name == "Content-Security-Policy" for name, _ in headers):
                headers.append(_DEFAULTCSP)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
