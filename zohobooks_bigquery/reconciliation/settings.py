"""Where the report finds BigQuery: the tap's `bigquery_*` settings, or the target's own config file.

The report runs as a command of tap-zohobooks (it needs the Zoho credentials, data center and quota
settings), so the few BigQuery settings it needs are tap settings too, named after the target's with a
`bigquery_` prefix. `zohobooks-reconcile --target-config target.json` reads the target's config file
instead. Credentials: `bigquery_credential_set` (a google set in the tap's `credential_store`), else
`bigquery_credentials_path`, else the emulator (`bigquery_emulator`), else application default credentials.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from zohobooks_bigquery.plugin_config import with_stored_credentials

PREFIX = "bigquery_"


class ReportSettingsError(ValueError):
    """The report cannot run with these settings; the message says what to fix."""


def report_setting_properties(th) -> list:
    """The tap's settings for the report (`th` is singer_sdk.typing); a sync ignores them."""
    def prop(name, kind, description, **extra):
        return th.Property(PREFIX + name, kind, description=f"Reconciliation report only: {description}", **extra)
    return [
        prop("project", th.StringType, "the Google Cloud project of the dataset the target writes to."),
        prop("dataset", th.StringType, "the BigQuery dataset the target writes to (its <table>_current views are read)."),
        prop("location", th.StringType, "location of the dataset, e.g. US, EU.", default="US"),
        prop("table_prefix", th.StringType, "the target's table_prefix.", default=""),
        prop("api_endpoint", th.StringType, "BigQuery API base URL override (the local emulator's URL)."),
        prop("emulator", th.BooleanType, "read a local BigQuery emulator (anonymous, plain HTTP). Never for real "
                                         "BigQuery.", default=False),
        prop("credentials_path", th.StringType, "path to a service account JSON key with BigQuery read access."),
        prop("credential_set", th.StringType, "name of the google credential set in credential_store "
                                              "(zohobooks-credentials import-service-account)."),
    ]


def _read_files(paths: list[str]) -> dict:
    merged: dict = {}
    for path in paths:
        try:
            merged.update(json.loads(Path(path).read_text()))
        except OSError as exc:
            raise ReportSettingsError(f"cannot read --target-config {path}: {exc.strerror}") from None
        except ValueError:
            raise ReportSettingsError(f"--target-config {path} is not a JSON object of the target's settings") from None
    return merged


def bigquery_config(tap_config: dict, target_config_files: list[str], logger: logging.Logger) -> dict:
    """Settings in the target's own names (project, dataset, ..., emulator, credentials_json)."""
    if target_config_files:
        config = with_stored_credentials(_read_files(target_config_files), "google", "google", logger)
        where = "the --target-config file"
    else:
        config = {k[len(PREFIX):]: v for k, v in tap_config.items() if k.startswith(PREFIX) and v not in (None, "")}
        name = config.pop("credential_set", None)
        if name:
            if not tap_config.get("credential_store"):
                raise ReportSettingsError("bigquery_credential_set needs credential_store (the store holding it)")
            config = with_stored_credentials({**config, "credential_store": tap_config["credential_store"],
                                              "credential_set": name}, "google", name, logger)
        where = "tap-zohobooks settings bigquery_project / bigquery_dataset (TAP_ZOHOBOOKS_BIGQUERY_PROJECT, ...)"
    missing = [k for k in ("project", "dataset") if not config.get(k)]
    if missing:
        raise ReportSettingsError(f"no BigQuery {' or '.join(missing)} for the report: set {where}, "
                                  "or pass --target-config with the target's config file")
    return config
