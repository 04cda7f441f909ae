"""Auth and routing: regions, api_domain, token reuse, proactive refresh, token errors, the cache."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from local_services.zoho_sandbox import DATA_CENTERS
from tap_zohobooks.api import ZohoAPIError
from tap_zohobooks.auth import ZohoAuth, ZohoAuthError
from tap_zohobooks.regions import REGIONS
from tests.helpers import run_tap, tap_config, token
from tests.tap.conftest import EU_ORG, US_ORG, US_ORG2
from zohobooks_bigquery.sealed import read_header

EXPECTED_HOSTS = {
    "us": ("accounts.zoho.com", "www.zohoapis.com"), "eu": ("accounts.zoho.eu", "www.zohoapis.eu"),
    "in": ("accounts.zoho.in", "www.zohoapis.in"), "au": ("accounts.zoho.com.au", "www.zohoapis.com.au"),
    "jp": ("accounts.zoho.jp", "www.zohoapis.jp"), "ca": ("accounts.zohocloud.ca", "www.zohoapis.ca"),
    "cn": ("accounts.zoho.com.cn", "www.zohoapis.com.cn"), "sa": ("accounts.zoho.sa", "www.zohoapis.sa"),
}


@pytest.mark.parametrize("dc", DATA_CENTERS)
def test_each_region_has_its_accounts_server_and_api_domain(dc, tmp_path):
    auth = ZohoAuth({"client_id": "c", "client_secret": "s", "refresh_token": "r", "region": dc,
                     "token_cache_dir": str(tmp_path)}, logging.getLogger("t"))
    assert auth.accounts_url == f"https://{EXPECTED_HOSTS[dc][0]}"
    assert auth.api_domain == f"https://{EXPECTED_HOSTS[dc][1]}"
    assert set(REGIONS) == set(DATA_CENTERS)


@pytest.mark.parametrize("dc", DATA_CENTERS)
def test_each_region_mints_at_its_accounts_server_and_calls_its_api_domain(sandbox, tmp_path, dc):
    run_tap(tap_config(sandbox, tmp_path, dc=dc))
    token_calls = [r for r in sandbox.requests if r["kind"] == "token"]
    assert [(r["dc"], r["path"]) for r in token_calls] == [(dc, "/oauth/v2/token")]
    api_dcs = {r["dc"] for r in sandbox.api_calls()}
    assert api_dcs == {dc}  # the api_domain of the token response, not a hard-coded host
    assert all(r["status"] == 200 for r in sandbox.api_calls())


def test_api_url_override_wins_over_api_domain(sandbox, tmp_path):
    # A proxy in front of the EU API: token from the EU accounts server, calls to the override.
    config = tap_config(sandbox, tmp_path, dc="eu", api_url=sandbox.api_domain("eu"), organization_ids=[EU_ORG])
    result = run_tap(config)
    assert {r["organization_id"] for r in result.records()} == {EU_ORG}


def test_every_organization_by_default_or_the_selected_ones(sandbox, config):
    everything = run_tap(config)
    assert {r["organization_id"] for r in everything.records()} == {US_ORG, US_ORG2}
    sandbox.requests.clear()
    selected = run_tap({**config, "organization_ids": [US_ORG2]})
    assert {r["organization_id"] for r in selected.records()} == {US_ORG2}
    documents = [r for r in sandbox.api_calls() if not r["path"].endswith("/organizations")]
    assert {r["query"].get("organization_id") for r in documents} == {US_ORG2}
    # one call a run for the organizations stream (names and base currencies), none to discover them
    assert len(sandbox.api_calls()) - len(documents) == 1


def test_every_call_carries_organization_id_and_zoho_header(sandbox, config):
    run_tap(config)
    calls = [r for r in sandbox.api_calls() if not r["path"].endswith("/organizations")]
    assert calls and all(r["query"].get("organization_id") in (US_ORG, US_ORG2) for r in calls)


def test_token_is_reused_across_runs(sandbox, config):
    run_tap(config)
    run_tap(config)
    assert sandbox.oauth.mint_count == 1


def test_token_is_refreshed_before_it_expires(sandbox, config):
    sandbox.config.access_token_lifetime = 3
    sandbox.faults.arm("slow", count=8, path_contains="/invoices/", delay=0.5)
    run_tap({**config, "token_refresh_margin_seconds": 2, "organization_ids": [US_ORG2]})
    assert sandbox.oauth.mint_count >= 2
    assert not [r for r in sandbox.api_calls() if r["status"] == 401]


def test_a_401_forces_one_renewal_and_one_retry(sandbox, config):
    sandbox.faults.arm("invalid_token", count=1)
    result = run_tap({**config, "organization_ids": [US_ORG2]})
    assert result.records() and sandbox.oauth.mint_count == 2


def test_a_second_401_in_a_row_fails_clearly(sandbox, config):
    sandbox.faults.arm("invalid_token", count=2, path_contains="/invoices")  # one stream's call, twice
    with pytest.raises(ZohoAPIError, match="freshly minted token"):
        run_tap({**config, "organization_ids": [US_ORG2]})


def test_revoked_refresh_token_says_create_a_new_one(sandbox, config):
    run_tap({**config, "organization_ids": [US_ORG2]})  # it worked here before...
    sandbox.oauth.revoke(config["refresh_token"])  # ...and is now revoked
    with pytest.raises(ZohoAuthError, match="worked at .* before and is now refused: it was revoked.*create a new"):
        run_tap(config)


def test_a_token_of_another_region_says_check_region(sandbox, tmp_path):
    # Zoho answers both cases alike (invalid_code); the token is only ever sent to the configured region.
    config = tap_config(sandbox, tmp_path, dc="eu", refresh_token=tap_config(sandbox, tmp_path)["refresh_token"])
    with pytest.raises(ZohoAuthError, match=r"refused by the eu data center .*: check region .* or, if region is "
                                            r"right, .* create a new refresh token"):
        run_tap(config)
    assert {r["dc"] for r in sandbox.requests if r["kind"] == "token"} == {"eu"}


def test_token_throttle_is_waited_out_then_reported(sandbox, config):
    sandbox.config.token_mint_limit = 1
    sandbox.config.token_mint_window = 0.6
    token(sandbox)  # someone else used this refresh token's allowance
    result = run_tap({**config, "token_throttle_initial_wait_seconds": 0.2, "organization_ids": [US_ORG2]})
    assert result.records()
    sandbox.config.token_mint_window = 600
    with pytest.raises(ZohoAuthError, match="10 per refresh token per 10 minutes"):
        run_tap({**config, "token_cache_enabled": False, "token_throttle_initial_wait_seconds": 0.05,
                 "token_throttle_max_wait_seconds": 0.2})


def test_cache_file_is_encrypted_and_private(sandbox, config, tmp_path):
    run_tap(config)
    files = list((tmp_path / "token-cache").glob("token-*.bin"))
    assert len(files) == 1
    blob = files[0].read_bytes()
    issued = next(iter(sandbox.oauth.access_tokens))
    assert issued.encode() not in blob and b"access_token" not in blob
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600


def test_cache_key_is_stretched_with_scrypt_and_a_random_salt_per_file(sandbox, config, tmp_path):
    # Same passphrase (the client secret) for two caches: no constant salt, so two different keys.
    run_tap({**config, "organization_ids": [US_ORG2]})
    run_tap(tap_config(sandbox, tmp_path, dc="eu", organization_ids=[EU_ORG]))
    headers = [read_header(path.read_bytes())[0] for path in (tmp_path / "token-cache").glob("token-*.bin")]
    assert len(headers) == 2 and all(h["kdf"] == "scrypt" and h["n"] >= 2**15 for h in headers)
    assert headers[0]["salt"] != headers[1]["salt"]


def test_undecryptable_cache_is_ignored_with_a_warning(sandbox, config, tmp_path, caplog):
    run_tap(config)
    cache = next((tmp_path / "token-cache").glob("token-*.bin"))
    cache.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        result = run_tap(config)
    assert result.records()
    assert "cannot be decrypted" in caplog.text
    assert sandbox.oauth.mint_count == 2


def test_secrets_never_reach_logs_or_state(sandbox, config, caplog):
    with caplog.at_level(logging.DEBUG):
        result = run_tap(config)
    issued = next(iter(sandbox.oauth.access_tokens))
    text = caplog.text + "\n".join(result.lines)
    for secret in (config["client_secret"], config["refresh_token"], issued):
        assert secret not in text
