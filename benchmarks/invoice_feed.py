"""A realistic Singer feed of invoices for the target benchmarks: 1 to 25 line items each, exact money.

Amounts are Decimals built the way an accounting system builds them (rate × quantity rounded to the
currency's 2 decimals, tax per line, totals as exact sums), with rates of up to 4 decimals, exchange
rates of 6 decimals and some large-currency invoices (IDR) whose totals need 15 to 17 significant
digits, beyond what a FLOAT64 keeps exactly. `expected_money` returns the figures to compare with what
BigQuery gives back.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Iterator


from singer_sdk import singerlib

from tap_zohobooks.client import load_schema
from tap_zohobooks.singer_output import CanonicalRawWriter

CENT = Decimal("0.01")
WRITER = CanonicalRawWriter()  # lines exactly as the tap writes them (`_raw` in canonical form)
EXTRACTED = dt.datetime(2026, 1, 2, 3, 4, 7, tzinfo=dt.timezone.utc)
TAX_RATES = [Decimal("0"), Decimal("5"), Decimal("7.25"), Decimal("8.875"), Decimal("18")]
ITEMS = ["Consulting hour", "Annual licence", "Support retainer", "Hardware kit", "Travel (billable)"]


def invoices(count: int, seed: int = 1) -> Iterator[dict]:
    """`count` invoice records as the tap emits them (audit fields and `_raw` included)."""
    rng = random.Random(seed)
    for i in range(count):
        big = rng.random() < 0.1  # an IDR invoice: large amounts
        currency, exchange = ("IDR", Decimal(rng.randint(1, 99999)) / 10**9) if big else \
            ("USD", Decimal(rng.randint(900000, 1100000)) / 10**6)
        lines, sub_total, tax_total = [], Decimal(0), Decimal(0)
        for j in range(rng.randint(1, 25)):
            rate = Decimal(rng.randint(1, 10**9 if big else 5 * 10**6)) / (10 ** rng.choice((2, 4)))
            if big:
                rate = rate * 1000
            quantity = Decimal(rng.randint(1, 400)) / 4
            tax = rng.choice(TAX_RATES)
            item_total = (rate * quantity).quantize(CENT)
            sub_total += item_total
            tax_total += (item_total * tax / 100).quantize(CENT)
            lines.append({"line_item_id": f"{600010000000000 + i}{j:02d}", "item_id": f"6000100000{j:05d}",
                          "name": rng.choice(ITEMS), "description": f"Line {j + 1} of invoice {i}",
                          "item_order": j + 1, "rate": rate, "quantity": quantity, "unit": "h",
                          "discount": Decimal("0.00"), "tax_id": "600010000000311", "tax_name": f"Tax {tax}%",
                          "tax_percentage": tax, "item_total": item_total, "account_id": "600010000000388",
                          "account_name": "Sales",
                          "tags": [{"tag_id": "6000100000001", "tag_name": "Region", "tag_option_id": "7",
                                    "tag_option_name": "EMEA"}] if j % 3 == 0 else []})
        total = sub_total + tax_total
        paid = (total * Decimal(rng.choice((0, 0, 25, 100))) / 100).quantize(CENT)
        doc = {"invoice_id": f"{600010000000000 + i}", "invoice_number": f"INV-{i:06d}",
               "status": "paid" if paid == total else "sent", "customer_id": f"60001000000{i % 997:04d}",
               "customer_name": "Bowman & Co", "currency_code": currency, "exchange_rate": exchange,
               "date": "2026-01-02", "due_date": "2026-02-01", "payment_terms": 30,
               "payment_terms_label": "Net 30", "is_inclusive_tax": False, "price_precision": 2,
               "line_items": lines, "sub_total": sub_total, "tax_total": tax_total, "total": total,
               "balance": total - paid, "payment_made": paid, "notes": "Thank you for your business.",
               "created_time": "2026-01-02T03:04:05+00:00",
               "last_modified_time": f"2026-01-02T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}+00:00"}
        yield {**doc, "organization_id": "60001000001", "_source_event_id": f"e{i}", "_source": "poll",
               "_operation": "upsert", "_arrival_ts": "2026-01-02T03:04:06+00:00", "_raw": doc}


def money_of(record: dict) -> tuple:
    """The money figures of one invoice, as exact Decimals: (total, sub_total, exchange_rate, lines)."""
    return (record["total"], record["sub_total"], record["exchange_rate"],
            tuple((li["rate"], li["quantity"], li["item_total"]) for li in record["line_items"]))


def feed_lines(count: int, seed: int = 1, sums: dict | None = None) -> Iterator[str]:
    """The Singer lines of the feed (SCHEMA, `count` RECORDs, a STATE), adding the money into `sums`."""
    yield json.dumps({"type": "SCHEMA", "stream": "invoices", "schema": load_schema("invoices"),
                      "key_properties": ["organization_id", "invoice_id"],
                      "bookmark_properties": ["last_modified_time"]}) + "\n"
    for record in invoices(count, seed):
        if sums is not None:
            sums["total"] += record["total"]
            for line in record["line_items"]:
                sums["item_total"] += line["item_total"]
                sums["rate"] += line["rate"]
                sums["line_items"] += 1
        yield WRITER.serialize_message(singerlib.RecordMessage(stream="invoices", record=record,
                                                               time_extracted=EXTRACTED)) + "\n"
    yield json.dumps({"type": "STATE", "value": {"bookmarks": {"invoices": {"done": True}}}}) + "\n"


def write_feed(path: Path, count: int, seed: int = 1) -> dict:
    """Write SCHEMA, `count` RECORDs and a STATE to `path`; return the exact sums to check against."""
    sums = {"total": Decimal(0), "item_total": Decimal(0), "rate": Decimal(0), "line_items": 0}
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(feed_lines(count, seed, sums))
    return sums
