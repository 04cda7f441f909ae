#!/usr/bin/env bash
# The README's demo command: installs what it needs (first run only), then runs the pipeline on the
# embedded local default (Zoho Books sandbox + local BigQuery emulator) and shows what landed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" --emulator
cd "$root"
exec .venv/bin/python -m local_services.demo "$@"
