"""`resync_from`: re-sync the document streams from a date once, without editing state by hand.

Each organization's stream state records the value it applied (`resync_from_applied`), written only
after the walk from that date finished, so:
- the first run after the setting is set (or changed) reads from that date again and re-emits every
  version modified since then (the target keeps them as rows of the same events, docs/identity.md);
- later runs with the same value continue from the bookmark as usual;
- a run that stops part-way (quota, a crash) starts the re-sync again next time.

The re-sync never starts later than the bookmark would (a date after it cannot skip documents), and
the bookmark itself only moves forward. Documents without `last_modified_time` have no date to compare
and follow their content digests as always.
"""

from __future__ import annotations

import datetime as dt

from .events import utc_text

STATE_KEY = "resync_from_applied"


def resync_instant(config: dict) -> dt.datetime | None:
    """The configured `resync_from` as an aware UTC instant (a date alone is midnight UTC)."""
    value = config.get("resync_from")
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def pending_resync(config: dict, state: dict) -> dt.datetime | None:
    """The re-sync date when this partition has not applied the configured value yet, else None."""
    instant = resync_instant(config)
    if instant is None or state.get(STATE_KEY) == utc_text(instant):
        return None
    return instant


def mark_applied(state: dict, resync: dt.datetime) -> None:
    state[STATE_KEY] = utc_text(resync)
