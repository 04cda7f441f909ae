"""Appends rows to BigQuery with insertAll, checking every per-row error, and manages tables.

- Requests stay within BigQuery's limits (`insert_batch_rows` rows, about 8 MB).
- Per-row errors are read: rows BigQuery calls invalid are returned to the caller (dead-letter table),
  rows it only "stopped" because of them are sent again in the same call.
- Transient failures (5xx, timeouts, connection errors, rateLimitExceeded) are retried with backoff;
  long-term quota errors (quotaExceeded) wait longer. When BigQuery still does not answer,
  BigQueryUnavailable is raised and the caller puts the batch in the retry queue.
- Tables are only ever created or widened (new NULLABLE columns): never truncated or rewritten.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import Callable, Iterator

import backoff
import requests
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from google.cloud.bigquery import SchemaField

from .json_codec import encode_row

DEFAULT_ENDPOINT = "https://bigquery.googleapis.com"
MAX_REQUEST_BYTES = 8_000_000  # BigQuery refuses insertAll payloads over 10 MB
VIEW_DEFINITION_LABEL = "audit_definition_sha256"
VIEW_HEAD = re.compile(r"(CREATE OR REPLACE VIEW `[^`]+`)\s+AS\b")  # where a view's OPTIONS(...) go
RETRY_ROW_REASONS = {"stopped", "timeout", "backendError", "internalError"}


class BigQueryUnavailable(Exception):
    """BigQuery did not take a batch after every retry."""


def _transient(exc: Exception) -> bool:
    if isinstance(exc, (gexc.ServerError, gexc.TooManyRequests, requests.ConnectionError, requests.Timeout,
                        ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, gexc.Forbidden):
        return any(_reason(e) in ("rateLimitExceeded", "quotaExceeded") for e in exc.errors or [])
    return False


def _quota_exceeded(exc: Exception) -> bool:
    return isinstance(exc, gexc.GoogleAPICallError) and any(
        _reason(e) == "quotaExceeded" for e in (exc.errors or []))


def _reason(error: object) -> str | None:
    """The reason of one REST error entry (gRPC errors carry call objects instead: no reason)."""
    return error.get("reason") if isinstance(error, dict) else None


class BigQueryWriter:
    def __init__(self, client: bigquery.Client, dataset: str, logger: logging.Logger, *, location: str = "US",
                 max_tries: int = 6, backoff_max: float = 60.0, quota_wait: float = 600.0,
                 batch_rows: int = 500, timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None, endpoint: str | None = None) -> None:
        self.client = client
        self.session = session  # authorised HTTP session for insertAll (AuthorizedSession of the credentials)
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.project = client.project
        self.dataset = dataset
        self.location = location
        self.logger = logger
        self.max_tries = max_tries
        self.backoff_max = backoff_max
        self.quota_wait = quota_wait
        self.batch_rows = batch_rows
        self.timeout = timeout
        self._sleep = sleep
        self.waited_seconds = 0.0  # time spent in BigQuery calls (for the run summary)

    def table_id(self, table: str) -> str:
        return f"{self.project}.{self.dataset}.{table}"

    # --- calls with backoff ---------------------------------------------------------------------
    def call(self, func: Callable, *args, **kwargs):
        """Run a BigQuery call, retrying transient errors; BigQueryUnavailable when they persist."""
        def on_backoff(details: dict) -> None:
            exc = details["exception"]
            if _quota_exceeded(exc):
                self.logger.warning("BigQuery quotaExceeded; waiting %.0fs", self.quota_wait)
                self._sleep(self.quota_wait)
            self.logger.warning("BigQuery call failed (%s); retry %d of %d", type(exc).__name__,
                                details["tries"], self.max_tries)

        wrapped = backoff.on_exception(backoff.expo, Exception, max_tries=self.max_tries, max_value=self.backoff_max,
                                       giveup=lambda e: not _transient(e), on_backoff=on_backoff,
                                       jitter=backoff.full_jitter, logger=None)(func)
        started = time.monotonic()
        try:
            return wrapped(*args, **kwargs)
        except Exception as exc:
            if _transient(exc):
                raise BigQueryUnavailable(f"BigQuery unavailable after {self.max_tries} tries: "
                                          f"{type(exc).__name__}: {exc}") from exc
            raise
        finally:
            self.waited_seconds += time.monotonic() - started

    # --- tables ----------------------------------------------------------------------------------
    def ensure_dataset(self) -> None:
        """Create the dataset unless it exists: one call either way (409 when it exists; the client's
        exists_ok would read the dataset after that 409, which nothing here uses)."""
        dataset = bigquery.Dataset(f"{self.project}.{self.dataset}")
        dataset.location = self.location
        try:
            self.call(self.client.create_dataset, dataset, timeout=self.timeout, retry=None)
        except gexc.Conflict:
            pass  # it exists

    def get_table(self, table: str) -> bigquery.Table | None:
        try:
            return self.call(self.client.get_table, self.table_id(table), timeout=self.timeout, retry=None)
        except gexc.NotFound:
            return None

    def create_table(self, table: str, fields: list[SchemaField], partition_field: str | None,
                     clustering: list[str], description: str = "") -> bigquery.Table:
        spec = bigquery.Table(self.table_id(table), schema=fields)
        spec.description = description
        if partition_field:
            spec.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY,
                                                               field=partition_field)
        if clustering:
            spec.clustering_fields = clustering[:4]
        self.logger.info("Creating table %s", spec.full_table_id or self.table_id(table))
        try:
            return self.call(self.client.create_table, spec, timeout=self.timeout, retry=None)
        except (gexc.Conflict, gexc.BadRequest):
            # Another run created it at the same moment (BigQuery answers 409; some emulators 400).
            existing = self.get_table(table)
            if existing is None:
                raise
            return existing

    def add_columns(self, table: bigquery.Table, schema: list[SchemaField]) -> bigquery.Table:
        table.schema = schema
        try:
            return self.call(self.client.update_table, table, ["schema"], timeout=self.timeout, retry=None)
        except (gexc.PreconditionFailed, gexc.BadRequest, gexc.Conflict):
            # Widened meanwhile by another run: apply ours to the fresh definition once.
            fresh = self.get_table(table.table_id)
            names = {f.name.lower() for f in fresh.schema}
            fresh.schema = list(fresh.schema) + [f for f in schema if f.name.lower() not in names]
            return self.call(self.client.update_table, fresh, ["schema"], timeout=self.timeout, retry=None)

    def refresh_view(self, view: str, sql: str, force: bool = False) -> bool:
        """Run a view's CREATE OR REPLACE VIEW statement only when its definition changed (or `force`: its
        tables were widened, and `SELECT *` views freeze their columns). The definition's hash is kept in
        a label, so a small run costs one metadata read per view, no DDL and no scan. True when (re)created."""
        digest = hashlib.sha256(sql.encode()).hexdigest()[:32]
        existing = None if force else self.get_table(view)
        if existing is not None and (existing.labels or {}).get(VIEW_DEFINITION_LABEL) == digest:
            return False
        head = VIEW_HEAD.match(sql)
        if head is None:
            raise ValueError(f"not a CREATE OR REPLACE VIEW statement: {sql[:60]!r}")
        # The label is set by the statement itself: no read and update of the view afterwards.
        self.run_ddl(f'{head.group(1)} OPTIONS(labels=[("{VIEW_DEFINITION_LABEL}", "{digest}")]){sql[head.end(1):]}')
        return True

    def run_ddl(self, sql: str) -> None:
        """One jobs.query call that waits for the statement (a DDL statement needs no job polling)."""
        self.call(self.client.query_and_wait, sql, location=self.location, api_timeout=self.timeout,
                  wait_timeout=self.timeout, retry=None, job_retry=None)

    # --- inserts -----------------------------------------------------------------------------------
    def _chunks(self, rows: list[dict]) -> Iterator[tuple[list[dict], list[bytes]]]:
        """Rows cut into requests of at most `batch_rows` rows and MAX_REQUEST_BYTES, sized by their bytes.

        Rows are encoded as the requests are cut, so only one request's bytes exist at a time (not the
        whole batch's: memory stays flat however many rows a batch holds)."""
        chunk: list[dict] = []
        encoded: list[bytes] = []
        size = 0
        for row in rows:
            body = encode_row(row["json"])
            row_size = len(body) + 100
            if chunk and (len(chunk) >= self.batch_rows or size + row_size > MAX_REQUEST_BYTES):
                yield chunk, encoded
                chunk, encoded, size = [], [], 0
            chunk.append(row)
            encoded.append(body)
            size += row_size
        if chunk:
            yield chunk, encoded

    def insert(self, table: str, rows: list[dict]) -> list[tuple[dict, str]]:
        """Append rows ({"insertId", "json"}); returns the rows BigQuery refused, with its reason.

        Each row is encoded once (encode_row); those bytes size the requests and make their bodies."""
        refused: list[tuple[dict, str]] = []
        for chunk, encoded in self._chunks(rows):
            refused.extend(self._insert_chunk(table, chunk, encoded))
            del chunk, encoded  # freed before the next request's rows are encoded
        return refused

    def insert_all(self, table: str, rows: list[dict], encoded: list[bytes]) -> list[dict]:
        """One insertAll request with a body made of the rows' encoded bytes; BigQuery's per-row errors.

        google-cloud-bigquery's insert_rows_json only takes dicts and encodes them again, so the
        request is posted here, with the same authorised session kind and the same error mapping."""
        parts, opening = [b'{"rows":['], b'{"insertId":'
        for row, row_bytes in zip(rows, encoded):  # the rows' bytes are joined once, not copied per row first
            parts += (opening, encode_row(row["insertId"]), b',"json":', row_bytes, b"}")
            opening = b',{"insertId":'
        parts.append(b"]}")
        body = b"".join(parts)
        del parts
        url = f"{self.endpoint}/bigquery/v2/projects/{self.project}/datasets/{self.dataset}/tables/{table}/insertAll"
        response = self.session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=self.timeout)
        if response.status_code >= 400:
            raise gexc.from_http_response(response)
        return [{"index": int(e["index"]), "errors": e["errors"]} for e in response.json().get("insertErrors", ())]

    def _insert_chunk(self, table: str, chunk: list[dict], encoded: list[bytes]) -> list[tuple[dict, str]]:
        refused: list[tuple[dict, str]] = []
        pending = chunk
        for _ in range(self.max_tries):
            errors = self.call(self.insert_all, table, pending, encoded)
            if not errors:
                return refused
            again, again_encoded = [], []
            by_index = {e["index"]: e["errors"] for e in errors}
            for index, row_errors in by_index.items():
                reasons = {e.get("reason") for e in row_errors}
                if reasons <= RETRY_ROW_REASONS:
                    again.append(pending[index])
                    again_encoded.append(encoded[index])
                else:
                    message = "; ".join(f"{e.get('reason')}: {e.get('location') or ''} {e.get('message')}".strip()
                                        for e in row_errors if e.get("reason") not in RETRY_ROW_REASONS)
                    refused.append((pending[index], message))
            if not again:
                return refused
            pending, encoded = again, again_encoded
        raise BigQueryUnavailable(f"BigQuery kept refusing {len(pending)} rows of {table} for transient reasons")
