#!/usr/bin/env bash
# The README's test command: installs what it needs (first run only), then runs the whole suite
# against the real local services (Zoho Books sandbox, BigQuery emulator, Meltano).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" --emulator
cd "$root"
exec .venv/bin/python -m pytest "$@"
