"""Read-side views: `<table>_current` gives the latest *source* version of each document.

The tables only ever grow (one row per source event, sometimes more); the view decides what is
current, from the source alone, never from when rows were processed (docs/identity.md):
1. rows of one event (same `_source_event_id`: a re-run, a replay, a missed insertId dedup) collapse
   to the copy loaded first;
2. per key (the stream's key properties): the newest replication key (`last_modified_time`; versions
   without one come last), then a delete before an upsert of the same version, then the event's
   first arrival (MIN `_arrival_ts` over its rows, which later copies cannot change), latest first,
   then the event id;
3. deleted documents (the chosen row is a tombstone, `_operation = 'delete'`) are left out.
Streams without key properties get one row per event.
"""

from __future__ import annotations


def quote(name: str) -> str:
    return f"`{name}`"


def current_view_sql(table_id: str, view_id: str, keys: list[str], replication_column: str | None) -> str:
    partition = ", ".join(quote(k) for k in keys) if keys else "_source_event_id"
    order = []
    if replication_column:
        order.append(f"{quote(replication_column)} IS NULL, {quote(replication_column)} DESC")
    order += ["IF(_operation = 'delete', 1, 0) DESC", "_event_first_arrival DESC", "_source_event_id DESC"]
    return (
        f"CREATE OR REPLACE VIEW {quote(view_id)} AS\n"
        f"SELECT * EXCEPT (_event_first_arrival, _copy_rank, _version_rank) FROM (\n"
        f"  SELECT e.*, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {', '.join(order)}) AS _version_rank\n"
        f"  FROM (\n"
        f"    SELECT t.*, MIN(_arrival_ts) OVER (PARTITION BY _source_event_id) AS _event_first_arrival,\n"
        f"      ROW_NUMBER() OVER (PARTITION BY _source_event_id\n"
        f"                         ORDER BY _loaded_at, _arrival_ts, _run_id, _source, _row_id) AS _copy_rank\n"
        f"    FROM {quote(table_id)} AS t\n"
        f"  ) AS e WHERE _copy_rank = 1\n"
        f") WHERE _version_rank = 1 AND (_operation IS NULL OR _operation != 'delete')"
    )
