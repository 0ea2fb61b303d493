#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the pinned packages from pyproject.toml.
# Usage: scripts/setup.sh [extra]   e.g. scripts/setup.sh test
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py="$(find_python)" || { echo "setup: Python 3.11 is needed (install python3.11, or set PYTHON=/path/to/python3.11)" >&2; exit 1; }
  if ! "$py" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv && "$py" -m venv .venv
    else
      echo "setup: '$py -m venv' failed; install the python3-venv package" >&2; exit 1
    fi
  fi
fi

target="."
[ -n "$extra" ] && target=".[$extra]"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extra:-base}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing pinned packages into .venv (about a minute the first time)…"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
