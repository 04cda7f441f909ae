"""Garbage collection between batches instead of during them.

Python's cyclic collector runs after every few hundred allocations and walks every object still alive.
While a batch fills up, that is every row of the batch, again and again: measured on 20,000 invoices it
took about an eighth of the target's CPU, without freeing anything, since rows hold no reference cycles.
So while the target reads its input the automatic collector is off, and a full collection runs after
each batch is written (when its rows are released) and at the end. Memory stays bounded by one batch,
as it was: a batch is at most MAX_BATCH_BYTES of rows or the SDK's row limit.

Start-up is the other half (cli.py): importing the target (the Singer SDK, google-cloud-bigquery, which
also loads the Storage API client, grpc and protobuf) leaves some 80,000 objects that live as long as
the process. They are made with the collector off and then frozen (`gc.freeze`), so it does not walk
them over and over while importing or in the collections of the run.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def collected_between_batches() -> Iterator[None]:
    """Automatic collection off for the block (restored after); `collect` runs one."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()  # what start-up made (modules, classes, clients) is not walked again by each collection
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def long_lived_imports() -> Iterator[None]:
    """Imports made with the garbage collector off; what they made is frozen afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def collect() -> None:
    """A full collection of what is not frozen: cheap right after a batch is released."""
    gc.collect()
