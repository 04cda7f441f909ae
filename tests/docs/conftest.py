"""The demo's data, once per session: the same pipeline as `./scripts/demo.sh` (local_services/demo.py)
into dataset `zoho_books` of the session's BigQuery emulator, so the docs' SQL runs as users copy it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from local_services.demo import DATASET, start_sandbox, sync_demo_data
from local_services.meltano_runner import ROOT, meltano_env

DEMO_DOCUMENTS = 600  # the demo's default


@pytest.fixture(scope="session")
def demo(bigquery_emulator, tmp_path_factory):
    """The environment the demo ran with (sandbox and emulator still up), for the docs' shell blocks."""
    home = tmp_path_factory.mktemp("docs-run")
    process, sandbox = start_sandbox(DEMO_DOCUMENTS)
    try:
        env = meltano_env(sandbox, bigquery_emulator.rest_url, bigquery_emulator.grpc_target,
                          MELTANO_DATABASE_URI=f"sqlite:///{home / 'meltano.db'}", HOME=str(home),
                          TARGET_BIGQUERY_AUDIT_PROJECT=bigquery_emulator.project,
                          TARGET_BIGQUERY_AUDIT_DATASET=DATASET,
                          TARGET_BIGQUERY_AUDIT_RETRY_QUEUE_DIR=str(home / "retry-queue"),
                          TAP_ZOHOBOOKS_TOKEN_CACHE_DIR=str(home / "tokens"),
                          TAP_ZOHOBOOKS__EU_TOKEN_CACHE_DIR=str(home / "tokens"))
        sync_demo_data(env, sandbox["base_url"])
        yield env
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> str:
    """A copy of the repository's files (the environments linked, not copied), where shell blocks may
    write (.env, README tables) without touching the checkout."""
    copy = tmp_path_factory.mktemp("repo")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    for linked in (".venv", ".venv-bqemu", ".tools", ".meltano"):
        if (ROOT / linked).exists():
            (copy / linked).symlink_to(ROOT / linked)
    return str(copy)
