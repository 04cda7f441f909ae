"""Appends rows with the BigQuery Storage Write API, exactly once: COMMITTED streams with offsets.

Why COMMITTED application-created streams rather than PENDING streams committed in a batch: rows are
queryable as soon as an append is acknowledged (no finalize + BatchCommit round trips per batch, no
invisible data when a run dies between append and commit), and the Storage Write API never writes two
appends at the same offset of one stream, which is what makes a retry safe.

How a row is written at most once, and never lost:
- One stream per table per run; each append names its offset (rows already in the stream).
- Before an append, its stream, offset and row ids are written to the journal (journal.py, fsync'd);
  its outcome after. A STATE is passed on only after every append before it has its journal entries.
- A retried append (lost answer, timeout) goes to the same stream at the same offset: `ALREADY_EXISTS`
  means the first try landed, which is success.
- An append whose outcome is unknown (BigQuery unreachable, or the target killed before its outcome
  was journaled) is resolved before anything else is written: finalizing its stream tells how many
  rows it holds, and appends land whole, so `offset < row_count` says whether it landed. When the
  stream is gone (an emulator restart forgets streams) the table is asked for the append's row ids.
- Rows of appends that landed are skipped when the tap (after a crash) or the retry queue sends them
  again, however differently they are batched.

Per-row errors (`row_errors`) refuse only their rows (dead-letter table); the rest of the append is
sent again at the same offset. Transient failures raise BigQueryUnavailable (the retry queue).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import grpc
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.cloud import bigquery

from .journal import LoadJournal
from .proto_rows import ProtoRows, RowRefused, UnknownColumn, length_delimited, length_prefix, varint
from .writer import BigQueryUnavailable, BigQueryWriter

# BigQuery takes AppendRows requests up to 10 MB; gRPC servers refuse messages over 4 MB by default
# (the emulator's does), so appends stay under that.
MAX_APPEND_BYTES = 3_500_000
MAX_APPEND_ROWS = 10_000
ALREADY_EXISTS = grpc.StatusCode.ALREADY_EXISTS.value[0]
STATUS_BY_CODE = {status.value[0]: status for status in grpc.StatusCode}
TRANSIENT_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
                   grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED, grpc.StatusCode.CANCELLED}
APPEND_ROWS = "/google.cloud.bigquery.storage.v1.BigQueryWrite/AppendRows"
ROW_KEY = varint(1 << 3 | 2)  # ProtoRows.serialized_rows (field 1, length-delimited)
STREAM_GONE = (gexc.NotFound, gexc.InvalidArgument, gexc.FailedPrecondition, gexc.OutOfRange)
# A lost emulator connection should come back within seconds, not after gRPC's 2-minute default backoff;
# and a new client must not inherit a failed connection of an earlier one in the same process.
EMULATOR_CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 200), ("grpc.max_reconnect_backoff_ms", 2000),
                            ("grpc.use_local_subchannel_pool", 1)]


def write_client(config: dict, credentials: Any):
    """A BigQueryWriteClient: plain gRPC to `storage_api_endpoint` for the emulator, else Google's
    endpoint (or `storage_api_endpoint` as an override) with the target's credentials."""
    from google.cloud.bigquery_storage_v1 import BigQueryWriteClient
    from google.cloud.bigquery_storage_v1.services.big_query_write.transports import BigQueryWriteGrpcTransport

    endpoint = config.get("storage_api_endpoint")
    if config.get("emulator"):
        channel = grpc.insecure_channel(endpoint, options=EMULATOR_CHANNEL_OPTIONS)
        return BigQueryWriteClient(transport=BigQueryWriteGrpcTransport(channel=channel))
    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    return BigQueryWriteClient(credentials=credentials, client_options=options)


class StreamLost(Exception):
    """The stream no longer takes appends at our offset (finalized, forgotten, or another writer's)."""


@dataclass
class OpenStream:
    name: str
    proto: ProtoRows
    offset: int = 0


@dataclass
class Unresolved:
    key: str
    table: str
    row_ids: list[str]


def append_key(stream: str, offset: int, row_ids: list[str]) -> str:
    """The journal id of one append: its stream, its offset and a digest of its rows."""
    digest = hashlib.sha256("\n".join(row_ids).encode()).hexdigest()[:16]
    return f"{stream}#{offset}#{digest}"


