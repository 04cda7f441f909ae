"""target-bigquery-audit: settings, sinks, and delivery with a durable fallback.

Delivery order for each batch: first whatever waits in the retry queue (oldest first), then the batch.
If BigQuery does not answer after the retries, the batch goes to the retry queue (fsync'd) and the run
goes on; a STATE is only passed on after the SDK has drained every sink, so every record before it is
in BigQuery or in the queue. While BigQuery is down, each later batch makes one quick attempt to empty
the queue before it is queued too, so the run does not stall.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import uuid
from functools import cached_property

from google.api_core import exceptions as gexc
from google.auth import credentials as gcreds
from google.auth.transport.requests import AuthorizedSession
from google.cloud import bigquery
from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from zohobooks_bigquery.clear_errors import NameInvalidSettings
from zohobooks_bigquery.plugin_config import store_setting_properties, with_numbers_parsed, with_stored_credentials

from .credentials import build_client, build_credentials
from .batch_load import BatchLoader
from .collection import collect, collected_between_batches
from .dead_letter import DEAD_LETTER_FIELDS, DeadLetters
from .finance_views import finance_view_sql
from .json_codec import SingerBytesReader
from .load_methods import BATCH_LOAD, DEFAULT_LOAD_METHOD, STORAGE_WRITE, load_method
from .retry_queue import RetryQueue, default_directory
from .sinks import BigQueryAuditSink
from .storage_write import StorageWriteLoader, write_client
from .writer import BigQueryUnavailable, BigQueryWriter


ZOHO_TABLES = ("invoices", "bills", "purchase_orders", "customer_payments", "vendor_payments", "organizations")


class TargetBigQueryAudit(Target):
    """Append-only, audit-grade loads into BigQuery: every event one row, nothing lost or rounded."""

    name = "target-bigquery-audit"
    package_name = "zohobooks-bigquery"  # the distribution both plugins ship in: --version, --about
    default_sink_class = BigQueryAuditSink
    message_reader_class = SingerBytesReader  # msgspec on stdin's bytes: about half the decoding CPU

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
                    description="Column type of JSON numbers: NUMERIC or BIGNUMERIC. Values that do not fit go to "
                                "the dead-letter table."),
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
        th.Property("retry_queue_dir", th.StringType,
                    description="Durable local queue of batches BigQuery did not take (default: "
                                "$MELTANO_PROJECT_ROOT/.meltano/run/target-bigquery-audit/retry-queue under Meltano, "
                                "else ~/.local/state/target-bigquery-audit/retry-queue)."),
        th.Property("load_method", th.StringType, default=DEFAULT_LOAD_METHOD,
                    description="How rows are written: storage_write (Storage Write API, exactly once), "
                                "streaming_insert (insertAll) or batch_load (load jobs with deterministic job ids; "
                                "works on the free tier). Every method only appends."),
        th.Property("storage_api_endpoint", th.StringType,
                    description="host:port of the BigQuery Storage Write API (gRPC) for load_method storage_write: "
                                "the emulator's gRPC port with emulator: true (required then), else an override of "
                                "Google's endpoint."),
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
        *store_setting_properties(th, "google", "google"),
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # The service-account key from the store, in memory only for this run.
        self._config = with_numbers_parsed(with_stored_credentials(self._config, "google", "google", self.logger),
                                           self.config_jsonschema)
        return super()._validate_config(raise_errors=raise_errors)

    def __init__(self, *args, **kwargs) -> None:
        try:
            super().__init__(*args, **kwargs)
            self.load_method = load_method(self.config)  # refused here, with its one-line reason
        except ConfigValidationError as exc:
            self.logger.addFilter(NameInvalidSettings(list(exc.errors), "MELTANO_LOADER_NAME", self.name))
            raise
        self.replication_keys: dict[str, str | None] = {}
        self.max_parallelism = 1  # sinks drain one after another: cheap per drain, deterministic order
        self._degraded = False
        self._queue_checked = False
        self._dataset_ready = False
        self.rows_written: collections.Counter[str] = collections.Counter()  # per table, for the run summary
        self.views_outdated = False  # a table was created or widened this run

    def listen(self, file_input=None) -> None:
        with collected_between_batches():
            super().listen(file_input)

    def drain_one(self, sink) -> None:
        super().drain_one(sink)
        collect()  # the batch's rows were just released (collection.py)

    @cached_property
    def run_id(self) -> str:
        return self.config.get("run_id") or os.environ.get("MELTANO_RUN_ID") or str(uuid.uuid4())

    @cached_property
    def credentials(self) -> gcreds.Credentials:
        """One set of credentials for the REST client and the Storage Write client."""
        return build_credentials(self.config, self.logger)

    @cached_property
    def client(self) -> bigquery.Client:
        return build_client(self.config, self.logger, credentials=self.credentials)

    @cached_property
    def retry_queue(self) -> RetryQueue:
        return RetryQueue(default_directory(self.config.get("retry_queue_dir")))

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
                                timeout=float(cfg.get("request_timeout_seconds", 60)),
                                session=AuthorizedSession(self.credentials), endpoint=cfg.get("api_endpoint"))
        return writer

    def _ensure_dataset(self) -> None:
        """Dataset and dead-letter table exist; BigQueryUnavailable when BigQuery does not answer."""
        if self._dataset_ready:
            return
        writer = self.writer
        with self.quick_if_degraded():
            writer.ensure_dataset()
            if writer.get_table(self.dead_letters.table) is None:
                writer.create_table(self.dead_letters.table, DEAD_LETTER_FIELDS, "failed_at", ["stream"],
                                    description="Rows that could not be written as they are, with the reason")
        self._dataset_ready = True
        self.logger.info("Writing to %s.%s with %s (run %s)", writer.project, writer.dataset, self.load_method,
                         self.run_id)

    @cached_property
    def loader(self) -> BigQueryWriter | BatchLoader:
        """What appends rows for the chosen load method (same insert(table, rows) -> refused contract)."""
        journal = self.retry_queue.directory.parent / "load-journal" / f"{self.config['dataset']}.jsonl"
        if self.load_method == BATCH_LOAD:
            return BatchLoader(self.writer, journal)
        if self.load_method == STORAGE_WRITE:
            journal = journal.with_name(f"{self.config['dataset']}.storage-write.jsonl")
            return StorageWriteLoader(self.writer, lambda: write_client(self.config, self.credentials),
                                      journal, self.dead_letters.table)
        return self.writer

    def connect(self) -> BigQueryWriter:
        """The writer, dataset ready, with batches left in the retry queue by an earlier run sent first.

        Raises BigQueryUnavailable when BigQuery does not answer (the caller queues and goes on)."""
        try:
            self._ensure_dataset()
        except BigQueryUnavailable:
            self._degraded = True
            raise
        if not self._queue_checked:
            self._queue_checked = True
            self._flush_queue()
        return self.writer

    def note_unavailable(self) -> None:
        """A sink could not reach BigQuery: later calls make one quick try until it answers again."""
        self._degraded = True

    def _create_finance_views(self) -> None:
        """Finance views over the Zoho tables that exist (docs: finance_views.py).

        A view is a convenience: when BigQuery is down, or a view fails, the load still succeeds."""
        if self._degraded:
            self.logger.warning("BigQuery unavailable: finance views not refreshed this run")
            return
        prefix = self.config.get("table_prefix", "")
        try:
            tables = {name: self.writer.get_table(f"{prefix}{name}") for name in ZOHO_TABLES}
            columns = {name: {f.name for f in t.schema} for name, t in tables.items() if t is not None}
            views = finance_view_sql(lambda t: f"`{self.writer.table_id(prefix + t)}`", columns)
            for name, sql in views.items():
                self.writer.refresh_view(prefix + name, sql, force=self.views_outdated)
        except Exception as exc:  # noqa: BLE001
            self.logger.warning("Finance views not refreshed: %s", exc)

    # --- Singer messages --------------------------------------------------------------------------
    def _process_schema_message(self, message_dict: dict) -> None:
        # Private SDK method: no public hook gives a sink the SCHEMA's bookmark_properties, which the
        # event id and the _current views need.
        keys = message_dict.get("bookmark_properties") or []
        self.replication_keys[message_dict["stream"]] = keys[0] if keys else None
        super()._process_schema_message(message_dict)
        if not self.config.get("stream_maps") and not self.config.get("flattening_enabled"):
            # records reach the sink as decoded (no map reshapes them): `_raw` may stay text (record_lines.py)
            self.message_reader.expect_records(message_dict["stream"], message_dict["schema"])

    def _process_state_message(self, message_dict: dict) -> None:
        # Private SDK method: no public hook runs at a STATE message; live pipelines need the drain.
        super()._process_state_message(message_dict)
        if self.config.get("flush_on_state"):
            self.drain_all()  # write pending rows, then pass this STATE on (live pipelines)

    def _write_state_message(self, state: dict) -> None:
        # The SDK offers no public hook here; overridden so a STATE is passed on once, not again by
        # every later drain (end of input, end of pipe) that has nothing new.
        if state == getattr(self, "_last_state_passed_on", None):
            return
        self._last_state_passed_on = state
        super()._write_state_message(state)
        if isinstance(self.__dict__.get("loader"), (BatchLoader, StorageWriteLoader)):
            self.loader.state_passed_on()  # lets the load journal forget jobs before the previous STATE

    # --- delivery -------------------------------------------------------------------------------------
    def deliver(self, stream: str, table: str, rows: list[dict], dead: list[dict]) -> None:
        self._send_or_queue(stream, table, rows)
        self._send_or_queue(stream, self.dead_letters.table, dead)

    @contextlib.contextmanager
    def quick_if_degraded(self):
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
            self._ensure_dataset()
            with self.quick_if_degraded():
                sent = self.retry_queue.drain(lambda table, rows: self._insert(table, table, rows))
        except BigQueryUnavailable:
            self._degraded = True
            return False
        except gexc.NotFound as exc:  # its table is created when its stream's SCHEMA arrives (set-up outage)
            self.logger.info("A queued batch waits for its table: %s", exc)
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
            self._ensure_dataset()
            if flush_queue_first and self.retry_queue.pending():
                self._queue_behind_older(table, rows)
                return
            with self.quick_if_degraded():
                self._insert(stream, table, rows)
            self._degraded = False
        except BigQueryUnavailable as exc:
            self._degraded = True
            path = self.retry_queue.put(table, rows)
            self.logger.warning("BigQuery unavailable (%s): %d rows of %s kept in the retry queue (%s)",
                                exc, len(rows), table, path.name)

    def _queue_behind_older(self, table: str, rows: list[dict]) -> None:
        """Older batches wait in the retry queue: this one joins them (durably) and its rows are released
        before they are sent, oldest first, so a recovery holds one batch in memory, not two."""
        self.retry_queue.put(table, rows)
        rows.clear()  # the sink's batch: kept in the queue file now, sent from there
        if not self._flush_queue():
            self.logger.warning("BigQuery unavailable: %d batch(es) wait in the retry queue (%s)",
                                len(self.retry_queue), self.retry_queue.directory)

    def _insert(self, stream: str, table: str, rows: list[dict]) -> None:
        loaded_at = dt.datetime.now(dt.timezone.utc).isoformat()
        for row in rows:
            if table != self.dead_letters.table:
                row["json"]["_loaded_at"] = loaded_at
        refused = self.loader.insert(table, rows)
        self.rows_written[table] += len(rows) - len(refused)
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
        if "retry_queue" in self.__dict__ and not self._degraded:
            self._flush_queue()  # batches whose table only got set up by this run's SCHEMA messages
        if isinstance(self.__dict__.get("loader"), StorageWriteLoader):
            self.loader.close()
        if self.config.get("finance_views", True) and self.config.get("create_views", True) and "writer" in self.__dict__:
            self._create_finance_views()
        self._log_summary()

    def _log_summary(self) -> None:
        """One line a person reads after the run; rows only in the local queue get a warning of their own."""
        queued = self.retry_queue.row_count() if "retry_queue" in self.__dict__ else 0
        dead = self.rows_written.get(self.dead_letters.table, 0)
        tables = ", ".join(f"{t}={n}" for t, n in sorted(self.rows_written.items()) if t != self.dead_letters.table)
        waited = self.writer.waited_seconds if "writer" in self.__dict__ else 0.0
        self.logger.info("Run summary: load_method=%s; rows written: %s; dead-lettered: %d; left in the retry "
                         "queue: %d; waited on BigQuery %.1fs", self.load_method, tables or "none", dead, queued, waited)
        if queued:
            self.logger.warning("%d row(s) are not in BigQuery yet: they wait in the retry queue %s; the next run "
                                "sends them first (keep that directory)", queued, self.retry_queue.directory)


if __name__ == "__main__":
    TargetBigQueryAudit.cli()
