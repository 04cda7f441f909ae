"""Audit-trail tests: the tap and the real target against the sandbox and the emulator."""

from __future__ import annotations

import json

from tests.helpers import query, run_tap, run_target
from tests.webhooks.conftest import make_receiver, receiver, receiver_config  # noqa: F401  (fixtures)

US_ORG, US_ORG2 = "60001000001", "60001000002"


def sync(tap_cfg: dict, target_cfg: dict, state: dict | None = None):
    """One `tap | target` run; returns the tap's SyncResult."""
    result = run_tap(tap_cfg, state=state)
    run_target(target_cfg, result.lines)
    return result


def current_views(client, dataset: str) -> dict[str, list[str]]:
    """Every `_current` view's full contents: all columns of all rows, in a stable order."""
    views = sorted(t.table_id for t in client.list_tables(dataset) if t.table_id.endswith("_current"))
    return {view: sorted(json.dumps(row, default=str, sort_keys=True)
                         for row in query(client, f"SELECT * FROM `{dataset}.{view}`")) for view in views}


import pytest  # noqa: E402


@pytest.fixture
def config_for_cut(sandbox, tmp_path):
    """(poll config with small pages, state after a first sync, ids then deleted in Zoho)."""
    from tests.helpers import tap_config

    poll = tap_config(sandbox, tmp_path, organization_ids=[US_ORG2], reconcile_interval_hours=0, page_size=10)
    state = run_tap(poll).state
    deleted = sorted(r.doc_id for r in sandbox.store.records(US_ORG2, "bills"))[:3]
    for doc_id in deleted:
        sandbox.store.delete(US_ORG2, "bills", doc_id)
    return poll, state, deleted
