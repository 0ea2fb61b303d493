#!/usr/bin/env bash
# Start the course: Voila on http://127.0.0.1:8866 with a SQLite records store in var/.
# Usage: scripts/start.sh [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/course validate >/dev/null || { .venv/bin/course validate; exit 1; }
exec .venv/bin/course serve "$@"
