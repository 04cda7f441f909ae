"""The report's comparison rules on their own: currencies kept apart, a missing currency filled in,
a duplicate in `_current` named, money refused as float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zohobooks_bigquery.reconciliation.compare import DUPLICATE, compare
from zohobooks_bigquery.reconciliation.documents import Document, exact_amount


def doc(doc_id: str, amount: str, currency: str | None = "USD", voided: bool = False) -> Document:
    return Document(doc_id, Decimal(amount), currency, voided)


def test_sums_stay_per_currency_and_a_list_row_without_currency_takes_the_documents_own():
    zoho = {"1": doc("1", "10.10"), "2": doc("2", "5.00", "EUR"), "3": doc("3", "0.20", None)}
    bigquery = {"1": [doc("1", "10.1")], "2": [doc("2", "5", "EUR")], "3": [doc("3", "0.2", "EUR")]}
    result = compare("org", "invoices", zoho, bigquery, "USD")
    assert result.differences == []
    assert [(t.currency, t.zoho_count, t.zoho_sum, t.bigquery_sum, t.equal) for t in result.totals] == [
        ("EUR", 2, Decimal("5.20"), Decimal("5.2"), True), ("USD", 1, Decimal("10.10"), Decimal("10.1"), True)]


def test_a_document_shown_twice_in_current_is_a_difference_even_when_nothing_else_is():
    result = compare("org", "bills", {"7": doc("7", "1.00")}, {"7": [doc("7", "1.00"), doc("7", "1.00")]}, "USD")
    assert [(d.document_id, d.kind) for d in result.differences] == [("7", DUPLICATE)]
    assert [(t.zoho_count, t.bigquery_count, t.equal) for t in result.totals] == [(1, 2, False)]


def test_an_entity_empty_on_both_sides_still_has_its_line():
    assert [(t.currency, t.zoho_count, t.equal) for t in compare("org", "bills", {}, {}, "INR").totals] == [
        ("INR", 0, True)]


def test_money_as_float_is_refused_never_rounded():
    with pytest.raises(TypeError):
        exact_amount(0.1)
    assert exact_amount("") is None and exact_amount(Decimal("0.10")) == Decimal("0.10")
