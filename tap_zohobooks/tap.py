"""tap-zohobooks: settings, the stream list, and the end-of-run summary."""

from __future__ import annotations

from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from zohobooks_bigquery.clear_errors import NameInvalidSettings
from zohobooks_bigquery.plugin_config import (
    store_setting_properties,
    with_numbers_parsed,
    with_stored_credentials,
    without_blank_required,
)
from zohobooks_bigquery.reconciliation.settings import report_setting_properties

from .api import ZohoBooksAPI
from .client import ZohoDocumentStream
from .document_events import STREAM_NAME as EVENTS_STREAM, DocumentEventsStream, EventRecorder
from .fetch import start_fetches
from .prefetch import Prefetcher
from .regions import REGIONS
from .streams import DOCUMENT_STREAMS, OrganizationsStream
from .webhooks.history import WebhookHistoryStream
from .webhooks.live import run_live, run_replay
from .webhooks.retention import apply_retention
from .webhooks.settings import WEBHOOK_SETTINGS
from .webhooks.spool import Spool
from .singer_output import CanonicalRawWriter


class TapZohoBooks(Tap):
    """Zoho Books invoices, bills, purchase orders and payments, incremental and exact."""

    name = "tap-zohobooks"
    package_name = "zohobooks-bigquery"  # the distribution both plugins ship in: --version, --about
    message_writer_class = CanonicalRawWriter  # `_raw` as canonical JSON text (singer_output.py)

    config_jsonschema = th.PropertiesList(
        th.Property("client_id", th.StringType, required=True,
                    description="OAuth client id of your Zoho self-client (API console)."),
        th.Property("client_secret", th.StringType, required=True, secret=True,
                    description="OAuth client secret of the self-client."),
        th.Property("refresh_token", th.StringType, required=True, secret=True,
                    description="Refresh token with the ZohoBooks read scopes (see README)."),
        th.Property("region", th.StringType(allowed_values=list(REGIONS)), default="us",
                    description="Zoho data center of the account: us, eu, in, au, jp, ca, cn, sa."),
        th.Property("organization_ids", th.ArrayType(th.StringType),
                    description="Organizations to sync; default: every organization the token can see."),
        th.Property("start_date", th.DateTimeType,
                    description="Earliest last_modified_time to sync on the first run."),
        th.Property("resync_from", th.DateTimeType,
                    description="Re-sync every document stream from this date once: the next run re-emits "
                                "every version modified since then, later runs continue from the bookmark; "
                                "a new value applies once again (docs/meltano.md)."),
        th.Property("accounts_url", th.StringType,
                    description="Override of the region's accounts server (a proxy, or the local sandbox)."),
        th.Property("api_url", th.StringType,
                    description="Override of the API domain (otherwise Zoho's api_domain, then the region's)."),
        th.Property("lookback_seconds", th.IntegerType, default=300,
                    description="Each run re-reads this window before the bookmark, so same-second edits "
                                "are never missed; versions already emitted are not emitted again."),
        th.Property("fetch_details", th.BooleanType, default=True,
                    description="Fetch each changed document's detail (line items, taxes, applied "
                                "payments). Off: list fields only, one call per 200 documents."),
        th.Property("page_size", th.IntegerType, default=200, description="Rows per list call (max 200)."),
        th.Property("max_requests_per_minute", th.IntegerType, default=100,
                    description="Calls per organization per window (Zoho allows 100 a minute), shared by "
                                "every tap process of the machine using the same token_cache_dir."),
        th.Property("rate_window_seconds", th.NumberType, default=60,
                    description="Window of max_requests_per_minute (60; other values for proxies and tests)."),
        th.Property("max_concurrent_organizations", th.IntegerType, default=4,
                    description="Organizations fetched at the same time (each within its own Zoho limits); "
                                "the streams of one organization are fetched together within its limits."),
        th.Property("max_concurrent_requests", th.IntegerType, default=5,
                    description="Calls in flight per organization across every process (Zoho: 5 on the "
                                "Free plan, 10 on paid plans)."),
        th.Property("daily_call_budget", th.IntegerType,
                    description="Most API calls per organization per day, shared by every run and process "
                                "(keeps quota for other integrations); a sync that reaches it stops cleanly "
                                "and the first run of the next day resumes from the bookmark."),
        th.Property("quota_day_timezone", th.StringType, default="UTC",
                    description="IANA time zone whose midnight starts a new daily_call_budget day."),
        th.Property("progress_interval_seconds", th.NumberType, default=30,
                    description="How often a long sync logs its progress (documents, calls, ETA) on stderr."),
        th.Property("request_timeout_seconds", th.IntegerType, default=60,
                    description="Seconds to wait for one Zoho HTTP response before retrying."),
        th.Property("max_retries", th.IntegerType, default=6,
                    description="Tries for a transient failure (5xx, timeouts, blank 200) before failing."),
        th.Property("retry_backoff_seconds", th.NumberType, default=1.0,
                    description="Base of the exponential backoff between retries."),
        th.Property("rate_limit_wait_seconds", th.IntegerType, default=60,
                    description="Wait after Zoho's per-minute limit (429 code 44) when neither Retry-After "
                                "nor this machine's call log says when the window frees."),
        th.Property("token_refresh_margin_seconds", th.IntegerType, default=300,
                    description="Renew the access token this long before it expires."),
        th.Property("token_cache_enabled", th.BooleanType, default=True,
                    description="Cache the access token across runs (encrypted), so frequent runs "
                                "mint at most one token an hour."),
        th.Property("token_cache_dir", th.StringType,
                    description="Directory of the encrypted token cache (default ~/.cache/tap-zohobooks)."),
        th.Property("token_cache_key", th.StringType, secret=True,
                    description="Passphrase for the token cache; default: derived from client_secret."),
        th.Property("token_throttle_initial_wait_seconds", th.NumberType, default=30,
                    description="First wait after Zoho refuses a token mint; doubles each time."),
        th.Property("token_throttle_max_wait_seconds", th.NumberType, default=660,
                    description="How long to wait out Zoho's 10-tokens-per-10-minutes limit before failing."),
        *WEBHOOK_SETTINGS,
        th.Property("reconcile_interval_hours", th.IntegerType, default=24,
                    description="How often polling lists every document (list pages only) to find "
                                "documents deleted in Zoho and emit delete tombstones (per organization "
                                "and stream); 0: every run; negative: never."),
        *store_setting_properties(th, "zoho", "zoho"),
        *report_setting_properties(th),
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # Credentials from the store are merged in before validation, so they satisfy `required`.
        # Blank credentials are missing ones (tap-zohobooks--eu blanks those it must not inherit).
        config = with_stored_credentials(self._config, "zoho", "zoho", self.logger)
        self._config = without_blank_required(with_numbers_parsed(config, self.config_jsonschema),
                                              self.config_jsonschema)
        return super()._validate_config(raise_errors=raise_errors)

    def __init__(self, *args, **kwargs) -> None:
        try:
            super().__init__(*args, **kwargs)
        except ConfigValidationError as exc:
            self.logger.addFilter(NameInvalidSettings(list(exc.errors), "MELTANO_EXTRACTOR_NAME", self.name))
            raise

    @cached_property
    def api(self) -> ZohoBooksAPI:
        return ZohoBooksAPI(dict(self.config), self.logger)

    @cached_property
    def organization_ids(self) -> list[str]:
        configured = self.config.get("organization_ids")
        if configured:
            return [str(o) for o in configured]
        orgs = self.api.organizations()
        self.logger.info("Syncing every organization the token can see: %s",
                         ", ".join(f"{o['organization_id']} ({o.get('name', '')})" for o in orgs))
        return [str(o["organization_id"]) for o in orgs]

    @cached_property
    def prefetcher(self) -> Prefetcher:
        """Fetch workers for every selected document stream and organization, started by the first
        document stream the SDK syncs (docs/concurrency.md)."""
        return start_fetches(self)

    @cached_property
    def spool(self) -> Spool | None:
        path = self.config.get("webhook_spool_path")
        return Spool(path) if path else None

    @cached_property
    def polled(self) -> set[tuple[str, str, str]]:
        """(organization, entity, document id) seen by this run's polling."""
        return set()

    @cached_property
    def backfilled(self) -> set[tuple[str, str, str]]:
        return set()

    @cached_property
    def events(self) -> EventRecorder:
        """Records every event of a document (document_events stream)."""
        return EventRecorder(self, self.streams[EVENTS_STREAM])

    @property
    def entity_streams(self) -> dict:
        return {s.event_entity: s for s in self.streams.values() if isinstance(s, ZohoDocumentStream)}

    def discover_streams(self) -> list:
        return ([stream_class(self) for stream_class in DOCUMENT_STREAMS]
                + [OrganizationsStream(self), WebhookHistoryStream(self), DocumentEventsStream(self)])

    def sync_all(self) -> None:
        mode = self.config.get("mode", "poll")
        if mode == "live":
            run_live(self)
        elif mode == "replay":
            run_replay(self)
        else:
            try:
                super().sync_all()
            finally:
                if "prefetcher" in self.__dict__:
                    self.prefetcher.stop()
        if self.spool is not None:
            apply_retention(self.spool, self.config, self.logger)
        self._log_summary()

    def _log_summary(self) -> None:
        """One line per stream and per organization: what the run cost and what quota is left."""
        if "api" not in self.__dict__:
            return
        api = self.api
        api.progress.report()
        for name, calls in sorted(api.calls.items()):
            self.logger.info("Summary: stream %s made %d API calls", name, calls)
        for org_id, calls in sorted(api.calls_by_org.items()):
            left = api.quota.left_today(org_id)
            self.logger.info("Summary: organization %s: %d API calls this run, %d detail calls saved by the webhook "
                             "spool, %d calls today by every run, daily quota remaining: %s", org_id, calls,
                             api.progress.saved_by_spool(org_id), api.quota.used_today(org_id),
                             "unknown" if left is None else left)
        self.logger.info("Summary: access tokens minted this run: %d; waited %.1fs for the rate limiter",
                         api.auth.mints, api.quota.waited)
        for org_id, reason in sorted(api.exhausted_orgs.items()):
            self.logger.warning("Summary: organization %s stopped early: %s", org_id, reason)


if __name__ == "__main__":
    TapZohoBooks.cli()
