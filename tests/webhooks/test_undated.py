"""A delivery of a document Zoho sent without last_modified_time gets the version a poll gives it:
its content version, not created_time (which would give every edit one id)."""

from decimal import Decimal

from tap_zohobooks.events import event_id, version_token
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import US_ORG


def test_undated_deliveries_get_the_content_version_a_poll_gives(receiver):
    first = {"payment_id": "600010000001234", "amount": Decimal("10.10"), "created_time": "2026-01-02T03:04:05-0800"}
    edited = {**first, "amount": Decimal("12.00")}
    ids = []
    for doc in (first, edited):
        answer = receiver.post({"vendorpayment": doc}, f"?organization_id={US_ORG}&event=vendor_payment.updated")
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["event_id"])
    assert ids == [event_id(US_ORG, "vendor_payment", doc["payment_id"], version_token(doc), "upsert")
                   for doc in (first, edited)]
    assert ids[0] != ids[1]  # two contents, two versions
    assert Spool(receiver.spool_path).count() == 2
