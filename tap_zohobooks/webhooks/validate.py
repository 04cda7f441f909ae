"""Checks on what a delivery carries, each failing with a 4xx and one clear reason, never a 500.

Zoho retries a delivery answered 5xx, so junk must be refused as the client's fault: bodies that are
not UTF-8 or hold lone surrogates, JSON nested deeper than any Zoho document, NaN/Infinity (money is
never float), ids that are not Zoho ids, timestamps that are not real instants.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import simplejson

from ..events import parse_instant

MAX_DEPTH = 32  # Zoho documents nest about five levels (invoice → line_items → taxes)
ZOHO_ID = re.compile(r"[0-9]{1,30}")
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


@dataclass
class Rejection(Exception):
    """A delivery refused: the HTTP status and the reason given to the sender."""

    status: int
    message: str


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def load_json(raw: bytes) -> Any:
    """The body as JSON (numbers as Decimal), its text valid UTF-8 and its nesting bounded."""
    try:
        value = simplejson.loads(raw.decode("utf-8"), use_decimal=True, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise Rejection(400, "the body is not valid UTF-8") from None
    except RecursionError:
        raise Rejection(400, f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise Rejection(400, "malformed JSON body") from None
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """Walk without recursion: depth, and text that encodes as UTF-8 (no lone surrogates)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Rejection(400, f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejection(400, "the body holds text that is not valid Unicode (a lone surrogate)") from None


def zoho_id(value: Any, name: str) -> str:
    """A Zoho id: a string (or integer) of 1-30 digits."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not ZOHO_ID.fullmatch(str(value)):
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
        raise Rejection(422, f"{name} {shown} is not a Zoho id (1-30 digits)")
    return str(value)


def instant(value: Any, name: str) -> dt.datetime:
    """A real instant with a UTC offset, between 1970 and 2200."""
    shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
    if not isinstance(value, str) or len(value) > 40:
        raise Rejection(422, f"{name} {shown} is not a timestamp")
    try:
        parsed = parse_instant(value)
    except (ValueError, OverflowError):
        raise Rejection(422, f"{name} {shown} is not a timestamp with a UTC offset") from None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise Rejection(422, f"{name} {shown} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    return parsed
