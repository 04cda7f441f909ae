"""Property-based fuzzing of the real receiver over HTTP: nothing unsigned or tampered is stored, no 5xx.

Each generated delivery is an invoice payload (ids, timestamps and text drawn from valid and junk
values), a query string, an encoding and a size, sent with a genuine signature, none, a wrong secret,
or a genuine signature over something else than what is sent (tampered body or query string).
"""

from __future__ import annotations

import collections
import time

import requests
import simplejson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_services.zoho_sandbox.webhooks import sign
from tap_zohobooks.webhooks.spool import Spool
from tests.webhooks.conftest import OLD_SECRET, SECRET, US_ORG

DELIVERIES = 1200
zoho_ids = st.from_regex(r"[0-9]{1,30}", fullmatch=True)
ids = st.one_of(zoho_ids, zoho_ids, zoho_ids, st.integers(0, 10**30), st.text(max_size=40),
                st.lists(st.integers(), max_size=3), st.booleans(), st.none(), st.just("9" * 5000))
stamps = st.one_of(st.just("2026-01-02T03:04:05-0800"), st.just("2026-01-02T03:04:05-0800"), st.datetimes().map(lambda d: d.isoformat() + "+0000"),
                   st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S-0800")), st.text(max_size=30),
                   st.integers())
texts = st.text(alphabet=st.characters(codec=None), max_size=60)  # any code point, surrogates included
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), texts),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(texts, inner, max_size=3)), max_leaves=12)
orgs = st.sampled_from([US_ORG, US_ORG, US_ORG, US_ORG, "60001000002", "6000100000x", ""])
events = st.sampled_from(["invoice.updated", "invoice.created", "invoice.deleted", "", "", "bill.updated", "x"])


@st.composite
def deliveries(draw) -> dict:
    doc = {"invoice_id": draw(ids), "last_modified_time": draw(stamps),
           "notes": draw(st.one_of(st.text(max_size=20), texts)), "extra": draw(st.one_of(st.none(), json_values)), "total": draw(st.decimals(allow_nan=False, allow_infinity=False, places=2))}
    payload = draw(st.sampled_from(["invoice", "bill", "bare"]))
    body_obj = doc if payload == "bare" else {payload: doc}
    text = simplejson.dumps(body_obj, use_decimal=True, ensure_ascii=draw(st.booleans()))
    shape = draw(st.sampled_from(["json", "json", "json", "nested", "huge", "bytes", "not-object"]))
    if shape == "nested":
        depth = draw(st.integers(30, 3000))
        text = '{"invoice": ' + "[" * depth + "]" * depth + "}"
    elif shape == "huge":
        text = text[:-1] + ', "pad": "' + "x" * 70000 + '"}'
    elif shape == "not-object":
        text = simplejson.dumps([body_obj], use_decimal=True)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
    body = draw(st.binary(max_size=200)) if shape == "bytes" else text.encode(encoding, "surrogatepass" if encoding != "latin-1" else "replace")
    query = {}
    if org := draw(orgs):
        query["organization_id"] = org
    if event := draw(events):
        query["event"] = event
    query.update(draw(st.one_of(st.just({}), st.dictionaries(st.sampled_from(["x", "token", "Event", "a"]), texts,
                                                               max_size=2))))
    signing = draw(st.sampled_from(["genuine", "genuine", "genuine", "previous", "none", "wrong", "garbage",
                                    "tampered-body", "tampered-query"]))
    return {"body": body, "query": query, "signing": signing,
            "content_type": draw(st.sampled_from(["application/json", "application/json", "text/plain",
                                                  "application/x-www-form-urlencoded"]))}


def send(session: requests.Session, url: str, delivery: dict) -> tuple[int, dict]:
    body, query, signing = delivery["body"], dict(delivery["query"]), delivery["signing"]
    headers = {"Content-Type": delivery["content_type"]}
    signed_body, signed_query = body, dict(query)
    if signing == "tampered-body":
        body = body + b" "
    elif signing == "tampered-query":
        query["organization_id"] = query.get("organization_id", "") + "1"
    secret = {"genuine": SECRET, "previous": OLD_SECRET, "wrong": "someoneElse0123456"}.get(signing, SECRET)
    if signing == "garbage":
        headers["X-Zoho-Webhook-Signature"] = "0" * 64
    elif signing != "none":
        pairs = {k: v.encode("utf-8", "replace").decode() for k, v in signed_query.items()}
        headers["X-Zoho-Webhook-Signature"] = sign("zoho-finance", secret, signed_body, pairs, 0)
    query = {k: v.encode("utf-8", "replace") for k, v in query.items()}
    response = session.post(f"{url}/webhooks/zoho", params=query, data=body, headers=headers, timeout=30)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    return response.status_code, answer


def test_fuzzed_deliveries_store_exactly_the_genuine_valid_ones(receiver, capsys):
    session = requests.Session()
    statuses: collections.Counter = collections.Counter()
    stored_ids: set[str] = set()
    accepted = 0
    started = time.monotonic()

    @settings(max_examples=DELIVERIES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(deliveries())
    def check(delivery):
        nonlocal accepted
        status, answer = send(session, receiver.url, delivery)
        statuses[status] += 1
        assert status < 500, (status, answer, delivery["signing"])
        genuine = delivery["signing"] in ("genuine", "previous")
        if not genuine:
            assert status != 200, f"a {delivery['signing']} delivery was accepted: {answer}"
        if status == 200:
            accepted += 1
            if answer["status"] == "stored":
                stored_ids.add(answer["event_id"])
        else:
            assert status in (400, 401, 403, 413, 422), (status, answer)
            assert answer.get("error")

    check()
    spool = Spool(receiver.spool_path)
    assert spool.count() == len(stored_ids) == receiver.app.accepted
    assert {e.event_id for e in spool.after(0, limit=10 * DELIVERIES)} == stored_ids
    assert receiver.app.accepted + receiver.app.duplicates == accepted
    sent = sum(statuses.values())
    assert sent >= 1000
    with capsys.disabled():
        refused = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()) if code != 200)
        print(f"\nfuzz: {sent} deliveries sent in {time.monotonic() - started:.1f} s, {accepted} accepted "
              f"({len(stored_ids)} stored, {accepted - len(stored_ids)} duplicates), refused by status: {refused}")
