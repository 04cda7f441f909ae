"""The sandbox's Zoho Accounts behaviour, over real HTTP."""

from __future__ import annotations

import time

import requests

from local_services.zoho_sandbox import sandbox_refresh_token
from tests.helpers import grant, token


def test_refresh_grant_returns_zoho_token_response(sandbox):
    response = grant(sandbox, "eu")
    body = response.json()
    assert response.status_code == 200
    assert set(body) >= {"access_token", "api_domain", "token_type", "expires_in"}
    assert body["api_domain"] == sandbox.api_domain("eu")
    assert body["expires_in"] == 3600


def test_access_tokens_really_expire(sandbox):
    sandbox.config.access_token_lifetime = 1
    access, api = token(sandbox)
    headers = {"Authorization": f"Zoho-oauthtoken {access}"}
    assert requests.get(f"{api}/books/v3/organizations", headers=headers, timeout=10).status_code == 200
    time.sleep(1.2)
    expired = requests.get(f"{api}/books/v3/organizations", headers=headers, timeout=10)
    assert expired.status_code == 401
    assert expired.json()["code"] == 57


def test_token_mint_limit_answers_zoho_throttle_error(sandbox):
    for _ in range(10):
        assert "access_token" in grant(sandbox, "us").json()
    refused = grant(sandbox, "us")
    assert refused.status_code == 400
    assert refused.json()["error"] == "Access Denied"
    assert "too many requests" in refused.json()["error_description"]


def test_bad_or_revoked_refresh_token_is_invalid_code_with_http_200(sandbox):
    bad = grant(sandbox, "us", refresh_token="1000.nope")
    assert (bad.status_code, bad.json()) == (200, {"error": "invalid_code"})
    requests.post(f"{sandbox.base_url}/_admin/oauth/revoke", json={"refresh_token": sandbox_refresh_token("us")},
                  timeout=10)
    revoked = grant(sandbox, "us")
    assert (revoked.status_code, revoked.json()) == (200, {"error": "invalid_code"})


def test_wrong_client_secret_is_reported(sandbox):
    assert grant(sandbox, "us", secret="wrong").json() == {"error": "invalid_client_secret"}


def test_tokens_belong_to_their_data_center(sandbox):
    # A refresh token works only at its own data center's accounts server...
    assert grant(sandbox, "us", refresh_token=sandbox_refresh_token("eu")).json() == {"error": "invalid_code"}
    # ...and an EU access token is rejected by the US API.
    access, _ = token(sandbox, "eu")
    response = requests.get(f"{sandbox.api_domain('us')}/books/v3/organizations",
                            headers={"Authorization": f"Zoho-oauthtoken {access}"}, timeout=10)
    assert response.status_code == 401


def test_every_data_center_serves_its_own_organizations(sandbox):
    seen = {}
    for dc in ("us", "eu", "in", "au", "jp", "ca", "cn", "sa"):
        access, api = token(sandbox, dc)
        orgs = requests.get(f"{api}/books/v3/organizations", headers={"Authorization": f"Bearer {access}"},
                            timeout=10).json()["organizations"]
        seen[dc] = {o["organization_id"] for o in orgs}
        assert seen[dc], dc
    assert len(set().union(*seen.values())) == sum(len(v) for v in seen.values())  # no org in two DCs
    assert len(seen["us"]) == 2  # several organizations behind one token
