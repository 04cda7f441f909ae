"""Write SCHEMA and RECORD messages of any stream outside the SDK's per-stream sync loop.

Live mode, replay, history backfills and the document-events stream emit records of several streams
interleaved, which the SDK's sync loop (one stream at a time) cannot do. The SDK's own writers for
this are private (`Stream._write_record_message`), so these use only its public pieces: the stream's
`stream_maps` (stream maps and flattening, as configured), `mapper.RemoveRecordTransform` and
`Tap.write_message`. Records arrive here already conformed to the stream's schema (conform.py).
"""

from __future__ import annotations

import datetime as dt

from singer_sdk import Tap, singerlib
from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.streams import Stream


def write_schema(tap: Tap, stream: Stream) -> None:
    """The stream's SCHEMA message(s), one per stream map, as the SDK would write them."""
    bookmark_keys = [stream.replication_key] if stream.replication_key else None
    for stream_map in stream.stream_maps:
        if isinstance(stream_map, RemoveRecordTransform):
            continue
        tap.write_message(singerlib.SchemaMessage(
            stream_map.stream_alias, stream_map.transformed_schema, stream_map.transformed_key_properties,
            bookmark_keys))


def write_record(tap: Tap, stream: Stream, record: dict) -> None:
    """One RECORD message per stream map (a map may filter the record out)."""
    extracted = dt.datetime.now(dt.timezone.utc)
    for stream_map in stream.stream_maps:
        mapped = stream_map.transform(record)
        if mapped is not None:
            tap.write_message(singerlib.RecordMessage(
                stream=stream_map.stream_alias, record=mapped, time_extracted=extracted))
