"""An attacker who saw one valid delivery: re-sending it with another query string plants nothing."""

from __future__ import annotations

import pytest
import requests

from local_services.zoho_sandbox.webhooks import sign
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import SECRET, US_ORG, hook_up
from tests.webhooks.test_receiver import invoice

OTHER_ORG = "60001000002"


def captured(receiver, query: str) -> requests.PreparedRequest:
    """A valid delivery, accepted and stored, as someone on the path would have recorded it."""
    response = receiver.post(invoice("42"), query)
    assert response.json()["status"] == "stored"
    return response.request


def resend(request: requests.PreparedRequest, base_url: str, query: str) -> requests.Response:
    return requests.post(f"{base_url}/webhooks/zoho{query}", data=request.body, headers=dict(request.headers),
                         timeout=10)


@pytest.fixture
def two_org_receiver(make_receiver):
    return make_receiver(organization_ids=[US_ORG, OTHER_ORG])


@pytest.mark.parametrize("forged", [
    f"?organization_id={US_ORG}&event=invoice.deleted",  # a tombstone that would hide the invoice
    f"?organization_id={OTHER_ORG}&event=invoice.updated",  # the document planted in another organization
    f"?organization_id={US_ORG}",  # the event dropped
    f"?organization_id={US_ORG}&event=invoice.updated&x=1",  # a parameter added
    f"?organization_id={US_ORG}&event=invoice.updated&event=invoice.deleted",  # a parameter repeated
    f"?event=invoice.updatedorganization_id{US_ORG}",  # the same signed text, split differently
])
def test_a_captured_delivery_with_a_changed_query_string_is_refused(two_org_receiver, forged):
    receiver = two_org_receiver
    original = captured(receiver, f"?organization_id={US_ORG}&event=invoice.updated")
    response = resend(original, receiver.url, forged)
    assert 400 <= response.status_code < 500, response.text
    events = Spool(receiver.spool_path).after(0)
    assert [(e.organization_id, e.event_type) for e in events] == [(US_ORG, "invoice.updated")]
    again = resend(original, receiver.url, f"?organization_id={US_ORG}&event=invoice.updated")
    assert again.json()["status"] == "duplicate"  # the genuine re-delivery is still idempotent


@pytest.fixture
def body_only_receiver(make_receiver):
    """A receiver whose scheme signs only the body: the organization comes from the settings."""
    return make_receiver(webhook_signature_scheme="hmac-sha256", webhook_organization_id=US_ORG)


def test_with_a_body_only_scheme_the_query_string_cannot_name_the_event_or_organization(body_only_receiver):
    receiver = body_only_receiver
    original = receiver.post(invoice("42"), scheme="hmac-sha256")
    assert original.json()["status"] == "stored"
    for forged in ("?event=invoice.deleted", f"?organization_id={OTHER_ORG}",
                   f"?organization_id={US_ORG}&event=invoice.deleted"):
        response = resend(original.request, receiver.url, forged)
        assert response.status_code == 400
        assert "not covered by this signature scheme" in response.json()["error"]
    events = Spool(receiver.spool_path).after(0)
    assert [(e.organization_id, e.event_type, e.operation) for e in events] == [(US_ORG, "invoice.updated", "upsert")]


def test_with_a_body_only_scheme_the_organization_in_the_signed_body_is_checked(body_only_receiver):
    receiver = body_only_receiver
    ours = receiver.post({**invoice("1"), "organization_id": US_ORG}, scheme="hmac-sha256")
    theirs = receiver.post({**invoice("2"), "organization_id": OTHER_ORG}, scheme="hmac-sha256")
    assert (ours.status_code, theirs.status_code) == (200, 403)
    assert [e.document_id for e in Spool(receiver.spool_path).after(0)] == ["1"]


def test_the_sandbox_and_the_receiver_agree_on_the_default_scheme(receiver, sandbox):
    hook_up(sandbox, receiver.url)
    doc = sandbox.store.create(US_ORG, "invoices", {})
    sandbox.store.delete(US_ORG, "invoices", doc["invoice_id"])
    sandbox.hub.wait_idle()
    assert [d["status"] for d in sandbox.hub.deliveries] == [200, 200]
    assert [e.operation for e in Spool(receiver.spool_path).after(0)] == ["upsert", "delete"]
    assert SECRET not in receiver.spool_path.read_bytes().decode("latin-1")


def test_a_form_encoded_body_is_signed_pair_by_pair_with_the_query_string(receiver):
    query, body = f"?organization_id={US_ORG}", b"invoice_id=1&total=10.10"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body_only = receiver.post(body, query, headers=headers)  # signed over the query pairs and the body only
    pairs = {"organization_id": US_ORG, "invoice_id": "1", "total": "10.10"}
    signature = sign("zoho-finance", SECRET, body, pairs, 0)
    complete = receiver.post(body, query, secret=None, headers={**headers, "X-Zoho-Webhook-Signature": signature})
    assert body_only.status_code == 401
    assert (complete.status_code, complete.json()["error"]) == (400, "malformed JSON body")  # signed, not JSON
    assert Spool(receiver.spool_path).count() == 0
