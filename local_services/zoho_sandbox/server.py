"""The sandbox's HTTP server: every data center from one base URL, plus an admin API for tests.

    {base}/accounts/{dc}/oauth/v2/token      the accounts server of data center dc
    {base}/api/{dc}/books/v3/...             the Books API; `api_domain` of a dc token is {base}/api/{dc}
    {base}/_admin/...                        test controls (no auth): config, faults, documents, logs

A token minted at one data center's accounts server is rejected by every other data center's API.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import simplejson

from . import books_api
from .admin import handle_admin
from .config import DATA_CENTERS, SandboxConfig
from .entities import ENTITIES
from .generator import seed
from .limits import CONCURRENCY_1070, RATE_LIMIT_44, Faults, OrgLimiter, daily_quota_message
from .oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, OAuthServer, sandbox_refresh_token
from .store import Store
from .webhooks import WebhookHub

UNAUTHORIZED = {57: "You are not authorized to perform this operation",
                14: "Invalid value passed for authtoken"}


class ZohoSandbox:
    """A running sandbox. `with ZohoSandbox(documents=500) as sb: ...` or start()/stop()."""

    def __init__(self, config: SandboxConfig | None = None, documents: int = 2000, seed_value: int = 7,
                 host: str = "127.0.0.1", port: int = 0, anchor: dt.datetime | None = None) -> None:
        self.config = config or SandboxConfig()
        self.store = Store()
        seed(self.store, documents=documents, seed=seed_value, now=anchor)
        self.oauth = OAuthServer(self.config)
        for dc in DATA_CENTERS:
            orgs = [o.org_id for o in self.store.orgs.values() if o.dc == dc]
            self.oauth.add_refresh_token(sandbox_refresh_token(dc), dc, orgs)
        self.limiter = OrgLimiter(self.config)
        self.faults = Faults()
        self.hub = WebhookHub(self.config)
        self.store.listeners.append(self.hub.on_change)
        self.requests: list[dict] = []
        self._log_lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def accounts_url(self, dc: str) -> str:
        return f"{self.base_url}/accounts/{dc}"

    def api_domain(self, dc: str) -> str:
        return f"{self.base_url}/api/{dc}"

    def info(self) -> dict:
        """Base URL and the public test credentials (what `python -m local_services.zoho_sandbox` prints)."""
        return {"base_url": self.base_url, "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
                "refresh_tokens": {dc: sandbox_refresh_token(dc) for dc in DATA_CENTERS}}

    def start(self) -> ZohoSandbox:
        self._thread = threading.Thread(target=self._server.serve_forever, name="zoho-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ZohoSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, entry: dict) -> None:
        with self._log_lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)

    def api_calls(self, path_contains: str = "", since: int = 0) -> list[dict]:
        """Recorded Books API calls (not token calls), optionally filtered by path."""
        return [r for r in self.requests[since:]
                if r["kind"] == "api" and path_contains in r["path"]]

    # --- the Books API pipeline ---------------------------------------------------------------
    def handle_books(self, method: str, dc: str, path: str, q: dict[str, str], headers: Any,
                     body: dict, entry: dict) -> tuple[int, dict | bytes, dict[str, str]]:
        cfg = self.config
        token = self.oauth.authenticate(headers.get("Authorization"), dc)
        fault = self.faults.take(path)
        if fault and fault.kind == "invalid_token":
            token = None
        if token is None:
            code = cfg.invalid_token_code
            return 401, {"code": code, "message": UNAUTHORIZED.get(code, UNAUTHORIZED[57])}, {}
        parts = path.removeprefix("/books/v3/").strip("/").split("/")
        if parts == ["organizations"]:
            orgs = [self.store.orgs[o].summary() for o in token.refresh.org_ids]
            return 200, {"code": 0, "message": "success", "organizations": orgs}, {}
        org_id = q.get("organization_id") or headers.get("X-com-zoho-books-organizationid") or ""
        entry["org_id"] = org_id
        if not org_id:
            return 400, {"code": 6042, "message": "Please send the organization_id."}, {}
        if org_id not in token.refresh.org_ids:
            return 400, {"code": 6041,
                         "message": f"This user is not associated with the CompanyID/CompanyName:{org_id}."}, {}
        org = self.store.orgs[org_id]
        refused = self.limiter.acquire(org_id)
        if refused:
            return 429, {"code": refused[0], "message": refused[1]}, self.limiter.headers(org_id, refused[0])
        try:
            if fault and fault.kind == "slow":
                time.sleep(fault.delay)
            extra = self.limiter.headers(org_id)
            if fault and fault.kind == "blank_200":
                return 200, b"", extra
            if fault and fault.kind == "non_json_200":
                return 200, b"<html><body>Service temporarily unavailable</body></html>", extra
            if fault and fault.kind == "http_404":
                entity = ENTITIES.get(parts[0])
                return 404, {"code": 1002, "message": f"{entity.label if entity else 'Resource'} does not exist."}, extra
            if fault and fault.kind.startswith("http_"):
                return int(fault.kind[5:]), {"code": 1000, "message": "Internal error"}, extra
            if fault and fault.kind.startswith("limit_"):
                code = int(fault.kind[6:])
                message = {44: RATE_LIMIT_44, 45: daily_quota_message(cfg.daily_quota), 1070: CONCURRENCY_1070}[code]
                return 429, {"code": code, "message": message}, self.limiter.headers(org_id, code)
            status, payload = self._route(method, org, parts, q, body)
            return status, payload, extra
        finally:
            self.limiter.release(org_id)

    def _route(self, method: str, org, parts: list[str], q: dict, body: dict) -> tuple[int, dict]:
        joined = "/" + "/".join(parts)
        if joined == self.config.workflow_logs_path and method == "GET":
            return books_api.workflow_logs(self, org, q)
        if joined == "/settings/webhooks" and method == "POST":
            return books_api.register_webhook(self, org, body)
        entity = ENTITIES.get(parts[0])
        if entity is None:
            return 404, {"code": 5, "message": "Invalid URL Passed"}
        doc_id = parts[1] if len(parts) > 1 else None
        if method == "GET" and doc_id is None:
            return books_api.list_documents(self, org, entity, q)
        if method == "GET" and len(parts) == 2:
            return books_api.get_document(self, org, entity, doc_id)
        action = "/".join(parts[2:]) or None
        return books_api.write_document(self, org, entity, method, doc_id, action, body)


def _parse_body(raw: bytes, content_type: str) -> dict:
    if not raw:
        return {}
    if "json" in content_type:
        return simplejson.loads(raw, use_decimal=True)
    form = dict(urllib.parse.parse_qsl(raw.decode()))
    if "JSONString" in form:  # Zoho's form-encoded write body
        return simplejson.loads(form["JSONString"], use_decimal=True)
    return form


def _handler_for(sandbox: ZohoSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one round trip per call, not a 40 ms delayed-ACK stall

        def log_message(self, *args: object) -> None:  # quiet: the request log is the record
            pass

        def _send(self, status: int, payload: dict | bytes, headers: dict[str, str] | None = None) -> None:
            body = payload if isinstance(payload, bytes) else simplejson.dumps(payload, use_decimal=True).encode()
            self.send_response(status)
            ctype = "application/json;charset=UTF-8" if not isinstance(payload, bytes) or body.startswith(b"{") \
                else "text/html;charset=UTF-8"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = _parse_body(raw, self.headers.get("Content-Type", ""))
            except (ValueError, json.JSONDecodeError):
                self._send(400, {"code": 4, "message": "Invalid JSON body"})
                return
            parts = url.path.split("/", 3)  # ["", "api"|"accounts"|"_admin", dc, rest]
            if url.path.startswith("/_admin/"):
                status, payload = handle_admin(sandbox, self.command, url.path[len("/_admin"):], q, body)
                self._send(status, payload)
                return
            if len(parts) < 4 or parts[1] not in ("api", "accounts") or parts[2] not in DATA_CENTERS:
                self._send(404, {"code": 5, "message": "Invalid URL Passed"})
                return
            kind, dc, rest = parts[1], parts[2], "/" + parts[3]
            entry = {"kind": "api" if kind == "api" else "token", "method": self.command, "dc": dc,
                     "path": rest, "query": q, "org_id": "", "time": dt.datetime.now(dt.timezone.utc).isoformat()}
            if kind == "accounts":
                status, payload, headers = self._accounts(dc, rest, q, body)
            else:
                status, payload, headers = sandbox.handle_books(self.command, dc, rest, q, self.headers,
                                                                body, entry)
            entry["status"] = status
            entry["code"] = payload.get("code") if isinstance(payload, dict) else None
            sandbox.record(entry)
            self._send(status, payload, headers)

        def _accounts(self, dc: str, rest: str, q: dict, body: dict) -> tuple[int, dict, dict]:
            form = {**q, **{k: str(v) for k, v in body.items()}}
            if rest == "/oauth/v2/token" and self.command == "POST":
                status, payload = sandbox.oauth.grant(dc, form, sandbox.api_domain(dc))
                return status, payload, {}
            if rest == "/oauth/v2/token/revoke" and self.command == "POST":
                sandbox.oauth.revoke(form.get("token", ""))
                return 200, {"status": "success"}, {}
            return 404, {"error": "invalid_request"}, {}

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    return Handler
