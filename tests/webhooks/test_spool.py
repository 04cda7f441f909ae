"""The spool's selection for replay: time bounds in any ISO form select by instant."""

from __future__ import annotations

import datetime as dt

from tap_zohobooks.webhooks.parse import parse_delivery
from tap_zohobooks.webhooks.spool import Spool


def test_replay_bounds_compare_as_instants(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    for i, at in enumerate(["2026-11-01T00:00:00.250000+00:00", "2026-11-01T01:00:00+00:00"]):
        body = f'{{"invoice": {{"invoice_id": "{i}", "last_modified_time": "2026-11-01T00:00:00+0000"}}}}'.encode()
        spool.add(parse_delivery(body, {"organization_id": "1"}, dt.datetime.fromisoformat(at)))
    assert [e.document_id for e in spool.select("2026-11-01T00:00:00Z", "2026-11-01T00:30:00Z")] == ["0"]
    assert [e.document_id for e in spool.select("2026-10-31T19:00:00-0500", None)] == ["0", "1"]
    assert [e.document_id for e in spool.select(None, "2026-11-01T01:30:00+0100", "invoice")] == ["0"]
