"""The webhook receiver: a plain ASGI app served by uvicorn.

For each POST: size limit (413), signature (401), JSON and entity (400/422), then the event is
committed to the spool and only then answered 200. A repeated delivery is answered 200 and stored
once. Nothing that fails a check reaches the spool. `GET /healthz` answers 200 for probes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import urllib.parse

from .parse import Rejection, parse_delivery
from .signatures import SignatureVerifier
from .spool import Spool

logger = logging.getLogger("tap-zohobooks.webhooks")


class WebhookReceiver:
    def __init__(self, spool: Spool, verifier: SignatureVerifier, *, max_body_bytes: int = 1_048_576,
                 event_param: str = "event", default_organization_id: str | None = None) -> None:
        self.spool = spool
        self.verifier = verifier
        self.max_body = max_body_bytes
        self.event_param = event_param
        self.default_org = default_organization_id
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
            await self._reply(send, 200, {"status": "ok", "spooled": self.accepted})
            return
        if scope["method"] != "POST":
            await self._reply(send, 405, {"error": "POST webhook deliveries only"})
            return
        status, body = await self._handle(scope, receive)
        await self._reply(send, status, body)

    async def _read(self, scope, receive) -> bytes | None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode()
        if length.isdigit() and int(length) > self.max_body:
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

    async def _handle(self, scope, receive) -> tuple[int, dict]:
        received_at = dt.datetime.now(dt.timezone.utc)
        raw = await self._read(scope, receive)
        if raw is None:
            return 413, {"error": f"body larger than {self.max_body} bytes"}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))
        if not self.verifier.verify(raw, headers, query):
            logger.warning("Rejected a delivery with a missing or invalid signature from %s", scope.get("client"))
            return 401, {"error": "missing or invalid signature"}
        try:
            event = parse_delivery(raw, query, received_at, event_param=self.event_param,
                                   default_organization_id=self.default_org)
        except Rejection as exc:
            return exc.status, {"error": exc.message}
        stored = await asyncio.to_thread(self.spool.add, event)  # durable before we answer
        if stored:
            self.accepted += 1
        else:
            self.duplicates += 1
        return 200, {"status": "stored" if stored else "duplicate", "event_id": event.event_id}

    @staticmethod
    async def _reply(send, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


def build_receiver(config: dict) -> WebhookReceiver:
    """The receiver from tap settings (webhook_*)."""
    spool_path = config.get("webhook_spool_path")
    if not spool_path:
        raise ValueError("webhook_spool_path is required to receive webhooks")
    verifier = SignatureVerifier(
        [config.get("webhook_secret", ""), config.get("webhook_previous_secret", "")],
        scheme=config.get("webhook_signature_scheme", "hmac-sha256"),
        header=config.get("webhook_signature_header", "X-Zoho-Webhook-Signature"))
    return WebhookReceiver(Spool(spool_path), verifier,
                           max_body_bytes=int(config.get("webhook_max_body_bytes", 1_048_576)),
                           event_param=config.get("webhook_event_param", "event"),
                           default_organization_id=config.get("webhook_organization_id"))
