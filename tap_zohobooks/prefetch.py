"""Fetch workers that run ahead of the Singer SDK's one-stream-at-a-time sync (docs/concurrency.md).

The SDK emits streams one after another and, within a stream, organizations one after another; Zoho
limits each organization separately. So the network work is done by worker threads, one per
(organization, stream), a few organizations at a time (`max_concurrent_organizations`), each
calling through the shared per-organization quota (shared_quota.py). The SDK's `get_records` stays
the only writer: it drains the worker's queue of the partition it is emitting, in order, while
the other workers keep fetching.

Each queue holds a few items in memory and spills the rest to an unlinked temporary file, so a
worker never waits for the writer (no deadlock whatever order the SDK asks for partitions in) and
memory stays bounded. The temporary file has no name on disk and disappears when the process ends.
"""

from __future__ import annotations

import collections
import logging
import pickle
import tempfile
import threading
from typing import Any, Callable, Iterator

Job = Callable[[Callable[[Any], None]], None]  # a job gets `put` and hands over its items in order

MEMORY_ITEMS = 100


class Stopped(Exception):
    """The run is over (finished or failed): a worker stops at its next item."""


class SpillQueue:
    """A FIFO from one worker to the writer: `memory_items` in memory, the rest pickled to a temp file."""

    def __init__(self, memory_items: int = MEMORY_ITEMS) -> None:
        self.memory_items = memory_items
        self._ready = threading.Condition()
        self._memory: collections.deque = collections.deque()
        self._file = None
        self._read_at = self._write_at = 0
        self._spilled = 0  # items in the file not read yet (always newer than those in memory)
        self._closed = False
        self._error: BaseException | None = None
        self.most_spilled = 0

    def put(self, item: Any) -> None:
        with self._ready:
            if self._spilled or len(self._memory) >= self.memory_items:
                self._spill(item)
            else:
                self._memory.append(item)
            self._ready.notify()

    def close(self, error: BaseException | None = None) -> None:
        """No more items; `error` (the worker's failure) is raised to the writer after the last one."""
        with self._ready:
            self._closed, self._error = True, error
            self._ready.notify()

    def __iter__(self) -> Iterator[Any]:
        while True:
            with self._ready:
                while not self._memory and not self._spilled and not self._closed:
                    self._ready.wait()
                if self._memory:
                    item = self._memory.popleft()
                elif self._spilled:
                    item = self._unspill()
                else:
                    self._discard_file()
                    if self._error is not None:
                        raise self._error
                    return
            yield item

    def _spill(self, item: Any) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="tap-zohobooks-")  # unlinked at once, mode 0600
        self._file.seek(self._write_at)
        pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._write_at = self._file.tell()
        self._spilled += 1
        self.most_spilled = max(self.most_spilled, self._spilled)

    def _unspill(self) -> Any:
        self._file.seek(self._read_at)
        item = pickle.load(self._file)
        self._read_at = self._file.tell()
        self._spilled -= 1
        if not self._spilled:  # caught up: give the disk space back
            self._file.seek(0)
            self._file.truncate()
            self._read_at = self._write_at = 0
        return item

    def _discard_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Prefetcher:
    """Runs jobs keyed (organization, stream) ahead of the writer, at most `max_organizations` at once.

    Organizations start in the given order; all jobs of an organization run together (its quota
    keeps them within its caps), and the next organization starts when one has finished all its jobs.
    """

    def __init__(self, jobs: dict[tuple[str, str], Job], organizations: list[str], max_organizations: int,
                 logger: logging.Logger) -> None:
        if max_organizations < 1:
            raise ValueError("max_concurrent_organizations must be at least 1")
        self.jobs = jobs
        self.organizations = [o for o in organizations if any(key[0] == o for key in jobs)]
        self.logger = logger
        self.queues = {key: SpillQueue() for key in jobs}
        self._slots = threading.Semaphore(max_organizations)
        self._stop = threading.Event()

    def start(self) -> Prefetcher:
        threading.Thread(target=self._dispatch, name="prefetch-dispatch", daemon=True).start()
        return self

    def items(self, org_id: str, stream: str) -> Iterator[Any]:
        """The items of one partition, in the order its worker made them (waits for them)."""
        return iter(self.queues[(org_id, stream)])

    def stop(self) -> None:
        """Workers stop at their next item (the run ended, or failed)."""
        self._stop.set()

    def _dispatch(self) -> None:
        for org_id in self.organizations:
            while not self._slots.acquire(timeout=0.5):
                if self._stop.is_set():
                    return
            threading.Thread(target=self._run_organization, args=(org_id,), name=f"prefetch-{org_id}",
                             daemon=True).start()

    def _run_organization(self, org_id: str) -> None:
        try:
            workers = [threading.Thread(target=self._run_job, args=(key,), name=f"fetch-{key[0]}-{key[1]}",
                                        daemon=True) for key in self.jobs if key[0] == org_id]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        finally:
            self._slots.release()

    def _run_job(self, key: tuple[str, str]) -> None:
        queue = self.queues[key]

        def put(item: Any) -> None:
            if self._stop.is_set():
                raise Stopped()
            queue.put(item)

        try:
            self.jobs[key](put)
        except Stopped:
            queue.close()
        except BaseException as exc:  # handed to the writer, who raises it when it reaches this partition
            queue.close(exc)
        else:
            queue.close()
