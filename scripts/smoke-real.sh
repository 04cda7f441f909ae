#!/usr/bin/env bash
# Opt-in smoke test against YOUR real Zoho Books organization and a scratch BigQuery dataset, to check a
# setup before scheduling it. Zoho is only read; BigQuery gets a new dataset that this script deletes
# at the end (keep it with SMOKE_KEEP_DATASET=1). Nothing runs unless the credentials below are set:
#
#   TAP_ZOHOBOOKS_CLIENT_ID, TAP_ZOHOBOOKS_CLIENT_SECRET, TAP_ZOHOBOOKS_REFRESH_TOKEN (TAP_ZOHOBOOKS_REGION)
#   TARGET_BIGQUERY_AUDIT_PROJECT and TARGET_BIGQUERY_AUDIT_CREDENTIALS_PATH (or application default creds)
#
# It syncs documents modified in the last SMOKE_DAYS days (default 3) with its own state (a separate
# Meltano system database), so your scheduled pipeline's state is untouched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ -f .env ]] && set -a && . ./.env && set +a
missing=()
for name in TAP_ZOHOBOOKS_CLIENT_ID TAP_ZOHOBOOKS_CLIENT_SECRET TAP_ZOHOBOOKS_REFRESH_TOKEN TARGET_BIGQUERY_AUDIT_PROJECT; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if (( ${#missing[@]} )); then
  echo "skipped: real Zoho/BigQuery credentials not set (${missing[*]}); see the header of scripts/smoke-real.sh"
  exit 0
fi
days="${SMOKE_DAYS:-3}"
dataset="zoho_smoke_$(date -u +%Y%m%d%H%M%S)"
work="$(mktemp -d)"
export MELTANO_ENVIRONMENT=prod MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export MELTANO_DATABASE_URI="sqlite:///$work/meltano.db"
export TARGET_BIGQUERY_AUDIT_DATASET="$dataset" TARGET_BIGQUERY_AUDIT_RETRY_QUEUE_DIR="$work/retry-queue"
export TAP_ZOHOBOOKS_START_DATE="$(date -u -d "-$days days" +%Y-%m-%dT%H:%M:%SZ)"
export TAP_ZOHOBOOKS_MODE=poll
cleanup() {
  if [[ "${SMOKE_KEEP_DATASET:-}" == 1 ]]; then
    echo "kept dataset $TARGET_BIGQUERY_AUDIT_PROJECT.$dataset (delete it with: bq rm -r -f -d $TARGET_BIGQUERY_AUDIT_PROJECT:$dataset)"
  else
    .venv/bin/python - "$TARGET_BIGQUERY_AUDIT_PROJECT" "$dataset" <<'PY' || echo "could not delete the dataset: bq rm -r -f -d $TARGET_BIGQUERY_AUDIT_PROJECT:$dataset"
import sys
from google.cloud import bigquery
bigquery.Client(project=sys.argv[1]).delete_dataset(f"{sys.argv[1]}.{sys.argv[2]}", delete_contents=True, not_found_ok=True)
print(f"deleted scratch dataset {sys.argv[1]}.{sys.argv[2]}")
PY
  fi
  rm -rf "$work"
}
trap cleanup EXIT
.venv/bin/meltano install
.venv/bin/meltano config test tap-zohobooks
.venv/bin/meltano run tap-zohobooks target-bigquery-audit
.venv/bin/python - "$TARGET_BIGQUERY_AUDIT_PROJECT" "$dataset" <<'PY'
import sys
from google.cloud import bigquery
client = bigquery.Client(project=sys.argv[1])
for table in client.list_tables(f"{sys.argv[1]}.{sys.argv[2]}"):
    rows = next(iter(client.query(f"SELECT COUNT(*) AS n FROM `{table.full_table_id.replace(':', '.')}`").result())).n
    print(f"{table.table_id}: {rows} rows")
print("smoke test passed: your Zoho credentials and BigQuery project work with this pipeline")
PY
