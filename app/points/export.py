"""The assessment export (支部考核): branch summary, member detail and the ledger itself,
as XLSX (three sheets) or CSV (the member detail, UTF-8 with BOM for Excel).

Points count for the branch the member belonged to when they were earned (the ledger keeps
it), so a member who moved during the period has one detail row per branch. A member with
no entries appears under the current branch with zeros: they count in 党员数 and lower the
participation rate, as an assessment expects.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Branch, Member, PointEntry
from app.points.periods import TZ, Period
from app.points.rules import Rules
from app.points.store import ACTIVITY_SOURCES
from question_bank.normalize import neutralise

KINDS = {"base": "基础分", "award": "加分", "deduction": "扣分"}
SOURCES = {
    "quiz": "知识竞赛",
    "scenario": "剧本杀",
    "task": "盲盒任务",
    "manual": "手工",
    "correction": "更正",
    "base": "基础分",
}
SUMMARY = ["支部", "党员数", "参与人数", "参与率", "总积分", "人均积分", "排名"]
LEDGER = [
    "序号",
    "时间",
    "支部",
    "姓名",
    "工号",
    "党员类别",
    "类型",
    "类别",
    "来源",
    "来源编号",
    "分值",
    "说明",
    "录入人",
    "更正序号",
]


def member_columns(rules: Rules) -> list[str]:
    return [
        "支部",
        "姓名",
        "工号",
        "党员类别",
        "周期",
        "基础分",
        "加分",
        "扣分",
        *rules.categories,
        "合计",
        "支部内排名",
        "星级",
        "备注",
    ]


class ColumnsError(ValueError):
    code = "bad_columns"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    title: str
    columns: list[tuple[str, str]]  # (column key, header shown)
    rows: list[dict[str, Any]]
    percent: set[str] = field(default_factory=set)


@dataclass
class Assessment:
    period: Period
    sheets: list[Sheet]

    def sheet(self, title: str) -> Sheet:
        return next(sheet for sheet in self.sheets if sheet.title == title)


def _rank(values: list[float]) -> list[int]:
    """Competition ranking, highest first: 100, 90, 90, 80 → 1, 2, 2, 4."""
    ordered = sorted(values, reverse=True)
    return [ordered.index(value) + 1 for value in values]


def assessment(session: Session, rules: Rules, period: Period, branch_id: int | None = None) -> Assessment:
    start, end = period.utc_bounds()
    query = select(PointEntry).where(PointEntry.occurred_at >= start, PointEntry.occurred_at < end)
    if branch_id is not None:
        query = query.where(PointEntry.branch_id == branch_id)
    entries = list(session.scalars(query.order_by(PointEntry.occurred_at, PointEntry.id)))
    branches = {b.id: b for b in session.scalars(select(Branch))}
    member_query = select(Member)
    if branch_id is not None:
        member_query = member_query.where(Member.branch_id == branch_id)
    members = {m.id: m for m in session.scalars(member_query)}
    for entry in entries:  # a member who left the branch still has their entries here
        if entry.member_id not in members:
            members[entry.member_id] = session.get(Member, entry.member_id)  # type: ignore[assignment]

    # One detail row per (member, branch the points were earned in).
    rows: dict[tuple[int, int], dict[str, Any]] = {}

    def row_for(member: Member, branch: int) -> dict[str, Any]:
        key = (member.id, branch)
        if key not in rows:
            rows[key] = {
                "支部": branches[branch].name,
                "姓名": member.name,
                "工号": member.member_no,
                "党员类别": member.member_type,
                "周期": period.key,
                "基础分": 0,
                "加分": 0,
                "扣分": 0,
                **{category: 0 for category in rules.categories},
                "合计": 0,
                "participated": False,
                "assessed": member.member_type in rules.assessed,
                "active": member.active,
                "moved": member.branch_id != branch,
            }
        return rows[key]

    for member in members.values():
        if member.active and (branch_id is None or member.branch_id == branch_id):
            row_for(member, member.branch_id)
    for entry in entries:
        row = row_for(members[entry.member_id], entry.branch_id)
        column = {"base": "基础分", "deduction": "扣分"}.get(entry.kind, "加分")
        row[column] += entry.points
        if entry.category in row:
            row[entry.category] += entry.points
        row["合计"] += entry.points
        row["participated"] |= entry.source_type in ACTIVITY_SOURCES

    by_branch: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (_member, branch), row in rows.items():
        by_branch[branch].append(row)
    detail: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    for branch in sorted(by_branch, key=lambda b: branches[b].name):
        branch_rows = sorted(by_branch[branch], key=lambda r: (-r["合计"], r["工号"]))
        assessed = [r for r in branch_rows if r["assessed"]]
        for row, place in zip(assessed, _rank([r["合计"] for r in assessed]), strict=True):
            row["支部内排名"] = place
        for row in branch_rows:
            notes = []
            if not row["assessed"]:
                notes.append("不计入支部考核")
            if not row["active"]:
                notes.append("已不在册")
            elif row["moved"]:
                notes.append("期间转出本支部")
            row["星级"] = rules.star(row["合计"])
            row["备注"] = "；".join(notes)
            row.setdefault("支部内排名", None)
        detail += branch_rows
        counted = [r for r in assessed if r["active"] or r["合计"]]
        party_members = sum(1 for r in assessed if r["active"] and not r["moved"])
        # Rates are over today's members, so one who left does not push them past 100%.
        participants = sum(1 for r in assessed if r["participated"] and r["active"] and not r["moved"])
        total = sum(r["合计"] for r in counted)
        summary.append(
            {
                "支部": branches[branch].name,
                "党员数": party_members,
                "参与人数": participants,
                "参与率": round(participants / party_members, 4) if party_members else 0.0,
                "总积分": total,
                "人均积分": round(total / party_members, 2) if party_members else 0.0,
            }
        )
    for row, place in zip(summary, _rank([r["人均积分"] for r in summary]), strict=True):
        row["排名"] = place
    summary.sort(key=lambda r: (r["排名"], r["支部"]))

    ledger = [
        {
            "序号": e.id,
            "时间": e.occurred_at.replace(tzinfo=dt.UTC).astimezone(TZ).replace(tzinfo=None),
            "支部": branches[e.branch_id].name,
            "姓名": members[e.member_id].name,
            "工号": members[e.member_id].member_no,
            "党员类别": e.member_type,
            "类型": KINDS.get(e.kind, e.kind),
            "类别": e.category,
            "来源": SOURCES.get(e.source_type, e.source_type),
            "来源编号": e.source_id,
            "分值": e.points,
            "说明": e.reason,
            "录入人": e.created_by,
            "更正序号": e.corrects_id,
        }
        for e in entries
    ]
    return Assessment(
        period,
        [
            Sheet("支部汇总", [(c, c) for c in SUMMARY], summary, {"参与率"}),
            Sheet("成员明细", [(c, c) for c in member_columns(rules)], detail),
            Sheet("积分流水", [(c, c) for c in LEDGER], ledger),
        ],
    )


def apply_columns(report: Assessment, text: str | bytes) -> Assessment:
    """Rename, reorder and choose columns from a mapping file::

        成员明细:
          - 支部
          - 姓名
          - {列: 合计, 标题: 总分}

    A sheet the file does not name keeps its columns; a sheet mapped to [] is left out.
    """
    try:
        data = yaml.safe_load(text.decode("utf-8-sig") if isinstance(text, bytes) else text)
    except (yaml.YAMLError, ValueError):  # ValueError: a bad encoding, or a date like 2026-13-01
        raise ColumnsError("列设置文件不是有效的 UTF-8 YAML。") from None
    if not isinstance(data, dict):
        raise ColumnsError("列设置文件应以工作表名称为键：支部汇总、成员明细、积分流水。")
    sheets = []
    for sheet in report.sheets:
        spec = data.get(sheet.title)
        if spec is None:
            sheets.append(sheet)
            continue
        if not isinstance(spec, list):
            raise ColumnsError(f"“{sheet.title}”应是列的列表。")
        known = {key for key, _title in sheet.columns}
        columns = []
        for item in spec:
            key, title = (
                (item, item)
                if isinstance(item, str)
                else (
                    (item.get("列"), item.get("标题") or item.get("列"))
                    if isinstance(item, dict)
                    else (None, None)
                )
            )
            if not isinstance(key, str):
                raise ColumnsError(f"“{sheet.title}”的每一项应是列名，或写作 {{列: 列名, 标题: 新标题}}。")
            if key not in known:
                raise ColumnsError(
                    f"“{sheet.title}”没有“{key}”这一列。可用：{'、'.join(k for k, _ in sheet.columns)}。"
                )
            if not isinstance(title, str) or not 0 < len(title) <= 30:
                raise ColumnsError(f"“{sheet.title}”中“{key}”的标题应为 1-30 个字。")
            columns.append((key, title))
        if len({title for _key, title in columns}) != len(columns):
            raise ColumnsError(f"“{sheet.title}”中有重复的列标题。")
        if columns:
            sheets.append(Sheet(sheet.title, columns, sheet.rows, sheet.percent))
    unknown = set(data) - {sheet.title for sheet in report.sheets}
    if unknown:
        raise ColumnsError(f"没有名为“{'、'.join(sorted(map(str, unknown)))}”的工作表。")
    if not sheets:
        raise ColumnsError("至少要保留一个工作表。")
    return Assessment(report.period, sheets)


def _cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def to_xlsx(report: Assessment) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in report.sheets:
        out = workbook.create_sheet(sheet.title)
        out.append([title for _key, title in sheet.columns])
        for cell in out[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            out.append([_cell(row.get(key)) for key, _title in sheet.columns])
        out.freeze_panes = "A2"
        for index, (key, title) in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            if key in sheet.percent:
                for cell in out[letter][1:]:
                    cell.number_format = "0.0%"
            elif key == "时间":
                for cell in out[letter][1:]:
                    cell.number_format = "yyyy-mm-dd hh:mm"
            width = max([_width(title), *(_width(row.get(key)) for row in sheet.rows[:500])])
            out.column_dimensions[letter].width = min(60, max(8, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(value: Any) -> int:
    """Display width: a CJK character is two columns wide."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    return sum(2 if ord(char) > 0x2E80 else 1 for char in str(value))


def to_csv(report: Assessment, title: str = "成员明细") -> bytes:
    """One sheet as CSV, UTF-8 with BOM so Excel shows Chinese correctly."""
    sheet = next((s for s in report.sheets if s.title == title), report.sheets[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([t for _key, t in sheet.columns])
    for row in sheet.rows:
        values = []
        for key, _title in sheet.columns:
            value = row.get(key)
            if key in sheet.percent and value is not None:
                value = f"{value * 100:.1f}%"
            elif isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            values.append("" if value is None else _cell(value))
        writer.writerow(values)
    return buffer.getvalue().encode("utf-8-sig")
