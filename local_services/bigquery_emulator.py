"""Starts the local BigQuery emulator (local-bigquery in .venv-bqemu) on free loopback ports.

Used by the pytest session fixture and by the demo. `scripts/bootstrap.sh --emulator` installs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = ROOT / ".venv-bqemu" / "bin" / "local-bigquery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorError(RuntimeError):
    """The emulator could not be started; the message says why and what to do."""


class BigQueryEmulator:
    def __init__(self, data_dir: Path, project: str = "test-project", port: int = 0, grpc_port: int = 0,
                 binary: str | Path | None = None, log_path: Path | None = None) -> None:
        self.binary = Path(binary or os.environ.get("LOCAL_BIGQUERY_BIN") or DEFAULT_BINARY)
        self.data_dir = Path(data_dir)
        self.project = project
        self.port = port or free_port()
        self.grpc_port = grpc_port or free_port()
        self.log_path = log_path or self.data_dir.parent / f"bigquery-emulator-{self.port}.log"
        self._proc: subprocess.Popen | None = None

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def _log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self, timeout: float = 90.0) -> BigQueryEmulator:
        if not self.binary.exists():
            raise EmulatorError(f"BigQuery emulator not installed at {self.binary}: run scripts/bootstrap.sh --emulator")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self._proc = subprocess.Popen(
            [str(self.binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--grpc-port", str(self.grpc_port), "--project", self.project, "--data-dir", str(self.data_dir)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise EmulatorError(f"BigQuery emulator exited with code {self._proc.returncode}:\n{self._log_tail()}")
            try:
                if requests.get(f"{self.rest_url}/discovery/v1/apis/bigquery/v2/rest", timeout=1).ok \
                        and self._grpc_listening():
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise EmulatorError(f"BigQuery emulator not ready after {timeout:.0f}s:\n{self._log_tail()}")

    def _grpc_listening(self) -> bool:
        """The Storage API's gRPC port accepts connections (it may open after the REST port)."""
        try:
            with socket.create_connection(("127.0.0.1", self.grpc_port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as an outage would."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def restart(self, timeout: float = 90.0) -> BigQueryEmulator:
        self.stop()
        return self.start(timeout)

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self):
        """A real google-cloud-bigquery client pointed at the emulator."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(project=self.project, credentials=AnonymousCredentials(),
                               client_options=ClientOptions(api_endpoint=self.rest_url))
