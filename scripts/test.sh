#!/usr/bin/env bash
# Run every check and test on a fresh machine: installs what it needs first.
# Usage: scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# Browser tests drive Debian's Chromium (never a downloaded browser build); the records
# store's tests also run on a private PostgreSQL server (Debian's postgresql); the
# certificate tests read the PDF's text back with pdftotext (poppler-utils).
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v npm >/dev/null || need="$need npm"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v pdftotext >/dev/null || need="$need poppler-utils"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian packages:$need"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  else
    echo "test: missing Debian packages:$need (sudo apt-get install$need); their tests will be skipped" >&2
  fi
fi

# axe-core, the accessibility checker the browser tests load into pages, and configurable-http-proxy,
# JupyterHub's proxy for the hub test (tests/js/package-lock.json)
if command -v npm >/dev/null; then
  installed=tests/js/node_modules/.package-lock.json  # npm writes it on each install
  if [ ! -f tests/js/node_modules/axe-core/axe.min.js ] || [ ! -x tests/js/node_modules/.bin/configurable-http-proxy ] \
     || [ tests/js/package-lock.json -nt "$installed" ]; then
    echo "test: installing axe-core and configurable-http-proxy (npm ci in tests/js)"
    (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  echo "test: npm is missing; the accessibility checks will be skipped" >&2
fi

# lint, format and types (configured in pyproject.toml), then the content, then the tests
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/course validate
.venv/bin/course build --check
exec .venv/bin/python -m pytest "$@"
