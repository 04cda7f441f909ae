"""Every field Zoho sends is a typed column: nothing a user needs is left only in `_raw`.

The tap syncs the sandbox over HTTP, with details (detail shape) and without (list shape); every
path in every record's `_raw` (nested objects and arrays included) must be declared in the stream's
schema. The failure names each undeclared path, e.g. `vendor_payments: bills[].bill_payment_id`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap_zohobooks.streams import DOCUMENT_STREAMS
from tests.helpers import run_tap, tap_config

SCHEMAS = Path(__file__).resolve().parents[2] / "tap_zohobooks" / "schemas"
# Country-edition fields (India, UK, Gulf, Mexico...) and fields the sandbox's US/EU organizations
# never show; declared so that those organizations' documents are typed too.
NOT_IN_SANDBOX = {
    "vat_treatment", "vat_reg_no", "tax_treatment", "tax_reg_no", "gst_no", "gst_treatment", "place_of_supply",
    "source_of_supply", "destination_of_supply", "is_pre_gst", "updated_time",
}


def undeclared(value, schema: dict, path: str) -> set[str]:
    """Paths under `value` that `schema` does not declare (`[]` marks array items)."""
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:  # a free-form object (JSON column), e.g. custom_field_hash
            return set()
        missing = set()
        for key, sub in value.items():
            where = f"{path}.{key}" if path else key
            missing |= {where} if key not in props else undeclared(sub, props[key], where)
        return missing
    if isinstance(value, list):
        items = schema.get("items", {})
        return set().union(*(undeclared(item, items, f"{path}[]") for item in value)) if value else set()
    return set()


def schema_of(stream: str) -> dict:
    return json.loads((SCHEMAS / f"{stream}.json").read_text())


@pytest.mark.parametrize("fetch_details", [True, False], ids=["detail", "list"])
def test_no_field_is_only_in_raw(sandbox, tmp_path, fetch_details):
    result = run_tap(tap_config(sandbox, tmp_path, fetch_details=fetch_details))
    missing: dict[str, set[str]] = {}
    for stream in (s.name for s in DOCUMENT_STREAMS):
        records = result.records(stream)
        assert records, f"no {stream} synced"
        schema = schema_of(stream)
        for record in records:
            missing.setdefault(stream, set()).update(undeclared(record["_raw"], schema, ""))
    report = {stream: sorted(paths) for stream, paths in missing.items() if paths}
    assert not report, f"fields only in _raw (add them to the schema): {report}"


def test_every_declared_field_is_in_a_full_sandbox_document(sandbox, tmp_path):
    """The other way round: the sandbox's detail documents carry every documented top-level field."""
    result = run_tap(tap_config(sandbox, tmp_path))
    for stream in (s.name for s in DOCUMENT_STREAMS):
        seen = set().union(*(record["_raw"].keys() for record in result.records(stream)))
        declared = {k for k in schema_of(stream)["properties"] if not k.startswith("_") and k != "organization_id"}
        assert declared - seen - NOT_IN_SANDBOX == set(), f"{stream}: not in any sandbox document"


def test_documented_fields_land_in_typed_columns(sandbox, tmp_path):
    """A field added from Zoho's documentation lands in its typed column, not only in `_raw`."""
    result = run_tap(tap_config(sandbox, tmp_path))
    payment = next(r for r in result.records("vendor_payments") if r["bills"])
    applied = payment["bills"][0]
    assert applied["bill_payment_id"] == payment["_raw"]["bills"][0]["bill_payment_id"] != ""
    assert str(applied["balance"]) == str(payment["_raw"]["bills"][0]["balance"])
    invoice = next(r for r in result.records("invoices") if r["exchange_rate"] != 1)
    assert invoice["bcy_total"] is not None and invoice["bcy_total"] != invoice["total"]
