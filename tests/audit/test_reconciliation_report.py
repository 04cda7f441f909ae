"""The reconciliation report against the sandbox and the emulator: equal after a sync, every planted
difference named by id (an edited total, a delete, a void, a new document, a forged row), and after the
next sync only the forged row left."""

from __future__ import annotations

import contextlib
import io
import json
from decimal import Decimal

import pytest

from local_services.zoho_sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, sandbox_refresh_token
from tests.audit.conftest import US_ORG, US_ORG2, sync
from tests.helpers import query, tap_config, target_config
from tests.security.conftest import key_file  # noqa: F401  (fixture)
from tests.security.fake_google import service_account  # noqa: F401  (fixture)
from zohobooks_bigquery.credential_store import CredentialStore, load_key
from zohobooks_bigquery.reconciliation.cli import main


def report(tmp_path, tap_cfg: dict, *args: str) -> tuple[int, str, str]:
    """Run `zohobooks-reconcile` in-process: (exit code, stdout, stderr)."""
    path = tmp_path / "report-tap.json"
    path.write_text(json.dumps(tap_cfg))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as done:
        main(["--config", str(path), *args])
    return done.value.code, out.getvalue(), err.getvalue()


def details(sandbox, since: int) -> list[str]:
    """Detail calls (`<entity>/<id>`) made since request number `since`."""
    return [r["path"].split("/books/v3/")[1] for r in sandbox.api_calls(since=since)
            if r["path"].count("/") == 4 and "/settings/" not in r["path"]]


def with_bigquery(tap_cfg: dict, target_cfg: dict) -> dict:
    return {**tap_cfg, "bigquery_project": target_cfg["project"], "bigquery_dataset": target_cfg["dataset"],
            "bigquery_api_endpoint": target_cfg["api_endpoint"], "bigquery_emulator": True}


def test_equal_after_a_sync_then_every_planted_difference_is_named(sandbox, bigquery_emulator, bq, dataset, tmp_path):
    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG2])  # the smaller organization: a quick sync
    target = target_config(bigquery_emulator, dataset, tmp_path)
    state = sync(poll, target).state
    cfg = with_bigquery(poll, target)

    before = len(sandbox.requests)
    code, out, err = report(tmp_path, cfg)
    assert code == 0, out + err
    assert "No differences" in out
    assert details(sandbox, before) == []  # list pages only
    listed = {(US_ORG2, e): len(sandbox.store.records(US_ORG2, e)) for e in ("invoices", "bills", "purchaseorders", "customerpayments", "vendorpayments")}
    code, out, _ = report(tmp_path, cfg, "--format", "json")
    totals = json.loads(out)["totals"]
    assert code == 0 and all(t["equal"] for t in totals)
    counts = {}
    for t in totals:
        counts[(t["organization_id"], t["entity"])] = counts.get((t["organization_id"], t["entity"]), 0) + t["zoho_count"]
    paths = {"invoices": "invoices", "bills": "bills", "purchase_orders": "purchaseorders",
             "customer_payments": "customerpayments", "vendor_payments": "vendorpayments"}
    assert {(org, paths[e]): n for (org, e), n in counts.items()} == listed
    invoices = {r.doc_id: r.doc for r in sandbox.store.records(US_ORG2, "invoices")}
    expected_sum = sum((d["total"] for d in invoices.values() if d["currency_code"] == "USD"), Decimal(0))
    usd = next(t for t in totals if (t["organization_id"], t["entity"], t["currency"]) == (US_ORG2, "invoices", "USD"))
    assert Decimal(usd["zoho_sum"]) == Decimal(usd["bigquery_sum"]) == expected_sum

    # Plant differences in Zoho (no sync afterwards) and one forged row in BigQuery.
    edited = sorted(i for i, d in invoices.items() if not d.get("payments"))[0]
    synced_total = invoices[edited]["total"]
    sandbox.store.update(US_ORG2, "invoices", edited, {"total": Decimal("98765.43")})
    deleted = sorted(r.doc_id for r in sandbox.store.records(US_ORG2, "bills"))[0]
    sandbox.store.delete(US_ORG2, "bills", deleted)
    voided = sorted(r.doc_id for r in sandbox.store.records(US_ORG2, "purchaseorders")
                    if r.doc["status"] not in ("cancelled", "void"))[0]
    sandbox.store.void(US_ORG2, "purchaseorders", voided)
    created = sandbox.store.create(US_ORG2, "invoices", {})["invoice_id"]
    forged = "460000999999001"
    query(bq, f"""INSERT INTO `{dataset}.vendor_payments` (organization_id, payment_id, amount, currency_code,
                  _source_event_id, _source, _operation, _arrival_ts)
                  VALUES ('{US_ORG2}', '{forged}', 10.10, 'USD', 'forged-event', 'poll', 'upsert', CURRENT_TIMESTAMP())""")

    before = len(sandbox.requests)
    code, out, err = report(tmp_path, cfg, "--format", "json")
    assert code == 1, out + err
    assert sorted(details(sandbox, before)) == sorted([f"bills/{deleted}", f"vendorpayments/{forged}"])  # confirmed
    found = {(d["organization_id"], d["entity"], d["document_id"], d["difference"])
             for d in json.loads(out)["differences"]}
    assert found == {
        (US_ORG2, "invoices", edited, "total differs"),
        (US_ORG2, "bills", deleted, "extra in BigQuery"),
        (US_ORG2, "purchase_orders", voided, "void differs"),
        (US_ORG2, "invoices", created, "missing in BigQuery"),
        (US_ORG2, "vendor_payments", forged, "extra in BigQuery"),
    }
    edit = next(d for d in json.loads(out)["differences"] if d["document_id"] == edited)
    assert edit["zoho"]["amount"] == "98765.43" and Decimal(edit["bigquery"]["amount"]) == synced_total

    code, text, _ = report(tmp_path, cfg)
    assert code == 1
    for doc_id in (edited, deleted, voided, created, forged):
        assert doc_id in text
    assert "DIFFERENT" in text and "5 differing document(s)" in text

    # The next sync (with its reconcile pass) brings the edit, the void, the new invoice and the delete;
    # the voided purchase order now counts on both sides. Only the forged row is left.
    sync({**poll, "reconcile_interval_hours": 0}, target, state=state)
    code, out, err = report(tmp_path, cfg, "--format", "json")
    assert code == 1, err
    assert [(d["document_id"], d["difference"]) for d in json.loads(out)["differences"]] == [
        (forged, "extra in BigQuery")]


