"""Live and replay modes: emit spooled webhook events as Singer records.

Live: tails the spool from the last `seq` in state; after each micro-batch (at most one per
`live_min_batch_interval_seconds`, so a busy stream shares inserts instead of queueing) it writes a STATE
(`{"bookmarks": {"webhook_spool": {"last_seq": N}}}`), which target-bigquery-audit (flush_on_state)
answers by writing the batch and passing the STATE on, so an event is queryable within a second or
two of its delivery. Runs until SIGTERM/SIGINT, `live_max_seconds`, or `live_idle_exit_seconds`.

Replay: re-emits the spooled events selected by time range, entity or event id, with their original
event ids and arrival times (`_source` = replay), so the rows they make collapse with the originals.

Both write one `document_events` row per delivery (its event type, the version it refers to).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from typing import Iterable

from singer_sdk import Tap, singerlib

from .. import emit

from .spool import SpooledEvent


STATE_KEY = "webhook_spool"


def _streams(tap: Tap) -> dict:
    """The selected document streams by entity, their SCHEMA messages written."""
    streams = {entity: s for entity, s in tap.entity_streams.items() if s.selected}
    for stream in streams.values():
        emit.write_schema(tap, stream)
    return streams


def _emit(tap: Tap, streams: dict, events: Iterable[SpooledEvent], source: str) -> int:
    """Each delivery's `document_events` row, and its version's record once.

    Live emits a version with the delivery that brought it; a later delivery of the same content
    (`invoice.unpaid`, `bill.overdue`, ...) adds only its event. A replay emits each version of its
    selection once, under its original event id, so nothing new reaches `<table>_current`.
    """
    count, versions = 0, set()
    replayed_at = dt.datetime.now(dt.timezone.utc).isoformat() if source == "replay" else None
    for event in events:
        stream = streams.get(event.entity)
        if stream is None:
            continue
        version_id = event.version_event_id or event.event_id
        record = stream.to_record(event.organization_id, event.payload, source, event.operation,
                                  event=version_id, arrival=event.received_at)
        if version_id not in versions and (event.first_of_version or source == "replay"):
            emit.write_record(tap, stream, record)
            count += 1
        versions.add(version_id)
        details = {"delivery_id": event.event_id, **({"replayed_at": replayed_at} if replayed_at else {})}
        stream.record_event(record, event.last_modified_time, event.event_type, source, event.event_id, details)
    return count


def _require_spool(tap: Tap):
    if tap.spool is None:
        raise ValueError(f"mode {tap.config.get('mode')!r} needs webhook_spool_path")
    return tap.spool


def run_live(tap: Tap) -> None:
    spool = _require_spool(tap)
    streams = _streams(tap)
    last = int(((tap.state or {}).get("bookmarks", {}).get(STATE_KEY) or {}).get("last_seq", 0))
    cfg = tap.config
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, lambda *_: stop.set())
        except ValueError:  # not the main thread (tests run the tap in one)
            pass
    started = last_event = time.monotonic()
    last_flush = 0.0
    poll, batch_size = float(cfg.get("live_poll_interval_seconds", 0.1)), int(cfg.get("live_batch_size", 100))
    min_interval = float(cfg.get("live_min_batch_interval_seconds", 0.25))
    max_seconds, idle_exit = cfg.get("live_max_seconds"), cfg.get("live_idle_exit_seconds")
    tap.logger.info("Live mode: emitting webhook events from %s after seq %d", spool.path, last)
    emitted = 0
    while not stop.is_set():
        now = time.monotonic()
        if max_seconds is not None and now - started >= float(max_seconds):
            break
        batch = spool.after(last, limit=batch_size)
        if not batch:
            if idle_exit is not None and now - last_event >= float(idle_exit):
                break
            stop.wait(poll)
            continue
        # Micro-batches: at most one write (and STATE) per min_interval. A lone event goes out at once;
        # under load, events wait up to min_interval to share one insert instead of queueing behind many.
        wait = last_flush + min_interval - time.monotonic()
        if wait > 0 and len(batch) < batch_size:
            stop.wait(wait)
            batch = spool.after(last, limit=batch_size)
        emitted += _emit(tap, streams, batch, "webhook")
        last, last_event = batch[-1].seq, time.monotonic()
        last_flush = last_event
        tap.write_message(singerlib.StateMessage(value={"bookmarks": {STATE_KEY: {"last_seq": last}}}))
        spool.mark_emitted([event.seq for event in batch])
    tap.logger.info("Live mode stopped after %d events (last seq %d)", emitted, last)


def run_replay(tap: Tap) -> None:
    spool = _require_spool(tap)
    cfg = tap.config
    events = spool.select(cfg.get("replay_from"), cfg.get("replay_to"), cfg.get("replay_entity"),
                          cfg.get("replay_event_ids"))
    count = _emit(tap, _streams(tap), events, "replay")
    spool.mark_emitted([event.seq for event in events])
    tap.logger.info("Replayed %d spooled deliveries (%d versions) with their original event ids", len(events), count)
