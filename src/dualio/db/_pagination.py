"""Keyset (cursor) pagination: a page of rows and an opaque cursor that resumes after its last row."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

M = TypeVar("M")

_ENCODERS: dict[type, tuple[str, Any]] = {
    dt.datetime: ("datetime", dt.datetime.isoformat),
    dt.date: ("date", dt.date.isoformat),
    uuid.UUID: ("uuid", str),
    decimal.Decimal: ("decimal", str),
}
_DECODERS: dict[str, Any] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "uuid": uuid.UUID,
    "decimal": decimal.Decimal,
}


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of a keyset-paginated listing.

    ``next_cursor`` is ``None`` on the last page; otherwise pass it as ``after=`` to get the next page. A cursor
    is opaque text, safe to put in a URL; it stays valid when rows are added or removed (no row is skipped or
    repeated because of them, unlike offset pagination).
    """

    items: list[M]
    next_cursor: str | None


def _encode_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    for kind, (tag, encode) in _ENCODERS.items():
        if isinstance(value, kind):
            return {"$": tag, "v": encode(value)}
    raise TypeError(f"cannot page by a column holding {type(value).__name__} values; order by a simpler column")


def _decode_value(value: object) -> object:
    if isinstance(value, dict):
        return _DECODERS[value["$"]](value["v"])
    return value


def encode_cursor(values: Sequence[object]) -> str:
    """Encode the ordering values of the last row of a page as a URL-safe cursor."""
    payload = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, expected_length: int) -> list[object]:
    """Decode a cursor made by :func:`encode_cursor`; raise ``ValueError`` if it is not one for this ordering."""
    if not isinstance(cursor, str):
        raise TypeError(f"after= takes the next_cursor string of a previous Page, got {type(cursor).__name__}")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        decoded = [_decode_value(v) for v in values]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValueError(f"after={cursor!r} is not a cursor returned by Repository.page()") from None
    if len(decoded) != expected_length:
        raise ValueError(f"after={cursor!r} was made for a different order_by= than this call's")
    return decoded
