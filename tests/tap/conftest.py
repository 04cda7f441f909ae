"""Tap tests: a sandbox, a config for it, and in-process runs."""

import pytest

US_ORG, US_ORG2, EU_ORG = "60001000001", "60001000002", "20001000001"


@pytest.fixture
def config(sandbox, tmp_path):
    from tests.helpers import tap_config

    return tap_config(sandbox, tmp_path)
