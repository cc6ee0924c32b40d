"""A served checkout with a branded seller and links in every page state.

Used by the browser tests (tests/system/test_checkout_browser.py) and by the script
that makes the screenshots of docs/checkout.md (docs/screenshots.py): both
need the same pages, for real, in a real browser.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import fakeredis
import msgspec
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from checkout_links.core.records import MerchantAccount
from checkout_links.testing import BERLIN, add_merchant, csrf_of, link_path, make_app
from checkout_links.testing.servers import HOST, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--font-render-hinting=none",
]
#: The widths every layout check covers (phones to desktops).
WIDTHS = (320, 375, 414, 768, 1024, 1280, 1440)
SELLER = {
    "display_name": "Ruiz Software GmbH",
    "brand_color": "#1b2a6b",
    "support_email": "help@ruiz.example",
    "support_url": "https://ruiz.example/help",
    "website_url": "https://ruiz.example/",
    "terms_url": "https://ruiz.example/terms",
    "privacy_url": "https://ruiz.example/privacy",
}
#: Images the pages show, served by the test app itself (the page's CSP allows https: and 'self').
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" '
    'rx="8" fill="#ffd400"/><path d="M11 29V11h10a6 6 0 0 1 0 12h-4l8 6" stroke="#1b2a6b" '
    'stroke-width="4" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
PRODUCT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48" '
    'fill="#e8eefc"/><rect x="10" y="14" width="28" height="20" rx="3" fill="#1b2a6b"/>'
    '<rect x="18" y="36" width="12" height="3" fill="#1b2a6b"/></svg>'
)

#: The smallest cart with choices: a licence of adjustable quantity, the kit and an upgrade
#: on offer, codes allowed (the browser tests' own links).
OFFERS: dict[str, Any] = {
    "products": [
        {
            "id": "pro-licence",
            "price": "100.00",
            "quantity": 2,
            "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10},
        }
    ],
    "optional_items": [
        {"id": "kit"},
        {"id": "pro-licence", "name": "Enterprise licence", "price": "300.00", "replaces": 0},
    ],
    "allow_promotion_codes": True,
}
#: A cart with choices: an adjustable line, a fixed one, an add-on, an upgrade, codes allowed.
CHOICES: dict[str, Any] = {
    "products": [
        {
            "id": "pro-licence",
            "name": "Pro licence",
            "description": "Includes the support plan listed in annex A.",
            "properties": {"seats": "25", "term": "12 months"},
            "price": "100.00",
            "quantity": 2,
            "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10},
        },
        {"id": "kit", "quantity": 1},
    ],
    "optional_items": [
        {"id": "kit"},
        {"id": "pro-licence", "name": "Enterprise licence", "price": "300.00", "replaces": 0},
    ],
    "allow_promotion_codes": True,
}
#: The promotion code the storefront knows (10 % off).
CODE = "TENOFF"


@dataclass
class Storefront:
    """The served app, its API client and the links made for one locale."""

    app: Flask
    origin: str
    server: fakeredis.FakeServer
    auth: dict[str, str]
    links: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def api(self) -> FlaskClient:
        return self.app.test_client()

    def issue(self, locale: str, **extra: Any) -> dict[str, Any]:
        """A link for a two-line cart (one line with a long name and an image)."""
        body: dict[str, Any] = {
            "products": [
                {
                    "id": "pro-licence",
                    "name": "Pro licence for the whole engineering organisation, 25 seats, "
                    "12 months, with priority onboarding",
                    "price": "1249.00",
                    "properties": {"seats": "25", "term": "12 months", "region": "EU-West"},
                    "subscription": {"interval": "year", "interval_count": 1},
                },
                {"id": "kit", "quantity": 2},
            ],
            # The kit is physical: its order needs the billing address, prefilled here.
            "customer": {"email": "ana@example.com", "first_name": "Ana", **BERLIN},
            "locale": locale,
            **extra,
        }
        answer = self.api.post("/api/v1/links", json=body, headers=self.auth)
        assert answer.status_code == 201, answer.get_json()
        link: dict[str, Any] = answer.get_json()
        return link

    def issue_choices(self, locale: str) -> str:
        """The URL of a link with cart choices (:data:`CHOICES`)."""
        return str(self.issue(locale, **CHOICES)["url"])

    def confirmation_url(self, locale: str) -> str:
        """A placed order's confirmation page."""
        link = self.issue(locale)
        path = link_path(link["url"])
        client = self.api
        form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
        form |= {"email": "ana@example.com", "first_name": "Ana", "last_name": "Ruiz", **BERLIN}
        placed = client.post(path, data=form)
        assert placed.status_code == 303, placed.get_data(as_text=True)
        return self.origin + placed.headers["Location"]

    def gone_url(self, locale: str, reason: str) -> str:
        """A link that answers 410 for ``reason`` (completed, revoked, expired)."""
        if reason == "expired":
            link = self.issue(locale, expires_in=1)
            time.sleep(1.05)
            return str(link["url"])
        link = self.issue(locale)
        if reason == "revoked":
            revoked = self.api.post(f"/api/v1/links/{link['id']}/revoke", headers=self.auth)
            assert revoked.status_code == 200
        else:
            self.confirmation_url_of(link)
        return str(link["url"])

    def confirmation_url_of(self, link: dict[str, Any]) -> None:
        path = link_path(link["url"])
        client = self.api
        form = {"csrf_token": csrf_of(client.get(path).get_data(as_text=True))}
        assert (
            client.post(path, data={**form, "email": "a@example.com", **BERLIN}).status_code == 303
        )

    def set_logo(self, url: str) -> None:
        """Point the seller's logo at ``url`` directly, past the API's https rule."""
        from checkout_links.web.extensions import services

        with self.app.app_context():
            merchants = services().merchants
            record = merchants.get("acme")
            assert isinstance(record.account, MerchantAccount)
            account = msgspec.structs.replace(record.account, logo_url=url)
            merchants.save(msgspec.structs.replace(record, account=account))

    @contextmanager
    def outage(self) -> Iterator[None]:
        """The store unreachable while inside (every page then answers 503)."""
        self.server.connected = False
        try:
            yield
        finally:
            self.server.connected = True


