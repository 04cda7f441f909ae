"""Mistakes a user can make, driven through `meltano run` as users run it: each ends with one error line
from the plugin naming what to fix, a non-zero exit, and no traceback (Meltano's own or a plugin's)."""

from __future__ import annotations

import re

from local_services.meltano_runner import meltano

# Meltano's own closing lines ("Extractor failed", "Block run completed") say where, not what; so does the
# SDK's context line before a sink error.
PLUGIN_ERROR = re.compile(r"\[error\s*\] (tap-zohobooks\S*|target-bigquery-audit) (.*)")
CONTEXT = "Error initializing target sink"


def failed_run(env: dict, *plugins: str) -> str:
    """The one error line of a failing `meltano run`, after checking the exit code and the absence of tracebacks."""
    result = meltano(env, "run", *plugins, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output and "╭─" not in output, output[-3000:]
    errors = [m.group(2) for m in map(PLUGIN_ERROR.search, output.splitlines()) if m and CONTEXT not in m.group(2)]
    assert len(errors) == 1, output[-3000:]
    return errors[0]


def test_user_mistakes_end_in_one_line_naming_the_fix(env):
    # The second data center without its own credentials: never the first one's (docs/meltano.md).
    no_eu_secrets = {k: v for k, v in env.items()
                     if k not in ("TAP_ZOHOBOOKS__EU_CLIENT_SECRET", "TAP_ZOHOBOOKS__EU_REFRESH_TOKEN")}
    assert failed_run(no_eu_secrets, "tap-zohobooks--eu", "target-bigquery-audit") == (
        "Invalid settings: 'client_secret' is a required property; 'refresh_token' is a required property "
        "(see `meltano config list tap-zohobooks--eu`)")

    line = failed_run({**env, "TAP_ZOHOBOOKS_REGION": "mars"}, "tap-zohobooks", "target-bigquery-audit")
    assert line.startswith("Invalid settings: 'mars' is not one of ['us', 'eu',") and "in config['region']" in line

    line = failed_run({**env, "TARGET_BIGQUERY_AUDIT_LOAD_METHOD": "fast"}, "tap-zohobooks", "target-bigquery-audit")
    assert line.startswith("Invalid settings: load_method 'fast' is not supported; use one of: ")
    assert "batch_load" in line and line.endswith("(see `meltano config list target-bigquery-audit`)")

    bad_key = {**env, "TARGET_BIGQUERY_AUDIT_EMULATOR": "false", "TARGET_BIGQUERY_AUDIT_CREDENTIALS_JSON":
               '{"type": "service_account"}', "TAP_ZOHOBOOKS_ORGANIZATION_IDS": '["60001000002"]'}
    line = failed_run(bad_key, "tap-zohobooks", "target-bigquery-audit")
    assert line.startswith("credentials_json is not a usable service account key")
