"""localstripe, a stateful fake Stripe (API, webhooks and a mock Stripe.js), on 127.0.0.1.

The card tests and ``bench/payment_faults.py`` point the service at it with
``CHECKOUT_STRIPE_API_BASE`` = :attr:`LocalStripe.url` and ``CHECKOUT_STRIPE_JS_URL``
= :attr:`LocalStripe.js_url`. Its test cards (read from localstripe's source):

- ``4242424242424242`` is charged;
- ``4000000000000341`` is declined when charged (``card_declined``);
- ``4000002500003155`` asks for 3-D Secure first (its mock Stripe.js shows a dialog
  with "Complete authentication" and "Fail authentication").

Two of its habits are changed by the launcher, not by patching the package on
disk: it binds 127.0.0.1 only (it binds every interface otherwise), and it keeps
its state in memory (it pickles every write to one shared ``/tmp`` file
otherwise, which parallel test runs would overwrite for each other).
"""

from __future__ import annotations

import http.client
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Self

from checkout_links.testing.servers import HOST, ProcessServer, _Managed, free_port, wait_until

_BOOT = """
import sys
from aiohttp import web
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None
web.run_app(server.app, host=sys.argv[1], port=int(sys.argv[2]), print=None)
"""


class LocalStripe(_Managed):
    """One localstripe process; ``register_webhook`` makes it sign and send its events."""

    def __init__(self, directory: Path, *, port: int | None = None) -> None:
        self.port = port if port is not None else free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.js_url = f"{self.url}/js.stripe.com/v3/"
        argv = [sys.executable, "-c", _BOOT, HOST, str(self.port)]
        self.process = ProcessServer(
            argv, port=self.port, log_path=directory / "localstripe.log", name="localstripe"
        )

    def start(self) -> Self:
        self.process.start()
        wait_until("localstripe's Stripe.js", self._serves_js, 30.0, self.process)
        return self

    def stop(self) -> None:
        self.process.stop()

    def _serves_js(self) -> bool:
        return self._call("GET", "/js.stripe.com/v3/")[0] == 200

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10.0)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            ctype = response.getheader("Content-Type", "")
            return response.status, json.loads(raw) if "json" in ctype and raw else raw
        finally:
            conn.close()

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        """Send every event to ``url``, signed with ``secret`` as Stripe signs them.

        localstripe sends each event about a second after it happens, once, to
        every registered endpoint.
        """
        status, _ = self._call("POST", f"/_config/webhooks/{name}", {"url": url, "secret": secret})
        assert status == 200, status

    def card_token(self, number: str, publishable_key: str) -> str:
        """Tokenise a test card as Stripe.js does in the browser (``POST /v1/tokens`` with the
        publishable key); returns the ``tok_...`` id, all the service ever receives."""
        form = {
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
            "key": publishable_key,
        }
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10.0)
        try:
            body = urllib.parse.urlencode(form)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", "/v1/tokens", body=body, headers=headers)
            answer = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        return str(answer["id"])

    def authenticate(
        self, intent_id: str, client_secret: str, publishable_key: str, ok: bool
    ) -> None:
        """Complete (or fail) a 3-D Secure challenge, as the mock Stripe.js's dialog does."""
        path = f"/v1/payment_intents/{intent_id}/_authenticate?success={str(ok).lower()}"
        status, _ = self._call(
            "POST", path, {"key": publishable_key, "client_secret": client_secret}
        )
        assert status == 200, status

    def get(self, path: str, secret_key: str) -> dict[str, Any]:
        """``GET /v1/...`` with ``secret_key``, as the Stripe dashboard would show it."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10.0)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {secret_key}"})
            response = conn.getresponse()
            body: dict[str, Any] = json.loads(response.read())
            assert response.status == 200, body
            return body
        finally:
            conn.close()

    def list_all(self, path: str, secret_key: str) -> list[dict[str, Any]]:
        """Every object of a list endpoint (``/v1/charges``...), following its pages."""
        items: list[dict[str, Any]] = []
        after = ""
        while True:
            query = f"?limit=100{'&starting_after=' + after if after else ''}"
            page = self.get(path + query, secret_key)
            items += page["data"]
            if not page.get("has_more") or not page["data"]:
                return items
            after = page["data"][-1]["id"]

    def charges(self, payment_intent: str, secret_key: str) -> list[dict[str, Any]]:
        """The succeeded charges of ``payment_intent`` (read from the whole charge list)."""
        return [
            c for c in self.succeeded_charges(secret_key) if c["payment_intent"] == payment_intent
        ]

    def succeeded_charges(self, secret_key: str) -> list[dict[str, Any]]:
        """Every succeeded charge localstripe holds."""
        return [c for c in self.list_all("/v1/charges", secret_key) if c["status"] == "succeeded"]
