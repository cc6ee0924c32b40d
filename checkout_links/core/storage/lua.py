"""The Lua scripts: each is a ``.lua`` file in the package that runs it.

A script may be composed of several files, concatenated in order, so variants
share their common parts as text (the ledger's four spends are one prelude and
one body with optional steps between). Files are read with
:mod:`importlib.resources`, so they load from a wheel as from a checkout.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def script(package: str, *parts: str) -> str:
    """The text of ``package``'s ``<part>.lua`` files, joined in order into one script."""
    folder = resources.files(package)
    return "".join(folder.joinpath(f"{part}.lua").read_text(encoding="utf-8") for part in parts)
