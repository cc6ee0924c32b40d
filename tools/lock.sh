#!/usr/bin/env bash
# Refresh constraints.txt, the lock tests/run.sh and deploy/Dockerfile install
# from. Run after changing a dependency in pyproject.toml; pass --upgrade (or
# --upgrade-package NAME) to move pins to today's releases, then run
# `bash tests/run.sh` before committing the new lock.
#   bash tools/lock.sh [--upgrade | --upgrade-package NAME ...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install -q --disable-pip-version-check uv
# Universal: one file for every platform the image and developers use, with
# markers where a platform differs; Python 3.11 is the oldest supported.
uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
  --custom-compile-command "bash tools/lock.sh" --quiet -o constraints.txt "$@"
