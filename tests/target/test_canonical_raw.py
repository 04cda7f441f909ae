"""`_raw` that the tap writes in canonical form is stored and hashed as it arrives, and the row is the same
one the general path gives; a stream that breaks the promise is caught and its documents encoded again."""

from __future__ import annotations

import contextlib
import io
import logging
from decimal import Decimal

import simplejson
from singer_sdk import singerlib

from tap_zohobooks.singer_output import CanonicalRawWriter
from target_bigquery_audit.json_codec import canonical_json
from target_bigquery_audit.target import TargetBigQueryAudit
from tests.helpers import query, target_config
from tests.target.test_fast_path import AUDITED_SCHEMA, tap_record

MARKED_SCHEMA = {**AUDITED_SCHEMA, "properties": {
    **AUDITED_SCHEMA["properties"], "_raw": {"type": ["object", "null"], "x-canonical-json": True}}}
ODD = {"name": "Café ☕ 漢字 \u2028 \"quoted\" </script>", "rate": Decimal("150.0000"), "quantity": Decimal("0.25")}


def tap_line(message: singerlib.Message) -> bytes:
    """A line as tap-zohobooks writes it (the writer its Tap class uses)."""
    return (CanonicalRawWriter().serialize_message(message) + "\n").encode()


def sdk_line(message: singerlib.Message) -> bytes:
    """A line as any SDK tap writes it: `_raw` keys in document order, non-ASCII escaped."""
    return (simplejson.dumps(message.to_dict(), use_decimal=True, separators=(",", ":")) + "\n").encode()


def run(config: dict, lines: list[bytes]) -> None:
    """The target reading the lines as bytes, as it reads stdin."""
    target = TargetBigQueryAudit(config=config, parse_env_config=False)
    with contextlib.redirect_stdout(io.StringIO()):
        target.listen(io.BytesIO(b"".join(lines)))


def records(count: int) -> list[dict]:
    out = []
    for i in range(count):
        record = tap_record(f"inv-{i:03d}", line_items=[ODD, {**ODD, "rate": Decimal(f"{i}.10")}])
        record["_raw"] = {"zeta": i, **record["_raw"], "custom": {"b": [Decimal("1E+2"), 2**70], "a": None}}
        out.append(record)
    return out


def raw_rows(bq, table: str) -> dict[str, dict]:
    return {r["invoice_id"]: r for r in query(
        bq, f"SELECT invoice_id, _raw, _payload_sha256, TO_HEX(SHA256(_raw)) = _payload_sha256 AS verified "
            f"FROM `{table}`")}


def test_tap_written_raw_is_the_text_the_general_path_gives(bigquery_emulator, bq, dataset, tmp_path):
    docs = records(5)
    marked = [tap_line(singerlib.SchemaMessage("invoices", MARKED_SCHEMA, ["invoice_id"]))]
    marked += [tap_line(singerlib.RecordMessage(stream="invoices", record=r)) for r in docs]
    plain = [sdk_line(singerlib.SchemaMessage("invoices", AUDITED_SCHEMA, ["invoice_id"]))]
    plain += [sdk_line(singerlib.RecordMessage(stream="invoices", record=r)) for r in docs]
    run({**target_config(bigquery_emulator, dataset, tmp_path / "a"), "table_prefix": "marked_"}, marked)
    run({**target_config(bigquery_emulator, dataset, tmp_path / "b"), "table_prefix": "plain_"}, plain)

    fast, general = raw_rows(bq, f"{dataset}.marked_invoices"), raw_rows(bq, f"{dataset}.plain_invoices")
    assert len(fast) == 5 and fast == general
    for record in docs:
        row = fast[record["invoice_id"]]
        assert row["verified"] and row["_raw"] == canonical_json(record["_raw"])
        assert "Café ☕" in row["_raw"] and '"rate":150.0000' in row["_raw"] and "1E+2" in row["_raw"]


def test_a_stream_that_breaks_the_canonical_promise_is_encoded_again(bigquery_emulator, bq, dataset, tmp_path,
                                                                     caplog):
    docs = records(3)
    lines = [tap_line(singerlib.SchemaMessage("invoices", MARKED_SCHEMA, ["invoice_id"]))]
    lines += [sdk_line(singerlib.RecordMessage(stream="invoices", record=r)) for r in docs]  # not canonical
    with caplog.at_level(logging.WARNING):
        run(target_config(bigquery_emulator, dataset, tmp_path), lines)
    rows = raw_rows(bq, f"{dataset}.invoices")
    assert all(rows[r["invoice_id"]]["_raw"] == canonical_json(r["_raw"]) and rows[r["invoice_id"]]["verified"]
               for r in docs)
    assert "not in canonical form" in caplog.text


def test_between_checks_the_text_is_kept_exactly_as_it_arrived(bigquery_emulator, bq, dataset, tmp_path):
    """Only a sample is checked against the promise; a document between two checks is stored as sent, so
    its row still verifies: what is hashed is exactly what is kept."""
    first, second = records(2)
    odd_line = tap_line(singerlib.RecordMessage(stream="invoices", record=second)).replace(
        b'"_raw":{"custom"', b'"_raw":{"zz":1,"custom"')
    run(target_config(bigquery_emulator, dataset, tmp_path), [
        tap_line(singerlib.SchemaMessage("invoices", MARKED_SCHEMA, ["invoice_id"])),
        tap_line(singerlib.RecordMessage(stream="invoices", record=first)), odd_line])
    rows = raw_rows(bq, f"{dataset}.invoices")
    assert rows["inv-001"]["_raw"].startswith('{"zz":1,"custom"') and rows["inv-001"]["verified"]
    assert rows["inv-000"]["_raw"] == canonical_json(first["_raw"])


def test_records_off_the_fast_path_of_a_marked_stream_are_judged_as_before(bigquery_emulator, bq, dataset,
                                                                           tmp_path):
    bad_line = [{"name": "Consulting", "rate": "a lot", "quantity": Decimal("1")}]
    sent = [tap_record("ok"), tap_record("total-is-text", total="12.50"), tap_record("rate-is-text", line_items=bad_line),
            {**tap_record("unknown-field"), "surprise": 1}, {**tap_record("raw-is-text"), "_raw": "not an object"},
            {**tap_record("raw-is-null"), "_raw": None}]
    run(target_config(bigquery_emulator, dataset, tmp_path),
        [tap_line(singerlib.SchemaMessage("invoices", MARKED_SCHEMA, ["invoice_id"]))]
        + [tap_line(singerlib.RecordMessage(stream="invoices", record=r)) for r in sent])
    rows = raw_rows(bq, f"{dataset}.invoices")
    assert set(rows) == {"ok", "raw-is-null"} and all(r["verified"] for r in rows.values())
    dead = {r["id"]: r for r in query(bq, f"SELECT reason, JSON_VALUE(record, '$.invoice_id') AS id, "
                                          f"JSON_VALUE(record, '$._raw.invoice_id') AS raw_id FROM `{dataset}._dead_letter`")}
    assert set(dead) == {"total-is-text", "rate-is-text", "unknown-field", "raw-is-text"}
    assert all("does not match the stream schema" in r["reason"] for r in dead.values()), dead
    assert dead["rate-is-text"]["raw_id"] == "rate-is-text"  # the dead letter keeps `_raw` as the object it is
