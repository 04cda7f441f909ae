"""Code shared by tap-zohobooks and target-bigquery-audit (the encrypted credential store)."""
