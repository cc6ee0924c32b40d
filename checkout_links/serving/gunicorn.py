"""Running the web app under gunicorn from the command line (``serve``, ``demo``)."""

from __future__ import annotations

from flask import Flask

from checkout_links.core.config import MAX_REQUEST_LINE


def run(app: Flask, bind: str, workers: int, threads: int, worker_class: str) -> None:
    """Serve ``app`` under gunicorn with the CLI's settings (production uses deploy/).

    ``gevent`` runs the guarded gevent worker (a connection cap per client address and a
    request-read deadline, ``serving/gevent_worker.py``), whose limits are checked here.
    """
    from gunicorn.app.base import BaseApplication

    if worker_class == "gevent":
        from checkout_links.serving.gevent_worker import WORKER_CLASS, limits

        limits()
        worker_class = WORKER_CLASS

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", worker_class)
            self.cfg.set("limit_request_line", MAX_REQUEST_LINE)
            self.cfg.set("logger_class", "checkout_links.serving.access_log.RedactingLogger")
            self.cfg.set("accesslog", "-")
            # Recent gunicorn opens a control socket at one path per user
            # ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl), so a second
            # instance on the machine would take over the first's; nothing
            # here uses it (deploy/gunicorn.conf.py turns it off too).
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Flask:
            return app

    _Server().run()


def patch_for_gevent() -> None:
    """Make sockets, locks and sleeps cooperative before the app (and its Redis pool) exists.

    gunicorn's gevent worker patches only in the worker, after this process
    has built the app. ``ssl`` is imported already (httpx, for the webhook
    worker), but no SSL context exists yet, which is what the warning is about.
    """
    import warnings

    from gevent import monkey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", monkey.MonkeyPatchWarning)
        monkey.patch_all()
