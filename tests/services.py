"""One BigQuery emulator per test process, started on first use (the SDK's standard target tests
need its URL at import time, before fixtures run) and stopped at exit."""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path

from local_services.bigquery_emulator import BigQueryEmulator

_EMULATOR: BigQueryEmulator | None = None


def shared_emulator() -> BigQueryEmulator:
    global _EMULATOR
    if _EMULATOR is None:
        _EMULATOR = BigQueryEmulator(Path(tempfile.mkdtemp(prefix="bq-emulator-")) / "data").start()
        atexit.register(_EMULATOR.stop)
    return _EMULATOR
