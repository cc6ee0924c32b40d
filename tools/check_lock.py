"""Fail when constraints.txt and pyproject.toml disagree.

The lock (``constraints.txt``) pins every package that ``pip install -e
'.[test,dev,bench]'`` brings (every extra: ``tests/run.sh`` installs them
all), so the README's two commands install the same
versions on every machine. Run after installing from it (``tests/run.sh``
does); it checks, for the interpreter it runs under:

1. every requirement pyproject.toml declares (runtime and every extra) is
   pinned, to a version its specifier allows;
2. every package those requirements bring, transitively, is pinned, and the
   installed version is the pinned one;
3. the lock pins nothing that nothing requires here (a leftover).

Refresh the lock after changing a dependency (see README, "Dependencies").
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "checkout-links"


def read_lock(path: Path) -> dict[NormalizedName, Version]:
    """The pins of the lock that apply to this interpreter."""
    pins: dict[NormalizedName, Version] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        (spec,) = req.specifier
        if spec.operator != "==":
            raise SystemExit(f"{path.name}: {line!r} is not an exact pin")
        pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def declared() -> tuple[list[Requirement], list[str]]:
    """pyproject's runtime requirements and the names of its extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    extras = sorted(project.get("optional-dependencies", {}))
    for extra in extras:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return [r for r in reqs if canonicalize_name(r.name) != PROJECT], extras


def applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    env = default_environment()
    return any(req.marker.evaluate({**env, "extra": e}) for e in extras | {""})


def closure(extras: list[str]) -> set[NormalizedName]:
    """Every installed distribution the project with ``extras`` brings."""
    visited: set[tuple[NormalizedName, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str]]] = [(PROJECT, frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        for text in metadata.distribution(name).requires or []:
            req = Requirement(text)
            key = canonicalize_name(req.name)
            step = (key, frozenset(req.extras))
            if key == PROJECT or step in visited or not applies(req, set(wanted)):
                continue
            visited.add(step)  # each package once per set of extras: cycles end
            todo.append((req.name, step[1]))
    return {key for key, _ in visited}


def problems() -> list[str]:
    pins = read_lock(ROOT / "constraints.txt")
    reqs, extras = declared()
    found: list[str] = []
    for req in reqs:
        key = canonicalize_name(req.name)
        if not applies(req, set(extras)):
            continue
        if key not in pins:
            found.append(f"{req.name}: declared in pyproject.toml, not pinned in the lock")
        elif not req.specifier.contains(pins[key], prereleases=True):
            found.append(f"{req.name}: the lock pins {pins[key]}, pyproject.toml wants {req}")
    needed = closure(extras)
    for key in sorted(needed):
        installed = Version(metadata.version(key))
        if key not in pins:
            found.append(f"{key} {installed}: installed as a dependency, not pinned in the lock")
        elif installed != pins[key]:
            found.append(f"{key}: installed {installed}, the lock pins {pins[key]}")
    for key in sorted(set(pins) - needed):
        found.append(f"{key}: pinned in the lock, required by nothing")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(f"constraints.txt: {line}", file=sys.stderr)
    if found:
        print("Refresh it: see README.md, 'Dependencies'.", file=sys.stderr)
        return 1
    print("constraints.txt agrees with pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
