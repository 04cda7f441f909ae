"""How the receiver is served: HTTPS when a certificate is configured, never plain HTTP to the world.

Plain HTTP is allowed on a loopback address (a reverse proxy on the same host terminates TLS), or on
any address when `webhook_behind_tls_proxy` says a TLS-terminating proxy is in front.
"""

from __future__ import annotations

import ipaddress
import os


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_options(config: dict) -> dict:
    """uvicorn's host, port and TLS options from the webhook_* settings; ValueError with one line to fix."""
    host = str(config.get("webhook_host") or "127.0.0.1")
    port = int(config.get("webhook_port") or 8787)
    cert, key = config.get("webhook_tls_cert_file"), config.get("webhook_tls_key_file")
    if bool(cert) != bool(key):
        raise ValueError("set both webhook_tls_cert_file and webhook_tls_key_file to serve HTTPS, or neither")
    if cert:
        for name, path in (("webhook_tls_cert_file", cert), ("webhook_tls_key_file", key)):
            if not os.path.isfile(path) or not os.access(path, os.R_OK):
                raise ValueError(f"{name} {path} is not a readable file")
        return {"host": host, "port": port, "ssl_certfile": cert, "ssl_keyfile": key}
    if not is_loopback(host) and not config.get("webhook_behind_tls_proxy"):
        raise ValueError(f"webhook_host {host} is reachable from the network but no TLS is configured: set "
                         "webhook_tls_cert_file and webhook_tls_key_file, or webhook_behind_tls_proxy: true "
                         "when a TLS-terminating proxy is in front")
    return {"host": host, "port": port}
