"""Value converters generated as Python source, once per table, for bq_types.Column.

Each column gets one function whose type dispatch and limits are settled when the table is compiled.
A RECORD's function learns the shapes (key tuples) of the objects it meets; for each of the first
`MAX_SHAPES` it generates straight-line code: the object's values unpacked in order, every value's
shortcut check inlined, no loop and no call per value; when every check passes (the common case) the
object is copied and only its converted values replaced. A line item costs about two thirds of the
instructions it cost with the earlier closure per value (docs/target-performance.md). Objects of other
shapes take `_walk`, the same loop the earlier code ran.

Every path keeps the same contract (tests/target/test_converter_codegen.py compares them with the
earlier closures): a shortcut takes only a value that clearly fits (the right Python type, within the
limits); anything else goes to the runtime's `fallback` (which counts it: validation.PlainRecords relies
on that), so the same values are refused; null and unknown fields are left out, output keys keep the
input's order, and keys like 'first-name' go to their column (`column_key`).

Source is built only from the schema's column types and from names passed through `repr()` of exact
`str` objects: no text from a record or a schema is ever spliced into code unquoted.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any, Callable, NamedTuple

MAX_SHAPES = 16  # generated shape functions per RECORD column; further shapes take the generic loop
MAX_SHAPE_KEYS = 200  # objects with more keys than this take the generic loop
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Runtime(NamedTuple):
    """What generated code calls (given by bq_types, which owns the exact generic path)."""

    fallback: Callable[[Any, Any], Any]  # (value, column): counts the value, converts it exactly or refuses it
    rejected: type[Exception]  # ValueRejected
    timestamp_text: Callable[[str], str]
    date_text: Callable[[str], str]
    column_key: Callable[[str], str]
    numeric_limits: dict[str, tuple[int, int]]


class Compiled(NamedTuple):
    convert: Callable[[Any], Any]  # the column's value (a list when the column is repeated)
    convert_one: Callable[[Any], Any]  # one element of it (the same function when not repeated)


def _name(text: str) -> str:
    """`text` as a Python literal; only exact str objects (whose repr is always a plain literal)."""
    if type(text) is not str:
        raise TypeError(f"column and key names must be str, not {type(text).__name__}")
    return repr(text)


def _fast_branches(column: Any, v: str, env: dict, tag: str, rt: Runtime) -> list[tuple[str, str, str]]:
    """(Python type, condition, converted value) of the shortcuts that take `v` without the fallback."""
    kind = column.type
    if kind == "STRING":
        return [("str", f"type({v}) is str", v)]
    if kind == "BOOL":
        return [("bool", f"type({v}) is bool", v)]
    if kind == "INT64":
        return [("int", f"type({v}) is int and {INT64_MIN} <= {v} <= {INT64_MAX}", v)]
    if kind in ("TIMESTAMP", "DATE"):
        env["_timestamp_text"], env["_date_text"] = rt.timestamp_text, rt.date_text
        return [("str", f"type({v}) is str", f"_{kind.lower()}_text({v})")]
    if kind in rt.numeric_limits:
        int_digits, scale = rt.numeric_limits[kind]
        env["_fits_" + kind] = _fits(int_digits, scale)
        limit = 10 ** int_digits
        # plain notation unless it has an exponent; at most 10 characters fit either type
        return [("Decimal", f"type({v}) is Decimal and {v}.is_finite() and 'E' not in (t_{tag} := str({v})) "
                 f"and (len(t_{tag}) <= 10 or _fits_{kind}(t_{tag}))", f"t_{tag}"),
                ("int", f"type({v}) is int and {-limit} < {v} < {limit} and (t_{tag} := str({v}))", f"t_{tag}")]
    return []  # JSON, TIME, FLOAT64 and the rest: always the exact path


def _fits(int_digits: int, scale: int) -> Callable[[str], bool]:
    def fits(text: str) -> bool:
        whole, _, fraction = text.partition(".")
        return len(fraction) <= scale and len(whole) <= int_digits
    return fits


def _one_expression(column: Any, v: str, env: dict, tag: str, rt: Runtime, record: Callable | None = None) -> str:
    """One element's converted value as an expression (fallback last): for list comprehensions."""
    if column.type == "RECORD":
        env[f"R_{tag}"] = record or column.convert_one
        return f"R_{tag}({v})"
    env[f"C_{tag}"] = column
    expr = f"_fallback({v}, C_{tag})"
    for _, condition, value in reversed(_fast_branches(column, v, env, tag, rt)):
        expr = f"({value} if {condition} else {expr})"
    return expr