@contextmanager
def storefront(**settings: Any) -> Iterator[Storefront]:
    """The app on fakeredis, served on 127.0.0.1 by a threaded server, with a branded seller.

    ``settings`` override the app's (e.g. ``stripe_api_base`` for the card payment tests).
    """
    port = free_port()
    origin = f"http://{HOST}:{port}"
    server = fakeredis.FakeServer()
    app = make_app(fakeredis.FakeRedis(server=server), base_url=origin, **settings)

    @app.get("/test-images/<name>.svg")
    def _image(name: str) -> Any:
        return app.response_class(
            LOGO_SVG if name == "logo" else PRODUCT_SVG, mimetype="image/svg+xml"
        )

    auth = {"Authorization": f"Bearer {add_merchant(app)}"}
    shop = Storefront(app=app, origin=origin, server=server, auth=auth)
    client = shop.api
    # The logo and product images are served by the app itself (http on loopback; a real
    # seller's are https): set here directly, past the API's https rule.
    answer = client.patch("/api/v1/account", json=SELLER, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    shop.set_logo(f"{origin}/test-images/logo.svg")
    # Return-URL rules apply to images: http is allowed for a loopback host.
    kit = {"name": "Setup kit, EU plug", "price": "49.90", "currency": "EUR"}
    kit |= {"delivery": "physical", "image_url": f"{origin}/test-images/kit.svg"}
    assert client.put("/api/v1/products/kit", json=kit, headers=auth).status_code == 200
    code = client.put(f"/api/v1/promotions/{CODE}", json={"percent": "10"}, headers=auth)
    assert code.status_code == 201, code.get_json()
    http = make_server(HOST, port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield shop
    finally:
        http.shutdown()
        thread.join(timeout=10)
