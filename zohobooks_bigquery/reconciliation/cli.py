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
    from tap_zohobooks.events import parse_instant
    from tap_zohobooks.tap import TapZohoBooks
    from target_bigquery_audit.credentials import build_client

    from . import render
    from .bigquery_side import check_dataset, current_documents
    from .compare import Comparison, compare
    from .documents import ENTITIES
    from .settings import ReportSettingsError, bigquery_config
    from .zoho_side import MAX_CONFIRMATIONS, confirm_absent, listed_documents

    entities = [e for e in ENTITIES if not args.entity or e.table in args.entity]
    unknown = sorted(set(args.entity) - {e.table for e in ENTITIES})
    if unknown:
        raise ReportSettingsError(f"unknown --entity {', '.join(unknown)}: use "
                                  f"{', '.join(e.table for e in ENTITIES)}")
    tap = TapZohoBooks(config=args.config or None, parse_env_config=True)
    logger = logging.getLogger("zohobooks-reconcile")
    bq_settings = bigquery_config(dict(tap.config), args.target_config, logger)
    client = build_client(bq_settings, logger)
    dataset, prefix = bq_settings["dataset"], bq_settings.get("table_prefix", "")
    check_dataset(client, dataset)
    org_ids = tap.organization_ids
    base = {str(o["organization_id"]): o.get("currency_code") or "" for o in tap.api.organizations()}
    since = parse_instant(tap.config["start_date"]) if tap.config.get("start_date") else None
    page_size = int(tap.config.get("page_size", 200))
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    result, left_out = Comparison(), 0
    for entity in entities:
        in_bigquery = current_documents(client, dataset, prefix, entity, org_ids) or {}
        for org_id in org_ids:
            listed, before_start = listed_documents(tap.api, org_id, entity, page_size, since)
            shown = {i: rows for i, rows in in_bigquery.get(org_id, {}).items() if i not in before_start}
            left_out += len(before_start)
            absent = sorted(set(shown) - set(listed), key=lambda i: (len(i), i))
            confirmed = confirm_absent(tap.api, org_id, entity, absent)
            listed.update({i: doc for i, doc in confirmed.items() if doc is not None})  # the walk skipped them
            part = compare(org_id, entity.table, listed, shown, base.get(org_id, ""),
                           unconfirmed=set(absent[MAX_CONFIRMATIONS:]))
            result.totals += part.totals
            result.differences += part.differences
    order = {org: i for i, org in enumerate(org_ids)}
    result.totals.sort(key=lambda t: order[t.organization_id])  # stable: entities stay in their order
    result.differences.sort(key=lambda d: order[d.organization_id])
    header = (f"Reconciliation report {started.isoformat().replace('+00:00', 'Z')}: Zoho Books now "
              f"(organizations {', '.join(org_ids)}) against BigQuery {client.project}.{dataset} <table>_current")
    if since is not None:
        header += (f"\nDocuments last modified before start_date {tap.config['start_date']} are not synced and not "
                   f"compared ({left_out} left out).")
    if args.format == "json":
        print(render.as_json(result, {"generated_at": started.isoformat(), "organizations": org_ids,
                                      "bigquery": f"{client.project}.{dataset}", "start_date": tap.config.get("start_date"),
                                      "left_out_before_start_date": left_out}))
    else:
        print(render.text(result, header))
    return DIFFERENT if result.differences or not all(t.equal for t in result.totals) else EQUAL


if __name__ == "__main__":
    main()
