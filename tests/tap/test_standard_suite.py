"""The Singer SDK's standard tap tests, against the sandbox over HTTP.

Every stream must return records, webhook_history included: the sandbox logs one dropped delivery
and the spool holds one webhook event, so the poll reads (and backfills from) the workflow logs.
"""

import datetime as dt
import pathlib
import tempfile

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from local_services.zoho_sandbox import SandboxConfig, ZohoSandbox
from tap_zohobooks.tap import TapZohoBooks
from tap_zohobooks.webhooks.parse import parse_delivery
from tap_zohobooks.webhooks.spool import Spool
from tests.helpers import tap_config

ORG = "60001000001"
_WORK = pathlib.Path(tempfile.mkdtemp())
# The SDK builds its runner at import time, so the sandbox has to run before the class is made.
_SANDBOX = ZohoSandbox(SandboxConfig(requests_per_window=100000), documents=200).start()
_SANDBOX.hub.register(ORG, "invoices", "http://127.0.0.1:9/unreachable", "standardsuite123")
_SANDBOX.hub.arm_fault("drop", 1)
_SANDBOX.store.create(ORG, "invoices", {})
_SANDBOX.hub.wait_idle()
Spool(_WORK / "spool.db").add(parse_delivery(
    b'{"invoice": {"invoice_id": "1", "last_modified_time": "2026-01-02T03:04:05+0000"}}',
    {"organization_id": ORG}, dt.datetime.now(dt.timezone.utc)))
_CONFIG = tap_config(_SANDBOX, _WORK, organization_ids=[ORG], webhook_spool_path=str(_WORK / "spool.db"))

TestTapZohoBooks = get_tap_test_class(TapZohoBooks, config=_CONFIG, suite_config=SuiteConfig(max_records_limit=5))
