"""Test controls over HTTP (no auth): settings, faults, documents, request and delivery logs.

Tests in the same process may use the ZohoSandbox object directly; the demo and other processes use
these routes. Every route answers JSON.
"""

from __future__ import annotations

from typing import Any

from .entities import ENTITIES
from .store import NotFound

ZohoSandbox = Any  # the running sandbox (server.py), which imports this module


def handle_admin(sb: ZohoSandbox, method: str, path: str, q: dict, body: dict[str, Any]) -> tuple[int, Any]:
    parts = path.strip("/").split("/")
    try:
        return _route(sb, method, parts, q, body)
    except NotFound as exc:
        return 404, {"error": f"no document {exc.args[0]}"}
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": str(exc).strip("'\"")}


def _route(sb: ZohoSandbox, method: str, parts: list[str], q: dict, body: dict) -> tuple[int, Any]:
    head = parts[0]
    if head == "config":
        if method == "POST":
            sb.config.update(body)
        return 200, sb.config.as_dict()
    if head == "requests":
        if method == "DELETE":
            sb.requests.clear()
            return 200, {"cleared": True}
        return 200, {"requests": sb.requests[int(q.get("since", 0)):]}
    if head == "faults":
        if method == "DELETE":
            sb.faults.clear()
        else:
            sb.faults.arm(body["kind"], body.get("count", 1), body.get("path_contains", ""), body.get("delay", 0))
        return 200, {"ok": True}
    if head == "oauth":
        if method == "POST" and parts[1:] == ["revoke"]:
            return 200, {"revoked": sb.oauth.revoke(body["refresh_token"])}
        return 200, {"mint_count": sb.oauth.mint_count}
    if head == "quota" and method == "POST":
        sb.limiter.set_used_today(body["organization_id"], int(body["used"]))
        return 200, {"ok": True}
    if head == "webhooks":
        if parts[1:] == ["faults"]:
            sb.hub.arm_fault(body["mode"], body.get("count", 1))
            return 200, {"ok": True}
        if parts[1:] == ["wait"]:
            sb.hub.wait_idle(float(body.get("timeout", 10)))
            return 200, {"ok": True}
        if parts[1:] == ["deliveries"]:
            return 200, {"deliveries": sb.hub.deliveries}
        hook = sb.hub.register(body["organization_id"], body["entity"], body["url"], body.get("secret", ""),
                               body.get("name", ""), body.get("actions"))
        return 201, {"webhook_id": hook.webhook_id}
    if head == "orgs":
        return _documents(sb, method, parts[1:], body)
    return 404, {"error": "unknown admin route"}


def _documents(sb: ZohoSandbox, method: str, parts: list[str], body: dict) -> tuple[int, Any]:
    """/_admin/orgs[/{org}/{entity}[/{id}[/void]]]: read everything, or change a document."""
    if not parts or parts == [""]:
        return 200, {"organizations": [{**o.summary(), "dc": o.dc,
                                        "counts": {e: len(d) for e, d in o.docs.items()}}
                                       for o in sb.store.orgs.values()]}
    org_id, entity = parts[0], parts[1]
    if org_id not in sb.store.orgs or entity not in ENTITIES:
        raise KeyError(f"unknown organization or entity: {org_id}/{entity}")
    if len(parts) == 2:
        if method == "POST":
            return 201, sb.store.create(org_id, entity, body)
        return 200, {"documents": [r.doc for r in sb.store.records(org_id, entity)]}
    doc_id = parts[2]
    if len(parts) == 4 and parts[3] == "void":
        return 200, sb.store.void(org_id, entity, doc_id)
    if method == "PATCH":
        return 200, sb.store.update(org_id, entity, doc_id, body)
    if method == "DELETE":
        return 200, sb.store.delete(org_id, entity, doc_id)
    return 200, sb.store.get(org_id, entity, doc_id).doc
