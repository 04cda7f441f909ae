"""The generated converters (target_bigquery_audit/converters.py) behave exactly like the closures they
replaced, kept below as `reference`: over thousands of generated schemas and values (nested and
repeated records, NUMERIC and BIGNUMERIC at their limits, exponents, -0, bools in integer columns,
ints and strings in NUMERIC, timestamps with and without a zone, dates, odd keys, nulls, wrong types)
they give the same values with the same types and key order, count the same fallbacks (which decide
whether a record still needs schema validation) and raise the same exceptions with the same messages."""

from __future__ import annotations

import datetime as dt
import random
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Callable

import pytest

from target_bigquery_audit import converters
from target_bigquery_audit.bq_types import (FALLBACKS, INT64_MAX, INT64_MIN, NUMERIC_LIMITS, Column, ValueRejected,
                                            _column_key, _date_text, _fallback, _timestamp_text)


def reference(column: Column) -> Callable[[Any], Any]:
    """The closures the target used before the generated converters (verbatim but for the children's
    converters, built here recursively)."""
    kind = column.type
    if kind == "RECORD":
        converters_ = {c.name: reference(c) for c in column.children}
        plain_strings = frozenset(c.name for c in column.children if c.type == "STRING" and not c.repeated)

        def scalar(value: Any) -> Any:
            if type(value) is not dict:
                return _fallback(value, column)
            out = {}
            for key, item in value.items():
                if item is None:
                    continue
                if type(item) is str and key in plain_strings:
                    out[key] = item
                    continue
                convert = converters_.get(key)
                if convert is None:
                    key = _column_key(key)
                    convert = converters_.get(key)
                    if convert is None:
                        continue
                out[key] = convert(item)
            return out
    elif kind in NUMERIC_LIMITS:
        int_digits, scale = NUMERIC_LIMITS[kind]
        limit = 10 ** int_digits

        def scalar(value: Any) -> Any:
            if type(value) is Decimal:
                if value.is_finite():
                    text = str(value)
                    if "E" not in text:
                        if len(text) <= 10:
                            return text
                        whole, _, fraction = text.partition(".")
                        if len(fraction) <= scale and len(whole) <= int_digits:
                            return text
            elif type(value) is int and -limit < value < limit:
                return str(value)
            return _fallback(value, column)
    elif kind == "STRING":
        def scalar(value: Any) -> Any:
            return value if type(value) is str else _fallback(value, column)
    elif kind == "INT64":
        def scalar(value: Any) -> Any:
            return value if type(value) is int and INT64_MIN <= value <= INT64_MAX else _fallback(value, column)
    elif kind == "BOOL":
        def scalar(value: Any) -> Any:
            return value if type(value) is bool else _fallback(value, column)
    elif kind == "TIMESTAMP":
        def scalar(value: Any) -> Any:
            return _timestamp_text(value) if type(value) is str else _fallback(value, column)
    elif kind == "DATE":
        def scalar(value: Any) -> Any:
            return _date_text(value) if type(value) is str else _fallback(value, column)
    else:
        def scalar(value: Any) -> Any:
            return _fallback(value, column)

    if not column.repeated:
        return scalar

    def repeated(value: Any) -> Any:
        if value is None:
            return []
        if type(value) is not list:
            raise ValueRejected("not a list")
        out = [scalar(item) for item in value]
        if None in out:
            raise ValueRejected("null element")
        return out
    return repeated


# --- generated schemas and values ---------------------------------------------------------------------
NINES = "9" * 29
DECIMALS = ["0", "-0", "-0.00", "0E-10", "1E+3", "1e-9", "-1E-9", "0.000000001", "0.0000000001", "1.50000000000",
            "123456789.5", "1234567890", "12345678901", "-123456789", "-1234567890.5", NINES, "-" + NINES,
            f"{NINES}.999999999", f"-{NINES}.999999999", f"{NINES}.9999999999", "1" + NINES, f"{NINES}.0",
            "9" * 38, "-" + "9" * 38, "9" * 39, "0." + "1" * 38, "0." + "1" * 39, f"{'9' * 38}.{'9' * 38}",
            "1.0E+28", "1E+29", "1E+38", "12.3400", "NaN", "-NaN", "sNaN", "NaN12", "Infinity", "-Infinity", "0.1",
            "98.9174", "9644.45", "-5E-324"]
