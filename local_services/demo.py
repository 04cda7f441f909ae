"""The README's demo: the whole product on the embedded local default, no cloud account needed.

1. starts the Zoho Books sandbox (a seeded US + EU business) and the local BigQuery emulator;
2. `meltano run` syncs both Zoho data centers into one dataset (state cleared first);
3. edits, voids and pays documents in the sandbox, then `meltano run` again: only changes travel;
4. prints what landed: rows per table, the `_current` views, and finance answers;
5. runs the reconciliation report for each data center: Zoho now against the `_current` views.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time

import requests

from local_services.bigquery_emulator import ROOT, BigQueryEmulator
from local_services.meltano_runner import ensure_plugins, meltano, meltano_env

DEMO_DIR = ROOT / ".demo"
STREAMS = ["invoices", "bills", "purchase_orders", "customer_payments", "vendor_payments"]
PROJECT, DATASET = "demo-project", "zoho_books"


def start_sandbox(documents: int) -> tuple[subprocess.Popen, dict]:
    anchor = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "local_services.zoho_sandbox", "--documents", str(documents),
         "--anchor", anchor.isoformat(), "--set", "requests_per_window=100000"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("error: the Zoho Books sandbox did not start")
    return proc, json.loads(line)


def run(env: dict, *args: str) -> None:
    started = time.monotonic()
    try:
        meltano(env, *args)
    except RuntimeError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"   meltano {' '.join(args)}  ({time.monotonic() - started:.1f}s)")


def make_changes(base: str) -> list[str]:
    """What a bookkeeper might do between two syncs."""
    admin = f"{base}/_admin/orgs/60001000001"
    invoices = requests.get(f"{admin}/invoices", timeout=30).json()["documents"]
    open_invoice = next(d for d in invoices if d["status"] in ("sent", "overdue") and d["balance"] > 0)
    to_void = next(d for d in invoices if d["status"] == "sent" and d is not open_invoice)
    requests.patch(f"{admin}/invoices/{open_invoice['invoice_id']}", json={"reference_number": "PO-2024-118"}, timeout=30)
    requests.post(f"{admin}/invoices/{to_void['invoice_id']}/void", timeout=30)
    payment = requests.post(f"{admin}/customerpayments", json={
        "customer_id": open_invoice["customer_id"], "amount": "100.10",
        "applied": [{"invoice_id": open_invoice["invoice_id"], "amount_applied": "100.10"}]}, timeout=30).json()
    return [f"edited and part-paid {open_invoice['invoice_number']} (payment {payment['payment_number']}, 100.10)",
            f"voided {to_void['invoice_number']}"]


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*header), fmt.format(*["-" * w for w in widths])] + [fmt.format(*r) for r in rows])


def report(emulator: BigQueryEmulator) -> None:
    client = emulator.client()
    q = lambda sql: [dict(r) for r in client.query(sql).result()]  # noqa: E731
    rows = []
    for stream in STREAMS:
        total = q(f"SELECT COUNT(*) AS n FROM `{DATASET}.{stream}`")[0]["n"]
        current = q(f"SELECT COUNT(*) AS n FROM `{DATASET}.{stream}_current`")[0]["n"]
        rows.append([stream, total, current])
    dead = q(f"SELECT COUNT(*) AS n FROM `{DATASET}._dead_letter`")[0]["n"]
    print("\n== What landed in BigQuery (append-only tables; _current = latest version of each document)")
    print(table(rows, ["table", "rows (all versions)", "documents (_current)"]))
    print(f"dead-letter rows: {dead}")
    overdue = q(f"""
        SELECT organization_id, organization_name, base_currency_code, currency_code, COUNT(*) AS invoices,
               SUM(open_balance) AS open_balance, SUM(open_balance_base) AS open_balance_base,
               CAST(AVG(days_overdue) AS INT64) AS avg_days
        FROM `{DATASET}.finance_overdue_invoices` GROUP BY 1, 2, 3, 4 ORDER BY 1, 4""")
    print("\n== Finance: overdue invoices (finance_overdue_invoices), in invoice and base currency")
    print(table([[r["organization_name"] or r["organization_id"], r["currency_code"], r["invoices"],
                  f"{r['open_balance']:,.2f}", f"{r['open_balance_base']:,.2f} {r['base_currency_code'] or ''}",
                  r["avg_days"]] for r in overdue],
                ["organization", "currency", "overdue", "open balance", "in base currency", "avg days overdue"]))
    timeline = q(f"""
        SELECT organization_id, organization_name, COUNT(DISTINCT invoice_id) AS invoices, COUNT(*) AS payments,
               CAST(AVG(days_to_payment) AS INT64) AS to_payment,
               CAST(AVG(IF(payment_date = fully_paid_on, days_to_full_payment, NULL)) AS INT64) AS to_full
        FROM `{DATASET}.finance_invoice_payments` GROUP BY 1, 2 ORDER BY 1""")
    print("\n== Finance: invoice-to-payment timeline (finance_invoice_payments)")
    print(table([[r["organization_name"] or r["organization_id"], r["invoices"], r["payments"], r["to_payment"],
                  r["to_full"]] for r in timeline],
                ["organization", "invoices paid", "payments", "avg days to a payment", "avg days to full payment"]))
    totals = q(f"""
        SELECT organization_id, organization_name, base_currency_code, document_type, SUM(documents) AS documents,
               SUM(total_base) AS total_base
        FROM `{DATASET}.finance_totals_by_organization` GROUP BY 1, 2, 3, 4 ORDER BY 1, 4""")
    print("\n== Finance: documents and amounts in each organization's base currency (finance_totals_by_organization)")
    print(table([[r["organization_name"] or r["organization_id"], r["document_type"], r["documents"],
                  f"{r['total_base']:,.2f} {r['base_currency_code'] or ''}"] for r in totals],
                ["organization", "document type", "documents", "total (base currency)"]))
    history = q(f"""
        SELECT invoice_number, status, balance, _source, _operation, last_modified_time
        FROM `{DATASET}.invoices` WHERE invoice_id IN (
          SELECT invoice_id FROM `{DATASET}.invoices` GROUP BY invoice_id HAVING COUNT(*) > 1)
        ORDER BY invoice_number, last_modified_time""")
    print("\n== Audit trail: every version of the documents changed between the two runs")
    print(table([[r["invoice_number"], r["status"], f"{r['balance']:,.2f}", r["_source"], r["_operation"],
                  r["last_modified_time"].isoformat()] for r in history],
                ["invoice", "status", "balance", "source", "operation", "last_modified_time"]))


def sync_demo_data(env: dict, base_url: str) -> None:
    """The demo's data: both data centers synced (state cleared first), a bookkeeper's changes, and an
    incremental run. Also what tests/docs/test_docs_run.py queries the docs' SQL against."""
    ensure_plugins(env, "tap-zohobooks", "tap-zohobooks--eu", "target-bigquery-audit")
    print("== First sync: both data centers into one dataset")
    for state_id in ("local:tap-zohobooks-to-target-bigquery-audit", "local:tap-zohobooks--eu-to-target-bigquery-audit"):
        meltano(env, "state", "clear", "--force", state_id, check=False)
    run(env, "run", "tap-zohobooks", "target-bigquery-audit", "tap-zohobooks--eu", "target-bigquery-audit")
    first_calls = len(requests.get(f"{base_url}/_admin/requests", timeout=30).json()["requests"])
    print("== Changes in Zoho Books:")
    for change in make_changes(base_url):
        print(f"   - {change}")
    run(env, "run", "tap-zohobooks", "target-bigquery-audit")
    calls = requests.get(f"{base_url}/_admin/requests", timeout=30).json()["requests"][first_calls:]
    details = sum(1 for c in calls if c["kind"] == "api" and c["path"].count("/") > 3)
    print(f"   incremental run: {len(calls)} API calls, of which {details} detail fetches of changed documents")


