"""Signed junk is refused with a 4xx and a reason, never stored and never a 5xx (Zoho retries those)."""

from __future__ import annotations

import time

import pytest

from local_services.zoho_sandbox.webhooks import sign
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import SECRET, US_ORG
from tests.webhooks.test_receiver import invoice

QUERY = f"?organization_id={US_ORG}&event=invoice.updated"


def raw_invoice(doc_id: str = '"1"', lmt: str = '"2026-01-02T03:04:05-0800"', extra: str = "") -> bytes:
    return f'{{"invoice": {{"invoice_id": {doc_id}, "last_modified_time": {lmt}{extra}}}}}'.encode()


@pytest.mark.parametrize("case, body, query, status, reason", [
    ("5,000-character id", invoice("9" * 5000), QUERY, 422, "not a Zoho id"),
    ("id with letters", invoice("12a"), QUERY, 422, "not a Zoho id"),
    ("list as an id", raw_invoice('["1", "2"]'), QUERY, 422, "not a Zoho id"),
    ("boolean as an id", raw_invoice("true"), QUERY, 422, "not a Zoho id"),
    ("year 0001, UTC", raw_invoice(lmt='"0001-01-01T00:00:00+0000"'), QUERY, 422, "outside 1970-2200"),
    ("year 0001, east of UTC", raw_invoice(lmt='"0001-01-01T00:00:00+0100"'), QUERY, 422, "not a timestamp"),
    ("not a timestamp", raw_invoice(lmt='"yesterday"'), QUERY, 422, "not a timestamp"),
    ("number as a timestamp", raw_invoice(lmt="20260102"), QUERY, 422, "not a timestamp"),
    ("lone surrogate", raw_invoice(extra=', "notes": "\\ud800"'), QUERY, 400, "lone surrogate"),
    ("lone surrogate in a key", raw_invoice(extra=', "\\udfff": 1'), QUERY, 400, "lone surrogate"),
    ("not UTF-8", raw_invoice(extra=', "notes": "cafe"').replace(b"cafe", b"caf\xe9"), QUERY, 400, "not valid UTF-8"),
    ("deeply nested", raw_invoice(extra=', "x": ' + "[" * 5000 + "]" * 5000), QUERY, 400, "nested deeper"),
    ("NaN amount", raw_invoice(extra=', "total": NaN'), QUERY, 400, "malformed JSON"),
    ("organization not an id", invoice("1"), "?organization_id=60001000001x", 422, "not a Zoho id"),
    ("query not UTF-8", invoice("1"), f"?organization_id={US_ORG}&note=%ff", 400, "query string"),
    ("unknown event", invoice("1"), f"?organization_id={US_ORG}&event=invoice.1", 422, "does not match"),
    ("two organizations", {**invoice("1"), "organization_id": "60001000002"}, QUERY, 422, "two different"),
])
def test_signed_junk_is_refused_with_a_reason(receiver, case, body, query, status, reason):
    response = receiver.post(body, query)
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]
    assert len(response.json()["error"]) < 200  # one line, never the junk echoed back
    assert Spool(receiver.spool_path).count() == 0


def test_a_numeric_id_is_a_zoho_id(receiver):
    assert receiver.post(raw_invoice("460000000012345"), QUERY).json()["status"] == "stored"
    assert Spool(receiver.spool_path).after(0)[0].document_id == "460000000012345"


@pytest.fixture
def payments_receiver(make_receiver):
    return make_receiver(webhook_signature_scheme="payments", webhook_organization_id=US_ORG,
                         webhook_timestamp_tolerance_seconds=300)


def test_a_stale_timestamped_delivery_is_refused_and_a_duplicate_is_stored_once(payments_receiver):
    receiver, body = payments_receiver, raw_invoice()

    def post(at_ms: int):
        header = sign("payments", SECRET, body, {}, at_ms)
        return receiver.post(body, secret=None, headers={"X-Zoho-Webhook-Signature": header})

    now = int(time.time() * 1000)
    assert post(now - 10 * 60 * 1000).status_code == 401  # captured ten minutes ago
    assert post(now + 10 * 60 * 1000).status_code == 401  # from the future
    first, again = post(now), post(now)
    assert (first.json()["status"], again.json()["status"]) == ("stored", "duplicate")
    assert Spool(receiver.spool_path).count() == 1
