"""Moved to :mod:`checkout_links.testing.realapp` (shared with bench/); import from there.

This re-export keeps tests written against the old path importing.
"""

from checkout_links.testing.realapp import (
    GUNICORN_CONF,
    NGINX_CONF,
    REPO,
    balanced,
    csrf_of,
    gunicorn_app,
    http_client,
    issue_link,
    path_of,
    race_one_link,
    render_nginx_conf,
    sample,
    scrape,
)

__all__ = [
    "GUNICORN_CONF",
    "NGINX_CONF",
    "REPO",
    "balanced",
    "csrf_of",
    "gunicorn_app",
    "http_client",
    "issue_link",
    "path_of",
    "race_one_link",
    "render_nginx_conf",
    "sample",
    "scrape",
]