def reconcile(env: dict) -> None:
    """The finance team's proof that nothing is missing (docs/reconciliation-report.md)."""
    print("\n== Reconciliation report: what Zoho lists now against BigQuery's _current views")
    for plugin in ("tap-zohobooks", "tap-zohobooks--eu"):
        result = meltano(env, "invoke", f"{plugin}:reconcile-report", check=False)
        print(result.stdout.rstrip())
        print(f"   meltano invoke {plugin}:reconcile-report: exit code {result.returncode} "
              f"({ {0: 'equal', 1: 'different'}.get(result.returncode, 'no verdict: ' + result.stderr.strip()[-300:]) })\n")


def main() -> None:
    documents = int(os.environ.get("DEMO_DOCUMENTS", "600"))
    shutil.rmtree(DEMO_DIR / "bigquery", ignore_errors=True)
    DEMO_DIR.mkdir(exist_ok=True)
    print(f"== Starting the Zoho Books sandbox ({documents} documents, US + EU) and the local BigQuery emulator")
    sandbox_proc, sandbox = start_sandbox(documents)
    emulator = BigQueryEmulator(DEMO_DIR / "bigquery", project=PROJECT, log_path=DEMO_DIR / "bigquery.log")
    try:
        emulator.start()
        if not (ROOT / ".meltano" / "extractors").exists():
            print("== Installing the Meltano plugins (first run only)")
        env = meltano_env(sandbox, emulator.rest_url, emulator.grpc_target)
        sync_demo_data(env, sandbox["base_url"])
        report(emulator)
        reconcile(env)
        server = ROOT / ".venv-bqemu" / "bin" / "local-bigquery"  # absolute: the commands work from any directory
        print(f"\nThe data stays in {DEMO_DIR / 'bigquery'}. To query it yourself:\n"
              f"  {server} serve --host 127.0.0.1 --port 9050 --grpc-port 9060 "
              f"--project {PROJECT} --data-dir {DEMO_DIR / 'bigquery'}\n"
              f"  {server} repl --port 9050 --project {PROJECT}   # in a second shell")
    finally:
        emulator.stop()
        sandbox_proc.terminate()
        sandbox_proc.wait(10)


if __name__ == "__main__":
    main()
