"""Every SQL query and shell command in README.md and docs/*.md runs, so the docs cannot drift
(convention in tests/docs/doc_blocks.py and README, Contributing).

SQL runs against the demo's data (`zoho_books`, both data centers, after the demo's changes) through the
real BigQuery client; shell blocks run with bash from a copy of the repository, in the demo's Meltano
environment. Blocks marked `<!-- not-run: reason -->` are skipped with their reason."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.docs.doc_blocks import SHELL_LANGUAGES, SQL_LANGUAGES, Block, runnable, shell_script, sql_statements
from tests.helpers import query

SQL_BLOCKS = runnable(SQL_LANGUAGES)
SHELL_BLOCKS = runnable(SHELL_LANGUAGES)


def skip_marked(block: Block) -> None:
    if block.skip:
        print(f"not run: {block.id}: {block.skip}")
        pytest.skip(f"{block.id}: {block.skip}")


@pytest.mark.parametrize("block", SQL_BLOCKS, ids=[b.id for b in SQL_BLOCKS])
def test_sql_block_runs_on_the_demo_data(block, demo, bigquery_emulator):
    skip_marked(block)
    client = bigquery_emulator.client()
    for statement in sql_statements(block.text):
        if re.search(r"\bfinance_\w+", statement):  # finance answers are per organization, by name
            assert "organization_id" in statement and "organization_name" in statement, statement
            if re.search(r"\bGROUP\s+BY\b", statement, re.I):
                grouped = re.split(r"\bGROUP\s+BY\b", statement, flags=re.I)[1]
                assert "organization_id" in grouped, statement
        try:
            rows = query(client, statement)
        except Exception as exc:  # the message names the doc, the line and the statement
            pytest.fail(f"{block.id}: {type(exc).__name__}: {exc}\n{statement}")
        print(f"{block.id}: {len(rows)} rows")


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[b.id for b in SHELL_BLOCKS])
def test_shell_block_runs(block, demo, workspace):
    skip_marked(block)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", shell_script(block)], cwd=workspace, env=demo,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{block.id} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


def test_the_docs_have_blocks_to_run():
    assert SQL_BLOCKS and SHELL_BLOCKS  # the parser still finds them
