#!/usr/bin/env bash
# Run every check and test on a fresh machine: installs what it needs first.
# Usage: scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

# Browser tests drive Debian's Chromium (never a downloaded browser build); the records
# store's tests also run on a private PostgreSQL server (Debian's postgresql).
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian packages:$need"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  else
    echo "test: missing Debian packages:$need (sudo apt-get install$need); their tests will be skipped" >&2
  fi
fi

.venv/bin/course validate
.venv/bin/course build --check
exec .venv/bin/python -m pytest "$@"
