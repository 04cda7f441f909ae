"""Entry points of `tap-zohobooks` and `tap-zohobooks-webhooks`: the SDK's CLI (and the webhook CLI)
with Zoho credential, region and store errors reported as one line, exit code 1, no traceback."""

from __future__ import annotations

from zohobooks_bigquery.clear_errors import one_line, run_with_clear_errors
from zohobooks_bigquery.credential_store import CredentialStoreError

from .auth import ZohoAuthError

KNOWN_ERRORS = {ZohoAuthError: lambda exc: f"Zoho authentication failed: {one_line(exc)}",
                CredentialStoreError: one_line}


def main() -> None:
    from .tap import TapZohoBooks

    run_with_clear_errors(TapZohoBooks.cli, KNOWN_ERRORS, "tap-zohobooks")


def webhooks_main() -> None:
    from .webhooks.cli import main as webhooks

    run_with_clear_errors(webhooks, KNOWN_ERRORS, "tap-zohobooks.webhooks")
