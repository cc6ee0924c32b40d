#!/usr/bin/env bash
# The whole test suite from a fresh Debian machine: installs what the tests
# use (Debian: redis-server, nginx, chromium; PyPI: the test, dev and bench extras at
# the versions of constraints.txt), runs the
# linters and type checker, then pytest. Servers are started by the fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in redis-server:redis-server redis-cli:redis-tools nginx:nginx-light \
            chromium:chromium chromedriver:chromium-driver wrk:wrk curl:curl \
            faketime:faketime; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
# Arabic, Hebrew and CJK glyphs for the checkout's browser tests and screenshots.
for font in fonts-noto-core fonts-noto-cjk; do
  dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q "ok installed" || need+=("$font")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Exactly the versions in constraints.txt (the lock; refresh it with
# tools/lock.sh), then a check that the lock and pyproject.toml agree.
python3 -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,dev,bench]'
echo "== lock";  python3 tools/check_lock.py

# One command a line: under set -e a failure inside an && list other than its
# last command does not stop the script, and a ruff finding went by unnoticed.
echo "== ruff";  python3 -m ruff check .
python3 -m ruff format --check .
echo "== mypy";  python3 -m mypy checkout_links
echo "== import-linter"; lint-imports --no-cache
echo "== pytest"
python3 -m pytest -p no:cacheprovider "$@"
