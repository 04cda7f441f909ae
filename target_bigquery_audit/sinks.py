"""One append-only BigQuery table per stream: audit columns, deterministic insertId, exact values.

A record becomes one row. Its insertId (`_row_id`) is derived from its event id, which the tap
provides (`_source_event_id`) or which is derived here from stream + key properties + replication
key value (+ a hash of the record when there is no replication key to tell versions apart). So the
same source event always gets the same insertId, on retry, on replay and on a re-run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from typing import Any, Protocol

from google.cloud.bigquery import SchemaField
from singer_sdk.exceptions import InvalidRecord
from singer_sdk.sinks import BatchSink

from .bq_types import FALLBACKS, Column, ValueRejected, column_name, compile_column, schema_fields, to_bigquery
from .json_codec import canonical_json, decode_json, to_json_text
from .record_lines import CanonicalDocument
from .validation import FastValidator, PlainRecords, same_shape
from .dead_letter import DeadLetters
from .writer import BigQueryUnavailable, BigQueryWriter
from .schema_evolution import evolve, fall_back_to_json
from .views import current_view_sql



class AuditTarget(Protocol):
    """What a sink needs from its target (the target implements it; sinks never import target.py)."""

    run_id: str
    replication_keys: dict[str, str | None]
    views_outdated: bool
    dead_letters: DeadLetters

    @property
    def writer(self) -> BigQueryWriter: ...

    def connect(self) -> BigQueryWriter: ...

    def note_unavailable(self) -> None: ...

    def quick_if_degraded(self) -> contextlib.AbstractContextManager: ...

    def deliver(self, stream: str, table: str, rows: list[dict], dead: list[dict]) -> None: ...

AUDIT_FIELDS = [
    SchemaField("_source_event_id", "STRING", description="Identity of the source event (one per document version)"),
    SchemaField("_arrival_ts", "TIMESTAMP", description="When the event reached us (webhook receipt or extraction)"),
    SchemaField("_loaded_at", "TIMESTAMP", description="When this row was sent to BigQuery"),
    SchemaField("_row_id", "STRING", description="BigQuery insertId of this row, derived from the event id"),
    SchemaField("_source", "STRING", description="poll, webhook, history or replay"),
    SchemaField("_run_id", "STRING", description="The pipeline run that wrote this row"),
    SchemaField("_payload_sha256", "STRING",
                description="SHA-256 of _raw: TO_HEX(SHA256(_raw)) = _payload_sha256 verifies the row"),
    SchemaField("_operation", "STRING", description="upsert or delete (a tombstone)"),
    # STRING, not JSON: BigQuery's JSON type rewrites numbers (0.10 → 0.1), and _raw must keep exactly
    # the text that was hashed (docs/verification.md). Tables made with a JSON _raw get `_raw__string`.
    SchemaField("_raw", "STRING", description="The source document as received: the canonical JSON text hashed"),
]
AUDIT_NAMES = {f.name for f in AUDIT_FIELDS}
REJECTED = "__audit_rejected__"
MAX_BATCH_BYTES = 24_000_000  # estimated JSON of a batch: ~22 MB of NDJSON, ~50 MiB of row objects (measured)
CLUSTERABLE = {"STRING", "INT64", "INTEGER", "NUMERIC", "BIGNUMERIC", "DATE", "TIMESTAMP", "BOOL", "BOOLEAN"}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class BigQueryAuditSink(BatchSink):
    def __init__(self, target: AuditTarget, stream_name: str, schema: dict, key_properties) -> None:
        self.audit_target = target
        super().__init__(target, stream_name, schema, key_properties)
        self.table = column_name(f"{self.config.get('table_prefix', '')}{stream_name}")
        self.columns: dict[str, SchemaField] = {}
        self.plan: list[tuple[str, Column]] = []  # (record key, compiled column) for data columns
        self.columns_by_prop: dict[str, Column] = {}
        self.plain: PlainRecords | None = None  # set with the plan: when validation may wait for conversion
        self.raw_column = "_raw"
        self.batch_bytes = 0  # estimated JSON size of the rows waiting in the current batch
        self.set_up = False  # table created/widened in BigQuery (False while BigQuery is unreachable)

    # --- table and view --------------------------------------------------------------------------
    def setup(self) -> None:
        """Create or widen the table. When BigQuery does not answer, rows are built for the table as the
        stream describes it and kept in the retry queue; the table is set up again before each batch."""
        numeric = self.config.get("numeric_type", "NUMERIC")
        data_props = {k: v for k, v in self.schema.get("properties", {}).items() if k not in AUDIT_NAMES}
        wanted = dict(zip(data_props, schema_fields(data_props, numeric)))
        wanted.update({f.name: f for f in AUDIT_FIELDS})
        try:
            with self.audit_target.quick_if_degraded():
                self._set_up_table(wanted)
            self.set_up = True
        except BigQueryUnavailable as exc:
            self.audit_target.note_unavailable()
            self.logger.warning("BigQuery unavailable while setting up table %s (%s): its rows wait in the retry "
                                "queue; the table is set up when BigQuery answers", self.table, exc)
            self.columns = wanted
            self._compile_plan()
            self.set_up = False

    def _compile_plan(self) -> None:
        self.plan = [(prop, compile_column(field)) for prop, field in self.columns.items() if prop not in AUDIT_NAMES]
        self.columns_by_prop = dict(self.plan)
        numeric = self.config.get("numeric_type", "NUMERIC")
        data_props = {k: v for k, v in self.schema.get("properties", {}).items() if k not in AUDIT_NAMES}
        wanted = dict(zip(data_props, schema_fields(data_props, numeric)))
        shapes_match = all(p in self.columns and same_shape(self.columns[p], f) for p, f in wanted.items())
        self.plain = PlainRecords.for_schema(self.schema, AUDIT_NAMES, shapes_match) if self.validate_schema else None
        self.raw_column = self.columns["_raw"].name
        self._arrival_column = compile_column(self.columns["_arrival_ts"])

    def _set_up_table(self, wanted: dict[str, SchemaField]) -> None:
        writer = self.audit_target.connect()
        table = writer.get_table(self.table)
        if table is None:
            fields = list(wanted.values())
            keys = [wanted[k] for k in self.key_properties if k in wanted]
            clustering = [f.name for f in keys if f.field_type in CLUSTERABLE and f.mode != "REPEATED"] \
                if self.config.get("cluster_on_key_properties", True) else []
            partition = self.config.get("partition_field", "_arrival_ts") or None
            writer.create_table(self.table, fields, partition, clustering,
                                description=f"Append-only audit table of stream {self.stream_name}")
            self.columns = wanted
            changed = True
        else:
            changed = False
            final, self.columns, notes = evolve(list(table.schema), wanted)
            if final != list(table.schema):
                changed = True
                table = writer.add_columns(table, final)
                final, self.columns, more = fall_back_to_json(list(table.schema), self.columns)
                notes += more
                if final != list(table.schema):
                    writer.add_columns(table, final)
            for note in notes:
                self.logger.warning("Stream %s: %s", self.stream_name, note)
        self._compile_plan()
        if changed:
            self.audit_target.views_outdated = True
        if self.config.get("create_views", True):
            self._create_current_view(force=changed)

    def _create_current_view(self, force: bool) -> None:
        """(Re)create `<table>_current` only when the table is new or changed, or the view's definition
        changed (or it is missing), since view DDL counts against BigQuery's table-update limits. A failure is logged, not raised:
        the view is derived from the table and is made again by the next run."""
        writer = self.audit_target.writer
        keys = [self.columns[k].name for k in self.key_properties if k in self.columns]
        rk = self.audit_target.replication_keys.get(self.stream_name)
        sql = current_view_sql(writer.table_id(self.table), writer.table_id(f"{self.table}_current"), keys,
                               self.columns[rk].name if rk in self.columns else None)
        try:
            writer.refresh_view(f"{self.table}_current", sql, force=force)
        except Exception as exc:  # noqa: BLE001
            self.logger.warning("View %s_current not refreshed (%s); the next run tries again", self.table, exc)

    # --- records -----------------------------------------------------------------------------------
    def get_validator(self) -> FastValidator | None:
        return FastValidator(self.schema) if self.validate_schema else None

    def _validate_and_parse(self, record: dict) -> dict:
        """Like the SDK's, but an invalid record is kept for the dead-letter table, not fatal.

        Private SDK method: the SDK offers no public hook that keeps an invalid record (its
        `fail_on_record_validation_exception` only logs and passes it on, and a bad date-time raises
        from timestamp parsing with no hook at all), so this override stays until it does."""
        if self._deferred(record):
            return record  # validated in process_record, only if its conversion does not prove it valid
        try:
            if self._validator is not None:
                self._validator.validate(self._as_decoded(record))
            self._parse_timestamps_in_record(record=record, schema=self.schema,
                                             treatment=self.datetime_error_treatment)
        except (InvalidRecord, ValueError, TypeError) as exc:
            record[REJECTED] = f"does not match the stream schema: {getattr(exc, 'error_message', exc)}"
        return record

    def _deferred(self, record: dict) -> bool:
        """Records carrying `_raw` and their event id (the tap's documents), when the schema allows it
        (validation.PlainRecords): their payload is `_raw`, so the SDK's date-time parsing is not
        needed either (the converter reads date-time text into its columns itself)."""
        return self.plain is not None and record.get("_raw") is not None and bool(record.get("_source_event_id"))

    def _schema_reason(self, record: dict) -> str | None:
        """Why the record does not match the stream schema, or None when it does."""
        try:
            self._validator.validate(self._as_decoded(record))
        except (InvalidRecord, ValueError, TypeError) as exc:
            return f"does not match the stream schema: {getattr(exc, 'error_message', exc)}"
        return None

    @staticmethod
    def _as_decoded(record: dict) -> dict:
        """The record as JSON Schema sees it: a `_raw` kept as canonical text (record_lines.py) decoded."""
        raw = record.get("_raw")
        return {**record, "_raw": raw.decoded(decode_json)} if type(raw) is CanonicalDocument else record

    def event_id(self, record: dict, payload_text: str | None = None) -> str:
        """The record's event id: the tap's, or derived (see the module docstring)."""
        if record.get("_source_event_id"):
            return str(record["_source_event_id"])
        rk = self.audit_target.replication_keys.get(self.stream_name)
        parts = [self.stream_name, to_json_text([record.get(k) for k in self.key_properties]), self._operation(record)]
        if rk and record.get(rk) is not None and self.key_properties:
            parts.append(to_json_text(record[rk]))
        else:
            parts.append(sha256_text(payload_text if payload_text is not None else canonical_json(self._payload(record))))
        return sha256_text("|".join(parts))

    @staticmethod
    def _operation(record: dict) -> str:
        return record.get("_operation") or ("delete" if record.get("_sdc_deleted_at") else "upsert")

    def _payload(self, record: dict) -> Any:
        raw = record.get("_raw")
        if raw is not None:
            return raw
        return {k: v for k, v in record.items() if k not in AUDIT_NAMES and not k.startswith("_sdc_") and k != REJECTED}

    def row_id(self, event_id: str) -> str:
        return sha256_text(f"{self.table}|{event_id}")

    def build_row(self, record: dict) -> dict:
        # serialised once: hash, event id and _raw (a `_raw` document is as decoded: no date-time objects,
        # or already its canonical text)
        raw = record.get("_raw")
        payload_text = raw.encoded_json if type(raw) is CanonicalDocument else \
            canonical_json(self._payload(record), decoded=raw is not None)
        event_id = self.event_id(record, payload_text)
        operation = self._operation(record)
        arrival = record.get("_arrival_ts") or record.get("_sdc_extracted_at") or dt.datetime.now(dt.timezone.utc)
        row = self._data_columns(record)
        row_id = self.row_id(event_id)
        row.update({
            "_source_event_id": event_id,
            "_arrival_ts": to_bigquery(arrival, self._arrival_column, "_arrival_ts"),
            "_row_id": row_id,
            "_source": record.get("_source") or self.config.get("default_source", "poll"),
            "_run_id": self.audit_target.run_id,
            "_payload_sha256": sha256_text(payload_text),
            "_operation": operation,
            self.raw_column: payload_text,  # `_raw`, or `_raw__string` beside an old JSON `_raw`
        })
        return {"insertId": row_id, "json": row}

    def _data_columns(self, record: dict) -> dict:
        """The record's typed columns, walked by the keys it carries (null and absent ones left out)."""
        columns, row = self.columns_by_prop, {}
        try:
            for prop, value in record.items():
                column = columns.get(prop)
                if column is not None and value is not None:
                    row[column.name] = column.convert(value)
        except ValueRejected:  # again on the generic path, whose reason names the exact place
            for prop, column in self.plan:
                if record.get(prop) is not None:
                    row[column.name] = to_bigquery(record[prop], column, f"{self.stream_name}.{prop}")
        return row

    def process_record(self, record: dict, context: dict) -> None:
        reason = record.pop(REJECTED, None)
        if reason is None:
            deferred, fallbacks = self._deferred(record), FALLBACKS[0]
            try:
                row = self.build_row(record)
                if deferred and (FALLBACKS[0] != fallbacks or not self.plain.top_level_valid(record)):
                    reason = self._schema_reason(record)  # a value off the shortcuts: validate as before
            except ValueRejected as exc:
                reason = (self._schema_reason(record) if deferred else None) or str(exc)
            if reason is None:
                context.setdefault("rows", []).append(row)
                self.batch_bytes += 2 * len(row["json"][self.raw_column]) + 2000  # about its JSON: columns and _raw
                return
        self.logger.warning("Stream %s: a record goes to the dead-letter table: %s", self.stream_name, reason)
        event_id = self.event_id(record)
        context.setdefault("dead", []).append(
            self.audit_target.dead_letters.row(self.stream_name, self.table, event_id, self.row_id(event_id),
                                               reason, record))

    @property
    def is_full(self) -> bool:
        """Full at the SDK's row limit or at MAX_BATCH_BYTES of rows, whichever comes first: memory stays
        flat however large the records are (a batch is held until it is written)."""
        return self.batch_bytes >= MAX_BATCH_BYTES or super().is_full

    def process_batch(self, context: dict) -> None:
        self.batch_bytes = 0
        if not self.set_up:
            self.setup()  # BigQuery was down at SCHEMA time; a quick try (rows are queued if it still is)
        self.audit_target.deliver(self.stream_name, self.table, context.get("rows", []), context.get("dead", []))
