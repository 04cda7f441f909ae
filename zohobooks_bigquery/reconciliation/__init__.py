"""The reconciliation report: what Zoho Books lists now against what BigQuery's `_current` views show.

docs/reconciliation-report.md says how to use it. The modules, one concern each: `documents` (the five
entities and one document's compared facts), `zoho_side` (list pages through the tap's API client),
`bigquery_side` (the `_current` views through the target's client), `report` (one run over entities
and organizations), `compare` (per-document differences and per-currency sums), `render` (the table
and JSON), `settings` and `cli` (the command).
"""
