"""The receiver over real HTTP: verified deliveries stored once, bad input refused, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from local_services.bigquery_emulator import free_port
from tap_zohobooks.events import event_id
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import OLD_SECRET, SECRET, US_ORG, RunningReceiver, hook_up


def invoice(doc_id: str, lmt: str = "2026-01-02T03:04:05-0800", **extra) -> dict:
    return {"invoice": {"invoice_id": doc_id, "invoice_number": f"INV-{doc_id}", "total": 10.10, "balance": 10.10,
                        "created_time": "2026-01-01T00:00:00-0800", "last_modified_time": lmt, **extra}}


def test_a_signed_delivery_is_stored_once(receiver):
    first = receiver.post(invoice("1"), f"?organization_id={US_ORG}&event=invoice.updated")
    again = receiver.post(invoice("1"), f"?organization_id={US_ORG}&event=invoice.updated")
    assert (first.status_code, first.json()["status"]) == (200, "stored")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    spool = Spool(receiver.spool_path)
    assert spool.count() == 1
    stored = spool.after(0)[0]
    assert stored.event_id == event_id(US_ORG, "invoice", "1", "2026-01-02T11:04:05+00:00", "upsert")
    assert (stored.entity, stored.event_type, stored.operation) == ("invoice", "invoice.updated", "upsert")
    assert str(stored.payload["total"]) == "10.1"  # JSON number kept as Decimal


def test_deliveries_from_the_sandbox_are_verified_and_spooled(receiver, sandbox):
    hook_up(sandbox, receiver.url)
    created = sandbox.store.create(US_ORG, "invoices", {})
    sandbox.store.update(US_ORG, "invoices", created["invoice_id"], {"reference_number": "R-9"})
    sandbox.hub.wait_idle()
    assert [d["status"] for d in sandbox.hub.deliveries] == [200, 200]
    events = Spool(receiver.spool_path).after(0)
    assert [e.event_type for e in events] == ["invoice.created", "invoice.updated"]
    assert events[1].payload["reference_number"] == "R-9"


@pytest.mark.parametrize("case, status", [
    ("no signature", 401), ("wrong signature", 401), ("malformed json", 400), ("too large", 413),
    ("unknown entity", 422), ("event of another entity", 422), ("no organization", 422)])
def test_bad_input_is_refused_and_not_stored(receiver, case, status):
    query = f"?organization_id={US_ORG}"
    response = {
        "no signature": lambda: receiver.post(invoice("1"), query, secret=None),
        "wrong signature": lambda: receiver.post(invoice("1"), query, secret="not-the-secret-123"),
        "malformed json": lambda: receiver.post(b'{"invoice": ', query),
        "too large": lambda: receiver.post(invoice("1", notes="x" * 70000), query),
        "unknown entity": lambda: receiver.post({"salesorder": {"salesorder_id": "1"}}, query),
        "event of another entity": lambda: receiver.post(invoice("1"), query + "&event=bill.updated"),
        "no organization": lambda: receiver.post(invoice("1")),
    }[case]()
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert Spool(receiver.spool_path).count() == 0


def test_the_previous_secret_is_accepted_during_rotation(receiver):
    assert receiver.post(invoice("1"), f"?organization_id={US_ORG}", secret=OLD_SECRET).status_code == 200
    assert receiver.post(invoice("2"), f"?organization_id={US_ORG}", secret="someone-elses-secret").status_code == 401


def test_a_burst_of_concurrent_deliveries_with_duplicates_is_stored_exactly_once(receiver):
    deliveries = [invoice(str(i % 600), lmt=f"2026-01-02T03:{(i % 600) // 60:02d}:{(i % 600) % 60:02d}-0800")
                  for i in range(1000)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(lambda d: receiver.post(d, f"?organization_id={US_ORG}").status_code, deliveries))
    assert statuses == [200] * 1000
    spool = Spool(receiver.spool_path)
    events = spool.after(0, limit=5000)
    assert spool.count() == 600
    assert len({e.event_id for e in events}) == 600
    assert receiver.app.accepted == 600 and receiver.app.duplicates == 400


def test_killing_the_receiver_after_it_replied_loses_nothing(tmp_path):
    port = free_port()
    env = {**os.environ, "TAP_ZOHOBOOKS_WEBHOOK_SPOOL_PATH": str(tmp_path / "spool.db"),
           "TAP_ZOHOBOOKS_WEBHOOK_SECRET": SECRET, "TAP_ZOHOBOOKS_WEBHOOK_PORT": str(port),
           "TAP_ZOHOBOOKS_WEBHOOK_ORGANIZATION_ID": US_ORG}
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "tap-zohobooks-webhooks"), "serve"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        client = RunningReceiver(url, None, {}, tmp_path / "spool.db")
        acknowledged = [client.post(invoice(str(i)), f"?organization_id={US_ORG}").json()["event_id"]
                        for i in range(50)]
        os.killpg(proc.pid, signal.SIGKILL)  # no graceful shutdown: the power goes out
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    spool = Spool(tmp_path / "spool.db")
    assert {e.event_id for e in spool.after(0, limit=100)} == set(acknowledged)


def test_two_saves_in_one_second_are_two_events(receiver):
    """Zoho stamps versions to the second: same last_modified_time, different content, both kept."""
    query = f"?organization_id={US_ORG}&event=invoice.updated"
    assert receiver.post(invoice("7", reference_number="A"), query).json()["status"] == "stored"
    assert receiver.post(invoice("7", reference_number="B"), query).json()["status"] == "stored"
    assert receiver.post(invoice("7", reference_number="B"), query).json()["status"] == "duplicate"
    spool = Spool(receiver.spool_path)
    events = spool.after(0)
    assert [e.payload["reference_number"] for e in events] == ["A", "B"]
    assert len({e.event_id for e in events}) == 2
    latest = spool.latest_version(US_ORG, "invoice", "7", events[0].last_modified_time)
    assert latest.payload["reference_number"] == "B"
