"""The Singer SDK's standard tap tests, against the sandbox over HTTP."""

import pathlib
import tempfile

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from local_services.zoho_sandbox import SandboxConfig, ZohoSandbox
from tap_zohobooks.tap import TapZohoBooks
from tests.helpers import tap_config

# The SDK builds its runner at import time, so the sandbox has to run before the class is made.
_SANDBOX = ZohoSandbox(SandboxConfig(requests_per_window=100000), documents=200).start()
_CONFIG = tap_config(_SANDBOX, pathlib.Path(tempfile.mkdtemp()), organization_ids=["60001000001"])

TestTapZohoBooks = get_tap_test_class(TapZohoBooks, config=_CONFIG, suite_config=SuiteConfig(max_records_limit=5))
