"""The `webhook_history` stream: Zoho's workflow logs, and backfills of what webhooks missed.

Every webhook execution attempt in the logs becomes an audit record. A delivery that never reached
the spool (whatever Zoho logged; without a receiver: one Zoho logged as failed) is backfilled: the document is fetched and emitted
into its own stream with `_source` = history (a deleted one as a tombstone). A document the same run
already polled is not fetched twice. The logs are listed by date, so each run re-reads
`webhook_history_overlap_days` before its bookmark; records are keyed by log id.

Backfills are idempotent across runs: each missed delivery handled (backfilled, or covered by the
same run's poll) is kept in the organization's state as `handled: {"<entity>/<id>@<version>":
"<execution time>"}`, so a later run over the overlapping window makes no detail call for it; entries
older than the window are pruned. Each backfill is also a `document_events` row (`source` history,
the log's event type).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from singer_sdk.streams import Stream

from .. import emit
from ..api import DocumentNotFound, QuotaExhausted, ZohoAPIError
from ..client import load_schema
from ..conform import conform
from ..events import event_id, parse_instant, utc_text, version_token
from .parse import ENTITIES

ARRIVAL_TOLERANCE = dt.timedelta(minutes=5)  # a delivery logged at t may be spooled a little before t
HANDLED = "handled"  # partition state key: missed deliveries already handled (see the module docstring)


class WebhookHistoryStream(Stream):
    name = "webhook_history"
    primary_keys = ["organization_id", "log_id"]
    replication_key = "execution_time"
    is_sorted = False

    def __init__(self, tap) -> None:
        super().__init__(tap, schema=load_schema(self.name))

    @property
    def partitions(self) -> list[dict]:
        return [{"organization_id": org_id} for org_id in self._tap.organization_ids]

    def _window(self, state: dict) -> tuple[str, str]:
        overlap = dt.timedelta(days=int(self.config.get("webhook_history_overlap_days", 1)))
        mark = state.get("replication_key_value") or (state.get("progress_markers") or {}).get("replication_key_value")
        start = parse_instant(mark) - overlap if mark else parse_instant(self.config.get("start_date")
                                                                           or "2000-01-01T00:00:00Z")
        end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)  # the org's day may be ahead of UTC
        return start.date().isoformat(), end.date().isoformat()

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        tap, cfg = self._tap, self.config
        if cfg.get("mode", "poll") not in ("poll", "history") or tap.api.exhausted:
            return
        polling = cfg.get("mode", "poll") == "poll"
        if polling and (tap.spool is None or tap.spool.count() == 0):
            return  # no webhook has ever arrived: nothing to reconcile, no call spent
        org_id = context["organization_id"]
        try:
            yield from self._logs(org_id, polling)
        except QuotaExhausted as exc:  # stop cleanly; the overlap window makes the next run redo the rest
            self.logger.warning("Stopping webhook_history for organization %s: %s", org_id, exc)

    def _logs(self, org_id: str, polling: bool) -> Iterable[dict[str, Any]]:
        tap, cfg = self._tap, self.config
        state = self.get_context_state({"organization_id": org_id})
        start, end = self._window(state)
        # A log dated `start` in the organization's time zone may be a day earlier in UTC.
        keep_from = utc_text(dt.datetime.fromisoformat(start).replace(tzinfo=dt.timezone.utc) - dt.timedelta(days=1))
        handled = {key: at for key, at in (state.get(HANDLED) or {}).items() if at >= keep_from}
        state[HANDLED] = handled
        page = 1
        while True:
            try:
                body = tap.api.get(cfg.get("webhook_history_path", "/settings/workflowlogs"), org_id, {
                    cfg.get("webhook_history_from_param", "from_date"): start,
                    cfg.get("webhook_history_to_param", "to_date"): end, "page": page, "per_page": 200},
                    stream=self.name)
            except (ZohoAPIError, DocumentNotFound) as exc:
                if not polling:
                    raise
                # The logs endpoint's form is not documented by Zoho: never let it break a poll.
                self.logger.warning("Webhook history skipped for organization %s: %s (check webhook_history_path)",
                                    org_id, exc)
                return
            for log in body.get(cfg.get("webhook_history_list_key", "workflow_logs")) or []:
                yield self._audit_record(org_id, log, handled)
            if not (body.get("page_context") or {}).get("has_more_page"):
                return
            page += 1

    def _audit_record(self, org_id: str, log: dict, handled: dict[str, str]) -> dict:
        record = {k: conform(log.get(k), sub) for k, sub in self.schema["properties"].items()
                  if k in log and not k.startswith("_")}
        prefix = str(log.get("event") or log.get("entity") or "").split(".")[0]
        entity = ENTITIES.get(prefix, (prefix, ""))[0]
        executed = parse_instant(str(log["execution_time"]))
        received = None
        spool = self._tap.spool
        if spool is not None:
            received = spool.received_since(org_id, entity, str(log.get("record_id")),
                                            (executed - ARRIVAL_TOLERANCE).isoformat(timespec="microseconds"))
        # With a receiver, the spool decides (a delivery Zoho logged as failed may still have arrived);
        # without one, Zoho's logged status does.
        missed = (received is False) if spool is not None else log.get("status") != "success"
        key = self._delivery_key(entity, log)
        backfilled = False
        if missed and key not in handled:
            backfilled = self._backfill(org_id, entity, str(log.get("record_id")), log)
            document = (org_id, entity, str(log.get("record_id")))
            if backfilled or document in self._tap.polled or document in self._tap.backfilled:
                handled[key] = utc_text(executed)
        record.update({
            "organization_id": org_id, "entity": entity, "execution_time": utc_text(executed),
            "received_by_receiver": received, "backfilled": backfilled,
            "_source_event_id": event_id(org_id, "webhook_log", str(log["log_id"]), executed, "upsert"),
            "_source": "history", "_operation": "upsert",
            "_arrival_ts": dt.datetime.now(dt.timezone.utc).isoformat(), "_raw": log,
        })
        return record

    @staticmethod
    def _delivery_key(entity: str, log: dict) -> str:
        """The missed delivery a log names: document and version (Zoho's retries of it share it)."""
        version = str(log.get("record_last_modified_time") or "")
        try:
            version = utc_text(parse_instant(version)) if version else f"log:{log['log_id']}"
        except ValueError:
            pass
        return f"{entity}/{log.get('record_id')}@{version}"

    def _backfill(self, org_id: str, entity: str, doc_id: str, log: dict) -> bool:
        tap = self._tap
        stream = tap.entity_streams.get(entity)
        key = (org_id, entity, doc_id)
        if stream is None or not stream.selected or key in tap.polled or key in tap.backfilled:
            return False
        tap.backfilled.add(key)
        try:
            doc = tap.api.get(f"/{stream.entity_path}/{doc_id}", org_id, {}, stream=self.name)[stream.detail_key]
            record = stream.to_record(org_id, doc, "history")
        except DocumentNotFound:
            if not str(log.get("event", "")).endswith(".deleted"):
                return False
            doc = self._tombstone(stream, doc_id, log)
            record = stream.to_record(org_id, doc, "history", "delete")
        emit.write_record(tap, stream, record)
        stream.record_event(record, version_token(doc), str(log.get("event") or f"{entity}.changed"), "history",
                            f"{org_id}/{log['log_id']}",
                            {"log_status": log.get("status"), "execution_time": log.get("execution_time")})
        self.logger.info("Backfilled %s %s of organization %s (webhook %s)", entity, doc_id, org_id,
                         log.get("status"))
        return True

    @staticmethod
    def _tombstone(stream, doc_id: str, log: dict) -> dict:
        """What is known of a deleted document: its id and when it was last changed."""
        return {stream.id_field: doc_id,
                "last_modified_time": log.get("record_last_modified_time") or log["execution_time"]}
