"""Calls to the Books API: auth header, organization_id, pacing, retries, and Zoho's error codes.

What is retried and how (docs/tap.md has the table):
- network errors, 5xx, blank or non-JSON 200: exponential backoff (the `backoff` library);
- 401 (codes 57/14): one token renewal and one retry, no more;
- 429 code 44 (per-minute limit): wait until the window frees (Retry-After, else the shared call log), then
  retry; code 1070 (too many in flight): short backoff;
- 429 code 45 (daily quota) or the configured daily call budget: QuotaExhausted, the organization's sync stops
  cleanly (other organizations go on);
- 404: DocumentNotFound (a detail fetch of a document deleted meanwhile is skipped by the caller);
- other 4xx or a non-zero `code`: a fatal error carrying Zoho's message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path

import backoff
import requests
import requests.adapters
import simplejson
from singer_sdk import metrics
from singer_sdk.exceptions import FatalAPIError

from .auth import ZohoAuth
from .progress import Progress
from .shared_quota import QuotaExhausted, SharedQuota
from .token_cache import default_cache_dir

__all__ = ["DocumentNotFound", "QuotaExhausted", "RetriableZohoError", "ZohoAPIError", "ZohoBooksAPI"]


class RetriableZohoError(Exception):
    """A transient failure worth retrying with backoff."""


class DocumentNotFound(Exception):
    """404 / code 1002: the document does not exist (any more)."""


class ZohoAPIError(FatalAPIError):
    """Zoho refused the request in a way retrying cannot fix; the message is Zoho's."""


class _TokenRejected(Exception):
    pass


