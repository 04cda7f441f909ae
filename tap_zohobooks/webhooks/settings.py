"""Settings of the webhook receiver, the live and replay modes, and the webhook history stream."""

from __future__ import annotations

from singer_sdk import typing as th

from .signatures import SCHEMES

WEBHOOK_SETTINGS = [
    th.Property("mode", th.StringType(allowed_values=["poll", "live", "history", "replay"]), default="poll",
                description="poll: incremental sync (+ webhook history); live: emit spooled webhook events as "
                            "they arrive; history: only the webhook history and its backfills; replay: re-emit "
                            "spooled events."),
    th.Property("webhook_spool_path", th.StringType,
                description="SQLite spool the receiver writes and the live tap reads (enables webhooks)."),
    th.Property("webhook_secret", th.StringType, secret=True,
                description="Secret of the Zoho webhook (12-50 alphanumeric characters)."),
    th.Property("webhook_previous_secret", th.StringType, secret=True,
                description="The former secret, still accepted while Zoho's webhooks are being rotated."),
    th.Property("webhook_signature_scheme", th.StringType(allowed_values=list(SCHEMES)), default="hmac-sha256",
                description="How deliveries are signed (Zoho does not document it; see docs/webhooks.md)."),
    th.Property("webhook_signature_header", th.StringType, default="X-Zoho-Webhook-Signature",
                description="HTTP header of a delivery that carries its signature."),
    th.Property("webhook_event_param", th.StringType, default="event",
                description="Query parameter of the webhook URL naming the event, e.g. ?event=invoice.updated."),
    th.Property("webhook_organization_id", th.StringType,
                description="Organization of deliveries whose URL has no ?organization_id=."),
    th.Property("webhook_max_body_bytes", th.IntegerType, default=1048576,
                description="Largest delivery body the receiver accepts, in bytes (larger: HTTP 413)."),
    th.Property("webhook_host", th.StringType, default="127.0.0.1",
                description="Address the webhook receiver listens on (put a TLS proxy in front of it)."),
    th.Property("webhook_port", th.IntegerType, default=8787, description="Port the webhook receiver listens on."),
    th.Property("live_poll_interval_seconds", th.NumberType, default=0.1,
                description="Live mode looks for new spooled events this often, in seconds."),
    th.Property("live_min_batch_interval_seconds", th.NumberType, default=0.25,
                description="Live mode writes at most one batch per interval: under load, events share inserts."),
    th.Property("live_batch_size", th.IntegerType, default=100,
                description="Events per batch in live mode; a STATE follows every batch."),
    th.Property("live_max_seconds", th.NumberType, description="Stop live mode after this long (default: never)."),
    th.Property("live_idle_exit_seconds", th.NumberType,
                description="Stop live mode after this long without events (default: never)."),
    th.Property("replay_from", th.DateTimeType, description="Replay events received at or after this time."),
    th.Property("replay_to", th.DateTimeType, description="Replay events received before this time."),
    th.Property("replay_entity", th.StringType, description="Replay only this entity (invoice, bill, ...)."),
    th.Property("replay_event_ids", th.ArrayType(th.StringType), description="Replay only these event ids."),
    th.Property("webhook_history_path", th.StringType, default="/settings/workflowlogs",
                description="Books path of the workflow logs (documented endpoint, undocumented form)."),
    th.Property("webhook_history_from_param", th.StringType, default="from_date",
                description="Query parameter of the workflow logs' start date."),
    th.Property("webhook_history_to_param", th.StringType, default="to_date",
                description="Query parameter of the workflow logs' end date."),
    th.Property("webhook_history_list_key", th.StringType, default="workflow_logs",
                description="Key of the list in the workflow logs response."),
    th.Property("webhook_history_overlap_days", th.IntegerType, default=1,
                description="Days re-read before the history bookmark (logs are listed by date)."),
]
