"""Webhooks as Zoho Books sends them: a workflow rule per module fires on create/edit/delete and POSTs
the default payload (the detail object under its singular key), signed with the webhook's secret.

Every attempt is written to the workflow logs, which the Workflows API lists by date range. Tests can
make deliveries fail on demand: `drop` (never sent, logged as a failure), `fail` (sent, but logged as a
failure as if the reply timed out) and `skip` (the rule did not fire at all: nothing sent, nothing
logged, as with imports).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import queue
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import requests
import simplejson

from .config import SandboxConfig
from .entities import ENTITIES, zoho_time
from .store import Org

# A store action → the event Zoho delivers. `unpaid`, `overdue`, ... are status notifications: Zoho
# sends them for a document whose content did not change (Store.notify_status).
ACTION_EVENT = {"created": "created", "edited": "updated", "voided": "updated", "deleted": "deleted",
                "unpaid": "unpaid", "overdue": "overdue", "paid": "paid"}


def sign(scheme: str, secret: str, body: bytes, query: dict[str, str], now_ms: int) -> str:
    """The signature header value for a delivery under a given scheme (see docs/zoho-sandbox.md)."""
    key = secret.encode()
    if scheme == "hmac-sha256":  # hex HMAC-SHA256 of the raw body
        return hmac.new(key, body, hashlib.sha256).hexdigest()
    if scheme == "hmac-sha256-base64":
        return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    if scheme in ("zoho-finance", "billing"):  # Zoho's finance suite: sorted query `keyvalue` pairs + raw body
        message = "".join(f"{k}{v}" for k, v in sorted(query.items())).encode() + body
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if scheme == "payments":  # Zoho Payments: t=<ms>,v=<hmac of "t.body">
        digest = hmac.new(key, f"{now_ms}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={now_ms},v={digest}"
    if scheme == "none":
        return ""
    raise ValueError(f"unknown signature scheme {scheme!r}")


@dataclass
class Webhook:
    webhook_id: str
    org_id: str
    entity: str  # entity path: invoices, bills, ...
    url: str  # may hold ${event_type}, replaced per delivery
    secret: str
    name: str = ""
    actions: list[str] = field(default_factory=lambda: list(ACTION_EVENT))


class WebhookHub:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.webhooks: list[Webhook] = []
        self.logs: dict[str, list[dict]] = {}
        self.deliveries: list[dict] = []  # what was actually sent (for tests)
        self._faults: list[list] = []  # [mode, remaining]
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._ids = 0
        self._session = requests.Session()
        threading.Thread(target=self._worker, name="sandbox-webhooks", daemon=True).start()

    def register(self, org_id: str, entity: str, url: str, secret: str, name: str = "",
                 actions: list[str] | None = None) -> Webhook:
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        if secret and not (12 <= len(secret) <= 50 and secret.isalnum()):
            raise ValueError("secret must be 12-50 alphanumeric characters")
        with self._lock:
            self._ids += 1
            hook = Webhook(f"9{self._ids:014d}", org_id, entity, url, secret,
                           name or f"{entity} webhook", actions or list(ACTION_EVENT))
            self.webhooks.append(hook)
            return hook

    def arm_fault(self, mode: str, count: int) -> None:
        if mode not in ("drop", "fail", "skip"):
            raise ValueError(f"unknown delivery fault {mode!r}; one of drop, fail, skip")
        with self._lock:
            self._faults.append([mode, int(count)])

    def _take_fault(self) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault[1] > 0:
                    fault[1] -= 1
                    return fault[0]
        return None

    def on_change(self, org: Org, entity: str, action: str, doc: dict) -> None:
        """Store listener: queue one delivery per matching webhook."""
        for hook in self.webhooks:
            if hook.org_id == org.org_id and hook.entity == entity and action in hook.actions:
                self._queue.put((hook, org, entity, action, doc, 1))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every queued delivery has been attempted (tests call this)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _worker(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._deliver(*job)
            except Exception:  # a broken delivery must never stop the sandbox
                pass
            finally:
                self._queue.task_done()

    def _deliver(self, hook: Webhook, org: Org, entity: str, action: str, doc: dict, attempt: int) -> None:
        meta = ENTITIES[entity]
        event = f"{meta.webhook_entity}.{ACTION_EVENT[action]}"
        fault = self._take_fault() if attempt == 1 else None
        if fault == "skip":
            return
        body = simplejson.dumps({meta.detail_key: doc}, use_decimal=True).encode()
        url = hook.url.replace("${event_type}", event)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))
        headers = {"Content-Type": "application/json"}
        if hook.secret and self.config.webhook_signature_scheme != "none":
            headers[self.config.webhook_signature_header] = sign(
                self.config.webhook_signature_scheme, hook.secret, body, query, int(time.time() * 1000))
        status, error = 0, ""
        if fault == "drop":
            error = "Connection timed out"
        else:
            try:
                response = self._session.post(url, data=body, headers=headers,
                                              timeout=self.config.webhook_timeout)
                status = response.status_code
                self.deliveries.append({"url": url, "event": event, "status": status,
                                        "doc_id": doc[meta.id_field], "org_id": org.org_id})
            except requests.RequestException as exc:
                error = type(exc).__name__
            if fault == "fail":
                error = error or "Read timed out"
        ok = 200 <= status < 300 and not error
        self._log(hook, org, meta.id_field, doc, event, action, attempt, status, error, ok)
        if not ok and attempt <= self.config.webhook_retries:
            time.sleep(self.config.webhook_retry_delay)
            self._queue.put((hook, org, entity, action, doc, attempt + 1))

    def _log(self, hook: Webhook, org: Org, id_field: str, doc: dict, event: str, action: str,
             attempt: int, status: int, error: str, ok: bool) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        with self._lock:
            logs = self.logs.setdefault(org.org_id, [])
            logs.append({
                "log_id": f"8{len(logs) + 1:014d}", "workflow_name": hook.name, "webhook_id": hook.webhook_id,
                "module": hook.entity, "entity": event.split(".")[0], "event": event, "trigger": action,
                "record_id": doc[id_field], "record_name": doc.get(id_field.replace("_id", "_number"), ""),
                "record_last_modified_time": doc.get("last_modified_time", ""),
                "execution_time": zoho_time(now, org.tz), "_instant": now,
                "status": "success" if ok else "failure", "response_code": status,
                "error_message": error, "attempt": attempt,
            })

    def list_logs(self, org: Org, from_date: dt.date | None, to_date: dt.date | None) -> list[dict]:
        with self._lock:
            rows = list(self.logs.get(org.org_id, []))
        out = []
        for row in rows:
            day = row["_instant"].astimezone(org.tz).date()
            if (from_date is None or day >= from_date) and (to_date is None or day <= to_date):
                out.append({k: v for k, v in row.items() if not k.startswith("_")})
        return out
