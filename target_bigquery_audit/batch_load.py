"""Appends rows with BigQuery load jobs (NDJSON): free-tier friendly, and never loaded twice.

- Each batch becomes one load job whose id is derived from the table and the batch's row ids, so a
  retried or re-run batch asks for the same job: BigQuery answers 409 (duplicate job id) and the
  existing job's outcome is used instead of loading the rows again.
- NUMERIC/BIGNUMERIC values are already exact decimal strings, JSON columns JSON text: NDJSON keeps
  money exact.
- A local journal (journal.py) records each job before it is submitted, so rows a finished job
  loaded are skipped when the tap re-sends them in differently cut batches after a crash.
- A job that fails because of bad rows is split in halves (each half its own deterministic job) until
  the bad rows stand alone; those are returned with BigQuery's reason (dead-letter table).
- Memory: a job's NDJSON is written row by row to an unnamed temporary file beside the load journal
  (the same place as the retry queue's rows) and streamed from it in one upload request, so no copy of
  the batch's bytes is held in memory, however large the job.
"""

from __future__ import annotations

import hashlib
import tempfile
from functools import cached_property
from pathlib import Path
from typing import IO

from google.api_core import exceptions as gexc
from google.cloud import bigquery

from .json_codec import encode_row
from .journal import LoadJournal
from .writer import BigQueryUnavailable, BigQueryWriter

MAX_LOAD_ROWS = 50_000  # one job's rows at most (a batch is cut by bytes long before, see sinks.py)
WRITE_BUFFER = 1 << 20  # bytes of NDJSON gathered per write system call


def load_job_id(table: str, row_ids: list[str], table_id: str | None = None) -> str:
    """Deterministic job id of a batch: the same rows for the same table give the same job.

    The digest covers the full table id (project.dataset.table): job ids are unique per project, so
    the same feed loaded into two datasets must not find the other dataset's job and skip its rows."""
    digest = hashlib.sha256((table_id or table).encode())
    for row_id in row_ids:
        digest.update(b"\n" + row_id.encode())
    return f"target_bigquery_audit_{table[:200]}_{digest.hexdigest()[:40]}"