INTS = [0, -1, 7, 10**9, 10**29 - 1, 10**29, -(10**29) + 1, -(10**29), 10**38 - 1, 10**38, -(10**38),
        INT64_MAX, INT64_MAX + 1, INT64_MIN, INT64_MIN - 1]
TEXTS = ["", "x", "12.50", "1e5", " 1", "abc", "2026-01-02", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05+02:00",
         "2026-01-02 03:04:05", "2026-01-02T03:04:05", "2026-01-02T03:04:05.123456-05:30", " 2026-01-02T03:04:05Z ",
         "2026-13-01", "2026-02-30T00:00:00", "20260102", "12:00:00", "true", "NaN", "-0", "null"]
OTHERS = [None, True, False, 1.5, 0.1, float("nan"), float("inf"), -0.0, [], {}, [1, None], {"a": 1},
          dt.datetime(2026, 1, 2, 3, 4, 5), dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
          dt.date(2026, 1, 2), dt.time(12, 30), b"bytes", (1, 2)]
OTHERS += [type("Text", (str,), {})("2026-01-02T03:04:05Z"), type("Number", (Decimal,), {})("1.5"),
           type("Whole", (int,), {})(3), OrderedDict(a="x")]  # subclasses take the exact path
KINDS = ["STRING", "NUMERIC", "BIGNUMERIC", "INT64", "BOOL", "TIMESTAMP", "DATE", "TIME", "JSON", "FLOAT64", "RECORD"]
NAMES = ["a", "first_name", "x_y", "total", "B", "b", "_raw", "line_items", "quote'name", "new\nline", "é"]


def random_column(rng: random.Random, name: str, depth: int) -> Column:
    kind = rng.choice(KINDS if depth < 3 else KINDS[:-1])
    if kind != "RECORD":
        return Column(name, kind, rng.random() < 0.25)
    names = rng.sample(NAMES, rng.randint(1, 6))
    if rng.random() < 0.05:
        names.append(names[0])  # a duplicated name (BigQuery refuses them; the converters still agree)
    return Column(name, kind, rng.random() < 0.4, tuple(random_column(rng, n, depth + 1) for n in names))


def random_scalar(rng: random.Random, column: Column) -> Any:
    pick = rng.random()
    if pick < 0.15:
        return rng.choice(OTHERS + INTS + TEXTS)
    if pick < 0.3:
        return Decimal(rng.choice(DECIMALS))
    kind = column.type
    if kind in NUMERIC_LIMITS:
        return rng.choice([Decimal(rng.choice(DECIMALS)), Decimal(rng.choice(DECIMALS)), rng.choice(INTS),
                           rng.choice(TEXTS), True, 1.5])
    if kind == "INT64":
        return rng.choice(INTS + [True, False])
    if kind == "BOOL":
        return rng.choice([True, False, 0, 1, "true"])
    if kind in ("TIMESTAMP", "DATE", "TIME"):
        return rng.choice(TEXTS + OTHERS[-6:])
    if kind == "RECORD":
        return random_object(rng, column)
    return rng.choice(TEXTS + OTHERS)


def random_object(rng: random.Random, column: Column) -> dict:
    keys = [c.name for c in column.children if rng.random() < 0.8]
    keys += [k.replace("_", "-") for k in keys if "_" in k and rng.random() < 0.3]  # 'first-name' → first_name
    keys += rng.sample(["zzz", "first-name", "x y", "1abc", "B"], rng.randint(0, 2))
    rng.shuffle(keys)
    by_name = {c.name: c for c in column.children}
    out: dict = {}
    for key in keys:
        child = by_name.get(key) or by_name.get(_column_key(key))
        out[key] = None if rng.random() < 0.1 or child is None and rng.random() < 0.5 else \
            random_value(rng, child) if child is not None else rng.choice(TEXTS)
    if rng.random() < 0.01:
        out[1] = "a key that is not text"
    return out


def random_value(rng: random.Random, column: Column) -> Any:
    if column.repeated and rng.random() < 0.85:
        return [random_scalar(rng, column) if rng.random() < 0.95 else None for _ in range(rng.randint(0, 4))]
    return random_scalar(rng, column)


