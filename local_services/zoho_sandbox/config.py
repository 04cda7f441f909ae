"""Every sandbox behaviour that Zoho does not document, as a setting a test can change at run time.

Defaults follow Zoho's documentation; each behaviour Zoho does not document is a field here (docs/zoho-sandbox.md).
"""

from __future__ import annotations

import dataclasses
from typing import Any

DATA_CENTERS = ("us", "eu", "in", "au", "jp", "ca", "cn", "sa")


@dataclasses.dataclass
class SandboxConfig:
    # --- OAuth ---------------------------------------------------------------------------------
    access_token_lifetime: int = 3600  # seconds; tests shorten it to make tokens expire
    token_mint_limit: int = 10  # access tokens per refresh token per window ([S] 10 per 10 minutes)
    token_mint_window: float = 600.0
    invalid_token_code: int = 57  # 57 or 14 ([S-3p] both seen in the wild)
    # --- Books API limits ----------------------------------------------------------------------
    requests_per_window: int = 100  # [S] 100 requests per minute per organization
    rate_window_seconds: float = 60.0
    rate_block_seconds: float = 0.0  # [I] extra block after code 44 beyond the sliding window
    daily_quota: int = 10000  # [S] Premium plan; Free is 1000
    concurrency_limit: int = 10  # [S] paid plans 10, Free 5
    send_rate_limit_headers: bool = True  # [I] X-Rate-Limit-* as hotglue reads them (the daily quota)
    send_minute_rate_limit_headers: bool = False  # [I] X-Rate-Limit-Minute-* on answers, Retry-After on code 44
    per_page_max: int = 200  # [I] clamp
    not_found_status: int = 404  # [I] code 1002 with HTTP 404
    # --- Data quirks ---------------------------------------------------------------------------
    vendorpayments_without_last_modified_time: bool = False  # [S-3p] rows seen without it
    # [S-3p] Zoho omits last_modified_time on some older documents of any entity: this share of each
    # entity's documents (picked by a stable hash of the id) is served without it, in lists and details.
    share_without_last_modified_time: float = 0.0
    # [I] how the list filter `last_modified_time=` treats those documents: "modified" (by the time Zoho
    # keeps internally, so they are listed when changed), "always" (listed by every filtered call) or
    # "never" (only unfiltered listings show them).
    undated_list_filter: str = "modified"
    duplicate_rows_across_pages: bool = False  # [S-3p] Zoho repeats rows across pages
    # --- Webhooks ------------------------------------------------------------------------------
    # zoho-finance (sorted query pairs + body, as Zoho Billing signs) | hmac-sha256 | hmac-sha256-base64 |
    # payments | none
    webhook_signature_scheme: str = "zoho-finance"
    webhook_signature_header: str = "X-Zoho-Webhook-Signature"
    webhook_timeout: float = 5.0
    webhook_retries: int = 0  # [I] Zoho's retry policy is configurable per org
    webhook_retry_delay: float = 0.5
    workflow_logs_path: str = "/settings/workflowlogs"  # [I] documented endpoint, undocumented path

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; unknown keys are an error so a typo in a test fails loudly."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        for key, value in changes.items():
            if key not in fields:
                raise KeyError(f"unknown sandbox setting {key!r}")
            setattr(self, key, type(getattr(self, key))(value))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