class _RateLimited(Exception):
    def __init__(self, code: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after
        self.pause = 0.0  # set once the organization is paused until the window frees


def _header_number(response: requests.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def _format_wait(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h {rest // 60:02d}m"


class ZohoBooksAPI:
    def __init__(self, config: dict, logger: logging.Logger) -> None:
        self.config = config
        self.logger = logger
        self.session = requests.Session()
        self.session.headers["User-Agent"] = config.get("user_agent", "tap-zohobooks")
        # Fetch workers share this session (prefetch.py): room for every call in flight, per host.
        self.session.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=64))
        self.session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
        self._count_lock = threading.Lock()
        self.auth = ZohoAuth(config, logger, self.session)
        budget = config.get("daily_call_budget")
        self.quota = SharedQuota(
            Path(config["token_cache_dir"]) if config.get("token_cache_dir") else default_cache_dir(),
            per_window=int(config.get("max_requests_per_minute", 100)),
            window=float(config.get("rate_window_seconds", 60)),
            concurrency=int(config.get("max_concurrent_requests", 5)),
            daily_budget=None if budget is None else int(budget),
            day_timezone=config.get("quota_day_timezone") or "UTC")
        self.progress = Progress(self.quota, logger, float(config.get("progress_interval_seconds", 30)))
        self.timeout = float(config.get("request_timeout_seconds", 60))
        self.max_tries = int(config.get("max_retries", 6))
        self.backoff_factor = float(config.get("retry_backoff_seconds", 1.0))
        self.rate_limit_wait = float(config.get("rate_limit_wait_seconds", 60))
        self.calls: Counter[str] = Counter()  # by stream name
        self.calls_by_org: Counter[str] = Counter()
        self.quota_remaining: dict[str, int] = {}
        self.exhausted_orgs: dict[str, QuotaExhausted] = {}
        self._metrics_logger = metrics.get_metrics_logger()
        self._attempt_with_backoff = backoff.on_exception(
            backoff.expo, RetriableZohoError, max_tries=self.max_tries, factor=self.backoff_factor,
            max_value=60, jitter=backoff.full_jitter,
            on_backoff=lambda d: self.logger.warning("Retrying %s after %s (try %d)", d["args"][0], d["exception"],
                                                     d["tries"]),
            on_giveup=lambda d: self.logger.error("Giving up on %s after %d tries", d["args"][0], d["tries"]),
        )(self._attempt)

    @property
    def books_url(self) -> str:
        return f"{self.auth.api_domain}/books/v3"

    def organizations(self) -> list[dict]:
        return self.get("/organizations", None, {}, stream="organizations")["organizations"]

    @property
    def exhausted(self) -> QuotaExhausted | None:
        """No run-wide stop: quotas are per organization, and get() raises QuotaExhausted for an
        organization whose quota is used up before spending a call, so other organizations go on."""
        return None

    def get(self, path: str, org_id: str | None, params: dict, stream: str) -> dict:
        """GET a Books path for an organization; returns the parsed body (numbers as Decimal)."""
        if org_id in self.exhausted_orgs:
            raise self.exhausted_orgs[org_id]
        try:
            return self._get(path, org_id, params, stream)
        except QuotaExhausted as exc:
            self.exhausted_orgs[org_id or ""] = exc
            raise

    def _get(self, path: str, org_id: str | None, params: dict, stream: str) -> dict:
        query = dict(params)
        if org_id:
            query["organization_id"] = org_id
        token_renewed, limited = False, 0
        while True:
            try:
                return self._with_backoff(path, org_id, query, stream)
            except _TokenRejected:
                if token_renewed:
                    raise ZohoAPIError(f"Zoho rejected a freshly minted token for {path}: check that the "
                                       "refresh token has the ZohoBooks read scopes and the region is right") from None
                token_renewed = True
                self.auth.invalidate()
            except _RateLimited as exc:
                limited += 1
                if limited > int(self.config.get("max_rate_limit_retries", 5)):
                    raise ZohoAPIError(f"Zoho kept answering 429 code {exc.code} for {path}: {exc}") from None
                if exc.code == 44:  # the organization is paused (in every process) until the window frees
                    self.logger.warning("Zoho per-minute limit hit (code 44) for org %s; waiting %.1fs until "
                                        "the window frees", org_id, exc.pause)
                else:
                    pause = min(2 ** (limited - 1), 30) * self.backoff_factor
                    self.logger.info("Zoho concurrency limit (code 1070) for org %s; retrying in %.1fs",
                                     org_id, pause)
                    time.sleep(pause)

    def _with_backoff(self, path: str, org_id: str | None, query: dict, stream: str) -> dict:
        try:
            return self._attempt_with_backoff(path, org_id, query, stream)
        except RetriableZohoError as exc:
            raise ZohoAPIError(f"Zoho Books kept failing for {path} after {self.max_tries} tries: {exc}") from None

    def _attempt(self, path: str, org_id: str | None, query: dict, stream: str) -> dict:
        headers = {"Authorization": f"Zoho-oauthtoken {self.auth.access_token()}"}
        ticket = self.quota.acquire(org_id) if org_id else None
        started, response = time.monotonic(), None
        try:
            response = self.session.get(self.books_url + path, params=query, headers=headers, timeout=self.timeout)
            self._log_duration(stream, path, response, time.monotonic() - started)
            if org_id:  # what the answer says about the limits is noted before the slot is freed, so
                self._note_rate_headers(org_id, response)  # no other worker's call slips in meanwhile
            return self._classify(path, org_id, response)
        except requests.RequestException as exc:
            raise RetriableZohoError(type(exc).__name__) from None
        except _RateLimited as exc:
            if exc.code == 44 and org_id:
                exc.pause = self.quota.block_until_window_frees(org_id, exc.retry_after, self.rate_limit_wait)
            raise
        finally:
            if ticket:
                self.quota.release(ticket, refused=response is not None and response.status_code == 429)
            with self._count_lock:
                self.calls[stream] += 1
                if org_id:
                    self.calls_by_org[org_id] += 1
            self.progress.called(org_id or "", stream)

    def _note_rate_headers(self, org_id: str, response: requests.Response) -> None:
        """Honour Zoho's X-Rate-Limit-* headers: the day's calls left, and the minute's when sent."""
        remaining = _header_number(response, "X-Rate-Limit-Remaining")
        if remaining is not None:
            self.quota_remaining[org_id] = int(remaining)
            self.quota.note_zoho_remaining(org_id, int(remaining))
        limit = _header_number(response, "X-Rate-Limit-Limit")
        if limit:
            self.progress.daily_limit[org_id] = int(limit)
        minute_left = _header_number(response, "X-Rate-Limit-Minute-Remaining")
        minute_reset = _header_number(response, "X-Rate-Limit-Minute-Reset")
        if minute_left is not None and minute_left <= 0 and minute_reset and response.status_code != 429:
            self.quota.block_for(org_id, minute_reset)

    def _classify(self, path: str, org_id: str | None, response: requests.Response) -> dict:
        status = response.status_code
        if status >= 500:
            raise RetriableZohoError(f"HTTP {status}")
        try:
            body = simplejson.loads(response.content, use_decimal=True) if response.content.strip() else None
        except ValueError:
            body = None
        if body is None or not isinstance(body, dict):
            if status == 200:
                raise RetriableZohoError("blank or non-JSON HTTP 200 body")
            body = {}
        code, message = body.get("code"), body.get("message", response.reason)
        if status == 401:
            raise _TokenRejected()
        if status == 429:
            if code == 45:
                reset = response.headers.get("X-Rate-Limit-Reset", "")
                when = f"resets in about {_format_wait(float(reset))}" if reset.isdigit() else "resets within 24h"
                raise QuotaExhausted(
                    f"Zoho daily API quota of organization {org_id} is used up ({message}); it {when}. "
                    "The next run resumes from the bookmark")
            raise _RateLimited(int(code or 44), message, _header_number(response, "Retry-After"))
        if status == 404 or code == 1002:
            raise DocumentNotFound(message)
        if status >= 400 or (code not in (0, None)):
            raise ZohoAPIError(f"Zoho Books rejected GET {path}: HTTP {status}, code {code}: {message}")
        return body

    def _log_duration(self, stream: str, path: str, response: requests.Response, seconds: float) -> None:
        metrics.log(self._metrics_logger, metrics.Point(
            "timer", metric=metrics.Metric.HTTP_REQUEST_DURATION, value=round(seconds, 4),
            tags={metrics.Tag.STREAM: stream, metrics.Tag.ENDPOINT: path.rsplit("/", 1)[0] if path.count("/") > 1
                  else path, metrics.Tag.HTTP_STATUS_CODE: response.status_code}))


