"""Spool retention: the spool keeps every delivery until it is emitted, then for a while to replay.

A delivery older than `spool_retention_days` is pruned only once it has been emitted (the live tap,
a replay or a poll that used it marks it); one never emitted is kept whatever its age, so pruning can
never lose an event. Every run with a spool ends with one summary line: rows, bytes, oldest delivery,
rows not yet emitted and rows pruned.
"""

from __future__ import annotations

import datetime as dt
import logging

from .spool import Spool

DEFAULT_RETENTION_DAYS = 90


def apply_retention(spool: Spool, config: dict, logger: logging.Logger,
                    now: dt.datetime | None = None) -> int:
    """Prune emitted deliveries past the retention (0 or less: keep everything) and log the summary."""
    days = int(config.get("spool_retention_days", DEFAULT_RETENTION_DAYS))
    pruned = 0
    if days > 0:
        cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=days)
        pruned = spool.prune_emitted(cutoff.isoformat())
    rows, size, oldest, pending = spool.stats()
    logger.info("Summary: webhook spool %s: %d deliveries, %d bytes, oldest received %s, %d not yet emitted; "
                "pruned %d emitted deliveries older than %s", spool.path, rows, size, oldest or "-", pending,
                pruned, f"{days} days" if days > 0 else "ever (retention off)")
    return pruned
