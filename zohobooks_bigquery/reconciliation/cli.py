"""`zohobooks-reconcile` (and `meltano invoke tap-zohobooks:reconcile-report`): the reconciliation report.

    zohobooks-reconcile --config tap.json [--target-config target.json] [--entity invoices ...] [--format json]

Settings: the tap's config files and TAP_ZOHOBOOKS_* environment variables, as for the tap itself.
Exit codes: 0 Zoho and BigQuery agree; 1 they differ (the table names every differing document);
2 no verdict (bad settings, credentials, a quota-cut listing, BigQuery unreachable): one line on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import traceback

from zohobooks_bigquery.clear_errors import DEBUG_ENV, one_line

EQUAL, DIFFERENT, NO_VERDICT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zohobooks-reconcile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", default=[], help="tap-zohobooks config file (repeatable)")
    parser.add_argument("--target-config", action="append", default=[],
                        help="target-bigquery-audit config file: BigQuery settings from there instead of bigquery_*")
    parser.add_argument("--entity", action="append", default=[],
                        help="only this entity: invoices, bills, purchase_orders, customer_payments, vendor_payments")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _known_errors() -> dict:
    """Errors a user can fix, and how to say them in one line (imported late: --help stays fast)."""
    from google.api_core import exceptions as gexc
    from google.auth.exceptions import GoogleAuthError
    from requests import RequestException
    from singer_sdk.exceptions import ConfigValidationError

    from tap_zohobooks.api import QuotaExhausted, ZohoAPIError
    from tap_zohobooks.auth import ZohoAuthError
    from target_bigquery_audit.credentials import CredentialsError
    from zohobooks_bigquery.credential_store import CredentialStoreError

    from .settings import ReportSettingsError

    return {
        ConfigValidationError: lambda e: "invalid tap-zohobooks settings: " + "; ".join(getattr(e, "errors", []) or [one_line(e)]),
        ReportSettingsError: one_line, CredentialStoreError: one_line, CredentialsError: one_line,
        ZohoAuthError: lambda e: f"Zoho authentication failed: {one_line(e)}",
        QuotaExhausted: lambda e: f"{one_line(e)}; the listing did not finish, so nothing is concluded: run the "
                                  "report again after the quota resets",
        ZohoAPIError: one_line,
        GoogleAuthError: lambda e: f"BigQuery refused the credentials: {one_line(e)}",
        gexc.GoogleAPIError: lambda e: f"BigQuery refused the report's query: {one_line(e)}",
        RequestException: lambda e: f"BigQuery or Zoho unreachable: {type(e).__name__}: check api_endpoint / region",
        FileNotFoundError: lambda e: f"{one_line(e).rstrip('.')}: check the --config / --target-config paths",
        PermissionError: one_line,
    }


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("singer_sdk.metrics").setLevel(logging.WARNING)  # per-call timings: noise in a report
    try:
        code = run(args)
    except Exception as exc:  # exit 1 means "they differ": no failure may end with it
        print(f"zohobooks-reconcile: error: {_describe(exc)}", file=sys.stderr)
        code = NO_VERDICT
    sys.exit(code)


def _describe(exc: Exception) -> str:
    """One line for an error the user can fix; the traceback too for anything else (a bug to report)."""
    describe = next((say for kind, say in _known_errors().items() if isinstance(exc, kind)), None)
    if describe is None or os.environ.get(DEBUG_ENV, "").lower() in ("1", "true", "yes"):
        traceback.print_exception(exc)
    return describe(exc) if describe else f"{type(exc).__name__}: {one_line(exc)}"


def run(args: argparse.Namespace) -> int:
    from tap_zohobooks.tap import TapZohoBooks
    from target_bigquery_audit.credentials import build_client

    from . import render
    from .bigquery_side import check_dataset
    from .documents import ENTITIES
    from .report import Reconciliation
    from .settings import ReportSettingsError, bigquery_config

    unknown = sorted(set(args.entity) - {e.table for e in ENTITIES})
    if unknown:
        raise ReportSettingsError(f"unknown --entity {', '.join(unknown)}: use "
                                  f"{', '.join(e.table for e in ENTITIES)}")
    tap = TapZohoBooks(config=args.config or None, parse_env_config=True)
    logger = logging.getLogger("zohobooks-reconcile")
    bq_settings = bigquery_config(dict(tap.config), args.target_config, logger)
    client = build_client(bq_settings, logger)
    check_dataset(client, bq_settings["dataset"])
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    report = Reconciliation(tap, client, bq_settings["dataset"], bq_settings.get("table_prefix", ""))
    result = report.run([e for e in ENTITIES if not args.entity or e.table in args.entity])
    start_date = tap.config.get("start_date")
    if args.format == "json":
        print(render.as_json(result, {"generated_at": started.isoformat(), "organizations": report.org_ids,
                                      "bigquery": f"{client.project}.{report.dataset}", "start_date": start_date,
                                      "left_out_before_start_date": report.left_out}))
    else:
        header = (f"Reconciliation report {started.isoformat().replace('+00:00', 'Z')}: Zoho Books now "
                  f"(organizations {', '.join(report.org_ids)}) against BigQuery {client.project}.{report.dataset} "
                  "<table>_current")
        if start_date:
            header += (f"\nDocuments last modified before start_date {start_date} are not synced and not "
                       f"compared ({report.left_out} left out).")
        print(render.text(result, header))
    return DIFFERENT if result.differences or not all(t.equal for t in result.totals) else EQUAL


if __name__ == "__main__":
    main()
