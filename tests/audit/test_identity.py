"""Documents Zoho sends without `last_modified_time`: every edit is a version, the latest is current."""

from __future__ import annotations

from tests.audit.conftest import US_ORG2, sync
from tests.helpers import query, tap_config, target_config


def test_every_edit_of_an_undated_document_lands_as_a_version_and_the_latest_is_current(
        sandbox, bigquery_emulator, bq, dataset, tmp_path):
    sandbox.config.share_without_last_modified_time = 1.0
    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG2])
    target = target_config(bigquery_emulator, dataset, tmp_path)
    state = sync(poll, target).state
    bill = sandbox.store.records(US_ORG2, "bills")[0].doc_id
    original = sandbox.store.get(US_ORG2, "bills", bill).doc["reference_number"]
    for reference in ("EDIT 1", "EDIT 2", original, "EDIT 3"):  # back to the first content, then on
        sandbox.store.update(US_ORG2, "bills", bill, {"reference_number": reference})
        state = sync(poll, target, state=state).state
    versions = query(bq, f"SELECT reference_number, _source_event_id, last_modified_time FROM `{dataset}.bills` "
                         f"WHERE bill_id = '{bill}' ORDER BY _arrival_ts")
    assert [v["reference_number"] for v in versions] == [original, "EDIT 1", "EDIT 2", original, "EDIT 3"]
    assert len({v["_source_event_id"] for v in versions}) == 5
    assert all(v["last_modified_time"] is None for v in versions)
    current = query(bq, f"SELECT reference_number FROM `{dataset}.bills_current` WHERE bill_id = '{bill}'")
    assert current == [{"reference_number": "EDIT 3"}]
    sandbox.store.update(US_ORG2, "bills", bill, {"reference_number": original})
    sync(poll, target, state=state)
    current = query(bq, f"SELECT reference_number FROM `{dataset}.bills_current` WHERE bill_id = '{bill}'")
    assert current == [{"reference_number": original}]  # the earlier content, current again
    assert len(query(bq, f"SELECT * FROM `{dataset}.bills_current`")) == len(sandbox.store.records(US_ORG2, "bills"))