def _list_lines(column: Any, v: str, target: str, env: dict, tag: str, rt: Runtime,
                record: Callable | None = None) -> list[str]:
    """Statements converting the non-null value `v` of a repeated column into `target`."""
    return [f"if type({v}) is not list:",
            "    raise ValueRejected('not a list')",
            f"o_{tag} = [{_one_expression(column, 'x_' + tag, env, tag, rt, record)} for x_{tag} in {v}] if {v} else []",
            f"if None in o_{tag}:",
            "    raise ValueRejected('null element')"] + ([] if target == f"o_{tag}" else [f"{target} = o_{tag}"])


def _field_lines(column: Any, v: str, target: str, env: dict, tag: str, rt: Runtime) -> list[str]:
    """Statements converting field `v` of an object into `target`; a null field is left out."""
    if column.repeated:
        return [f"if {v} is not None:"] + ["    " + line for line in _list_lines(column, v, target, env, tag, rt)]
    if column.type == "RECORD":
        env[f"R_{tag}"] = column.convert_one
        return [f"if {v} is not None:", f"    {target} = R_{tag}({v})"]
    env[f"C_{tag}"] = column
    lines, keyword = [], "if"
    for _, condition, value in _fast_branches(column, v, env, tag, rt):
        lines += [f"{keyword} {condition}:", f"    {target} = {value}"]
        keyword = "elif"
    return lines + [f"{keyword} {v} is not None:", f"    {target} = _fallback({v}, C_{tag})"]


@lru_cache(maxsize=1024)
def _code(source: str, name: str) -> CodeType:
    """Compiled once per distinct source: the columns of one type share theirs (compiling is the cost)."""
    return compile(source, f"<converter {name}>", "exec")


def _define(name: str, body: list[str], env: dict, rt: Runtime, args: str = "value") -> Callable:
    env.update(_fallback=rt.fallback, ValueRejected=rt.rejected, Decimal=Decimal)
    exec(_code("\n".join([f"def {name}({args}):"] + ["    " + line for line in body]), name), env)  # noqa: S102
    return env[name]  # (source made of column types and names quoted by `_name`; values come from `env`)


def compile_converters(column: Any, rt: Runtime) -> Compiled:
    """The converters of one column (its children's are already compiled: `column.children[i].convert_one`)."""
    env: dict = {}
    if column.type == "RECORD":
        one = _record(column, rt)
    else:
        one = _define("scalar", [f"if {c}:\n        return {e}" for _, c, e in _fast_branches(column, "value", env, "v", rt)]
                      + ["return _fallback(value, C_v)"], {**env, "C_v": column}, rt)
    if not column.repeated:
        return Compiled(one, one)
    env = {}
    listing = _list_lines(column, "value", "result", env, "v", rt, one if column.type == "RECORD" else None)
    convert = _define("repeated", ["if value is None:", "    return []", *listing, "return result"], env, rt)
    return Compiled(convert, one)


def _record(column: Any, rt: Runtime) -> Callable[[Any], Any]:
    """A RECORD's converter: straight-line code per learnt shape, the generic loop past MAX_SHAPES."""
    children = {c.name: c for c in column.children}
    plain_strings = frozenset(c.name for c in column.children if c.type == "STRING" and not c.repeated)
    shapes: dict[tuple, Callable[[dict], dict]] = {}
    fallback, walk = rt.fallback, _walk(column, rt)

    def learn(shape: tuple) -> Callable[[dict], dict]:
        if len(shapes) >= MAX_SHAPES or len(shape) > MAX_SHAPE_KEYS or any(type(k) is not str for k in shape):
            return walk
        shapes[shape] = function = _shape_function(shape, children, plain_strings, rt)
        return function

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            return fallback(value, column)
        function = shapes.get(tuple(value))
        if function is None:
            function = learn(tuple(value))
        return function(value)
    return convert


