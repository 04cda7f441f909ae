"""The Singer SDK's standard target tests, writing to the BigQuery emulator."""

import pathlib
import tempfile

from singer_sdk.testing import get_target_test_class

from target_bigquery_audit.target import TargetBigQueryAudit
from tests.helpers import target_config
from tests.services import shared_emulator

_CONFIG = target_config(shared_emulator(), "sdk_standard_tests", pathlib.Path(tempfile.mkdtemp()))

TestTargetBigQueryAudit = get_target_test_class(TargetBigQueryAudit, config=_CONFIG)
