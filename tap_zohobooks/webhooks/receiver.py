"""The webhook receiver: a plain ASGI app served by uvicorn.

For each POST, in order: rate limit per source address (429), size limit (413), query string (400),
signature (401), JSON, entity, ids and timestamps (400/422), organization allow-list (403), the
organization's own secret (401); then the event is committed to the spool and only then answered 200.
A repeated delivery is answered 200 and stored once. Nothing that fails a check reaches the spool, and
no input makes it answer 5xx (Zoho retries those forever); only a spool that cannot be written does.
`GET /healthz` (alive) and `GET /readyz` (the spool takes writes) reveal nothing but their status.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import urllib.parse

from .parse import Rejection, parse_delivery
from .ratelimit import RateLimiter
from .signatures import DEFAULT_SCHEME, SHARED, SignatureVerifier
from .spool import Spool
from .validate import zoho_id

logger = logging.getLogger("tap-zohobooks.webhooks")
FORM = "application/x-www-form-urlencoded"


def _pairs(text: bytes, what: str) -> dict[str, str]:
    """Decoded `name=value` pairs, strict UTF-8, each name once (a repeated name is ambiguous)."""
    try:
        pairs = urllib.parse.parse_qsl(text.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Rejection(400, f"the {what} is not valid UTF-8 form encoding") from None
    found = dict(pairs)
    if len(found) != len(pairs):
        raise Rejection(400, f"the {what} repeats a parameter")
    return found


class WebhookReceiver:
    def __init__(self, spool: Spool, verifier: SignatureVerifier, *, organizations: set[str],
                 max_body_bytes: int = 1_048_576, event_param: str = "event",
                 default_organization_id: str | None = None, rate_limit_per_minute: float = 0) -> None:
        self.spool = spool
        self.verifier = verifier
        self.organizations = set(organizations)
        self.own_secret = {owner for owner, _ in verifier.secrets if owner != SHARED}
        self.max_body = max_body_bytes
        self.event_param = event_param
        self.default_org = default_organization_id
        self.limiter = RateLimiter(rate_limit_per_minute)
        self.accepted = 0
        self.duplicates = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["method"] == "GET" and scope["path"] == "/healthz":
            await self._reply(send, 200, {"status": "ok"})
            return
        if scope["method"] == "GET" and scope["path"] == "/readyz":
            ready = await asyncio.to_thread(self.spool.writable)
            await self._reply(send, 200 if ready else 503, {"status": "ready" if ready else "not ready"})
            return
        if scope["method"] != "POST":
            await self._reply(send, 405, {"error": "POST webhook deliveries only"})
            return
        address = (scope.get("client") or ("unknown",))[0]
        if not self.limiter.allow(address):
            await self._reply(send, 429, {"error": "too many deliveries from this address"},
                              [(b"retry-after", b"60")])
            return
        try:
            status, body = await self._handle(scope, receive, address)
        except Rejection as exc:
            status, body = exc.status, {"error": exc.message}
        await self._reply(send, status, body)

    async def _read(self, scope, receive) -> bytes | None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isascii() and length.isdigit() and int(length) > self.max_body:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _handle(self, scope, receive, address: str) -> tuple[int, dict]:
        received_at = dt.datetime.now(dt.timezone.utc)
        raw = await self._read(scope, receive)
        if raw is None:
            return 413, {"error": f"body larger than {self.max_body} bytes"}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = _pairs(scope.get("query_string", b""), "query string")
        form = None
        if headers.get("content-type", "").split(";")[0].strip().lower() == FORM:
            form = list(_pairs(raw, "form body").items())
        owners = self.verifier.verify(raw, headers, query, form)
        if not owners:
            logger.warning("Refused a delivery with a missing or invalid signature from %s", address)
            return 401, {"error": "missing or invalid signature"}
        event = parse_delivery(raw, query, received_at, event_param=self.event_param,
                               default_organization_id=self.default_org, query_signed=self.verifier.signs_query)
        if event.organization_id not in self.organizations:
            logger.warning("Refused a signed delivery for an organization not configured, from %s", address)
            return 403, {"error": "organization not accepted by this receiver"}
        signer = event.organization_id if event.organization_id in self.own_secret else SHARED
        if signer not in owners:
            logger.warning("Refused a delivery signed with another organization's secret, from %s", address)
            return 401, {"error": "missing or invalid signature"}
        stored = await asyncio.to_thread(self.spool.add, event)  # durable before we answer
        if stored:
            self.accepted += 1
        else:
            self.duplicates += 1
        return 200, {"status": "stored" if stored else "duplicate", "event_id": event.event_id}

    @staticmethod
    async def _reply(send, status: int, body: dict, extra: list | None = None) -> None:
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                *(extra or [])]})
        await send({"type": "http.response.body", "body": data})


def _secrets(config: dict) -> list[tuple[str, str]]:
    """(owner, secret) pairs: the shared pair, then each organization's own (current first)."""
    pairs = [(SHARED, config.get("webhook_secret") or ""), (SHARED, config.get("webhook_previous_secret") or "")]
    for org, secrets in (config.get("webhook_secrets") or {}).items():
        zoho_id(org, "webhook_secrets organization")
        for secret in [secrets] if isinstance(secrets, str) else list(secrets or []):
            pairs.append((str(org), secret))
    return [(owner, secret) for owner, secret in pairs if secret]


def allowed_organizations(config: dict) -> set[str]:
    """webhook_organization_ids (else organization_ids), webhook_organization_id and webhook_secrets' keys."""
    listed = config.get("webhook_organization_ids") or config.get("organization_ids") or []
    if isinstance(listed, str):
        listed = [part.strip() for part in listed.strip("[]").replace('"', "").split(",")]
    found = {str(org) for org in listed if org}
    found |= {str(org) for org in (config.get("webhook_secrets") or {})}
    if config.get("webhook_organization_id"):
        found.add(str(config["webhook_organization_id"]))
    return found


def build_receiver(config: dict) -> WebhookReceiver:
    """The receiver from tap settings (webhook_*); ValueError with one line to fix."""
    spool_path = config.get("webhook_spool_path")
    if not spool_path:
        raise ValueError("webhook_spool_path is required to receive webhooks")
    try:
        secrets = _secrets(config)
    except Rejection as exc:
        raise ValueError(exc.message) from None
    organizations = allowed_organizations(config)
    if not organizations:
        raise ValueError("set organization_ids (or webhook_organization_ids): the receiver accepts deliveries "
                         "only for the organizations configured")
    verifier = SignatureVerifier(
        secrets, scheme=config.get("webhook_signature_scheme") or DEFAULT_SCHEME,
        header=config.get("webhook_signature_header") or "X-Zoho-Webhook-Signature",
        tolerance_seconds=float(config.get("webhook_timestamp_tolerance_seconds") or 300))
    return WebhookReceiver(Spool(spool_path), verifier, organizations=organizations,
                           max_body_bytes=int(config.get("webhook_max_body_bytes") or 1_048_576),
                           event_param=config.get("webhook_event_param") or "event",
                           default_organization_id=config.get("webhook_organization_id"),
                           rate_limit_per_minute=float(config.get("webhook_rate_limit_per_minute", 1200) or 0))