def test_bad_settings_give_one_line_and_exit_2(sandbox, bigquery_emulator, bq, dataset, tmp_path):
    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG])
    code, out, err = report(tmp_path, poll)
    assert (code, out) == (2, "")
    assert err.strip().splitlines()[-1] == (
        "zohobooks-reconcile: error: no BigQuery project or dataset for the report: set tap-zohobooks settings "
        "bigquery_project / bigquery_dataset (TAP_ZOHOBOOKS_BIGQUERY_PROJECT, ...), or pass --target-config with "
        "the target's config file")
    code, out, err = report(tmp_path, poll, "--config", str(tmp_path / "missing.json"))
    assert (code, out) == (2, "") and "Traceback" not in err
    assert err.strip().endswith("missing.json' was not found: check the --config / --target-config paths")
    target = target_config(bigquery_emulator, dataset, tmp_path)
    code, out, err = report(tmp_path, with_bigquery(poll, target))
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"zohobooks-reconcile: error: BigQuery dataset {bigquery_emulator.project}.{dataset} does not exist: check "
        "the dataset setting (the target's dataset, where the sync writes)")
    bq.create_dataset(dataset)
    code, _, err = report(tmp_path, {**with_bigquery(poll, target), "refresh_token": "1000.wrong"})
    assert code == 2 and "Traceback" not in err and "Zoho authentication failed" in err.strip().splitlines()[-1]
    code, out, err = report(tmp_path, {**with_bigquery(poll, target), "daily_call_budget": 2})
    assert (code, out) == (2, "")  # a listing cut by the quota: no half report, no verdict
    assert err.strip().splitlines()[-1].endswith(
        "the listing did not finish, so nothing is concluded: run the report again after the quota resets")


def missing_ids(out: str) -> set[tuple[str, str, str]]:
    return {(d["entity"], d["document_id"], d["difference"]) for d in json.loads(out)["differences"]}


def test_zoho_and_google_credentials_from_one_store(sandbox, bigquery_emulator, bq, dataset, tmp_path, key_file,  # noqa: F811
                                                     service_account):  # noqa: F811
    info, google = service_account
    store = CredentialStore.create(tmp_path / "credentials.store", load_key())
    store.put("zoho", "zoho", {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
                               "refresh_token": sandbox_refresh_token("us")})
    store.put("bq-reader", "google", {"credentials_json": json.dumps(info)})
    plain = tap_config(sandbox, tmp_path, organization_ids=[US_ORG2])
    cfg = {**{k: v for k, v in plain.items() if k not in ("client_id", "client_secret", "refresh_token")},
           "credential_store": str(store.path), "bigquery_credential_set": "bq-reader",
           "bigquery_project": bigquery_emulator.project, "bigquery_dataset": dataset,
           "bigquery_api_endpoint": bigquery_emulator.rest_url}
    bq.create_dataset(dataset)  # nothing synced yet: every bill is missing
    code, out, err = report(tmp_path, cfg, "--entity", "bills", "--format", "json")
    assert code == 1, err
    assert missing_ids(out) == {("bills", r.doc_id, "missing in BigQuery") for r in sandbox.store.records(US_ORG2, "bills")}
    assert [claims["iss"] for claims in google.exchanges] == [info["client_email"]]


def test_bigquery_settings_from_the_targets_config_file(sandbox, bigquery_emulator, bq, dataset, tmp_path):
    target_file = tmp_path / "target.json"
    target_file.write_text(json.dumps(target_config(bigquery_emulator, dataset, tmp_path)))
    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG2])
    bq.create_dataset(dataset)
    code, out, err = report(tmp_path, poll, "--target-config", str(target_file), "--entity", "vendor_payments",
                            "--format", "json")
    assert code == 1, err
    assert missing_ids(out) == {("vendor_payments", r.doc_id, "missing in BigQuery")
                                for r in sandbox.store.records(US_ORG2, "vendorpayments")}
    code, out, err = report(tmp_path, poll, "--target-config", str(target_file), "--entity", "credit_notes")
    assert (code, out) == (2, "") and err.strip().endswith(
        "unknown --entity credit_notes: use invoices, bills, purchase_orders, customer_payments, vendor_payments")
