"""Query parameters of the client's list calls."""

from __future__ import annotations

from datetime import datetime


def _instant(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("created_gte/created_lt need a timezone-aware datetime")
    return value.isoformat()


def _filters(
    created_gte: datetime | str | None, created_lt: datetime | str | None, external_ref: str | None
) -> dict[str, str]:
    params = {}
    if created_gte is not None:
        params["created_gte"] = _instant(created_gte)
    if created_lt is not None:
        params["created_lt"] = _instant(created_lt)
    if external_ref is not None:
        params["external_ref"] = external_ref
    return params


def _page(cursor: str | None, limit: int, **filters: str | None) -> dict[str, str]:
    params = {"limit": str(limit)}
    if cursor:
        params["cursor"] = cursor
    params.update({name: value for name, value in filters.items() if value})
    return params
