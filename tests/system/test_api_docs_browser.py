"""A real headless Chromium reading the API reference at /api/docs."""

from __future__ import annotations

import pytest
from flask import Flask

from checkout_links.testing.browser import PageFactory

pytestmark = pytest.mark.browser


def test_the_reference_page_renders_the_operations_from_the_service_alone(
    new_page: PageFactory, served_app: tuple[Flask, str]
) -> None:
    """/api/docs shows the "Issue a checkout link" operation with its 201 answer, loading
    nothing from another origin and breaking none of its Content-Security-Policy."""
    _, origin = served_app
    requested: list[str] = []
    page, problems = new_page(1280, 720)
    page.on("request", lambda req: requested.append(req.url))
    response = page.goto(origin + "/api/docs")
    assert response is not None
    assert response.status == 200
    operation = page.get_by_text("Issue a checkout link").first
    operation.wait_for(timeout=30_000)
    assert operation.is_visible()
    assert page.get_by_text("Read an order").first.is_visible()
    elsewhere = [u for u in requested if not u.startswith((origin, "blob:", "data:"))]
    assert elsewhere == []
    assert problems == []
