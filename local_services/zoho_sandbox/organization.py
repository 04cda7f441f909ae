"""A sandbox organization and its documents: ids, numbering, contacts, currencies and time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from .entities import ENTITIES


@dataclass
class Record:
    doc: dict
    last_modified: dt.datetime
    created: dt.datetime
    doc_id: str


@dataclass
class Org:
    org_id: str
    name: str
    dc: str
    currency_code: str
    time_zone: str
    tax_name: str
    tax_percent: Decimal
    exchange_rates: dict[str, Decimal]
    id_prefix: str
    customers: list[dict] = field(default_factory=list)
    vendors: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    address: dict = field(default_factory=dict)
    docs: dict[str, dict[str, Record]] = field(default_factory=lambda: {p: {} for p in ENTITIES})
    _ids: int = 0
    _numbers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.time_zone)
        self.currency_ids = {c: f"{self.id_prefix}00000{i:04d}" for i, c in enumerate(self.exchange_rates)}
        self.tax_id = self.new_id()
        self.bank_account_id = self.new_id()
        self.expense_account_id = self.new_id()

    def new_id(self) -> str:
        self._ids += 1
        return f"{self.id_prefix}{self._ids:010d}"

    def next_number(self, entity: str, prefix: str) -> str:
        self._numbers[entity] = self._numbers.get(entity, 0) + 1
        return f"{prefix}{self._numbers[entity]:05d}"

    def contact(self, contact_id: str | None, kind: str) -> dict:
        contacts = self.customers if kind == "customer" else self.vendors
        if contact_id is None:
            return contacts[(self._ids * 7919) % len(contacts)]
        for c in contacts:
            if c["contact_id"] == contact_id:
                return c
        raise KeyError(f"{kind} {contact_id} does not exist in organization {self.org_id}")

    def summary(self) -> dict:
        return {"organization_id": self.org_id, "name": self.name, "currency_code": self.currency_code,
                "currency_id": self.currency_ids[self.currency_code], "time_zone": self.time_zone,
                "is_default_org": False, "country": self.address.get("country", ""),
                "account_created_date": "2020-01-01", "version": "global", "plan_name": "PREMIUM"}
