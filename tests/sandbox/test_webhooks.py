"""The sandbox's webhooks: signed default payloads, failures on demand, workflow logs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from local_services.zoho_sandbox.webhooks import sign
from tests.helpers import token

US_ORG = "60001000001"
SECRET = "abcdefghijkl1234"


@pytest.fixture
def receiver():
    """A plain HTTP server that records what it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


def register(sandbox, url: str, entity: str = "invoices") -> None:
    sandbox.hub.register(US_ORG, entity, url + "/hook?event=${event_type}", SECRET)


def test_changes_are_posted_signed_over_the_query_string_and_the_body(sandbox, receiver):
    url, received = receiver
    register(sandbox, url)
    doc = sandbox.store.create(US_ORG, "invoices", {})
    sandbox.store.update(US_ORG, "invoices", doc["invoice_id"], {"reference_number": "X"})
    sandbox.hub.wait_idle()
    assert [r["path"] for r in received] == ["/hook?event=invoice.created", "/hook?event=invoice.updated"]
    for delivery in received:  # the default, Zoho's finance-suite scheme: sorted `keyvalue` query pairs + body
        event = delivery["path"].split("event=")[1]
        expected = hmac.new(SECRET.encode(), f"event{event}".encode() + delivery["body"], hashlib.sha256).hexdigest()
        assert delivery["headers"]["X-Zoho-Webhook-Signature"] == expected
    payload = json.loads(received[1]["body"])
    assert payload["invoice"]["invoice_id"] == doc["invoice_id"]
    assert payload["invoice"]["reference_number"] == "X"


def test_signature_scheme_and_header_are_configurable(sandbox, receiver):
    url, received = receiver
    sandbox.config.webhook_signature_scheme = "hmac-sha256"
    sandbox.config.webhook_signature_header = "X-Custom-Signature"
    register(sandbox, url)
    sandbox.store.create(US_ORG, "invoices", {})
    sandbox.hub.wait_idle()
    delivery = received[0]
    expected = hmac.new(SECRET.encode(), delivery["body"], hashlib.sha256).hexdigest()
    assert delivery["headers"]["X-Custom-Signature"] == expected == sign("hmac-sha256", SECRET, delivery["body"], {}, 0)


def test_registration_through_the_books_api_checks_the_secret(sandbox, receiver):
    url, _ = receiver
    access, domain = token(sandbox)
    post = lambda secret: requests.post(  # noqa: E731
        f"{domain}/books/v3/settings/webhooks", params={"organization_id": US_ORG},
        headers={"Authorization": f"Zoho-oauthtoken {access}"},
        json={"entity": "bill", "url": url, "secret": secret, "webhook_name": "bills"}, timeout=10)
    assert post("short").status_code == 400
    assert post(SECRET).status_code == 201


def test_dropped_failed_and_skipped_deliveries_show_in_workflow_logs(sandbox, receiver):
    url, received = receiver
    register(sandbox, url)
    sandbox.hub.arm_fault("drop", 1)
    sandbox.hub.arm_fault("fail", 1)
    sandbox.hub.arm_fault("skip", 1)
    ids = [sandbox.store.create(US_ORG, "invoices", {})["invoice_id"] for _ in range(4)]
    sandbox.hub.wait_idle()
    assert [json.loads(r["body"])["invoice"]["invoice_id"] for r in received] == [ids[1], ids[3]]
    access, domain = token(sandbox)
    today = dt.date.today()
    logs = requests.get(f"{domain}/books/v3/settings/workflowlogs", headers={"Authorization": f"Zoho-oauthtoken {access}"},
                        params={"organization_id": US_ORG, "from_date": (today - dt.timedelta(days=1)).isoformat(),
                                "to_date": (today + dt.timedelta(days=1)).isoformat()}, timeout=10).json()["workflow_logs"]
    by_record = {log["record_id"]: log for log in logs}
    assert by_record[ids[0]]["status"] == "failure"  # dropped: never sent
    assert by_record[ids[1]]["status"] == "failure"  # sent, reply lost
    assert ids[2] not in by_record  # the rule never fired
    assert by_record[ids[3]]["status"] == "success"
    old = requests.get(f"{domain}/books/v3/settings/workflowlogs", headers={"Authorization": f"Zoho-oauthtoken {access}"},
                       params={"organization_id": US_ORG, "from_date": "2020-01-01", "to_date": "2020-01-02"},
                       timeout=10).json()["workflow_logs"]
    assert old == []