def outcome(convert: Callable[[Any], Any], value: Any) -> tuple:
    """What a caller can observe: the value with its types and key order, or the exception; and the
    fallbacks counted."""
    before = FALLBACKS[0]
    try:
        result = ("value", typed(convert(value)))
    except Exception as exc:  # noqa: BLE001 (every exception must match, whatever it is)
        result = ("raised", type(exc).__name__, str(exc))
    return result, FALLBACKS[0] - before


def typed(value: Any) -> Any:
    if type(value) is dict:
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if type(value) is list:
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def assert_same(column: Column, value: Any, old: Callable[[Any], Any]) -> None:
    assert outcome(column.convert, value) == outcome(old, value), (column, value)


@pytest.mark.parametrize("seed", range(16))
def test_generated_converters_match_the_reference_on_random_schemas_and_values(seed):
    rng = random.Random(seed)
    for _ in range(60):
        column = random_column(rng, "col", 0)
        old = reference(column)
        for _ in range(40):  # the same converter over many values: its shapes are learnt on the way
            assert_same(column, random_value(rng, column), old)


@pytest.mark.parametrize("kind", ["NUMERIC", "BIGNUMERIC"])
def test_every_decimal_limit_case_matches_in_records_lists_and_alone(kind):
    alone = Column("n", kind, False)
    listed = Column("n", kind, True)
    record = Column("r", "RECORD", False, (Column("n", kind, False), Column("m", kind, True)))
    refs = [(c, reference(c)) for c in (alone, listed, record)]
    for text in DECIMALS:
        for value in (Decimal(text), text):
            for column, old in refs:
                wrapped = {"n": value, "m": [value]} if column is record else [value] if column.repeated else value
                assert_same(column, wrapped, old)
    for number in INTS + [True, False, 1.5, -0.0]:
        for column, old in refs:
            assert_same(column, {"n": number, "m": [number]} if column is record else
                         [number] if column.repeated else number, old)


def test_objects_of_many_shapes_take_the_generic_loop_with_the_same_results():
    children = tuple(Column(f"c{i}", "NUMERIC" if i % 2 else "STRING", False) for i in range(8))
    column = Column("r", "RECORD", True, children)
    old = reference(column)
    rng = random.Random(99)
    for _ in range(converters.MAX_SHAPES * 4):
        keys = rng.sample([c.name for c in children] + ["c-1", "other"], rng.randint(0, 10))
        items = [{k: rng.choice([Decimal("1.5"), "t", None, 3, Decimal("1E+40")]) for k in keys} for _ in range(3)]
        assert_same(column, items, old)


def test_a_key_and_its_spelling_both_present_give_the_later_value_in_the_first_place():
    column = Column("r", "RECORD", False, (Column("first_name", "STRING", False), Column("n", "NUMERIC", False)))
    old = reference(column)
    for value in ({"first-name": "a", "n": 1, "first_name": "b"}, {"first_name": None, "n": 1, "first-name": "a"},
                  {"first-name": 5, "first_name": "b"}):
        assert_same(column, value, old)
    assert column.convert({"first-name": "a", "n": 1, "first_name": "b"}) == {"first_name": "b", "n": "1"}


def test_names_are_quoted_not_spliced_into_the_generated_code():
    name = "x'] = 1\nimport os  #"
    column = Column("r", "RECORD", False, (Column(name, "STRING", False), Column("n", "INT64", False)))
    assert column.convert({name: "kept", "n": 2}) == {name: "kept", "n": 2}
    with pytest.raises(TypeError):
        converters._name(type("Sneaky", (str,), {"__repr__": lambda self: "os.system('x')"})("a"))


@pytest.mark.parametrize("first, second", [(("STRING", False), ("NUMERIC", False)), (("NUMERIC", False), ("STRING", False)),
                                           (("STRING", False), ("STRING", True)), (("STRING", True), ("STRING", False)),
                                           (("STRING", False), ("RECORD", False))])
def test_a_duplicated_column_name_converts_as_before(first, second):
    """BigQuery refuses duplicated names, but a Column tree built by hand still converts as it did."""
    sub = (Column("s", "STRING", False),)
    children = tuple(Column("a", kind, repeated, sub if kind == "RECORD" else ()) for kind, repeated in (first, second))
    column = Column("r", "RECORD", False, children)
    old = reference(column)
    for value in ("x", Decimal("1.5"), 5, ["x"], {"s": "y"}, None):
        assert_same(column, {"a": value}, old)
        assert_same(column, {"b": 1, "a": value}, old)