def append_request(stream: str, offset: int, writer_schema: bytes, rows: list[bytes]) -> bytes:
    """The wire bytes of one AppendRowsRequest (write_stream, offset, proto_rows{writer_schema, rows}).

    Built with one join, so each row's bytes are copied once, and sent as they are: through the
    generated client they were copied into a request message, serialized again by gRPC, and the call
    went through its wrappers (about 6 us per invoice row, a sixth of the send's CPU). Fields in number
    order, byte for byte what protobuf writes (tests/target/test_storage_write.py)."""
    parts = [b""]
    rows_size = 0
    for row in rows:
        key = ROW_KEY + varint(len(row))
        parts += (key, row)
        rows_size += len(key) + len(row)
    proto_data = length_delimited(1, writer_schema) + length_prefix(2, rows_size)
    boxed_offset = b"\x08" + varint(offset) if offset else b""  # Int64Value{value}; proto3 omits a 0
    parts[0] = (length_delimited(1, stream.encode()) + length_delimited(2, boxed_offset)
                + length_prefix(4, len(proto_data) + rows_size) + proto_data)
    return b"".join(parts)


class StorageWriteLoader:
    """Same contract as BigQueryWriter.insert: rows ({"insertId", "json"}) in, refused rows out."""

    def __init__(self, writer: BigQueryWriter, make_client: Callable[[], Any], journal_path: Path,
                 dead_letter_table: str) -> None:
        self.writer = writer
        self._make_client = make_client
        self.journal_path = journal_path
        self.dead_letter_table = dead_letter_table
        self._schemas: dict[str, ProtoRows] = {}
        self._streams: dict[str, OpenStream] = {}
        self._row_counts: dict[str, int | None] = {}  # finalized stream -> rows it holds (None: gone)
        self._unresolved: list[Unresolved] = []

    @cached_property
    def client(self):
        return self._make_client()

    @cached_property
    def _append_rows(self):
        """AppendRows on the client's channel (and credentials), taking requests as wire bytes."""
        from google.cloud.bigquery_storage_v1 import types

        return self.client.transport.grpc_channel.stream_stream(
            APPEND_ROWS, request_serializer=None, response_deserializer=types.AppendRowsResponse.pb().FromString)

    @cached_property
    def journal(self) -> LoadJournal:
        """Opened at the first batch (it resolves appends a killed run left without outcome)."""
        return LoadJournal(self.journal_path, self._landed)

    def state_passed_on(self) -> None:
        if "journal" in self.__dict__:
            self.journal.state_passed_on()

    def close(self) -> None:
        """Finalize this run's streams (no more appends); a failure only leaves them open."""
        for stream in list(self._streams.values()):
            try:
                self.client.finalize_write_stream(name=stream.name, timeout=self.writer.timeout, retry=None)
            except gexc.GoogleAPICallError as exc:
                self.writer.logger.info("Storage Write stream not finalized (%s); it takes no more rows anyway", exc)
        self._streams.clear()

    # --- writing --------------------------------------------------------------------------------------
    def insert(self, table: str, rows: list[dict]) -> list[tuple[dict, str]]:
        self._resolve_unresolved()
        done = self.journal.loaded.get(table, set())
        proto, fresh = self._proto(table), False
        refused: list[tuple[dict, str]] = []
        chunk: list[tuple[dict, bytes]] = []
        size = 0
        for row in rows:
            if row["insertId"] in done:
                continue  # landed by an append of an earlier try or run
            try:
                data = proto.encode(row["json"])
            except UnknownColumn as exc:
                if fresh:
                    refused.append((row, str(exc)))
                    continue
                # The table may have been widened since its schema was read: send what was encoded
                # with the old schema, read it again (once per batch) and encode this row again.
                if chunk:
                    refused.extend(self._append(table, chunk))
                    chunk, size = [], 0
                proto, fresh = self._proto(table, fresh=True), True
                try:
                    data = proto.encode(row["json"])
                except RowRefused as again:
                    refused.append((row, str(again)))
                    continue
            except RowRefused as exc:
                refused.append((row, str(exc)))
                continue
            if chunk and (len(chunk) >= MAX_APPEND_ROWS or size + len(data) > MAX_APPEND_BYTES):
                refused.extend(self._append(table, chunk))
                chunk, size = [], 0
            chunk.append((row, data))
            size += len(data) + 8
        if chunk:
            refused.extend(self._append(table, chunk))
        return refused

    def _proto(self, table: str, fresh: bool = False) -> ProtoRows:
        if fresh or table not in self._schemas:
            found = self.writer.get_table(table)
            if found is None:
                raise gexc.NotFound(f"Table {self.writer.table_id(table)} not found")
            fields = list(found.schema)
            if table in self._schemas and self._schemas[table].fields == fields:
                return self._schemas[table]
            self._schemas[table] = ProtoRows(fields)
            self._streams.pop(table, None)  # a new writer schema: a new stream
        return self._schemas[table]

    def _stream(self, table: str) -> OpenStream:
        if table not in self._streams:
            from google.cloud.bigquery_storage_v1 import types

            proto = self._proto(table)
            w = self.writer
            parent = f"projects/{w.project}/datasets/{w.dataset}/tables/{table}"
            created = w.call(self.client.create_write_stream, parent=parent,
                             write_stream=types.WriteStream(type_=types.WriteStream.Type.COMMITTED),
                             timeout=w.timeout, retry=None)
            self._streams[table] = OpenStream(created.name, proto)
        return self._streams[table]

    def _append(self, table: str, chunk: list[tuple[dict, bytes]]) -> list[tuple[dict, str]]:
        refused: list[tuple[dict, str]] = []
        pending, lost = chunk, 0
        while pending:
            stream = self._stream(table)
            row_ids = [row["insertId"] for row, _ in pending]
            key = append_key(stream.name, stream.offset, row_ids)
            self.journal.intend(key, table, row_ids)
            try:
                errors = self.writer.call(self._send, stream, [data for _, data in pending])
            except BigQueryUnavailable:
                self._streams.pop(table, None)
                self._unresolved.append(Unresolved(key, table, row_ids))
                raise
            except StreamLost as exc:
                self._streams.pop(table, None)
                landed = self._resolve(Unresolved(key, table, row_ids))
                if landed:
                    return refused
                lost += 1
                if lost > 1:
                    raise RuntimeError(f"Storage Write API refused appends to {table} twice: {exc}") from exc
                self.writer.logger.info("Storage Write stream of %s no longer usable (%s): a new one", table, exc)
                continue
            if errors:
                self.journal.finished(key, table, row_ids, ok=False)  # nothing of a refused append lands
                refused.extend((pending[index][0], message) for index, message in sorted(errors.items()))
                pending = [item for index, item in enumerate(pending) if index not in errors]
                continue
            self.journal.finished(key, table, row_ids, ok=True)
            stream.offset += len(pending)
            return refused
        return refused

    def _send(self, stream: OpenStream, rows: list[bytes]) -> dict[int, str]:
        """One AppendRows request at the stream's offset; {row index: reason} of refused rows."""
        request = append_request(stream.name, stream.offset, stream.proto.writer_schema, rows)
        try:
            try:
                responses = self._append_rows(iter([request]), timeout=self.writer.timeout,
                                              metadata=[("x-goog-request-params", f"write_stream={stream.name}")])
                response = next(iter(responses))
            except grpc.RpcError as exc:  # the same mapping as the generated client's
                raise gexc.from_grpc_error(exc) from exc
        except gexc.AlreadyExists:
            return {}
        except STREAM_GONE as exc:
            raise StreamLost(str(exc)) from exc
        code = response.error.code
        if code in (0, ALREADY_EXISTS):  # ALREADY_EXISTS: an earlier try of this very append landed
            return {}
        if response.row_errors:
            return {e.index: f"invalid: {e.message}" for e in response.row_errors}
        status = STATUS_BY_CODE.get(code, grpc.StatusCode.UNKNOWN)
        if status in TRANSIENT_CODES:
            raise gexc.from_grpc_status(status, response.error.message)
        raise StreamLost(f"{status.name}: {response.error.message}")

    # --- appends whose outcome is not known -----------------------------------------------------------
    def _resolve_unresolved(self) -> None:
        while self._unresolved:
            self._resolve(self._unresolved[0])
            self._unresolved.pop(0)

    def _resolve(self, append: Unresolved) -> bool:
        landed = self._landed(append.key, append.table, append.row_ids)
        self.journal.finished(append.key, append.table, append.row_ids, ok=landed)
        return landed

    def _landed(self, key: str, table: str, row_ids: list[str]) -> bool:
        """Whether the journaled append `key` landed (journal callback, also used within a run)."""
        name, offset, _ = key.rsplit("#", 2)
        if name not in self._row_counts:
            w = self.writer
            try:
                self._row_counts[name] = w.call(self.client.finalize_write_stream, name=name, timeout=w.timeout,
                                                retry=None).row_count
            except STREAM_GONE:
                self._row_counts[name] = None
        count = self._row_counts[name]
        if count is not None:
            return int(offset) < count
        return self._rows_present(table, row_ids)

    def _rows_present(self, table: str, row_ids: list[str]) -> bool:
        """Ask the table itself (the stream is gone): are this append's rows there? An append lands whole."""
        w = self.writer
        if w.get_table(table) is None:
            return False
        id_sql = ("TO_HEX(SHA256(CONCAT(row_id, '|', reason)))" if table == self.dead_letter_table  # dead_letter.py
                  else "_row_id")
        sql = (f"SELECT COUNT(DISTINCT {id_sql}) AS n FROM `{w.table_id(table)}` "
               f"WHERE {id_sql} IN UNNEST(@ids)")
        config = bigquery.QueryJobConfig(query_parameters=[bigquery.ArrayQueryParameter("ids", "STRING", row_ids)])
        job = w.call(w.client.query, sql, job_config=config, location=w.location, timeout=w.timeout, retry=None)
        rows = list(w.call(job.result, timeout=w.timeout, retry=None))
        return rows[0]["n"] == len(set(row_ids))
