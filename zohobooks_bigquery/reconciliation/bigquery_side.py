"""What BigQuery shows: the rows of `<table>_current` for the organizations compared.

The client comes from the target's own code (`target_bigquery_audit.credentials.build_client`), so the
`emulator` setting, service-account keys, the credential store and application default credentials work
exactly as they do for loading. Amounts arrive as Decimal (NUMERIC / BIGNUMERIC); nothing is summed in SQL.
"""

from __future__ import annotations

from collections import defaultdict

from google.api_core import exceptions as gexc
from google.cloud import bigquery

from target_bigquery_audit.bq_types import column_name

from .documents import Document, Entity, exact_amount, is_voided
from .settings import ReportSettingsError


def check_dataset(client: bigquery.Client, dataset: str) -> None:
    try:
        client.get_dataset(f"{client.project}.{dataset}")
    except gexc.NotFound:
        raise ReportSettingsError(f"BigQuery dataset {client.project}.{dataset} does not exist: check the dataset "
                                  "setting (the target's dataset, where the sync writes)") from None


def current_documents(client: bigquery.Client, dataset: str, table_prefix: str, entity: Entity,
                      org_ids: list[str]) -> dict[str, dict[str, list[Document]]] | None:
    """{organization: {document id: [rows]}} (two rows for one id is a duplicate the report names);
    None when the view does not exist (the entity was never synced)."""
    view = f"{client.project}.{dataset}.{column_name(table_prefix + entity.table)}_current"
    sql = (f"SELECT organization_id, CAST(`{entity.id_field}` AS STRING) AS doc_id, `{entity.amount_field}` AS amount, "
           f"currency_code, status, last_modified_time "
           f"FROM `{view}` WHERE organization_id IN UNNEST(@orgs)")
    try:
        client.get_table(view)
    except gexc.NotFound:
        return None
    config = bigquery.QueryJobConfig(query_parameters=[bigquery.ArrayQueryParameter("orgs", "STRING", org_ids)])
    rows = client.query(sql, job_config=config).result()
    found: dict[str, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        found[row["organization_id"]][row["doc_id"]].append(Document(
            row["doc_id"], exact_amount(row["amount"]), row["currency_code"] or None, is_voided(row["status"]),
            _text(row["last_modified_time"])))
    return found


def _text(instant) -> str | None:
    return instant.isoformat() if hasattr(instant, "isoformat") else instant
