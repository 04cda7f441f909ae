"""The whole pipeline (poll, webhooks, live, history, replay, target) with known secret values: no file
the product wrote (spool, state, token cache, quota database, retry queue, load journal, logs, the
Singer output, the emulator's data files) holds any of them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from local_services.zoho_sandbox import SANDBOX_CLIENT_SECRET, sandbox_refresh_token
from tests.helpers import run_tap, run_target, tap_config, target_config
from tests.webhooks.conftest import (OLD_SECRET, SECRET, US_ORG, hook_up, make_receiver,  # noqa: F401
                                     receiver, receiver_config)


def _write(path: Path, lines: list[str], state: dict) -> dict:
    path.write_text("\n".join(lines))
    path.with_suffix(".state.json").write_text(json.dumps(state))
    return state


def test_no_secret_in_any_file_the_pipeline_wrote(sandbox, receiver, bigquery_emulator, dataset, tmp_path):
    log_file = tmp_path / "logs" / "pipeline.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.DEBUG
    try:
        hook_up(sandbox, receiver.url, "invoices")
        sandbox.hub.arm_fault("drop", 1)  # one delivery only the history can bring
        for _ in range(3):
            sandbox.store.create(US_ORG, "invoices", {})
        sandbox.hub.wait_idle()
        spool = str(receiver.spool_path)
        target = target_config(bigquery_emulator, dataset, tmp_path)
        common = {"organization_ids": [US_ORG], "webhook_spool_path": spool, "webhook_secret": SECRET,
                  "webhook_previous_secret": OLD_SECRET}
        for mode, extra in (("poll", {}), ("live", {"live_idle_exit_seconds": 0.3}), ("history", {}),
                            ("replay", {})):
            result = run_tap(tap_config(sandbox, tmp_path, mode=mode, **common, **extra))
            _write(tmp_path / f"{mode}.singer", result.lines, result.state)
            run_target(target, result.lines)
    finally:
        root.removeHandler(handler)
        handler.close()
        root.level = old_level

    secrets = [SANDBOX_CLIENT_SECRET, sandbox_refresh_token("us"), SECRET, OLD_SECRET,
               *sandbox.oauth.access_tokens]  # the access tokens Zoho minted for the run
    assert sandbox.oauth.access_tokens and log_file.stat().st_size > 0
    written = [p for d in (tmp_path, bigquery_emulator.data_dir) for p in Path(d).rglob("*") if p.is_file()]
    assert any(p.name.endswith(".singer") for p in written) and any("spool" in p.name for p in written)
    hits = [f"{p}: {s[:6]}…" for p in written for s in secrets if s.encode() in p.read_bytes()]
    assert hits == []
