"""The dead-letter table: rows that cannot be written as they are, kept whole with the reason.

A row lands here when its record does not match the stream schema, a value does not fit its column
exactly (e.g. more than 9 decimals for NUMERIC), or BigQuery refuses it. Nothing is dropped: the
original record is stored as JSON, with the stream, the event id, the error and the time.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from google.cloud.bigquery import SchemaField

from .json_codec import to_json_text

DEAD_LETTER_FIELDS = [
    SchemaField("failed_at", "TIMESTAMP"),
    SchemaField("stream", "STRING"),
    SchemaField("table_name", "STRING"),
    SchemaField("source_event_id", "STRING"),
    SchemaField("row_id", "STRING"),
    SchemaField("reason", "STRING"),
    SchemaField("record", "JSON"),
    SchemaField("run_id", "STRING"),
]


class DeadLetters:
    def __init__(self, table: str, run_id: str) -> None:
        self.table = table
        self.run_id = run_id

    def row(self, stream: str, table: str, event_id: str, row_id: str, reason: str, record: dict) -> dict:
        json_row = {
            "failed_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "stream": stream, "table_name": table, "source_event_id": event_id, "row_id": row_id,
            "reason": reason[:10000], "record": to_json_text(record), "run_id": self.run_id,
        }
        insert_id = hashlib.sha256(f"{row_id}|{reason}".encode()).hexdigest()
        return {"insertId": insert_id, "json": json_row}

    def from_refused(self, stream: str, table: str, row: dict, reason: str) -> dict:
        """A row BigQuery refused, re-wrapped for the dead-letter table."""
        data = row["json"]
        return self.row(stream, table, data.get("_source_event_id", ""), row["insertId"], reason, data)
