"""Helpers shared by the tests: configs pointing at the local services, and in-process runs.

Runs are in-process (stdout captured) because they are several times faster than subprocesses; the
end-to-end tests under tests/pipeline run the real CLIs and `meltano run`.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

from local_services.zoho_sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, ZohoSandbox, sandbox_refresh_token
from tap_zohobooks.tap import TapZohoBooks
from target_bigquery_audit.target import TargetBigQueryAudit


def tap_config(sandbox: ZohoSandbox, tmp_path: Path, dc: str = "us", **overrides) -> dict:
    config = {
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        "refresh_token": sandbox_refresh_token(dc),
        "region": dc,
        "accounts_url": sandbox.accounts_url(dc),
        "token_cache_dir": str(tmp_path / "token-cache"),
        "start_date": "2020-01-01T00:00:00Z",
        "max_requests_per_minute": 100000,
        "retry_backoff_seconds": 0.01,
        "rate_limit_wait_seconds": 0,
    }
    config.update(overrides)
    return config


def target_config(emulator, dataset: str, tmp_path: Path, **overrides) -> dict:
    config = {
        "project": emulator.project,
        "dataset": dataset,
        "api_endpoint": emulator.rest_url,
        "storage_api_endpoint": emulator.grpc_target,
        "emulator": True,
        "retry_queue_dir": str(tmp_path / "retry-queue"),
        "max_retries": 2,
        "retry_backoff_max_seconds": 0.2,
        "request_timeout_seconds": 15,
    }
    config.update(overrides)
    return config


@dataclass
class SyncResult:
    lines: list[str]
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Decimal, as a careful consumer would: the SDK test runner parses money as float.
        self.messages = [json.loads(line, parse_float=Decimal) for line in self.lines if line.strip()]

    def records(self, stream: str | None = None) -> list[dict]:
        """Records of one stream, or of every stream but document_events (see events())."""
        return [m["record"] for m in self.messages
                if m["type"] == "RECORD" and (m["stream"] == stream if stream else m["stream"] != "document_events")]

    def events(self) -> list[dict]:
        return self.records("document_events")

    @property
    def state(self) -> dict:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    buffer = io.StringIO()
    tap = TapZohoBooks(config=config, state=state or {}, parse_env_config=False)
    with contextlib.redirect_stdout(buffer):
        tap.sync_all()
    return SyncResult(buffer.getvalue().splitlines())


class _LazyLines:
    """A file-like feed that yields lines one at a time (so a test can act between two lines)."""

    def __init__(self, lines) -> None:
        self._lines = lines

    def __iter__(self):
        for line in self._lines:
            yield line + "\n"


def run_target(config: dict, lines) -> list[dict]:
    """Feed Singer lines to the target in-process; returns the STATE values it passed on."""
    out = io.StringIO()
    target = TargetBigQueryAudit(config=config, parse_env_config=False)
    with contextlib.redirect_stdout(out):
        target.listen(_LazyLines(lines))
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def grant(sandbox: ZohoSandbox, dc: str, refresh_token: str | None = None,
          secret: str = SANDBOX_CLIENT_SECRET) -> requests.Response:
    """A refresh-token grant at a data center's accounts server of the sandbox."""
    return requests.post(f"{sandbox.accounts_url(dc)}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": SANDBOX_CLIENT_ID, "client_secret": secret,
        "refresh_token": refresh_token or sandbox_refresh_token(dc)}, timeout=10)


def token(sandbox: ZohoSandbox, dc: str = "us") -> tuple[str, str]:
    """(access token, api_domain) minted straight from the sandbox's accounts server."""
    body = grant(sandbox, dc).json()
    return body["access_token"], body["api_domain"]


def query(client, sql: str) -> list[dict]:
    from google.cloud import bigquery

    job = client.query(sql, retry=bigquery.DEFAULT_RETRY.with_deadline(15))
    return [dict(row) for row in job.result(timeout=30)]