def _shape_function(shape: tuple[str, ...], children: dict[str, Any], plain_strings: frozenset[str],
                    rt: Runtime) -> Callable[[dict], dict]:
    """Straight-line code for objects whose keys are exactly `shape`, in that order."""
    env: dict = {}
    body = [f"{''.join(f'v{i}, ' for i in range(len(shape)))}= value.values()" if shape else "pass"]
    fields, careful = [], ["out = {}"]
    for i, key in enumerate(shape):
        name = key if key in children else rt.column_key(key)  # 'first-name' → first_name
        if name not in children:  # not a column: left out
            continue
        v, target = f"v{i}", f"out[{_name(name)}]"
        lines = _field_lines(children[name], v, target, env, str(i), rt)
        if key in plain_strings and (children[key].type, children[key].repeated) != ("STRING", False):
            lines = [f"if type({v}) is str:", f"    {target} = {v}", "el" + lines[0], *lines[1:]]  # as `_walk` does
            fields.append(None)  # (a duplicated column name, which BigQuery refuses): the careful code only
        fields.append((children[name], v, name, str(i)))
        careful += lines
    common = _common_case(fields, env, rt, copy=all(key in children for key in shape))
    return _define("shape", body + common + careful + ["return out"], env, rt)


def _common_case(fields: list, env: dict, rt: Runtime, copy: bool) -> list[str]:
    """Lines returning the converted object when no field is null and every scalar takes its shortcut
    (the common case): a copy of the object with only the changed values replaced when its keys are all
    column names (`copy`), else one dict display. The checks have no side effects, so when one fails the
    careful code runs from the start; what may refuse a value or count a fallback (nested records and
    lists, timestamp and date text) runs in the fields' order only once every check passed."""
    names = [field[2] for field in fields if field is not None]
    if None in fields or len(set(names)) != len(names):
        return []
    conditions, nested, items, changed = [], [], [], []
    for column, v, name, tag in fields:
        if column.repeated or column.type == "RECORD":
            conditions.append(f"{v} is not None")
            env[f"R_{tag}"] = column.convert_one
            nested += _list_lines(column, v, f"o_{tag}", env, tag, rt) if column.repeated else [f"o_{tag} = R_{tag}({v})"]
            items.append(f"{_name(name)}: o_{tag}")
            changed.append(f"out[{_name(name)}] = o_{tag}")
            continue
        branches = _fast_branches(column, v, env, tag, rt)
        if not branches:
            return []  # this field always takes the exact path
        conditions.append("(" + " or ".join(f"({condition})" for _, condition, _ in branches) + ")")
        value = branches[-1][2]
        for python_type, _, taken in reversed(branches[:-1]):
            value = value if taken == value else f"({taken} if type({v}) is {python_type} else {value})"
        if column.type in ("TIMESTAMP", "DATE"):  # reading the text may refuse it: in order with the nested ones
            nested.append(f"o_{tag} = {value}")
            value = f"o_{tag}"
        items.append(f"{_name(name)}: {value}")
        if value != v:  # a STRING, INT64 or BOOL value is kept as it is
            changed.append(f"out[{_name(name)}] = {value}")
    result = ["out = value.copy()", *changed, "return out"] if copy else [f"return {{{', '.join(items)}}}"]
    return [f"if {' and '.join(conditions) or 'True'}:", *("    " + line for line in nested + result)]


def _walk(column: Any, rt: Runtime) -> Callable[[dict], dict]:
    """The generic loop over an object's keys, one converter call per field (rare shapes only)."""
    converters = {c.name: c.convert for c in column.children}
    plain_strings = frozenset(c.name for c in column.children if c.type == "STRING" and not c.repeated)
    column_key = rt.column_key

    def walk(value: dict) -> dict:
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if type(item) is str and key in plain_strings:
                out[key] = item
                continue
            convert = converters.get(key)
            if convert is None:
                key = column_key(key)  # 'first-name' → first_name; not a column: left out
                convert = converters.get(key)
                if convert is None:
                    continue
            out[key] = convert(item)
        return out
    return walk
