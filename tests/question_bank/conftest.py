"""Builders for the question-bank tests: files are made in the test, byte for byte.

Spreadsheets are written with openpyxl (the same library Excel-made files are read with),
CSV and text files are encoded here, so every test shows exactly what the file holds.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from question_bank.report import Report

Rows = Sequence[Sequence[Any]]


def xlsx_bytes(
    rows: Rows,
    *,
    merges: Sequence[str] = (),
    sheets: Sequence[tuple[str, Rows]] = (),
    title: str = "Sheet1",
) -> bytes:
    """A workbook whose first sheet holds ``rows`` (row 1 first); ``sheets`` go before it."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    for index, (name, extra_rows) in enumerate(sheets):
        sheet = first if index == 0 else workbook.create_sheet()
        sheet.title = name
        for row in extra_rows:
            sheet.append(list(row))
    sheet = workbook.create_sheet() if sheets else first
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows: Rows, delimiter: str = ",") -> str:
    """Rows joined by ``delimiter`` and CRLF, as Excel's "CSV" export writes them."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def problems(report: Report[Any]) -> list[tuple[int | None, str | None, str]]:
    """Every rejected row as (row, column, code), in file order."""
    return [(p.row, p.column, p.code) for p in report.rejected]


@pytest.fixture
def make_xlsx() -> Callable[..., bytes]:
    return xlsx_bytes


@pytest.fixture
def make_csv() -> Callable[..., str]:
    return csv_text


@pytest.fixture
def rejected() -> Callable[[Report[Any]], list[tuple[int | None, str | None, str]]]:
    return problems
