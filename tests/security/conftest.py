"""Security tests: a credential store of the test's own, keyed by a key file or a passphrase."""

from __future__ import annotations

import pytest

from tests.security.fake_google import service_account  # noqa: F401 - fixture
from zohobooks_bigquery.credential_store import KEY_ENV, KEY_FILE_ENV, STORE_ENV, create_key_file


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """A fresh key file, the only store key the process sees."""
    path = tmp_path / "keys" / "store.key"
    create_key_file(path)
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(STORE_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    return path
