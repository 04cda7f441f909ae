"""One reconciliation: for each entity and organization, Zoho's listing against `_current`, compared.

BigQuery is read once per entity (every organization compared in one query); Zoho is listed per
organization and entity. Ids that `_current` shows and the listing did not are asked once by detail
call (zoho_side.confirm_absent): a listing skipped by offset paging is not reported as a difference.
"""

from __future__ import annotations

from functools import cached_property

from google.cloud import bigquery

from tap_zohobooks.events import parse_instant
from tap_zohobooks.tap import TapZohoBooks

from .bigquery_side import current_documents
from .compare import Comparison, compare
from .documents import Entity
from .zoho_side import MAX_CONFIRMATIONS, confirm_absent, listed_documents


class Reconciliation:
    def __init__(self, tap: TapZohoBooks, client: bigquery.Client, dataset: str, table_prefix: str) -> None:
        self.tap, self.client, self.dataset, self.table_prefix = tap, client, dataset, table_prefix
        self.left_out = 0  # documents last modified before start_date: not synced, not compared

    @cached_property
    def org_ids(self) -> list[str]:
        return self.tap.organization_ids

    @cached_property
    def base_currencies(self) -> dict[str, str]:
        return {str(o["organization_id"]): o.get("currency_code") or "" for o in self.tap.api.organizations()}

    def run(self, entities: list[Entity]) -> Comparison:
        config = self.tap.config
        since = parse_instant(config["start_date"]) if config.get("start_date") else None
        page_size = int(config.get("page_size", 200))
        result = Comparison()
        for entity in entities:
            in_bigquery = current_documents(self.client, self.dataset, self.table_prefix, entity, self.org_ids) or {}
            for org_id in self.org_ids:
                listed, before_start = listed_documents(self.tap.api, org_id, entity, page_size, since)
                self.left_out += len(before_start)
                shown = {i: rows for i, rows in in_bigquery.get(org_id, {}).items() if i not in before_start}
                absent = sorted(set(shown) - set(listed), key=lambda i: (len(i), i))
                confirmed = confirm_absent(self.tap.api, org_id, entity, absent)
                listed.update({i: doc for i, doc in confirmed.items() if doc is not None})  # the walk skipped them
                part = compare(org_id, entity.table, listed, shown, self.base_currencies.get(org_id, ""),
                               unconfirmed=set(absent[MAX_CONFIRMATIONS:]))
                result.totals += part.totals
                result.differences += part.differences
        order = {org: i for i, org in enumerate(self.org_ids)}
        result.totals.sort(key=lambda t: order[t.organization_id])  # stable: entities keep their order
        result.differences.sort(key=lambda d: order[d.organization_id])
        return result
