"""A real receiver (uvicorn + the ASGI app) on a free loopback port, its spool, and signed deliveries."""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import simplejson
import uvicorn

from local_services.bigquery_emulator import free_port
from local_services.zoho_sandbox.webhooks import sign
from tap_zohobooks.webhooks.receiver import WebhookReceiver, build_receiver
from tap_zohobooks.webhooks.serving import server_options

SECRET = "whsec0123456789abc"
OLD_SECRET = "whsecOLD456789xyz"
US_ORG = "60001000001"


@dataclass
class RunningReceiver:
    url: str
    app: WebhookReceiver
    config: dict
    spool_path: Path

    def post(self, payload: dict | bytes, query: str = "", secret: str | None = SECRET, headers: dict | None = None,
             scheme: str = "zoho-finance", signed_query: str | None = None, **request):
        """POST a delivery signed as Zoho would (`signed_query`: sign another query than the one sent)."""
        body = payload if isinstance(payload, bytes) else simplejson.dumps(payload, use_decimal=True).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if secret:
            pairs = dict(urllib.parse.parse_qsl((query if signed_query is None else signed_query).lstrip("?"),
                                                keep_blank_values=True))
            sent["X-Zoho-Webhook-Signature"] = sign(scheme, secret, body, pairs, int(time.time() * 1000))
        return requests.post(f"{self.url}/webhooks/zoho{query}", data=body, headers=sent,
                             **{"timeout": 10, **request})


def hook_up(sandbox, base_url: str, entity: str = "invoices") -> None:
    """Register a sandbox webhook the way docs/webhooks.md tells users to: organization and event in the URL."""
    sandbox.hub.register(US_ORG, entity, f"{base_url}/hook?organization_id={US_ORG}&event=${{event_type}}", SECRET)


def start_receiver(config: dict) -> tuple[uvicorn.Server, threading.Thread, WebhookReceiver, str]:
    """The receiver as `tap-zohobooks-webhooks serve` runs it (HTTPS when the config has a certificate)."""
    app = build_receiver(config)
    options = server_options({**config, "webhook_port": free_port()})
    server = uvicorn.Server(uvicorn.Config(app, **options, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "receiver did not start"
    scheme = "https" if "ssl_certfile" in options else "http"
    return server, thread, app, f"{scheme}://{options['host']}:{options['port']}"


@pytest.fixture
def sandbox_documents() -> int:
    """Webhook tests create the documents they deliver; a small seeded book keeps their polls quick."""
    return 40


@pytest.fixture
def receiver_config(tmp_path) -> dict:
    return {"webhook_spool_path": str(tmp_path / "spool.db"), "webhook_secret": SECRET,
            "webhook_previous_secret": OLD_SECRET, "webhook_max_body_bytes": 65536,
            "organization_ids": [US_ORG], "webhook_rate_limit_per_minute": 0}


@pytest.fixture
def make_receiver(receiver_config):
    """Start receivers with settings changed from receiver_config; all stopped after the test."""
    running = []

    def make(**changes) -> RunningReceiver:
        config = {**receiver_config, **changes}
        server, thread, app, url = start_receiver(config)
        running.append((server, thread))
        return RunningReceiver(url, app, config, Path(config["webhook_spool_path"]))

    yield make
    for server, thread in running:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def receiver(make_receiver):
    return make_receiver()
