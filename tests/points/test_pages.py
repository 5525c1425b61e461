"""Points pages: overview, a member's ledger with manual entries, the rules editor, the
export form, the season board, matching game players, and what a branch secretary sees."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest

from app.accounts import set_user
from app.extensions import database
from app.models import Branch, Game, GamePlayer, Member, PointEntry
from app.points.periods import period_of
from tests.conftest import csrf_token


@pytest.fixture
def roster(app: Any) -> dict[str, int]:
    """Two branches; ids by name."""
    with database(app).transaction() as session:
        first, second = Branch(name="第一党支部"), Branch(name="第二党支部")
        session.add_all([first, second])
        session.flush()
        people = [
            Member(name="张三", member_no="D001", branch_id=first.id),
            Member(name="李四", member_no="D002", branch_id=first.id, member_type="预备党员"),
            Member(name="王五", member_no="D003", branch_id=second.id),
            Member(name="赵六", member_no="D004", branch_id=second.id, member_type="群众"),
        ]
        session.add_all(people)
        session.flush()
        return {"第一党支部": first.id, "第二党支部": second.id, **{m.name: m.id for m in people}}


def add_entry(client: Any, member_id: int, **form: str) -> Any:
    page = client.get(f"/admin/points/members/{member_id}").get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="([0-9a-f]+)"', page).group(1)
    data = {
        "csrf_token": csrf_token(client, f"/admin/points/members/{member_id}"),
        "request_id": request_id,
        **form,
    }
    return client.post(f"/admin/points/members/{member_id}", data=data), data


def ledger(app: Any) -> list[tuple[str, int, str, str]]:
    with database(app).sessions() as session:
        return [
            (e.member.name, e.points, e.category, e.reason)
            for e in session.query(PointEntry).order_by(PointEntry.id)
        ]


def test_manual_entries_are_new_lines_with_a_running_total(
    app: Any, organizer: Any, roster: dict[str, int]
) -> None:
    member = roster["张三"]
    response, data = add_entry(
        organizer, member, points="8", category="志愿服务", reason="社区志愿服务 4 小时"
    )
    assert response.status_code == 302
    assert organizer.post(f"/admin/points/members/{member}", data=data).status_code == 302  # resubmitted
    add_entry(organizer, member, points="－3", category="组织生活", reason="缺席 11 月组织生活会")
    assert ledger(app) == [
        ("张三", 8, "志愿服务", "社区志愿服务 4 小时"),
        ("张三", -3, "组织生活", "缺席 11 月组织生活会"),
    ]
    page = organizer.get(f"/admin/points/members/{member}").get_data(as_text=True)
    rows = re.findall(r'<td class="num">([+-]\d+)</td>\s*<td class="num">(-?\d+)</td>', page)
    assert rows == [("+8", "8"), ("-3", "5")]
    with database(app).sessions() as session:
        first = session.query(PointEntry).order_by(PointEntry.id).first()
        first_id, created_by = first.id, first.created_by
    assert created_by == "组织委员"
    add_entry(organizer, member, points="-8", category="志愿服务", reason="重复登记", corrects=str(first_id))
    assert ledger(app)[-1] == ("张三", -8, "志愿服务", f"更正第 {first_id} 条：重复登记")
    board = period_of("month", dt.datetime.now(dt.UTC))
    from app.points.service import points

    assert points(app).store.top_members(board.key, 5) == [(member, -3)]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"points": "5", "category": "学习", "reason": "  "}, "reason_required"),
        ({"points": "0", "category": "学习", "reason": "x"}, "bad_points"),
        ({"points": "5000", "category": "学习", "reason": "x"}, "bad_points"),
        ({"points": "五", "category": "学习", "reason": "x"}, "bad_points"),
        ({"points": "5", "category": "娱乐", "reason": "x"}, "bad_category"),
        ({"points": "5", "category": "学习", "reason": "长" * 201}, "reason_too_long"),
    ],
)
def test_bad_manual_entries_store_nothing(
    app: Any, organizer: Any, roster: dict[str, int], form: dict[str, str], code: str
) -> None:
    response, _data = add_entry(organizer, roster["张三"], **form)
    assert response.status_code == 400 and f'data-error-code="{code}"' in response.get_data(as_text=True)
    assert ledger(app) == []


def test_rules_editor_validates_before_saving(app: Any, organizer: Any) -> None:
    token = csrf_token(organizer, "/admin/points/rules")
    original = organizer.get("/admin/points/rules").get_data(as_text=True)
    assert "per_correct: 1" in original
    bad = organizer.post(
        "/admin/points/rules",
        data={"csrf_token": token, "rules": "categories: [学习]\nmember_types: [群众]\nassessed: [党员]\n"},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "assessed 中的“党员”不在 member_types 中" in body
    from app.points.service import points

    assert points(app).rules().activities.quiz.per_correct == 1  # unchanged
    text = points(app).rules_text().replace("per_correct: 1 ", "per_correct: 3 ")
    good = organizer.post("/admin/points/rules", data={"csrf_token": token, "rules": text})
    assert good.status_code == 200 and "规则已保存" in good.get_data(as_text=True)
    assert points(app).rules().activities.quiz.per_correct == 3


def test_export_form_gives_xlsx_and_csv(app: Any, organizer: Any, roster: dict[str, int]) -> None:
    add_entry(organizer, roster["王五"], points="6", category="学习", reason="读书班")
    period = period_of("month", dt.datetime.now(dt.UTC)).key
    token = csrf_token(organizer, "/admin/points")
    response = organizer.post(
        "/admin/points/export", data={"csrf_token": token, "period": period, "format": "xlsx"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    summary = list(book["支部汇总"].values)
    assert summary[1:] == [("第二党支部", 1, 0, 0, 6, 6, 1), ("第一党支部", 2, 0, 0, 0, 0, 2)]
    response = organizer.post(
        "/admin/points/export",
        data={"csrf_token": token, "period": period, "format": "csv", "branch": str(roster["第二党支部"])},
    )
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row[:2] + row[-5:] for row in rows[1:]] == [
        ["第二党支部", "王五", "0", "6", "1", "", ""],
        ["第二党支部", "赵六", "0", "0", "", "", "不计入支部考核"],
    ]
    columns = io.BytesIO("成员明细: [姓名, {列: 合计, 标题: 总分}]\n".encode())
    response = organizer.post(
        "/admin/points/export",
        data={"csrf_token": token, "period": period, "format": "csv", "columns": (columns, "列.yaml")},
        content_type="multipart/form-data",
    )
    assert response.data.decode("utf-8-sig").splitlines() == [
        "姓名,总分",
        "张三,0",
        "李四,0",
        "王五,6",
        "赵六,0",
    ]
    bad = organizer.post("/admin/points/export", data={"csrf_token": token, "period": "2026-13"})
    assert bad.status_code == 400 and 'data-error-code="bad_period"' in bad.get_data(as_text=True)


def test_board_shows_members_and_branches(app: Any, organizer: Any, roster: dict[str, int]) -> None:
    add_entry(organizer, roster["李四"], points="4", category="学习", reason="学习强国")
    add_entry(organizer, roster["赵六"], points="9", category="学习", reason="群众也来学")
    page = organizer.get("/board").get_data(as_text=True)
    top = re.findall(r'<span class="who">([^<]+)</span>', page.split('id="top-members"')[1].split("</ol>")[0])
    assert top == ["赵六", "李四"]
    average = page.split('id="branches-by-average"')[1].split("</ol>")[0]
    # 第一党支部: 4 points over 2 assessed members; 赵六 (群众) does not count for 第二党支部.
    assert re.findall(r'<span class="who">([^<]+)</span>.*?<span class="score">([^<]+)</span>', average) == [
        ("第一党支部", "2.0"),
        ("第二党支部", "0.0"),
    ]


def test_unmatched_players_are_matched_then_credited(
    app: Any, organizer: Any, roster: dict[str, int]
) -> None:
    with database(app).transaction() as session:
        game = Game(
            live_key="k1",
            pin="123456",
            title="七一赛",
            settings={"team_mode": "free"},
            questions=[],
            teams=[],
            questions_played=2,
            started_at=dt.datetime(2026, 11, 20, 2),
            ended_at=dt.datetime(2026, 11, 20, 3),
        )
        session.add(game)
        session.flush()
        session.add_all(
            [
                GamePlayer(
                    game_id=game.id,
                    player_key="a",
                    nickname="小张",
                    team="红队",
                    correct_count=2,
                    answered_count=2,
                    rank=1,
                ),
                GamePlayer(
                    game_id=game.id, player_key="b", nickname="路人", team="蓝队", answered_count=1, rank=2
                ),
            ]
        )
        session.flush()
        game_id, player_ids = game.id, [p.id for p in game.players]
    page = organizer.get(f"/admin/games/{game_id}").get_data(as_text=True)
    assert page.count("未对应成员") == 2
    token = csrf_token(organizer, f"/admin/games/{game_id}")
    bad = organizer.post(
        f"/admin/games/{game_id}/match",
        data={"csrf_token": token, f"player_{player_ids[0]}": "Ｄ001", f"player_{player_ids[1]}": "X9"},
    )
    assert bad.status_code == 400 and "路人：没有工号为“X9”的成员" in bad.get_data(as_text=True)
    assert ledger(app) == [
        ("张三", 2, "学习", "参加“七一赛”"),
        ("张三", 2, "学习", "“七一赛”答对 2 题 × 1 分"),
        ("张三", 5, "学习", "“七一赛”个人第 1 名"),
    ]
    again = organizer.post(f"/admin/games/{game_id}/match", data={"csrf_token": token})
    assert again.status_code == 302 and len(ledger(app)) == 3


def test_a_secretary_sees_only_the_own_branch(app: Any, client: Any, roster: dict[str, int]) -> None:
    with database(app).transaction() as session:
        set_user(session, "secretary1", "branch-secret-1", role="secretary", branch_id=roster["第一党支部"])
    landed = client.post(
        "/login",
        data={"username": "secretary1", "password": "branch-secret-1", "csrf_token": csrf_token(client)},
    )
    assert landed.headers["Location"] == "/admin/points"
    page = client.get("/admin/points").get_data(as_text=True)
    assert "张三" in page and "王五" not in page and "第二党支部" not in page
    assert client.get(f"/admin/points/members/{roster['王五']}").status_code == 404
    assert client.get(f"/admin/points/members/{roster['张三']}").status_code == 200
    assert client.get("/admin/banks").status_code == 403
    assert client.get("/admin/points/rules").status_code == 403
    token = csrf_token(client, "/admin/points")
    response = client.post(
        "/admin/points/export",
        data={"csrf_token": token, "format": "csv", "branch": str(roster["第二党支部"])},
    )
    names = [row[1] for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig")))][1:]
    assert names == ["张三", "李四"]  # the branch field cannot widen a secretary's export
    refused = client.post(
        f"/admin/points/members/{roster['张三']}",
        data={"csrf_token": token, "request_id": "abc", "points": "5", "category": "学习", "reason": "x"},
    )
    assert refused.status_code == 403 and ledger(app) == []
