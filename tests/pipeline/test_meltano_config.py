"""What Meltano hands the plugins in the prod environment when the user sets only what they must."""

from __future__ import annotations

import json
import os

from local_services.meltano_runner import meltano


def prod_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TAP_ZOHOBOOKS", "TARGET_BIGQUERY_AUDIT", "MELTANO_ENVIRONMENT"))}
    env.update(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", **extra)
    return env


def config(env: dict, plugin: str) -> dict:
    return json.loads(meltano(env, "--environment=prod", "config", "print", plugin, "--format=json").stdout)


def test_unset_region_and_location_are_the_defaults_and_the_second_data_center_inherits_no_credentials():
    env = prod_env(TAP_ZOHOBOOKS_CLIENT_ID="1000.US", TAP_ZOHOBOOKS_CLIENT_SECRET="us-secret",
                   TAP_ZOHOBOOKS_REFRESH_TOKEN="us-token", TAP_ZOHOBOOKS_CREDENTIAL_STORE="/etc/zoho/credentials.store")
    assert config(env, "tap-zohobooks")["region"] == "us"
    eu = config(env, "tap-zohobooks--eu")
    assert eu["region"] == "eu"
    assert (eu["client_id"], eu["client_secret"], eu["refresh_token"]) == ("", "", "")  # blank: missing
    assert (eu["credential_store"], eu["credential_set"]) == ("/etc/zoho/credentials.store", "zoho-eu")
    assert config(env, "target-bigquery-audit")["location"] == "US"


def test_settings_come_from_meltano_env_names():
    env = prod_env(TAP_ZOHOBOOKS_REGION="in", TARGET_BIGQUERY_AUDIT_PROJECT="p", TARGET_BIGQUERY_AUDIT_LOCATION="EU")
    assert config(env, "tap-zohobooks")["region"] == "in"
    target = config(env, "target-bigquery-audit")
    assert (target["project"], target["location"]) == ("p", "EU")


def test_config_test_names_the_missing_setting(plugins):
    env = prod_env(TAP_ZOHOBOOKS_CLIENT_ID="1000.X", TAP_ZOHOBOOKS_CLIENT_SECRET="s")
    result = meltano(env, "--environment=prod", "config", "test", "tap-zohobooks", check=False)
    output = result.stdout + result.stderr
    assert "Plugin configuration is invalid" in output
    assert "Invalid settings: 'refresh_token' is a required property" in output
    assert '"schema":{' not in output  # not the whole JSON schema instead of the reason
