"""Column values to JSON and back, without loss, on SQLite and PostgreSQL alike.

| column type | in the file |
|---|---|
| Integer, Boolean, String, Text, Float | the JSON number, true/false or string |
| DateTime, Date, Time | ISO 8601 text (``2026-12-05T09:30:00.123456``; naive = UTC) |
| Numeric (decimal) | the decimal as text |
| LargeBinary | base64 text |
| JSON | the value in a one-element list (``[{...}]``, ``[null]``): JSON null is not SQL NULL |
| SQL NULL | ``null`` |

Decoding checks each value against its column (type, NOT NULL, string length), so a row
that cannot fit is reported with its line, the same way on both databases (SQLite itself
would store a string in an integer column, or 100 characters in a VARCHAR(40)).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Table, Text, cast, null
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Time,
)


class RowError(ValueError):
    """One value that does not fit its column (the message is zh-CN)."""


@dataclass(frozen=True)
class ColumnCodec:
    name: str
    selected: ColumnElement[Any]  # what the backup selects for this column
    encode: Callable[[Any], Any]  # a selected value (not None) → JSON
    decode: Callable[[Any], Any]  # JSON (not None) → a value to insert; RowError if it does not fit
    nullable: bool
    sql_null: Any  # the insert parameter for SQL NULL


def _same(value: Any) -> Any:
    return value


def _check(test: Callable[[Any], bool], what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not test(value):
            raise RowError(f"应为{what}")
        return value

    return check


# bool is an int in Python, but not in a column of integers or numbers.
_boolean = _check(lambda value: isinstance(value, bool), "true 或 false")
_integer = _check(lambda value: isinstance(value, int) and not isinstance(value, bool), "整数")
_number = _check(lambda value: isinstance(value, int | float) and not isinstance(value, bool), "数字")
_text = _check(lambda value: isinstance(value, str), "文本")


def _string(length: int | None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        _text(value)
        if length is not None and len(value) > length:
            raise RowError(f"超过 {length} 个字符")
        return value

    return check


def _iso(parse: Callable[[str], Any], what: str) -> Callable[[Any], Any]:
    def decode(value: Any) -> Any:
        try:
            return parse(value)
        except (TypeError, ValueError):
            raise RowError(f"应为{what}（ISO 8601）") from None

    return decode


def _decimal(value: Any) -> decimal.Decimal:
    try:
        return decimal.Decimal(_text(value))
    except decimal.InvalidOperation:
        raise RowError("应为数字文本") from None


def _binary(value: Any) -> bytes:
    try:
        return base64.b64decode(_text(value), validate=True)
    except ValueError:
        raise RowError("应为 base64 文本") from None


def _json_encode(raw: str) -> list[Any]:
    return [json.loads(raw)]


def _json_decode(value: Any) -> Any:
    if not isinstance(value, list) or len(value) != 1:
        raise RowError("JSON 列的值应写成 [值]")
    # JSON.NULL: SQLAlchemy stores JSON null for it, where None could mean SQL NULL.
    return JSON.NULL if value[0] is None else value[0]


def column_codec(column: Column[Any]) -> ColumnCodec:
    kind = column.type
    selected: ColumnElement[Any] = column
    encode: Callable[[Any], Any] = _same
    decode: Callable[[Any], Any]
    if isinstance(kind, JSON):
        # Read as text: the parsed value cannot tell SQL NULL from JSON null.
        selected = cast(column, Text)
        encode, decode = _json_encode, _json_decode
    elif isinstance(kind, Boolean):
        decode = _boolean
    elif isinstance(kind, Integer):
        decode = _integer
    elif isinstance(kind, String):
        decode = _string(kind.length)
    elif isinstance(kind, DateTime):
        encode, decode = dt.datetime.isoformat, _iso(dt.datetime.fromisoformat, "日期时间")
    elif isinstance(kind, Date):
        encode, decode = dt.date.isoformat, _iso(dt.date.fromisoformat, "日期")
    elif isinstance(kind, Time):
        encode, decode = dt.time.isoformat, _iso(dt.time.fromisoformat, "时间")
    elif isinstance(kind, Float):
        decode = _number
    elif isinstance(kind, Numeric):
        encode, decode = str, _decimal
    elif isinstance(kind, LargeBinary):
        encode, decode = (lambda data: base64.b64encode(data).decode("ascii")), _binary
    else:
        # A type this table does not name yet: the value goes as JSON gives it back; the
        # backup fails loudly (unsupported_value) if JSON cannot hold it.
        decode = _same
    # null() for JSON: SQLAlchemy would store None as JSON null there.
    sql_null = null() if isinstance(kind, JSON) else None
    return ColumnCodec(
        column.name, selected.label(column.name), encode, decode, bool(column.nullable), sql_null
    )


def table_codecs(table: Table) -> list[ColumnCodec]:
    return [column_codec(column) for column in table.columns]


def encode_row(codecs: list[ColumnCodec], row: Any) -> dict[str, Any]:
    return {
        codec.name: None if value is None else codec.encode(value)
        for codec, value in zip(codecs, row, strict=True)
    }


def decode_row(codecs: list[ColumnCodec], record: Any) -> dict[str, Any]:
    """The insert parameters for one row of the file; RowError names the column at fault."""
    if not isinstance(record, dict):
        raise RowError("每行应为一个 JSON 对象")
    if set(record) != {codec.name for codec in codecs}:
        raise RowError(f"列与表不符：{', '.join(sorted(record))}")
    decoded: dict[str, Any] = {}
    for codec in codecs:
        value = record[codec.name]
        if value is None:
            if not codec.nullable:
                raise RowError(f"列 {codec.name} 不能为空")
            decoded[codec.name] = codec.sql_null
            continue
        try:
            decoded[codec.name] = codec.decode(value)
        except RowError as error:
            raise RowError(f"列 {codec.name} {error}") from None
    return decoded
