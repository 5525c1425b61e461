"""Readers for every accepted question-bank format, and the one entry point :func:`read_bank`.

Each reader yields ``(RawQuestion, problems)``; :func:`read_bank` applies the schema rules,
finds duplicates, and returns a :class:`~question_bank.report.Report`. Problems with the
whole file raise :class:`~question_bank.errors.BankFileError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePath
from typing import Any, cast
from xml.etree.ElementTree import iterparse

import yaml

from question_bank import tabular
from question_bank.errors import BankFileError
from question_bank.normalize import clean_text
from question_bank.report import Problem, Report
from question_bank.schema import LETTERS, Question, RawQuestion, build_question

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
BANK_FORMATS = ".xlsx、.csv、.yaml/.yml、.json、.gift、.txt（GIFT 或 Aiken）"
QUESTION_KEYS = (
    "id",
    "type",
    "stem",
    "options",
    "answer",
    "explanation",
    "points",
    "time_limit",
    "difficulty",
    "tags",
    "source",
    "media",
)
RawRows = Iterator[tuple[RawQuestion, list[Problem]]]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


# -- text decoding ---------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8", errors="strict")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
    except UnicodeDecodeError:  # a byte-order mark followed by something else
        raise BankFileError("bad_encoding") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise BankFileError("bad_encoding") from None


# -- YAML and JSON ---------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """Records the line of each sequence item so a problem points at its question."""


class _Lines(list[Any]):
    """A YAML sequence that knows the line each of its items starts on."""

    lines: list[int]


def _sequence_with_lines(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = _Lines(loader.construct_sequence(node, deep=True))
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence_with_lines)


def _document_questions(document: Any) -> list[Any]:
    if isinstance(document, dict) and "questions" in document:
        questions = document["questions"]
    else:
        questions = document
    if not isinstance(questions, list):
        raise BankFileError("bad_structure", detail="应为题目列表，或包含 questions 列表的对象")
    return questions


def _structured(items: list[Any], filename: str, by_line: bool) -> RawRows:
    lines = items.lines if by_line and isinstance(items, _Lines) else None
    for index, item in enumerate(items, start=1):
        row = lines[index - 1] if lines else index
        if not isinstance(item, dict):
            problem = Problem.of(row, None, "bad_structure", detail=f"第 {index} 题不是对象")
            yield RawQuestion(row=row, file=filename), [problem]
            continue
        unknown = [key for key in item if key not in QUESTION_KEYS]
        problems = [
            Problem.of(row, str(key), "unknown_field", allowed="、".join(QUESTION_KEYS))
            for key in unknown[:1]
        ]
        options = item.get("options") or []
        if not isinstance(options, list):
            options = [options]
        fields: dict[str, Any] = {key: item.get(key) for key in QUESTION_KEYS if key != "options"}
        raw = RawQuestion(row=row, file=filename, options=options, **fields)
        yield raw, problems


def read_yaml(data: bytes, filename: str) -> RawRows:
    text = decode_text(data)
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_LineLoader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else "?"
        raise BankFileError("bad_syntax", line=line, detail=str(exc.problem or exc)) from None
    except yaml.YAMLError as exc:
        raise BankFileError("bad_syntax", line="?", detail=str(exc)) from None
    except ValueError as exc:  # PyYAML builds 2026-13-01 as a date and fails outside YAMLError
        raise BankFileError("bad_syntax", line="?", detail=f"日期不存在（{exc}）") from None
    if not documents:
        raise BankFileError("no_questions")
    return _structured(_document_questions(documents[0]), filename, by_line=True)


def read_json(data: bytes, filename: str) -> RawRows:
    try:
        document = json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise BankFileError("bad_syntax", line=exc.lineno, detail=exc.msg) from None
    return _structured(_document_questions(document), filename, by_line=False)


# -- CSV and XLSX ----------------------------------------------------------------------


_DELIMITERS = ",\t;"


def csv_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: ``,``, tab or ``;``.

    The sniffer needs rows of equal shape; a title row above the header defeats it, and
    then the candidate that occurs most often wins (a comma when none occurs).
    """
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {candidate: sample.count(candidate) for candidate in _DELIMITERS}
        best = max(counts, key=lambda candidate: counts[candidate])
        return best if counts[best] else ","


