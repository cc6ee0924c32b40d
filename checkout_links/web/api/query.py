"""Query parameters declared once: each declaration is both the document's schema and the parser.

A constructor here (:func:`integer`, :func:`one_of`, :func:`text`,
:func:`cursor`, :func:`instant`) takes the parameter's rules once and builds
the OpenAPI ``schema`` and the ``parse`` function of a
:class:`~checkout_links.web.api.operations.QueryParam` from them, so what the
document promises is what the API checks. A view calls :func:`parse_query`
with the parameters its operation declares and reads typed values from the
:class:`Query` it returns. Query parameters nobody declared are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from checkout_links.core.errors import FieldError, ValidationFailed
from checkout_links.core.i18n.messages import INVALID
from checkout_links.core.orders.queries import parse_rfc3339_ms
from checkout_links.web.api.operations import Param, QueryParam

T = TypeVar("T")
S = TypeVar("S", bound=str)


def _refuse(name: str, msg: str, detail: str = INVALID) -> ValidationFailed:
    return ValidationFailed(detail, errors=[FieldError(("query", name), msg)])


class Query:
    """The typed values of a request's declared query parameters."""

    __slots__ = ("_params", "_values")

    def __init__(self, params: tuple[QueryParam[Any], ...], values: list[Any]) -> None:
        self._params = params
        self._values = values

    def __getitem__(self, param: QueryParam[T]) -> T:
        """The value of ``param``; ``KeyError`` if the operation does not declare it."""
        for n, declared in enumerate(self._params):
            if declared is param:
                return cast(T, self._values[n])
        raise KeyError(param.name)


def parse_query(args: Mapping[str, str], params: tuple[Param, ...]) -> Query:
    """Every query parameter of ``params`` parsed from ``args``, in declaration order.

    The first value a parameter does not allow raises ``ValidationFailed``
    naming it; path and header parameters are skipped, undeclared names ignored.
    """
    declared = tuple(p for p in params if isinstance(p, QueryParam))
    return Query(declared, [p.parse(args.get(p.name)) for p in declared])


def integer(
    name: str, description: str, *, minimum: int, maximum: int, default: int, example: int
) -> QueryParam[int]:
    """A whole number from ``minimum`` to ``maximum`` (ASCII digits only), ``default`` if absent."""
    if minimum < 0:
        raise ValueError("a negative minimum needs a sign the parser does not read")
    # fullmatch on ASCII digits: str.isdigit() also takes "²", which int() refuses.
    digits = re.compile(f"[0-9]{{1,{len(str(maximum))}}}")
    msg = f"Use a whole number from {minimum} to {maximum}."

    def parse(raw: str | None) -> int:
        if raw is None:
            return default
        if not digits.fullmatch(raw) or not minimum <= int(raw) <= maximum:
            raise _refuse(name, msg)
        return int(raw)

    schema = {"type": "integer", "minimum": minimum, "maximum": maximum, "default": default}
    return QueryParam(name, "query", description, schema, example, parse=parse)


def one_of(
    name: str, description: str, values: tuple[S, ...], *, example: S
) -> QueryParam[S | None]:
    """One of ``values`` exactly, or ``None`` if absent."""
    msg = "must be one of " + ", ".join(values)

    def parse(raw: str | None) -> S | None:
        if raw is None:
            return None
        if raw not in values:
            raise _refuse(name, msg, f"{name} {msg}.")
        return raw

    schema = {"type": "string", "enum": list(values)}
    return QueryParam(name, "query", description, schema, example, parse=parse)


def text(
    name: str,
    description: str,
    *,
    example: str,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    msg: str = "",
    detail: str = INVALID,
) -> QueryParam[str | None]:
    """Any string within the lengths that matches ``pattern``, or ``None`` if absent.

    ``pattern`` must be anchored (``^...$``): it is checked with ``re.fullmatch``,
    whose ``$`` is JSON Schema's (Python's ``re.search`` lets ``$`` match before
    a final newline). ``msg`` and ``detail`` word the 422 of a value it refuses.
    """
    if pattern is not None and not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"the pattern of {name!r} is not anchored: {pattern}")
    if (min_length, max_length, pattern) != (None, None, None) and not msg:
        raise ValueError(f"{name!r} has rules but no message for a value that breaks them")
    compiled = re.compile(pattern) if pattern is not None else None
    shortest, longest = min_length or 0, max_length

    def parse(raw: str | None) -> str | None:
        if raw is None:
            return None
        if (
            len(raw) < shortest
            or (longest is not None and len(raw) > longest)
            or (compiled is not None and not compiled.fullmatch(raw))
        ):
            raise _refuse(name, msg, detail)
        return raw

    schema: dict[str, Any] = {"type": "string"}
    if min_length is not None:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    if pattern is not None:
        schema["pattern"] = pattern
    return QueryParam(name, "query", description, schema, example, parse=parse)


def cursor(description: str, *, example: str, pattern: str | None = None) -> QueryParam[str | None]:
    """``cursor``: the ``next_cursor`` of the previous page; absent or empty is the first page."""
    checked = text(
        "cursor",
        description,
        example=example,
        pattern=pattern,
        msg="Send the next_cursor of a page as is.",
    )

    def parse(raw: str | None) -> str | None:
        return checked.parse(raw) or None

    return QueryParam("cursor", "query", description, checked.schema, example, parse=parse)


def instant(name: str, description: str, *, example: str) -> QueryParam[int | None]:
    """An RFC 3339 date-time with an offset, as Unix milliseconds rounded up; ``None`` if absent."""

    def parse(raw: str | None) -> int | None:
        return None if raw is None else parse_rfc3339_ms(raw, name)

    schema = {"type": "string", "format": "date-time"}
    return QueryParam(name, "query", description, schema, example, parse=parse)
