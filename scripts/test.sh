#!/usr/bin/env bash
# Run every check and test on a fresh machine: installs what it needs first.
# Usage: scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# Browser tests drive Debian's Chromium (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian chromium for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test: /usr/bin/chromium is missing (sudo apt-get install chromium); browser tests will be skipped" >&2
  fi
fi

.venv/bin/course validate
.venv/bin/course build --check
exec .venv/bin/python -m pytest "$@"
