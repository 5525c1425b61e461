"""Builders for the question-bank tests: files are made in the test, byte for byte.

Spreadsheets are written with openpyxl (the same library Excel-made files are read with),
CSV and text files are encoded here, so every test shows exactly what the file holds.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from question_bank import BankFileError, Question, read_bank
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


# -- shared by the reader tests ----------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_zh(text: str) -> None:
    """An organizer-facing message: Chinese, and nothing that looks like a stack trace."""
    assert CJK.search(text), text
    assert "Traceback" not in text and 'File "' not in text and "Error:" not in text, text


def read(data: bytes, filename: str, **options: Any) -> Report[Question]:
    """Read a bank, checking that every rejected row carries a zh-CN message."""
    report = read_bank(data, filename, **options)
    for problem in report.rejected:
        assert_zh(problem.message)
    return report


def file_error(data: bytes, filename: str, **options: Any) -> BankFileError:
    """The error that refuses the whole file (the test fails if the file is read)."""
    with pytest.raises(BankFileError) as caught:
        read_bank(data, filename, **options)
    error = caught.value
    assert_zh(error.message)
    return error


def fields(report: Report[Question]) -> list[dict[str, Any]]:
    """The accepted questions in canonical form, each with the row it came from."""
    return [{"row": q.origin.row if q.origin else None, **q.to_dict()} for q in report.accepted]


def rezip(data: bytes, edit: Callable[[str, bytes], bytes]) -> bytes:
    """The same ZIP package with every member passed through ``edit(name, content)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, edit(info.filename, source.read(info.filename)))
    return buffer.getvalue()
