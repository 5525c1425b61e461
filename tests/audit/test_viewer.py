"""The audit log viewer: organizers only, newest first, filters by category, actor and
Beijing dates, 100 lines a page, the filtered view as Excel, and no way to change a line."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest

from app.audit import Actor, record
from app.extensions import database

START = dt.datetime(2026, 11, 27, 0, 0)  # UTC: 08:00 in Beijing


@pytest.fixture
def lines(app: Any) -> dict[str, Any]:
    """Three lines around Beijing midnights, then 150 points lines of the organizer (one a
    minute from START). Returns their ids: ``points`` oldest first, the others by name."""
    organizer, ops, moderator = (
        Actor("organizer", "organizer"),
        Actor("cli:ops", "cli"),
        Actor("小李", "wall_moderator"),
    )
    # Written out of time order, so that the order shown is the time's, not the ids'.
    made = [
        (ops, "bank.import", dt.datetime(2026, 11, 27, 15, 59, 59)),  # Beijing 11-27 23:59:59
        (ops, "roster.import", dt.datetime(2026, 11, 27, 16, 0, 0)),  # Beijing 11-28 00:00:00
        (moderator, "wall.approve", dt.datetime(2026, 11, 28, 16, 0, 0)),  # Beijing 11-29 00:00
    ]
    made += [(organizer, "points.award", START + dt.timedelta(minutes=i)) for i in range(150)]
    with database(app).transaction() as session:
        entries = []
        for actor, action, at in made:
            entry = record(session, actor, action, summary=f"{action} 的说明", detail={"n": len(entries)})
            entry.at = at
            entries.append(entry)
        session.flush()
        ids = [entry.id for entry in entries]
    return {"bank": ids[0], "roster": ids[1], "wall": ids[2], "points": ids[3:]}


def shown(client: Any, query: str = "", status: int = 200) -> tuple[list[int], int, str]:
    """The line ids a page shows (in order), its total, and the page."""
    response = client.get(f"/admin/audit{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    total = int(re.search(r"<span data-total>(\d+)</span>", page).group(1))
    return [int(n) for n in re.findall(r'data-entry="(\d+)"', page)], total, page


def test_newest_first_100_a_page(organizer: Any, lines: dict[str, Any]) -> None:
    newest = [lines["wall"], lines["roster"], lines["bank"], *reversed(lines["points"])]
    first, total, page = shown(organizer)
    assert total == 153 and first == newest[:100]
    assert "第 1 / 2 页" in page and 'href="/admin/audit?page=2" rel="next"' in page
    assert "上一页" not in page
    second, _total, page = shown(organizer, "?page=2")
    assert second == newest[100:] and len(second) == 53 and "下一页" not in page
    assert shown(organizer, "?page=3")[:2] == ([], 153)
    assert "2026-11-27 23:59" in first_page_row(organizer, lines["bank"])  # Beijing time


def first_page_row(client: Any, entry_id: int) -> str:
    page = client.get("/admin/audit").get_data(as_text=True)
    return page.split(f'data-entry="{entry_id}"')[1].split("</tr>")[0]


def test_filters_by_category_actor_and_beijing_dates(organizer: Any, lines: dict[str, Any]) -> None:
    points = list(reversed(lines["points"]))
    ids, total, page = shown(organizer, "?category=points")
    assert (ids, total) == (points[:100], 150)
    assert 'href="/admin/audit?page=2&amp;category=points" rel="next"' in page
    assert shown(organizer, "?category=points&page=2")[0] == points[100:]
    assert shown(organizer, "?actor=cli:ops")[:2] == ([lines["roster"], lines["bank"]], 2)
    assert shown(organizer, "?category=roster&actor=organizer")[:2] == ([], 0)
    # 11-28 in Beijing: from 11-27 16:00 UTC (included) to 11-28 16:00 UTC (excluded).
    assert shown(organizer, "?from=2026-11-28&to=2026-11-28")[:2] == ([lines["roster"]], 1)
    assert shown(organizer, "?from=2026-11-29")[:2] == ([lines["wall"]], 1)
    assert shown(organizer, "?to=2026-11-27&actor=cli:ops")[:2] == ([lines["bank"]], 1)
    assert shown(organizer, "?to=2026-11-27")[1] == 151
    for query, message in (
        ("?category=nope", "没有这个类别。"),
        ("?from=2026-13-01", "日期“2026-13-01”应写成 2026-11-28 的形式。"),
        ("?from=2026-11-29&to=2026-11-28", "开始日期不能晚于结束日期。"),
    ):
        ids, total, page = shown(organizer, query, status=400)
        assert (ids, total) == ([], 0)
        assert f'data-error-code="bad_filter">{message}</p>' in page


def test_the_excel_export_holds_the_filtered_view(organizer: Any, lines: dict[str, Any]) -> None:
    page = shown(organizer, "?actor=cli:ops&to=2026-11-28")[2]
    assert 'href="/admin/audit/export.xlsx?actor=cli:ops&amp;to=2026-11-28"' in page
    response = organizer.get("/admin/audit/export.xlsx?actor=cli:ops&to=2026-11-28")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows == [
        ("编号", "时间（北京时间）", "操作人", "身份", "类别", "操作", "对象", "说明", "来源地址"),
        (
            lines["roster"],
            dt.datetime(2026, 11, 28, 0, 0),
            "cli:ops",
            "命令行",
            "花名册",
            "roster.import",
            None,
            "roster.import 的说明",
            None,
        ),
        (
            lines["bank"],
            dt.datetime(2026, 11, 27, 23, 59, 59),
            "cli:ops",
            "命令行",
            "题库与内容",
            "bank.import",
            None,
            "bank.import 的说明",
            None,
        ),
    ]
    everything = organizer.get("/admin/audit/export.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(everything.data)).active.max_row == 154
    assert organizer.get("/admin/audit/export.xlsx?from=x").status_code == 400


def test_only_organizers_open_the_log(app: Any, client: Any, secretary: Any, organizer: Any) -> None:
    for path in ("/admin/audit", "/admin/audit/export.xlsx"):
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
        refused = secretary.get(path)
        assert refused.status_code == 403 and 'data-error-code="forbidden"' in refused.get_data(as_text=True)
    assert 'href="/admin/audit"' in organizer.get("/admin/banks").get_data(as_text=True)
    assert 'href="/admin/audit"' not in secretary.get("/admin/points").get_data(as_text=True)


def test_no_route_changes_a_line(app: Any, organizer: Any, lines: dict[str, Any]) -> None:
    audit_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/audit")]
    assert sorted(rule.rule for rule in audit_rules) == ["/admin/audit", "/admin/audit/export.xlsx"]
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in audit_rules)
    assert organizer.post("/admin/audit").status_code in (400, 405)  # CSRF or method: never a change
    assert shown(organizer)[1] == 153
