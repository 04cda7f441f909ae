"""The organizations stream: names and base currencies, each version emitted once."""

from __future__ import annotations

from tests.helpers import run_tap
from tests.tap.conftest import US_ORG, US_ORG2


def test_organizations_are_emitted_once_per_version(sandbox, config):
    first = run_tap(config)
    orgs = {r["organization_id"]: r for r in first.records("organizations")}
    assert {k: (v["name"], v["currency_code"], v["time_zone"]) for k, v in orgs.items()} == {
        US_ORG: ("Northwind Supplies Inc.", "USD", "America/Los_Angeles"),
        US_ORG2: ("Northwind Labs LLC", "USD", "America/New_York")}
    assert all(r["_raw"]["name"] == r["name"] and r["_source"] == "poll" for r in orgs.values())
    assert run_tap(config, state=first.state).records("organizations") == []  # unchanged: not re-sent

    sandbox.store.orgs[US_ORG].name = "Northwind Supplies Holding Inc."
    renamed = run_tap(config, state=first.state).records("organizations")
    assert [(r["organization_id"], r["name"]) for r in renamed] == [(US_ORG, "Northwind Supplies Holding Inc.")]
    assert renamed[0]["_source_event_id"] != orgs[US_ORG]["_source_event_id"]


def test_only_the_selected_organizations(sandbox, config):
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    assert [r["organization_id"] for r in result.records("organizations")] == [US_ORG2]