class BatchLoader:
    """Same contract as BigQueryWriter.insert: rows ({"insertId", "json"}) in, refused rows out."""

    def __init__(self, writer: BigQueryWriter, journal_path: Path) -> None:
        self.writer = writer
        self.journal_path = journal_path

    @cached_property
    def journal(self) -> LoadJournal:
        """Opened at the first batch (it asks BigQuery about jobs a killed run left without outcome)."""
        return LoadJournal(self.journal_path, self._job_loaded)

    def _job_loaded(self, job_id: str, table: str = "", row_ids: list[str] | None = None) -> bool:
        w = self.writer
        try:
            job = w.call(w.client.get_job, job_id, location=w.location, timeout=w.timeout, retry=None)
            w.call(job.result, timeout=max(w.timeout, 300), retry=None)
        except (gexc.NotFound, gexc.BadRequest):
            return False
        except gexc.GoogleAPICallError:
            if job.error_result is not None:
                return False
            raise
        return job.error_result is None

    def state_passed_on(self) -> None:
        if "journal" in self.__dict__:
            self.journal.state_passed_on()

    def insert(self, table: str, rows: list[dict]) -> list[tuple[dict, str]]:
        done = self.journal.loaded.get(table, set())
        rows = [r for r in rows if r["insertId"] not in done]  # loaded by a journaled job of an earlier run
        refused: list[tuple[dict, str]] = []
        for start in range(0, len(rows), MAX_LOAD_ROWS):
            refused.extend(self._load(table, rows[start:start + MAX_LOAD_ROWS]))
        return refused

    def _load(self, table: str, rows: list[dict]) -> list[tuple[dict, str]]:
        error = self._run_job(table, rows)
        if error is None:
            return []
        if len(rows) == 1:
            return [(rows[0], error)]
        middle = len(rows) // 2
        return self._load(table, rows[:middle]) + self._load(table, rows[middle:])

    def _run_job(self, table: str, rows: list[dict]) -> str | None:
        """Run (or find) the batch's job; None when its rows are in the table, else BigQuery's reason."""
        row_ids = [r["insertId"] for r in rows]
        job_id = load_job_id(table, row_ids, self.writer.table_id(table))
        self.journal.intend(job_id, table, row_ids)
        # A 1 MiB write buffer: rows (several KB each) outgrow the default 8 KiB one, which made every
        # row its own write system call (a third of this loader's CPU before the upload).
        with tempfile.TemporaryFile(prefix=".load-", dir=self.journal_path.parent, buffering=WRITE_BUFFER) as ndjson:
            for row in rows:  # each row encoded once, straight to disk
                ndjson.write(encode_row(row["json"]))
                ndjson.write(b"\n")
            size = ndjson.tell()
            error = self._submit(table, job_id, ndjson, size)
        self.journal.finished(job_id, table, row_ids, ok=error is None)
        return error

    def _submit(self, table: str, job_id: str, ndjson: IO[bytes], size: int) -> str | None:
        """Upload the NDJSON as job `job_id` (or find that job) and wait for it: None when it loaded its
        rows, else BigQuery's reason. Raises BigQueryUnavailable (outcome unknown: left to the journal)."""
        w = self.writer
        try:
            job = w.call(self._upload, table, job_id, ndjson, size)
        except gexc.Conflict:
            job = w.call(w.client.get_job, job_id, location=w.location, timeout=w.timeout, retry=None)
            w.logger.info("Load job %s already ran (a retried batch): using its outcome", job_id)
        try:
            w.call(job.result, timeout=max(w.timeout, 300), retry=None)
        except BigQueryUnavailable:
            raise
        except gexc.GoogleAPICallError as exc:
            if job.error_result is None and not isinstance(exc, gexc.BadRequest):
                raise
            errors = job.errors or ([job.error_result] if job.error_result else [])
            return "; ".join(f"{e.get('reason')}: {e.get('message')}" for e in errors) or str(exc)
        return None

    def _upload(self, table: str, job_id: str, ndjson: IO[bytes], size: int) -> bigquery.LoadJob:
        """Start the load job with a resumable upload sent in one request streamed from the file.

        google-cloud-bigquery's load_table_from_file reads up to 100 MB of the file into memory per
        request; requests streams a file body in small blocks instead. Content-Range states the whole
        size, so an upload cut short is answered "incomplete" (308), never taken as the job's data."""
        w = self.writer
        config = bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                                        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
                                        create_disposition=bigquery.CreateDisposition.CREATE_NEVER)
        load = {**config.to_api_repr()["load"],
                "destinationTable": {"projectId": w.project, "datasetId": w.dataset, "tableId": table}}
        resource = {"jobReference": {"projectId": w.project, "jobId": job_id, "location": w.location},
                    "configuration": {"load": load}}
        started = w.session.post(f"{w.endpoint}/upload/bigquery/v2/projects/{w.project}/jobs?uploadType=resumable",
                                 json=resource, timeout=w.timeout,
                                 headers={"X-Upload-Content-Type": "application/octet-stream",
                                          "X-Upload-Content-Length": str(size)})
        if started.status_code >= 400:
            raise gexc.from_http_response(started)
        ndjson.seek(0)
        sent = w.session.put(started.headers["Location"], data=ndjson, timeout=w.timeout,
                             headers={"Content-Type": "application/octet-stream",
                                      "Content-Range": f"bytes 0-{size - 1}/{size}"})
        if sent.status_code == 308:
            raise gexc.ServiceUnavailable(f"load job {job_id}: upload incomplete ({sent.headers.get('Range')})")
        if sent.status_code >= 400:
            raise gexc.from_http_response(sent)
        return w.client.job_from_resource(sent.json())
