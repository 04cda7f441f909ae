"""target-bigquery-audit: settings, sinks, and delivery with a durable fallback.

Delivery order for each batch: first whatever waits in the retry queue (oldest first), then the batch.
If BigQuery does not answer after the retries, the batch goes to the retry queue (fsync'd) and the run
goes on; a STATE is only passed on after the SDK has drained every sink, so every record before it is
in BigQuery or in the queue. While BigQuery is down, each later batch makes one quick attempt to empty
the queue before it is queued too, so the run does not stall.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from functools import cached_property
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.cloud import bigquery
from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from .credentials import build_credentials
from .dead_letter import DEAD_LETTER_FIELDS, DeadLetters
from .finance_views import finance_view_sql
from .retry_queue import RetryQueue
from .sinks import BigQueryAuditSink
from .writer import BigQueryUnavailable, BigQueryWriter


ZOHO_TABLES = ("invoices", "bills", "purchase_orders", "customer_payments", "vendor_payments")


class TargetBigQueryAudit(Target):
    """Append-only, audit-grade loads into BigQuery: every event one row, nothing lost or rounded."""

    name = "target-bigquery-audit"
    package_name = "zohobooks-bigquery"  # the distribution both plugins ship in: --version, --about
    default_sink_class = BigQueryAuditSink

    config_jsonschema = th.PropertiesList(
        th.Property("project", th.StringType, required=True, description="Google Cloud project of the dataset."),
        th.Property("dataset", th.StringType, required=True, description="Dataset to write to (created if missing)."),
        th.Property("location", th.StringType, default="US", description="Dataset location, e.g. US, EU."),
        th.Property("credentials_path", th.StringType,
                    description="Path to a service account JSON key (default: application default credentials)."),
        th.Property("credentials_json", th.StringType, secret=True,
                    description="A service account JSON key, inline."),
        th.Property("api_endpoint", th.StringType,
                    description="BigQuery API base URL override (a private endpoint, or the local emulator's URL)."),
        th.Property("emulator", th.BooleanType, default=False,
                    description="Talk to a local BigQuery emulator (tests, the demo): anonymous credentials and "
                                "plain HTTP. Never set it for real BigQuery."),
        th.Property("numeric_type", th.StringType(allowed_values=["NUMERIC", "BIGNUMERIC"]), default="NUMERIC",
                    description="Column type of JSON numbers. Values that do not fit go to the dead-letter table."),
        th.Property("table_prefix", th.StringType, default="", description="Prefix of every table name."),
        th.Property("partition_field", th.StringType, default="_arrival_ts",
                    description="TIMESTAMP/DATE column to partition tables by day on; empty: no partitioning."),
        th.Property("cluster_on_key_properties", th.BooleanType, default=True,
                    description="Cluster each table on the stream's key properties."),
        th.Property("create_views", th.BooleanType, default=True,
                    description="Create <table>_current views (latest version of each document)."),
        th.Property("finance_views", th.BooleanType, default=True,
                    description="Create the finance_* views when the Zoho Books tables are present."),
        th.Property("dead_letter_table", th.StringType, default="_dead_letter",
                    description="Table of rows that could not be written, with the reason."),
        th.Property("retry_queue_dir", th.StringType, default=".target-bigquery-audit/retry-queue",
                    description="Durable local queue of batches BigQuery did not take."),
        th.Property("insert_batch_rows", th.IntegerType, default=500, description="Rows per insertAll request."),
        th.Property("max_retries", th.IntegerType, default=6, description="Tries for a transient BigQuery error."),
        th.Property("retry_backoff_max_seconds", th.NumberType, default=60,
                    description="Longest wait between two tries."),
        th.Property("quota_wait_seconds", th.NumberType, default=600,
                    description="Extra wait after a long-term quotaExceeded error."),
        th.Property("request_timeout_seconds", th.NumberType, default=60,
                    description="Seconds to wait for one BigQuery response before retrying."),
        th.Property("default_source", th.StringType, default="poll",
                    description="_source of records that do not carry one (other taps)."),
        th.Property("run_id", th.StringType, description="Run id written to _run_id (default: MELTANO_RUN_ID or a UUID)."),
        th.Property("flush_on_state", th.BooleanType, default=True,
                    description="At every STATE, write pending rows and pass the STATE on (live pipelines need it)."),
        th.Property("token_refresh_margin_seconds", th.IntegerType, default=300,
                    description="Renew the service account's access token this long before it expires."),
    ).to_dict()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        method = str(self.config.get("load_method") or "append-only").split(".")[-1].lower().replace("_", "-")
        if method != "append-only":
            raise ConfigValidationError(
                f"load_method {self.config.get('load_method')!r} is not supported: target-bigquery-audit only "
                "appends (an edit is a new row; the _current views give the latest version). Remove load_method.")
        self.replication_keys: dict[str, str | None] = {}
        self.max_parallelism = 1  # sinks drain one after another: cheap per drain, deterministic order
        self._degraded = False
        self._queue_checked = False
        self.views_outdated = False  # a table was created or widened this run

    @cached_property
    def run_id(self) -> str:
        return self.config.get("run_id") or os.environ.get("MELTANO_RUN_ID") or str(uuid.uuid4())

    @cached_property
    def client(self) -> bigquery.Client:
        options = ClientOptions(api_endpoint=self.config["api_endpoint"]) if self.config.get("api_endpoint") else None
        return bigquery.Client(project=self.config["project"], credentials=build_credentials(self.config, self.logger),
                               client_options=options, location=self.config.get("location", "US"))

    @cached_property
    def retry_queue(self) -> RetryQueue:
        return RetryQueue(Path(self.config.get("retry_queue_dir", ".target-bigquery-audit/retry-queue")))

    @cached_property
    def dead_letters(self) -> DeadLetters:
        return DeadLetters(self.config.get("dead_letter_table", "_dead_letter"), self.run_id)

    @cached_property
    def writer(self) -> BigQueryWriter:
        cfg = self.config
        writer = BigQueryWriter(self.client, cfg["dataset"], self.logger, location=cfg.get("location", "US"),
                                max_tries=int(cfg.get("max_retries", 6)),
                                backoff_max=float(cfg.get("retry_backoff_max_seconds", 60)),
                                quota_wait=float(cfg.get("quota_wait_seconds", 600)),
                                batch_rows=int(cfg.get("insert_batch_rows", 500)),
                                timeout=float(cfg.get("request_timeout_seconds", 60)))
        writer.ensure_dataset()
        if writer.get_table(self.dead_letters.table) is None:
            writer.create_table(self.dead_letters.table, DEAD_LETTER_FIELDS, "failed_at", ["stream"],
                                description="Rows that could not be written as they are, with the reason")
        self.logger.info("Writing to %s.%s (run %s)", writer.project, writer.dataset, self.run_id)
        return writer

    def connect(self) -> BigQueryWriter:
        """The writer, with batches left in the retry queue by an earlier run sent first."""
        writer = self.writer
        if not self._queue_checked:
            self._queue_checked = True
            self._flush_queue()
        return writer

    def _create_finance_views(self) -> None:
        """Finance views over the Zoho tables that exist (docs: finance_views.py).

        A view is a convenience: when BigQuery is down, or a view fails, the load still succeeds."""
        if self._degraded:
            self.logger.warning("BigQuery unavailable: finance views not refreshed this run")
            return
        prefix = self.config.get("table_prefix", "")
        try:
            present = {name for name in ZOHO_TABLES if self.writer.get_table(f"{prefix}{name}") is not None}
            views = finance_view_sql(lambda t: f"`{self.writer.table_id(prefix + t)}`", present)
            if self.views_outdated or any(self.writer.get_table(prefix + n) is None for n in views):
                for sql in views.values():
                    self.writer.run_ddl(sql)
        except Exception as exc:  # noqa: BLE001
            self.logger.warning("Finance views not refreshed: %s", exc)

    # --- Singer messages --------------------------------------------------------------------------
    def _process_schema_message(self, message_dict: dict) -> None:
        keys = message_dict.get("bookmark_properties") or []
        self.replication_keys[message_dict["stream"]] = keys[0] if keys else None
        super()._process_schema_message(message_dict)

    def _process_state_message(self, message_dict: dict) -> None:
        super()._process_state_message(message_dict)
        if self.config.get("flush_on_state"):
            self.drain_all()  # write pending rows, then pass this STATE on (live pipelines)

    # --- delivery -------------------------------------------------------------------------------------
    def deliver(self, stream: str, table: str, rows: list[dict], dead: list[dict]) -> None:
        self._send_or_queue(stream, table, rows)
        self._send_or_queue(stream, self.dead_letters.table, dead)

    @contextlib.contextmanager
    def _quick_if_degraded(self):
        tries = self.writer.max_tries
        if self._degraded:
            self.writer.max_tries = 1
        try:
            yield
        finally:
            self.writer.max_tries = tries

    def _flush_queue(self) -> bool:
        """Send what waits in the retry queue; True when it is empty afterwards."""
        if not self.retry_queue.pending():
            return True
        try:
            with self._quick_if_degraded():
                sent = self.retry_queue.drain(lambda table, rows: self._insert(table, table, rows))
        except BigQueryUnavailable:
            self._degraded = True
            return False
        if sent:
            self.logger.info("BigQuery answers: re-sent %d queued batch(es) from %s", sent, self.retry_queue.directory)
        self._degraded = False
        return True

    def _send_or_queue(self, stream: str, table: str, rows: list[dict], flush_queue_first: bool = True) -> None:
        """Send rows, or keep them in the retry queue. Older queued batches go first, except when
        called from inside a delivery (dead letters of refused rows), which must not re-enter the
        queue that is being sent."""
        if not rows:
            return
        try:
            if flush_queue_first and not self._flush_queue():
                raise BigQueryUnavailable("the retry queue could not be emptied")
            with self._quick_if_degraded():
                self._insert(stream, table, rows)
            self._degraded = False
        except BigQueryUnavailable as exc:
            self._degraded = True
            path = self.retry_queue.put(table, rows)
            self.logger.warning("BigQuery unavailable (%s): %d rows of %s kept in the retry queue (%s)",
                                exc, len(rows), table, path.name)

    def _insert(self, stream: str, table: str, rows: list[dict]) -> None:
        loaded_at = dt.datetime.now(dt.timezone.utc).isoformat()
        for row in rows:
            if table != self.dead_letters.table:
                row["json"]["_loaded_at"] = loaded_at
        refused = self.writer.insert(table, rows)
        if not refused:
            return
        if table == self.dead_letters.table:
            path = self.retry_queue.directory.parent / "refused-dead-letters"
            RetryQueue(path).put(table, [row for row, _ in refused])
            self.logger.error("The dead-letter table refused %d rows; kept in %s", len(refused), path)
            return
        for _, reason in refused:
            self.logger.warning("BigQuery refused a row of %s: %s", table, reason)
        self._send_or_queue(stream, self.dead_letters.table,
                            [self.dead_letters.from_refused(stream, table, row, reason) for row, reason in refused],
                            flush_queue_first=False)

    def process_endofpipe(self) -> None:
        super().process_endofpipe()  # drains every sink and passes the last STATE on
        if self.config.get("finance_views", True) and self.config.get("create_views", True) and "writer" in self.__dict__:
            self._create_finance_views()
        waiting = len(self.retry_queue.pending()) if "retry_queue" in self.__dict__ else 0
        if waiting:
            self.logger.warning("%d batch(es) wait in the retry queue %s; the next run sends them first",
                                waiting, self.retry_queue.directory)


if __name__ == "__main__":
    TargetBigQueryAudit.cli()
