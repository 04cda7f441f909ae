"""Settings of the webhook receiver, the live and replay modes, and the webhook history stream."""

from __future__ import annotations

from singer_sdk import typing as th

from .signatures import DEFAULT_SCHEME, SCHEMES

WEBHOOK_SETTINGS = [
    th.Property("mode", th.StringType(allowed_values=["poll", "live", "history", "replay"]), default="poll",
                description="poll: incremental sync (+ webhook history); live: emit spooled webhook events as "
                            "they arrive; history: only the webhook history and its backfills; replay: re-emit "
                            "spooled events."),
    th.Property("webhook_spool_path", th.StringType,
                description="SQLite spool the receiver writes and the live tap reads (enables webhooks)."),
    th.Property("spool_retention_days", th.IntegerType, default=90,
                description="Emitted webhook deliveries older than this many days are pruned from the spool "
                            "at the end of each run; a delivery not yet emitted is never pruned. 0: keep all."),
    th.Property("webhook_secret", th.StringType, secret=True,
                description="Secret of the Zoho webhooks (12-50 alphanumeric characters), for every organization "
                            "without its own in webhook_secrets."),
    th.Property("webhook_previous_secret", th.StringType, secret=True,
                description="The former secret, still accepted while Zoho's webhooks are being rotated."),
    th.Property("webhook_secrets", th.CustomType({
        "type": "object", "additionalProperties": {"anyOf": [
            {"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}), secret=True,
        description="Per-organization secrets: {organization id: secret} or {organization id: [current, "
                    "previous]} while rotating. An organization listed here accepts only its own secrets."),
    th.Property("webhook_organization_ids", th.ArrayType(th.StringType),
                description="Organizations the receiver accepts deliveries for (default: organization_ids); "
                            "any other organization is refused with 403."),
    th.Property("webhook_signature_scheme", th.StringType(allowed_values=list(SCHEMES)), default=DEFAULT_SCHEME,
                description="How deliveries are signed. zoho-finance (default; former name billing) signs the "
                            "query string and the body; hmac-sha256, hmac-sha256-base64, payments and token sign "
                            "only the body, so the URL may then carry no ?event= or ?organization_id= (see "
                            "docs/webhooks.md)."),
    th.Property("webhook_signature_header", th.StringType, default="X-Zoho-Webhook-Signature",
                description="Header carrying the signature."),
    th.Property("webhook_timestamp_tolerance_seconds", th.IntegerType, default=300,
                description="Schemes with a timestamp (payments): deliveries older or newer than this are refused."),
    th.Property("webhook_event_param", th.StringType, default="event",
                description="Query parameter of the webhook URL naming the event, e.g. ?event=invoice.updated "
                            "(read only under the zoho-finance scheme, which signs it)."),
    th.Property("webhook_organization_id", th.StringType,
                description="Organization of deliveries that name none (a receiver of a single organization)."),
    th.Property("webhook_max_body_bytes", th.IntegerType, default=1048576,
                description="Larger deliveries are refused with 413."),
    th.Property("webhook_rate_limit_per_minute", th.IntegerType, default=1200,
                description="Deliveries per minute per source address (bursts up to the same number); "
                            "beyond it 429. 0 turns the limit off."),
    th.Property("webhook_host", th.StringType, default="127.0.0.1",
                description="Address the receiver binds; a non-loopback address needs TLS or "
                            "webhook_behind_tls_proxy."),
    th.Property("webhook_port", th.IntegerType, default=8787, description="Port the receiver binds."),
    th.Property("webhook_tls_cert_file", th.StringType,
                description="PEM certificate (chain): the receiver serves HTTPS itself."),
    th.Property("webhook_tls_key_file", th.StringType,
                description="PEM private key of webhook_tls_cert_file (file mode 0600)."),
    th.Property("webhook_behind_tls_proxy", th.BooleanType, default=False,
                description="A TLS-terminating reverse proxy is in front: allows plain HTTP on a "
                            "non-loopback webhook_host."),
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
