"""A seeded, realistic small business: US and EU organizations over the past year.

Customers and vendors in several currencies; invoices with line items and tax, full and partial
payments, overdue and voided invoices, drafts; bills, purchase orders and vendor payments; some
documents edited later and some saved in the same second (as bulk actions in Zoho do).
The same seed and size always give the same documents (relative to the anchor time).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from .config import DATA_CENTERS
from .entities import money
from .store import Org, Store

# (org_id, name, dc, base currency, time zone, tax name, tax %, country, share of documents)
ORGANIZATIONS = [
    ("60001000001", "Northwind Supplies Inc.", "us", "USD", "America/Los_Angeles", "Sales Tax",
     "7.25", "U.S.A", Decimal("0.6")),
    ("60001000002", "Northwind Labs LLC", "us", "USD", "America/New_York", "Sales Tax", "8.875",
     "U.S.A", Decimal("0.1")),
    ("20001000001", "Nordlicht GmbH", "eu", "EUR", "Europe/Berlin", "VAT", "19", "Germany",
     Decimal("0.3")),
]
# One small, empty organization in every other data center, so routing can be exercised everywhere.
OTHER_DC = {"in": ("INR", "Asia/Kolkata"), "au": ("AUD", "Australia/Sydney"), "jp": ("JPY", "Asia/Tokyo"),
            "ca": ("CAD", "America/Toronto"), "cn": ("CNY", "Asia/Shanghai"), "sa": ("SAR", "Asia/Riyadh")}
RATES = {
    "USD": {"USD": "1", "EUR": "1.084500", "GBP": "1.271300", "CAD": "0.731200"},
    "EUR": {"EUR": "1", "USD": "0.922100", "GBP": "1.172400", "CHF": "1.043300"},
}
ITEMS = [("Consulting hour", "150.00"), ("Implementation package", "4800.00"), ("Support plan", "299.00"),
         ("Hardware kit", "1249.99"), ("Shipping", "35.50"), ("Training seat", "450.00"),
         ("Cable", "0.10"), ("Licence", "1999.00"), ("Sensor", "89.95"), ("Adapter", "12.40")]
FIRST = ["Bowman", "Zylker", "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark",
         "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Wonka", "Gringotts", "Oceanic"]
LAST = ["& Co", "Ltd", "GmbH", "Inc.", "Partners", "Trading", "Logistics", "Systems", "Foods", "Labs"]
CITIES = [("San Francisco", "94107", "U.S.A"), ("Berlin", "10115", "Germany"), ("London", "EC1A", "U.K"),
          ("Toronto", "M5H", "Canada"), ("Austin", "73301", "U.S.A"), ("Munich", "80331", "Germany")]


def _contacts(org: Org, rng: random.Random, count: int, kind: str) -> list[dict]:
    foreign = [c for c in org.exchange_rates if c != org.currency_code]
    contacts = []
    for i in range(count):
        city, zip_code, country = rng.choice(CITIES)
        currency = org.currency_code if not foreign or rng.random() < 0.75 else rng.choice(foreign)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} #{i + 1}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        contacts.append({"contact_id": org.new_id(), "contact_type": kind, "contact_name": name,
                         "contact_person_id": org.new_id(), "address_id": org.new_id(),
                         "email": f"accounts@{slug}.example.com",
                         "currency_code": currency, "payment_terms": rng.choice([15, 30, 30, 45]),
                         "street": f"{rng.randint(1, 999)} Market St", "city": city, "zip": zip_code,
                         "country": country})
    return contacts


def _lines(rng: random.Random) -> list[dict]:
    lines = []
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
        name, rate = rng.choice(ITEMS)
        quantity = Decimal(rng.randint(1, 20)) if rng.random() < 0.9 else Decimal("2.5")
        lines.append({"name": name, "rate": rate, "quantity": quantity})
    return lines


def _times(rng: random.Random, count: int, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Creation instants, ascending; about 5% share a second with the previous document."""
    span = int((end - start).total_seconds())
    times = sorted(start + dt.timedelta(seconds=rng.randrange(span)) for _ in range(count))
    for i in range(1, count):
        if rng.random() < 0.05:
            times[i] = times[i - 1]
    return times


def make_org(spec: tuple, today_rates: dict | None = None) -> Org:
    org_id, name, dc, currency, tz, tax_name, tax, country, _share = spec
    org = Org(org_id=org_id, name=name, dc=dc, currency_code=currency, time_zone=tz, tax_name=tax_name,
              tax_percent=Decimal(tax),
              exchange_rates={k: Decimal(v) for k, v in (today_rates or RATES).get(
                  currency, {currency: "1"}).items()},
              id_prefix=org_id[:2] + org_id[-3:])
    org.address = {"street": "1 Harbour Way", "city": "", "zip": "", "country": country}
    org.items = [{"item_id": org.new_id(), "name": n, "rate": r} for n, r in ITEMS]
    return org


