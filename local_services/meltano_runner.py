"""Run Meltano against the local services: the environment it needs, install once, run commands.

Shared by the demo and the pipeline tests, so both exercise the same `meltano.yml`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MELTANO = ROOT / ".venv" / "bin" / "meltano"


def meltano_env(sandbox: dict, bigquery_url: str, bigquery_grpc: str = "", **extra: str) -> dict:
    """Environment for `meltano --environment=local`; `sandbox` is ZohoSandbox.info(); `bigquery_grpc` is
    the emulator's gRPC host:port (the Storage Write API of the default load method)."""
    env = dict(os.environ)
    env.update({
        "MELTANO_ENVIRONMENT": "local", "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ZOHO_SANDBOX_URL": sandbox["base_url"], "BIGQUERY_EMULATOR_URL": bigquery_url,
        "BIGQUERY_EMULATOR_GRPC": bigquery_grpc,
        # The sandbox's public test credentials; real ones live in .env (see README).
        "TAP_ZOHOBOOKS_CLIENT_SECRET": sandbox["client_secret"],
        "TAP_ZOHOBOOKS_REFRESH_TOKEN": sandbox["refresh_tokens"]["us"],
        "TAP_ZOHOBOOKS__EU_CLIENT_SECRET": sandbox["client_secret"],
        "TAP_ZOHOBOOKS__EU_REFRESH_TOKEN": sandbox["refresh_tokens"]["eu"],
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    })
    env.update(extra)
    for setting in ("PROJECT", "DATASET"):  # the reconciliation report reads where the target writes
        if f"TARGET_BIGQUERY_AUDIT_{setting}" in extra:
            for plugin in ("TAP_ZOHOBOOKS", "TAP_ZOHOBOOKS__EU"):
                env.setdefault(f"{plugin}_BIGQUERY_{setting}", extra[f"TARGET_BIGQUERY_AUDIT_{setting}"])
    return env


def meltano(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(MELTANO), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        lines = result.stderr.splitlines()
        errors = [line for i, line in enumerate(lines)
                  if any(word in line for word in ("Error", "error", "Exception", "failed"))
                  or any("Traceback" in previous for previous in lines[max(0, i - 30):i])]
        raise RuntimeError(f"`meltano {' '.join(args)}` failed (exit {result.returncode}):\n"
                           + "\n".join(errors[-40:]) + "\n--- last lines ---\n" + result.stderr[-3000:])
    return result


def ensure_plugins(env: dict, *plugins: str) -> bool:
    """`meltano install` the given plugins (all when none given), only when the pins or meltano.yml
    changed since the last install. Returns whether it installed."""
    fingerprint = hashlib.sha256(((ROOT / "constraints.txt").read_text() + (ROOT / "meltano.yml").read_text()
                                  + " ".join(plugins)).encode()).hexdigest()
    stamp = ROOT / ".meltano" / f".install-{hashlib.sha256(' '.join(plugins).encode()).hexdigest()[:8]}"
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    meltano(env, "install", *plugins)
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(fingerprint)
    return True