def csv_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    text = decode_text(data)
    # Only the delimiter is taken from the sample: Excel and WPS always quote with '"'.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text[:8192]))
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, list(cells)
    except csv.Error as exc:
        raise BankFileError("bad_syntax", line=reader.line_num, detail=str(exc)) from None


def read_csv(data: bytes, filename: str) -> RawRows:
    return tabular.raw_questions(csv_rows(data), filename)


def _merged_ranges(workbook: Any, sheet: Any) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet (openpyxl does not expose them in that mode)."""
    from openpyxl.utils.cell import range_boundaries

    archive = getattr(workbook, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:
        return []
    ranges = []
    with archive.open(path) as stream:
        for _event, element in iterparse(stream):
            if element.tag.endswith("}mergeCell"):
                bounds = range_boundaries(element.get("ref") or "")
                if None in bounds:  # a whole row or column: no merge Excel writes
                    raise ValueError(element.get("ref"))
                min_col, min_row, max_col, max_row = cast(tuple[int, int, int, int], bounds)
                ranges.append((min_row, min_col, max_row, max_col))
            element.clear()
    return ranges


def _sheet_rows(workbook: Any, sheet: Any) -> Iterator[tuple[int, list[object]]]:
    ranges = _merged_ranges(workbook, sheet)
    top_left: dict[tuple[int, int, int, int], object] = {}
    sheet.reset_dimensions()  # a stale dimension would pad a million empty rows
    for number, row in enumerate(sheet.iter_rows(), start=1):
        values: list[object] = []
        for cell in row:
            value = cell.value
            if getattr(cell, "data_type", None) == "f" and value is not None:
                # An array formula is an object whose ``text`` is the formula.
                text = value if isinstance(value, str) else getattr(value, "text", None)
                value = tabular.Formula(text or "=…")
            values.append(value)
        for merged in ranges:
            min_row, min_col, max_row, max_col = merged
            if not min_row <= number <= max_row:
                continue
            if number == min_row:
                top_left[merged] = values[min_col - 1] if min_col <= len(values) else None
            while len(values) < max_col:
                values.append(None)
            for column in range(min_col, max_col + 1):
                values[column - 1] = top_left.get(merged)
        yield number, values


def open_workbook(data: bytes) -> Any:
    """Open an XLSX workbook read-only, turning every way it can be wrong into one error."""
    from openpyxl import load_workbook

    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise BankFileError("encrypted_workbook")
        raise BankFileError("xls_not_supported")
    if not data.startswith(b"PK"):
        raise BankFileError("not_xlsx")
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile as exc:
        raise BankFileError("corrupt_file", detail=str(exc) or "压缩包损坏") from None
    if not any(name.startswith("xl/") for name in names):
        raise BankFileError("not_xlsx")  # a .docx, .ods or other ZIP with an .xlsx name
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except zipfile.BadZipFile as exc:
        raise BankFileError("corrupt_file", detail=str(exc) or "压缩包损坏") from None
    except Exception as exc:  # openpyxl raises many types for damaged parts
        raise BankFileError("corrupt_file", detail=type(exc).__name__) from None


def named_sheets(data: bytes) -> Iterator[tuple[str, Iterator[tuple[int, list[object]]]]]:
    """(title, row stream) of each visible worksheet, for files whose sheets have set names."""
    workbook = open_workbook(data)
    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
        if not sheets:
            raise BankFileError("no_sheet")
        for sheet in sheets:
            yield sheet.title, _guard(_sheet_rows(workbook, sheet))
    finally:
        workbook.close()


def xlsx_sheets(data: bytes) -> Iterator[Iterator[tuple[int, list[object]]]]:
    """Row streams of each worksheet, for readers that pick the sheet with a header."""
    for _title, rows in named_sheets(data):
        yield rows


def _guard(rows: Iterator[tuple[int, list[object]]]) -> Iterator[tuple[int, list[object]]]:
    """A workbook cut short fails only while its rows are read: report it as corrupt."""
    try:
        yield from rows
    except BankFileError:
        raise
    except Exception as exc:
        raise BankFileError("corrupt_file", detail=type(exc).__name__) from None


def first_sheet_with_header(
    data: bytes, read: Callable[[Iterator[tuple[int, list[object]]]], Iterator[Any]]
) -> Iterator[Any]:
    """Read the first worksheet whose header ``read`` recognises (templates put 说明 first)."""
    first_error: BankFileError | None = None
    for rows in xlsx_sheets(data):
        items = read(rows)
        try:
            first = next(items)
        except StopIteration:
            return
        except BankFileError as error:
            if error.code not in ("no_header", "missing_column"):
                raise
            first_error = first_error or error
            continue
        yield first
        yield from items
        return
    if first_error:
        raise first_error


def read_xlsx(data: bytes, filename: str) -> RawRows:
    return first_sheet_with_header(data, lambda rows: tabular.raw_questions(rows, filename))


# -- Moodle GIFT -----------------------------------------------------------------------

_GIFT_COMMENT = re.compile(r"^[ \t]*//.*$", re.M)  # [ \t]: \s would eat line breaks
_GIFT_CATEGORY = re.compile(r"^[ \t]*\$CATEGORY:.*$", re.M)
_GIFT_TITLE = re.compile(r"^\s*::(.*?)::", re.S)
_GIFT_ESCAPED = {r"\~": "\x01", r"\=": "\x02", r"\#": "\x03", r"\{": "\x04", r"\}": "\x05", r"\:": "\x06"}
_GIFT_UNESCAPE = {v: k[1] for k, v in _GIFT_ESCAPED.items()}
_GIFT_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.I)


def _gift_unescape(text: str) -> str:
    for marker, char in _GIFT_UNESCAPE.items():
        text = text.replace(marker, char)
    return clean_text(text)


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """Blank-line separated blocks with the line each starts on."""
    start, lines = 0, list[str]()
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            yield start, "\n".join(lines)
            lines = []
    if lines:
        yield start, "\n".join(lines)


def read_gift(data: bytes, filename: str) -> RawRows:
    text = decode_text(data).replace("\r\n", "\n")
    for old, new in _GIFT_ESCAPED.items():
        text = text.replace(old, new)
    text = _GIFT_CATEGORY.sub("", _GIFT_COMMENT.sub("", text))  # lines, not their blocks
    for row, block in _blocks(text):
        lines = block.split("\n")
        # Moodle wants a blank line between questions; a block whose every line is a whole
        # question (one pair of braces each) is read one question per line.
        if len(lines) > 1 and all(line.count("{") == 1 == line.count("}") for line in lines):
            for offset, line in enumerate(lines):
                yield _gift_question(line, row + offset, filename)
        else:
            yield _gift_question(block, row, filename)


def _gift_question(block: str, row: int, filename: str) -> tuple[RawQuestion, list[Problem]]:
    block = _GIFT_TITLE.sub("", block).strip()
    block = _GIFT_FORMAT.sub("", block).strip()
    columns = {"answer": "{…}", "stem": "题干"}
    if block.count("{") != 1 or block.count("}") != 1 or block.index("{") > block.index("}"):
        problem = Problem.of(row, "{…}", "unsupported_question", detail="每题需要一对 { } 写答案")
        return RawQuestion(row=row, file=filename, columns=columns), [problem]
    before, rest = block.split("{", 1)
    body, after = rest.split("}", 1)
    body = body.strip()
    explanation = None
    if "####" in body:
        body, explanation = body.split("####", 1)
    before, after = _gift_unescape(before), _gift_unescape(after)
    stem = f"{before}____{after}" if after else before
    raw = RawQuestion(
        row=row,
        file=filename,
        columns=columns,
        stem=stem,
        explanation=_gift_unescape(explanation) if explanation else None,
    )
    if re.fullmatch(r"(?i)t|true|f|false", body.split("#")[0].strip()):
        raw.stem = f"{before} {after}".strip() if after else before
        raw.type, raw.answer = "judge", body.split("#")[0].strip().lower().startswith("t")
        return raw, []
    if body.startswith("#") or "->" in body:
        problem = Problem.of(row, "{…}", "unsupported_question", detail="不支持数值题和匹配题")
        return raw, [problem]
    answers = re.findall(r"([=~])\s*(%-?\d+(?:\.\d+)?%)?([^=~]*)", body)
    options, correct = [], []
    for sign, weight, answer_text in answers:
        answer_text = _gift_unescape(answer_text.split("#")[0])
        if not answer_text:
            continue
        options.append(answer_text)
        positive = sign == "=" or (weight and not weight.startswith("%-") and weight != "%0%")
        if positive:
            correct.append(LETTERS[len(options) - 1] if len(options) <= len(LETTERS) else "?")
    if answers and all(sign == "=" for sign, _w, _t in answers):
        raw.type, raw.answer = "fill", [options]
        if not after:
            raw.stem = f"{before}____"
        return raw, []
    raw.options = options
    raw.type = "multiple" if len(correct) > 1 else "single"
    raw.answer = correct if len(correct) > 1 else "".join(correct)
    return raw, []


# -- Aiken -----------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"^\s*([A-Fa-fＡ-Ｆ])\s*[.)．、）]\s*(.+)$")
_AIKEN_ANSWER = re.compile(r"^\s*(?:ANSWER|答案)\s*[:：]\s*(.+)$", re.I)


def read_aiken(data: bytes, filename: str) -> RawRows:
    text = decode_text(data).replace("\r\n", "\n")
    for row, block in _blocks(text):
        stem_lines: list[str] = []
        options: list[str] = []
        answer = None
        for line in block.split("\n"):
            if answer is None and (match := _AIKEN_ANSWER.match(line)):
                answer = match.group(1)
            elif (match := _AIKEN_OPTION.match(line)) and stem_lines:
                options.append(match.group(2))
            elif not options:
                stem_lines.append(line)
        raw = RawQuestion(
            row=row,
            file=filename,
            type="single",
            stem="\n".join(stem_lines),
            options=options,
            answer=answer,
            columns={"answer": "ANSWER", "stem": "题干"},
        )
        yield raw, []


def looks_like_gift(text: str) -> bool:
    return bool(re.search(r"\{[^{}]*[=~][^{}]*\}|\{\s*(T|F|TRUE|FALSE)\s*\}", text))


# -- the entry point -------------------------------------------------------------------

READERS: dict[str, Callable[[bytes, str], RawRows]] = {
    "yaml": read_yaml,
    "json": read_json,
    "csv": read_csv,
    "xlsx": read_xlsx,
    "gift": read_gift,
    "aiken": read_aiken,
}
_EXTENSIONS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".gift": "gift",
    ".aiken": "aiken",
    ".xls": "xlsx",
}


def detect_format(data: bytes, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if suffix == ".txt":
        return "gift" if looks_like_gift(decode_text(data)) else "aiken"
    raise BankFileError("unknown_format", name=PurePath(filename).name, allowed=BANK_FORMATS)


def check_size(data: bytes, max_bytes: int) -> None:
    if not data.strip():
        raise BankFileError("empty_file")
    if len(data) > max_bytes:
        raise BankFileError("file_too_large", size=_human_size(len(data)), limit=_human_size(max_bytes))


def read_bank(
    data: bytes,
    filename: str,
    *,
    existing: Iterable[str] = (),
    bank_name: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report[Question]:
    """Read a question-bank file into a report.

    ``existing`` holds the fingerprints already in the target bank: those questions are
    reported as ``duplicate_in_bank`` and not accepted.
    """
    check_size(data, max_bytes)
    fmt = detect_format(data, filename)
    report: Report[Question] = Report(filename=PurePath(filename).name, format=fmt)
    in_bank = set(existing)
    seen: dict[str, int | None] = {}
    for raw, problems in READERS[fmt](data, report.filename):
        report.rows_read += 1
        if problems:
            report.reject(problems[0])
            continue
        question, problems = build_question(raw)
        if question is None:
            report.reject(problems[0])
            continue
        key = question.fingerprint
        if key in seen:
            report.reject(Problem.of(raw.row, None, "duplicate_in_file", other=seen[key]))
        elif key in in_bank:
            report.reject(Problem.of(raw.row, None, "duplicate_in_bank", bank=bank_name))
        else:
            seen[key] = raw.row
            report.accepted.append(question)
    if report.rows_read == 0:
        raise BankFileError("no_questions")
    return report
