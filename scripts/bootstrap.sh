#!/usr/bin/env bash
# Installs the project's dev environment (.venv, from uv.lock) and, with --emulator, the local BigQuery
# emulator (.venv-bqemu). Idempotent: a second call with nothing changed returns in well under a second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
UV_VERSION="0.13.9"

find_python() {  # $1: minimum minor, $2: maximum minor (inclusive)
  local c
  for c in "python3.$2" python3.11 python3.12 python3.10 python3.13 python3 "$HOME"/.pyenv/versions/3.*/bin/python3; do
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    if "$c" -c "import sys; sys.exit(not ((3,$1) <= sys.version_info[:2] <= (3,$2)))" 2>/dev/null; then
      command -v "$c" 2>/dev/null || echo "$c"; return 0
    fi
  done
  return 1
}

install_uv() {
  if [ ! -x .tools/bin/uv ]; then
    local py; py="$(find_python 10 13)" || { echo "error: no Python 3.10-3.13 found; install one (e.g. apt-get install python3)" >&2; exit 1; }
    "$py" -m venv .tools
    .tools/bin/pip install -q "uv==$UV_VERSION"
  fi
}

install_dev() {
  local stamp=.venv/.lock-stamp want
  want="$(sha256sum uv.lock pyproject.toml | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  install_uv
  local py; py="$(find_python 10 13)"
  echo "==> installing the dev environment (.venv) from uv.lock"
  UV_PYTHON="$py" UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --locked --extra dev --compile-bytecode --quiet
  echo "$want" > "$stamp"
}

install_emulator() {
  local stamp=.venv-bqemu/.installed want="local-bigquery==0.3.2 duckdb==1.5.5"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  local py; py="$(find_python 13 13)" || { echo "error: the BigQuery emulator needs Python 3.13 (pyenv install 3.13, or apt-get install python3.13)" >&2; exit 1; }
  install_uv
  echo "==> installing the local BigQuery emulator (.venv-bqemu, Python 3.13)"
  rm -rf .venv-bqemu
  .tools/bin/uv venv -q --python "$py" .venv-bqemu
  VIRTUAL_ENV="$root/.venv-bqemu" .tools/bin/uv pip install -q --compile-bytecode -r scripts/bigquery-emulator.requirements.txt
  # DuckDB cannot download its extensions offline: install the ones the emulator needs from the PyPI wheels.
  .venv-bqemu/bin/python - <<'PY'
import importlib.util, pathlib, duckdb
con = duckdb.connect()
for name in ("icu", "ducklake", "spatial"):
    pkg = pathlib.Path(importlib.util.find_spec(f"duckdb_extension_{name}").origin).parent
    files = list(pkg.rglob(f"{name}.duckdb_extension"))
    if not files:
        raise SystemExit(f"error: {name}.duckdb_extension not found in {pkg}")
    con.execute(f"INSTALL '{files[0]}'")
PY
  echo "$want" > "$stamp"
}

install_dev
if [ "${1:-}" = "--emulator" ]; then install_emulator; fi
