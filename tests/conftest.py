"""Session services: one BigQuery emulator for the run; a fresh Zoho sandbox per test."""

from __future__ import annotations

import re
import uuid

import pytest
from google.cloud import bigquery

from local_services.zoho_sandbox import SandboxConfig, ZohoSandbox
from tests.services import shared_emulator


@pytest.fixture(scope="session")
def bigquery_emulator():
    return shared_emulator()


@pytest.fixture
def bq(bigquery_emulator):
    return bigquery_emulator.client()


@pytest.fixture
def dataset(request, bigquery_emulator):
    """A dataset name of this test's own, so tests never see each other's rows; dropped afterwards,
    because the shared emulator slows down as its catalog grows."""
    name = f"{re.sub(r'[^A-Za-z0-9_]', '_', request.node.name)[:60]}_{uuid.uuid4().hex[:6]}"
    yield name
    try:
        bigquery_emulator.client().delete_dataset(name, delete_contents=True, not_found_ok=True,
                                                  retry=bigquery.DEFAULT_RETRY.with_deadline(10), timeout=10)
    except Exception:  # noqa: BLE001 - cleanup only; a test that stopped the emulator leaves it behind
        pass


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    # Tests are not here to wait out Zoho's 100 calls/minute; tests of the limit lower it again.
    return SandboxConfig(requests_per_window=100000)


@pytest.fixture
def sandbox_documents() -> int:
    """How many documents the sandbox is seeded with; a test directory may ask for fewer."""
    return 300


@pytest.fixture
def sandbox(sandbox_config, sandbox_documents):
    with ZohoSandbox(sandbox_config, documents=sandbox_documents) as running:
        yield running