def seed(store: Store, documents: int = 2000, seed: int = 7, now: dt.datetime | None = None) -> None:
    """Fill the store with about `documents` documents spread over the organizations."""
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    specs = list(ORGANIZATIONS)
    for dc in DATA_CENTERS:
        if dc in OTHER_DC:
            cur, tz = OTHER_DC[dc]
            specs.append((f"9{DATA_CENTERS.index(dc)}009000001", f"Demo {dc.upper()} Pte", dc, cur, tz,
                          "GST", "10", dc.upper(), Decimal("0")))
    for spec in specs:
        org = make_org(spec)
        store.orgs[org.org_id] = org
        _seed_org(store, org, random.Random(f"{seed}-{org.org_id}"), int(documents * spec[-1]), now)


def _seed_org(store: Store, org: Org, rng: random.Random, n: int, now: dt.datetime) -> None:
    org.customers = _contacts(org, rng, max(4, min(400, n // 25)), "customer")
    org.vendors = _contacts(org, rng, max(3, min(200, n // 40)), "vendor")
    if n == 0:
        return
    start = now - dt.timedelta(days=365)
    late = now - dt.timedelta(hours=1)
    for created in _times(rng, round(n * 0.36), start, late):
        _seed_invoice(store, org, rng, created, late)
    for created in _times(rng, round(n * 0.20), start, late):
        _seed_bill(store, org, rng, created, late)
    for created in _times(rng, round(n * 0.08), start, late):
        status = rng.choices(["open", "billed", "draft", "cancelled"], [5, 3, 1, 1])[0]
        vendor = rng.choice(org.vendors)
        store.create(org.org_id, "purchaseorders",
                     {"vendor_id": vendor["contact_id"], "status": status, "line_items": _lines(rng)},
                     at=created, notify=False)


def _seed_invoice(store: Store, org: Org, rng: random.Random, created: dt.datetime, late: dt.datetime) -> None:
    customer = rng.choice(org.customers)
    status = "draft" if rng.random() < 0.04 else "sent"
    inv = store.create(org.org_id, "invoices",
                       {"customer_id": customer["contact_id"], "status": status, "line_items": _lines(rng),
                        "cost_center": rng.choice(["", "", "Sales", "Services"])},
                       at=created, notify=False)
    if status == "draft":
        return
    roll = rng.random()
    paid_at = created + dt.timedelta(days=rng.randint(1, 70), seconds=rng.randint(0, 86399))
    if roll < 0.03:
        store.void(org.org_id, "invoices", inv["invoice_id"], at=min(paid_at, late))
    elif roll < 0.73 and paid_at < late:
        full = rng.random() < 0.75
        amount = inv["total"] if full else money(inv["total"] * Decimal(rng.randint(20, 80)) / 100)
        extra = Decimal("50.00") if rng.random() < 0.03 else Decimal("0")
        store.create(org.org_id, "customerpayments",
                     {"customer_id": customer["contact_id"], "amount": amount + extra,
                      "payment_mode": rng.choice(["Bank Transfer", "Check", "Credit Card", "Cash"]),
                      "applied": [{"invoice_id": inv["invoice_id"], "amount_applied": amount}]},
                     at=paid_at, notify=False)
    elif rng.random() < 0.1:
        store.update(org.org_id, "invoices", inv["invoice_id"], {"reference_number": "PO-7781"},
                     at=created + dt.timedelta(hours=3))


def _seed_bill(store: Store, org: Org, rng: random.Random, created: dt.datetime, late: dt.datetime) -> None:
    vendor = rng.choice(org.vendors)
    bill = store.create(org.org_id, "bills", {"vendor_id": vendor["contact_id"], "line_items": _lines(rng)},
                        at=created, notify=False)
    paid_at = created + dt.timedelta(days=rng.randint(5, 50), seconds=rng.randint(0, 86399))
    roll = rng.random()
    if roll < 0.02:
        store.void(org.org_id, "bills", bill["bill_id"], at=min(paid_at, late))
    elif roll < 0.62 and paid_at < late:
        amount = bill["total"] if rng.random() < 0.8 else money(bill["total"] / 2)
        store.create(org.org_id, "vendorpayments",
                     {"vendor_id": vendor["contact_id"], "amount": amount,
                      "applied": [{"bill_id": bill["bill_id"], "amount_applied": amount}]},
                     at=paid_at, notify=False)
