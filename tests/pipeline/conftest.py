"""Meltano pipeline tests: plugins installed once per session; per test its own system database
(so its own state), dataset, retry queue and token cache."""

from __future__ import annotations

import pytest

from local_services.meltano_runner import ensure_plugins, meltano_env


@pytest.fixture(scope="session")
def plugins(bigquery_emulator):
    env = meltano_env({"base_url": "http://127.0.0.1:1", "client_secret": "", "refresh_tokens": {"us": "", "eu": ""}},
                      bigquery_emulator.rest_url, bigquery_emulator.grpc_target)
    ensure_plugins(env)


@pytest.fixture
def env(plugins, sandbox, bigquery_emulator, dataset, tmp_path):
    return meltano_env(sandbox.info(), bigquery_emulator.rest_url, bigquery_emulator.grpc_target,
                       MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
                       TARGET_BIGQUERY_AUDIT_PROJECT=bigquery_emulator.project, TARGET_BIGQUERY_AUDIT_DATASET=dataset,
                       TARGET_BIGQUERY_AUDIT_RETRY_QUEUE_DIR=str(tmp_path / "retry-queue"),
                       TAP_ZOHOBOOKS_TOKEN_CACHE_DIR=str(tmp_path / "tokens"),
                       TAP_ZOHOBOOKS__EU_TOKEN_CACHE_DIR=str(tmp_path / "tokens"),
                       TARGET_JSONL_DESTINATION_PATH=str(tmp_path / "jsonl"))
