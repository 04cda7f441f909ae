"""The README's demo: the whole product on the embedded local default, no cloud account needed.

1. starts the Zoho Books sandbox (a seeded US + EU business) and the local BigQuery emulator;
2. `meltano run` syncs both Zoho data centers into one dataset (state cleared first);
3. edits, voids and pays documents in the sandbox, then `meltano run` again: only changes travel;
4. prints what landed: rows per table, the `_current` views, and finance answers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from local_services.bigquery_emulator import ROOT, BigQueryEmulator

DEMO_DIR = ROOT / ".demo"
MELTANO = ROOT / ".venv" / "bin" / "meltano"
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


def meltano_env(sandbox: dict, emulator: BigQueryEmulator) -> dict:
    env = dict(os.environ)
    env.update({
        "MELTANO_ENVIRONMENT": "local", "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ZOHO_SANDBOX_URL": sandbox["base_url"], "BIGQUERY_EMULATOR_URL": emulator.rest_url,
        # The sandbox's public test credentials; real ones live in .env (see README).
        "TAP_ZOHOBOOKS_CLIENT_SECRET": sandbox["client_secret"],
        "TAP_ZOHOBOOKS_REFRESH_TOKEN": sandbox["refresh_tokens"]["us"],
        "TAP_ZOHOBOOKS__EU_CLIENT_SECRET": sandbox["client_secret"],
        "TAP_ZOHOBOOKS__EU_REFRESH_TOKEN": sandbox["refresh_tokens"]["eu"],
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    })
    return env


def meltano(env: dict, *args: str, quiet: bool = True) -> None:
    started = time.monotonic()
    result = subprocess.run([str(MELTANO), *args], cwd=ROOT, env=env, capture_output=quiet, text=True)
    if result.returncode != 0:
        sys.stderr.write((result.stderr or "")[-4000:])
        raise SystemExit(f"error: `meltano {' '.join(args)}` failed (exit {result.returncode})")
    print(f"   meltano {' '.join(args)}  ({time.monotonic() - started:.1f}s)")


def ensure_plugins(env: dict) -> None:
    """`meltano install` once; again only when the dependencies change."""
    stamp = ROOT / ".meltano" / ".demo-install-stamp"
    want = str(hash((ROOT / "constraints.txt").read_text() + (ROOT / "meltano.yml").read_text()))
    if stamp.exists() and stamp.read_text() == want and (ROOT / ".meltano" / "extractors").exists():
        return
    print("== Installing the Meltano plugins (first run only)")
    meltano(env, "install")
    stamp.write_text(want)


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
    receivables = q(f"""
        SELECT organization_id, currency_code, COUNT(*) AS open_invoices, SUM(balance) AS open_balance,
               COUNTIF(due_date < CURRENT_DATE()) AS overdue
        FROM `{DATASET}.invoices_current`
        WHERE status NOT IN ('void', 'draft', 'paid') AND balance > 0
        GROUP BY organization_id, currency_code ORDER BY organization_id, currency_code""")
    print("\n== Finance: open receivables by organization and currency (from invoices_current)")
    print(table([[r["organization_id"], r["currency_code"], r["open_invoices"], f"{r['open_balance']:,.2f}",
                  r["overdue"]] for r in receivables],
                ["organization", "currency", "open invoices", "open balance", "overdue"]))
    history = q(f"""
        SELECT invoice_number, status, balance, _source, _operation, last_modified_time
        FROM `{DATASET}.invoices` WHERE invoice_id IN (
          SELECT invoice_id FROM `{DATASET}.invoices` GROUP BY invoice_id HAVING COUNT(*) > 1)
        ORDER BY invoice_number, last_modified_time""")
    print("\n== Audit trail: every version of the documents changed between the two runs")
    print(table([[r["invoice_number"], r["status"], f"{r['balance']:,.2f}", r["_source"], r["_operation"],
                  r["last_modified_time"].isoformat()] for r in history],
                ["invoice", "status", "balance", "source", "operation", "last_modified_time"]))


def main() -> None:
    documents = int(os.environ.get("DEMO_DOCUMENTS", "600"))
    shutil.rmtree(DEMO_DIR / "bigquery", ignore_errors=True)
    DEMO_DIR.mkdir(exist_ok=True)
    print(f"== Starting the Zoho Books sandbox ({documents} documents, US + EU) and the local BigQuery emulator")
    sandbox_proc, sandbox = start_sandbox(documents)
    emulator = BigQueryEmulator(DEMO_DIR / "bigquery", project=PROJECT, log_path=DEMO_DIR / "bigquery.log")
    try:
        emulator.start()
        env = meltano_env(sandbox, emulator)
        ensure_plugins(env)
        print("== First sync: both data centers into one dataset")
        for state_id in ("local:tap-zohobooks-to-target-bigquery-audit", "local:tap-zohobooks--eu-to-target-bigquery-audit"):
            subprocess.run([str(MELTANO), "state", "clear", "--force", state_id], cwd=ROOT, env=env, capture_output=True)
        meltano(env, "run", "tap-zohobooks", "target-bigquery-audit", "tap-zohobooks--eu", "target-bigquery-audit")
        first_calls = len(requests.get(f"{sandbox['base_url']}/_admin/requests", timeout=30).json()["requests"])
        print("== Changes in Zoho Books:")
        for change in make_changes(sandbox["base_url"]):
            print(f"   - {change}")
        meltano(env, "run", "tap-zohobooks", "target-bigquery-audit")
        calls = requests.get(f"{sandbox['base_url']}/_admin/requests", timeout=30).json()["requests"][first_calls:]
        details = sum(1 for c in calls if c["kind"] == "api" and c["path"].count("/") > 3)
        print(f"   incremental run: {len(calls)} API calls, of which {details} detail fetches of changed documents")
        report(emulator)
        print(f"\nExplore it: .venv-bqemu/bin/local-bigquery repl --port {emulator.port} --project {PROJECT} "
              "(while the demo runs), or run the demo again.")
    finally:
        emulator.stop()
        sandbox_proc.terminate()
        sandbox_proc.wait(10)


if __name__ == "__main__":
    main()
