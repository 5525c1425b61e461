"""Member rosters (XLSX/CSV with 姓名 / 工号 / 支部 / 手机), read in the same report style."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from question_bank import tabular
from question_bank.errors import BankFileError
from question_bank.readers import DEFAULT_MAX_BYTES, check_size, csv_rows, first_sheet_with_header
from question_bank.report import Problem, Report

ROSTER_COLUMNS = {
    "name": ["姓名", "名字", "党员姓名", "name"],
    "member_no": ["工号", "员工号", "员工编号", "人员编号", "党员编号", "编号", "member_no", "memberno"],
    "branch": ["支部", "党支部", "所在支部", "所在党支部", "支部名称", "branch"],
    "phone": ["手机", "手机号", "手机号码", "联系电话", "电话", "phone", "mobile"],
    "member_type": ["党员类别", "人员类别", "类别", "政治面貌", "member_type"],
}
# 党员类别 as rosters write it → the four types the points rules know.
MEMBER_TYPES = {
    "正式党员": "正式党员",
    "中共党员": "正式党员",
    "党员": "正式党员",
    "预备党员": "预备党员",
    "中共预备党员": "预备党员",
    "入党积极分子": "入党积极分子",
    "积极分子": "入党积极分子",
    "发展对象": "入党积极分子",
    "群众": "群众",
    "非党员": "群众",
    "共青团员": "群众",
    "团员": "群众",
}
ROSTER_REQUIRED = {"name": "姓名", "member_no": "工号", "branch": "支部"}
NAME_LIMIT = 40
BRANCH_LIMIT = 60
_MEMBER_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PHONE = re.compile(r"^1\d{10}$")


@dataclass(frozen=True)
class RosterEntry:
    name: str
    member_no: str
    branch: str
    phone: str
    row: int
    member_type: str | None = None  # None: the file does not say (a new member is 正式党员)


Labels = dict[str, str]


def _entries(
    rows: Iterator[tuple[int, list[object]]],
) -> Iterator[tuple[int, dict[str, object], list[Problem], Labels]]:
    header = tabular.find_header(rows, ROSTER_COLUMNS, ROSTER_REQUIRED, anchor="name")
    labels = {**ROSTER_REQUIRED, "phone": "手机", "member_type": "党员类别", **header.labels}
    for number, values, problems in tabular.data_rows(rows, header):
        yield number, values, problems, labels


def _check(number: int, values: dict[str, object], labels: Labels) -> RosterEntry | Problem:
    text = {field: str(values.get(field, "")) for field in ROSTER_COLUMNS}
    for field in ("name", "member_no", "branch"):
        if not text[field]:
            return Problem.of(number, labels[field], "missing_field")
    for field, limit in (("name", NAME_LIMIT), ("branch", BRANCH_LIMIT)):
        if len(text[field]) > limit:
            return Problem.of(number, labels[field], "name_too_long", limit=limit)
    member_no = unicodedata.normalize("NFKC", text["member_no"]).strip()
    if not _MEMBER_NO.match(member_no):
        return Problem.of(number, labels["member_no"], "bad_member_no", value=text["member_no"])
    phone = re.sub(r"[\s\-()+]", "", unicodedata.normalize("NFKC", text["phone"]))
    if phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if phone and not _PHONE.match(phone):
        return Problem.of(number, labels["phone"], "bad_phone", value=text["phone"])
    written = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text["member_type"]))
    member_type = MEMBER_TYPES.get(written) if written else None
    if written and member_type is None:
        return Problem.of(number, labels["member_type"], "bad_member_type", value=text["member_type"])
    return RosterEntry(text["name"], member_no, text["branch"], phone, number, member_type)


def read_roster(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Report[RosterEntry]:
    check_size(data, max_bytes)
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        rows = _entries(csv_rows(data))
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        rows = first_sheet_with_header(data, _entries)
    else:
        raise BankFileError("unknown_format", name=PurePath(filename).name, allowed=".xlsx、.csv")
    report: Report[RosterEntry] = Report(filename=PurePath(filename).name, format=suffix[1:])
    seen: dict[str, int] = {}
    for number, values, problems, labels in rows:
        report.rows_read += 1
        if problems:
            report.reject(problems[0])
            continue
        checked = _check(number, values, labels)
        if isinstance(checked, Problem):
            report.reject(checked)
        elif checked.member_no.casefold() in seen:
            report.reject(
                Problem.of(
                    number,
                    labels["member_no"],
                    "duplicate_member_no",
                    value=checked.member_no,
                    other=seen[checked.member_no.casefold()],
                )
            )
        else:
            seen[checked.member_no.casefold()] = number
            report.accepted.append(checked)
    if report.rows_read == 0:
        raise BankFileError("no_rows")
    return report
