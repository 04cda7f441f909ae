"""BigQuery credentials: a service account (from the credential store, a file path or inline JSON),
application default credentials, or anonymous ones for the local emulator (only when the `emulator`
setting says so: an endpoint override alone never turns authentication off).

The service account's JWT is signed locally (google-auth) and exchanged for an access token, which is
kept in memory and renewed `token_refresh_margin_seconds` (default 300) before it expires. The renewal
runs in a background thread while the current token is still valid, so inserts never wait for a token;
only a missing or expired token is fetched inline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

import google.auth
from google.api_core.client_options import ClientOptions
from google.auth import credentials as gcreds
from google.cloud import bigquery
from google.oauth2 import service_account

SCOPES = ["https://www.googleapis.com/auth/bigquery"]


class CredentialsError(ValueError):
    """The credential settings cannot be used; the message says what to fix."""


class ProactiveCredentials(gcreds.Credentials):
    """Wraps refreshable credentials and renews their token ahead of expiry, off the hot path."""

    def __init__(self, inner: gcreds.Credentials, margin_seconds: float, logger: logging.Logger) -> None:
        super().__init__()
        self._inner = inner
        self._margin = dt.timedelta(seconds=margin_seconds)
        self._lock = threading.Lock()
        self._refreshing = False
        self._logger = logger
        self.exchanges = 0

    @property
    def token(self):  # type: ignore[override]
        return self._inner.token

    @token.setter
    def token(self, value) -> None:  # the base class assigns None in __init__
        pass

    @property
    def quota_project_id(self):  # type: ignore[override]
        return self._inner.quota_project_id

    @property
    def expiry(self):  # type: ignore[override]
        return self._inner.expiry

    @expiry.setter
    def expiry(self, value) -> None:
        pass

    def _now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # google-auth uses naive UTC

    def _usable(self) -> bool:
        return self.token is not None and (self.expiry is None or self._now() < self.expiry)

    def _due(self) -> bool:
        return self.token is None or (self.expiry is not None and self._now() >= self.expiry - self._margin)

    def refresh(self, request) -> None:
        with self._lock:
            self._inner.refresh(request)
            self.exchanges += 1

    def _refresh_in_background(self, request) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True

        def run() -> None:
            try:
                self.refresh(request)
            except Exception as exc:  # the current token still works; the next call tries again
                self._logger.warning("Background token renewal failed: %s", type(exc).__name__)
            finally:
                self._refreshing = False

        threading.Thread(target=run, name="bq-token-refresh", daemon=True).start()

    def before_request(self, request, method, url, headers) -> None:
        if not self._usable():
            self.refresh(request)
        elif self._due():
            self._refresh_in_background(request)
        # The inner credentials' apply() writes the bearer token and, like google-auth's own
        # before_request, the x-goog-user-project header of a quota project (and any other header
        # the credential type adds).
        self._inner.apply(headers)


def build_credentials(config: dict, logger: logging.Logger) -> gcreds.Credentials:
    margin = float(config.get("token_refresh_margin_seconds", 300))
    info = config.get("credentials_json")
    path = config.get("credentials_path")
    if info or path:
        try:
            data = json.loads(info) if isinstance(info, str) else (info or json.loads(Path(path).read_text()))
            # GOOGLE_CLOUD_QUOTA_PROJECT bills another project, as google.auth.default() does for ADC.
            inner = service_account.Credentials.from_service_account_info(
                data, scopes=SCOPES).with_quota_project_from_environment()
        except (OSError, ValueError, KeyError) as exc:
            source = "credentials_json" if info else f"credentials_path {path}"
            raise CredentialsError(f"{source} is not a usable service account key ({type(exc).__name__}): "
                                   "download a JSON key for the service account (see README)") from None
        return ProactiveCredentials(inner, margin, logger)
    if config.get("emulator"):
        return gcreds.AnonymousCredentials()  # only ever for the local emulator, chosen explicitly
    try:
        inner, _ = google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError:
        raise CredentialsError("no BigQuery credentials: set credentials_path or credentials_json, or run "
                               "`gcloud auth application-default login`") from None
    return ProactiveCredentials(inner, margin, logger)


def build_client(config: dict, logger: logging.Logger, credentials: gcreds.Credentials | None = None) -> bigquery.Client:
    """A BigQuery client for the target's settings (project, location, api_endpoint, credentials, emulator),
    as the target builds its own; the reconciliation report reads BigQuery through it, so both reach
    BigQuery the same way."""
    options = ClientOptions(api_endpoint=config["api_endpoint"]) if config.get("api_endpoint") else None
    return bigquery.Client(project=config["project"], credentials=credentials or build_credentials(config, logger),
                           client_options=options, location=config.get("location", "US"))
