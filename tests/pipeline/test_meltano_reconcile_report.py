"""`meltano invoke tap-zohobooks:reconcile-report`: the report as a Meltano plugin command, with the tap's
Zoho settings and its bigquery_* settings from meltano.yml and the environment, and arguments passed on."""

from __future__ import annotations

import json

from local_services.meltano_runner import meltano
from tests.audit.conftest import sync
from tests.helpers import tap_config, target_config

US_ORG2 = "60001000002"


def test_the_plugin_command_finds_a_delete_made_after_the_sync(env, sandbox, bigquery_emulator, dataset, tmp_path):
    orgs = [US_ORG2]  # the smaller organization: a quick sync (in-process)
    sync(tap_config(sandbox, tmp_path, organization_ids=orgs), target_config(bigquery_emulator, dataset, tmp_path))
    deleted = sorted(r.doc_id for r in sandbox.store.records(US_ORG2, "vendorpayments"))[0]
    sandbox.store.delete(US_ORG2, "vendorpayments", deleted)

    # meltano_env points the tap's bigquery_project / bigquery_dataset where the target writes (the test's dataset)
    result = meltano({**env, "TAP_ZOHOBOOKS_ORGANIZATION_IDS": json.dumps(orgs)},
                     "invoke", "tap-zohobooks:reconcile-report", "--format", "json", check=False)
    assert result.returncode == 1, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["bigquery"] == f"{bigquery_emulator.project}.{dataset}"
    assert [(d["organization_id"], d["entity"], d["document_id"], d["difference"]) for d in report["differences"]] \
        == [(US_ORG2, "vendor_payments", deleted, "extra in BigQuery")]
