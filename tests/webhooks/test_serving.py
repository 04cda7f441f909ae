"""The receiver fit for the internet: HTTPS of its own, no plain HTTP to the world, limits, probes."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
import sys

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tap_zohobooks.webhooks.serving import server_options
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import SECRET, US_ORG
from tests.webhooks.test_receiver import invoice

QUERY = f"?organization_id={US_ORG}&event=invoice.updated"


def self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files (the key 0600)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "receiver.crt", tmp_path / "receiver.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return str(cert_file), str(key_file)


def test_the_receiver_serves_https_itself_with_a_configured_certificate(make_receiver, tmp_path):
    cert, key = self_signed(tmp_path)
    receiver = make_receiver(webhook_tls_cert_file=cert, webhook_tls_key_file=key)
    assert receiver.url.startswith("https://")
    assert receiver.post(invoice("1"), QUERY, verify=cert).json()["status"] == "stored"
    with pytest.raises(requests.exceptions.SSLError):  # an untrusted certificate is not silently accepted
        receiver.post(invoice("2"), QUERY)
    with pytest.raises(requests.exceptions.ConnectionError):  # no plain HTTP on the HTTPS port
        requests.post(receiver.url.replace("https://", "http://") + "/webhooks/zoho" + QUERY, data=b"{}", timeout=5)
    assert [e.document_id for e in Spool(receiver.spool_path).after(0)] == ["1"]


def test_plain_http_on_a_public_address_needs_a_tls_proxy_in_front(tmp_path):
    env = {**os.environ, "TAP_ZOHOBOOKS_WEBHOOK_SPOOL_PATH": str(tmp_path / "spool.db"),
           "TAP_ZOHOBOOKS_WEBHOOK_SECRET": SECRET, "TAP_ZOHOBOOKS_WEBHOOK_ORGANIZATION_ID": US_ORG,
           "TAP_ZOHOBOOKS_WEBHOOK_HOST": "0.0.0.0"}
    serve = [os.path.join(os.path.dirname(sys.executable), "tap-zohobooks-webhooks"), "serve"]
    refused = subprocess.run(serve, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    last = refused.stderr.strip().splitlines()[-1]  # after the settings' own log lines, one line to fix
    assert last.startswith("error: webhook_host 0.0.0.0 is reachable from the network")
    assert "webhook_behind_tls_proxy" in last and "Traceback" not in refused.stderr
    assert server_options({"webhook_host": "0.0.0.0", "webhook_behind_tls_proxy": True})["host"] == "0.0.0.0"
    with pytest.raises(ValueError, match="set both"):
        server_options({"webhook_tls_cert_file": "/etc/hostname"})


def test_a_flood_from_one_address_is_refused_before_it_is_read(make_receiver):
    receiver = make_receiver(webhook_rate_limit_per_minute=5)
    statuses = [receiver.post(invoice(str(i)), QUERY).status_code for i in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert Spool(receiver.spool_path).count() == 5


def test_health_and_readiness_reveal_nothing_but_their_status(receiver):
    health, ready = requests.get(f"{receiver.url}/healthz", timeout=5), requests.get(f"{receiver.url}/readyz", timeout=5)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    receiver.app.spool._db.execute("PRAGMA query_only = ON")  # the spool stops taking writes
    not_ready = requests.get(f"{receiver.url}/readyz", timeout=5)
    assert (not_ready.status_code, not_ready.json()) == (503, {"status": "not ready"})
