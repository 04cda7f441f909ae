"""Read-side views: `<table>_current` gives the latest version of each document.

The tables only ever grow (one row per source event); the views decide what is current:
- one row per key (the stream's key properties), the newest by replication key, then a delete before
  an upsert of the same version, then the newest arrival; of several rows of one event, the first loaded;
- deleted documents (latest row is a tombstone, `_operation = 'delete'`) are left out;
- exact duplicates of one event (the same `_row_id`, if insertId dedup missed them) collapse too.
Streams without key properties get one row per `_row_id`.
"""

from __future__ import annotations


def quote(name: str) -> str:
    return f"`{name}`"


def current_view_sql(table_id: str, view_id: str, keys: list[str], replication_column: str | None) -> str:
    partition = ", ".join(quote(k) for k in keys) if keys else "_row_id"
    order = []
    if replication_column:
        order.append(f"{quote(replication_column)} DESC")
    # Rows of one event (same _row_id: a replay, or a missed insertId dedup) tie on everything before
    # _loaded_at: the first load wins, so a replay never changes what the view shows.
    order += ["IF(_operation = 'delete', 1, 0) DESC", "_arrival_ts DESC", "_row_id", "_loaded_at ASC"]
    return (
        f"CREATE OR REPLACE VIEW {quote(view_id)} AS\n"
        f"SELECT * EXCEPT (_version_rank) FROM (\n"
        f"  SELECT t.*, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {', '.join(order)}) AS _version_rank\n"
        f"  FROM {quote(table_id)} AS t\n"
        f") WHERE _version_rank = 1 AND (_operation IS NULL OR _operation != 'delete')"
    )
