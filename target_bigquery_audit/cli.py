"""Entry point of `target-bigquery-audit`: the SDK's CLI with credential errors (an unusable or
refused service-account key, the credential store) reported as one line, exit 1, no traceback.
The target is imported with the garbage collector off and what it made frozen (collection.py)."""

from __future__ import annotations

import os
import select
import sys
import time

from zohobooks_bigquery.clear_errors import one_line, run_with_clear_errors

from .collection import long_lived_imports


def _refused(exc: BaseException) -> str:
    return (f"Google refused the BigQuery service-account key ({one_line(exc)}): the key is wrong, deleted or "
            "disabled; create a new key for the service account and import it "
            "(zohobooks-credentials import-service-account)")


def main() -> None:
    with long_lived_imports():
        from google.auth.exceptions import RefreshError

        from zohobooks_bigquery.credential_store import CredentialStoreError

        from .credentials import CredentialsError
        from .target import TargetBigQueryAudit

    known_errors = {RefreshError: _refused, CredentialsError: one_line, CredentialStoreError: one_line}
    try:
        run_with_clear_errors(TargetBigQueryAudit.cli, known_errors, "target-bigquery-audit")
    except SystemExit as exc:
        if exc.code not in (0, None):
            drain_input()
        raise


DRAIN_SECONDS = 60


def drain_input(seconds: float = DRAIN_SECONDS) -> None:
    """After a fatal error, read the tap's output to its end (at most `seconds`) before exiting. A target
    that exits first breaks the pipe under `meltano run`, which then buries the one-line reason under its
    own BrokenPipeError tracebacks. Nothing read is written and no STATE is passed on, so the next run
    starts again from the last stored state. The limit keeps a failed live pipeline (whose tap never
    ends) from hanging instead of exiting."""
    if sys.stdin is None or sys.stdin.isatty():
        return
    deadline = time.monotonic() + seconds
    try:
        fd = sys.stdin.fileno()
        while (left := deadline - time.monotonic()) > 0:
            if select.select([fd], [], [], left)[0] and not os.read(fd, 1 << 20):
                return  # end of input
    except (OSError, ValueError):
        pass  # stdin already closed
