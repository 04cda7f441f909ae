"""The sandbox's Books v3 API: lists, details, filters, limits and faults, over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest
import requests

from tests.helpers import token

US_ORG = "60001000001"


@pytest.fixture
def api(sandbox):
    access, domain = token(sandbox)
    session = requests.Session()
    session.headers["Authorization"] = f"Zoho-oauthtoken {access}"

    def get(path: str, **params):
        params.setdefault("organization_id", US_ORG)
        return session.get(f"{domain}/books/v3{path}", params=params, timeout=10)

    return get


def all_pages(api, path: str, key: str, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        body = api(path, page=page, **params).json()
        rows += body[key]
        if not body["page_context"]["has_more_page"]:
            return rows
        page += 1


def test_organization_id_is_required(api):
    response = api("/invoices", organization_id="")
    assert response.status_code == 400


def test_foreign_organization_is_refused(api):
    assert api("/invoices", organization_id="20001000001").json()["code"] == 6041


def test_pagination_covers_every_document_once(api, sandbox):
    expected = {r.doc_id for r in sandbox.store.records(US_ORG, "invoices")}
    rows = all_pages(api, "/invoices", "invoices", per_page=25)
    assert len(rows) == len(expected)
    assert {r["invoice_id"] for r in rows} == expected
    first = api("/invoices", per_page=25).json()["page_context"]
    assert first == {**first, "page": 1, "per_page": 25, "has_more_page": True}


def test_per_page_is_capped_at_200(api):
    assert api("/invoices", per_page=500).json()["page_context"]["per_page"] == 200


def test_list_rows_lack_line_items_detail_has_them(api):
    row = api("/invoices", per_page=1).json()["invoices"][0]
    assert "line_items" not in row and isinstance(row["invoice_id"], str) and row["invoice_id"].isdigit()
    detail = api(f"/invoices/{row['invoice_id']}").json()["invoice"]
    assert detail["line_items"] and "taxes" in detail
    assert detail["total"] == row["total"]


def test_money_is_a_json_number_with_exact_digits(api):
    raw = api("/invoices", per_page=200).text
    assert '"total": ' in raw and '"total": "' not in raw
    body = json.loads(raw, parse_float=Decimal)
    assert all(isinstance(r["total"], (int, Decimal)) for r in body["invoices"])


def test_timestamps_use_zoho_offset_format(api):
    row = api("/invoices", per_page=1).json()["invoices"][0]
    assert dt.datetime.strptime(row["last_modified_time"], "%Y-%m-%dT%H:%M:%S%z").utcoffset() in (
        dt.timedelta(hours=-8), dt.timedelta(hours=-7))


def test_last_modified_time_filter_is_strictly_greater_as_instants(api, sandbox):
    rows = sorted(sandbox.store.records(US_ORG, "invoices"), key=lambda r: r.last_modified)
    pivot = rows[len(rows) // 2].last_modified
    expected = {r.doc_id for r in rows if r.last_modified > pivot}
    # The same instant written in UTC and in India's offset must filter the same way.
    for text in (pivot.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                 pivot.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).strftime("%Y-%m-%dT%H:%M:%S%z")):
        got = all_pages(api, "/invoices", "invoices", last_modified_time=text)
        assert {r["invoice_id"] for r in got} == expected


def test_sort_by_last_modified_time_ascending(api):
    rows = api("/invoices", sort_column="last_modified_time", sort_order="A").json()["invoices"]
    instants = [dt.datetime.strptime(r["last_modified_time"], "%Y-%m-%dT%H:%M:%S%z") for r in rows]
    assert instants == sorted(instants)
    assert api("/invoices", sort_column="nonsense").status_code == 400


def test_unknown_document_is_code_1002(api):
    response = api("/invoices/999")
    assert (response.status_code, response.json()["code"]) == (404, 1002)


def test_empty_values_are_blank_strings(api):
    row = api("/invoices", per_page=1).json()["invoices"][0]
    assert row["reference_number"] in ("", " ") or row["reference_number"].startswith("PO")
    assert row["payment_expected_date"] == " "


def test_per_minute_limit_is_429_code_44(api, sandbox):
    sandbox.config.requests_per_window = 3
    codes = [api("/invoices", per_page=1).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert api("/invoices").json()["code"] == 44


def test_daily_quota_is_429_code_45(api, sandbox):
    sandbox.config.daily_quota = 2
    assert api("/bills").status_code == 200
    assert api("/bills").headers["X-Rate-Limit-Remaining"] == "0"
    refused = api("/bills")
    assert refused.status_code == 429 and refused.json()["code"] == 45
    assert "maximum call rate limit of 2" in refused.json()["message"]


def test_concurrency_limit_is_429_code_1070(api, sandbox):
    sandbox.config.concurrency_limit = 1
    sandbox.faults.arm("slow", count=1, delay=0.5)
    results = []
    first = threading.Thread(target=lambda: results.append(api("/invoices").status_code))
    first.start()
    threading.Event().wait(0.15)
    second = api("/invoices")
    first.join()
    assert results == [200]
    assert second.status_code == 429 and second.json()["code"] == 1070


@pytest.mark.parametrize("kind, status", [("blank_200", 200), ("non_json_200", 200), ("http_500", 500),
                                          ("http_503", 503)])
def test_faults_answer_as_armed_then_recover(api, sandbox, kind, status):
    sandbox.faults.arm(kind, count=1, path_contains="/bills")
    faulty = api("/bills")
    assert faulty.status_code == status
    if kind == "blank_200":
        assert faulty.content == b""
    assert api("/bills").json()["code"] == 0


def test_duplicated_rows_across_pages(api, sandbox):
    sandbox.config.duplicate_rows_across_pages = True
    page1 = api("/bills", per_page=10, page=1).json()["bills"]
    page2 = api("/bills", per_page=10, page=2).json()["bills"]
    assert page1[-1]["bill_id"] == page2[0]["bill_id"]


def test_every_request_is_recorded_with_its_query(api, sandbox):
    before = len(sandbox.api_calls())
    api("/invoices", per_page=7, sort_column="date")
    call = sandbox.api_calls(since=before)[-1]
    assert call["path"] == "/books/v3/invoices"
    assert call["query"]["per_page"] == "7" and call["org_id"] == US_ORG


def test_edit_void_delete_through_the_admin_api(api, sandbox):
    base = f"{sandbox.base_url}/_admin/orgs/{US_ORG}/invoices"
    row = api("/invoices", per_page=1, sort_column="last_modified_time", sort_order="D").json()["invoices"][0]
    created = requests.post(base, json={"line_items": [{"name": "Cable", "rate": "0.10", "quantity": 3}]},
                            timeout=10).json()
    assert Decimal(str(created["sub_total"])) == Decimal("0.30")
    edited = requests.patch(f"{base}/{created['invoice_id']}", json={"reference_number": "R-1"}, timeout=10).json()
    assert edited["reference_number"] == "R-1"
    voided = requests.post(f"{base}/{created['invoice_id']}/void", timeout=10).json()
    assert voided["status"] == "void"
    newest = api("/invoices", last_modified_time=row["last_modified_time"]).json()["invoices"]
    assert created["invoice_id"] in {r["invoice_id"] for r in newest}
    requests.delete(f"{base}/{created['invoice_id']}", timeout=10)
    assert api(f"/invoices/{created['invoice_id']}").status_code == 404


def test_zoho_write_endpoints(api, sandbox):
    access, domain = token(sandbox)
    headers = {"Authorization": f"Zoho-oauthtoken {access}"}
    url = f"{domain}/books/v3/bills"
    created = requests.post(url, params={"organization_id": US_ORG}, headers=headers,
                            json={"line_items": [{"name": "Adapter", "rate": "12.40", "quantity": 2}]}, timeout=10)
    assert created.status_code == 201
    bill_id = created.json()["bill"]["bill_id"]
    voided = requests.post(f"{url}/{bill_id}/status/void", params={"organization_id": US_ORG}, headers=headers,
                           timeout=10)
    assert voided.json()["message"] == "Bill status has been changed to Void."
    assert api(f"/bills/{bill_id}").json()["bill"]["status"] == "void"
