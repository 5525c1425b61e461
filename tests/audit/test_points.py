"""Points changes in the audit log: manual entries one line each, crediting one line per
batch (game, base points), rules edits with their changed lines; refused changes none."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import database
from app.models import Game, Member, PointEntry, ScenarioRun
from app.points.service import points
from tests.audit.conftest import CLI_ACTOR, Roster, brief, log
from tests.conftest import csrf_token
from tests.points.factories import Player, branch, finished_game, member


def manual(client: Any, member_id: int, **form: str) -> Any:
    url = f"/admin/points/members/{member_id}"
    page = client.get(url).get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="([0-9a-f]+)"', page).group(1)
    data = {"csrf_token": csrf_token(client, url), "request_id": request_id, **form}
    response = client.post(url, data=data)
    return response, data


def entry_ids(app: Any) -> list[int]:
    with database(app).sessions() as session:
        return list(session.scalars(select(PointEntry.id).order_by(PointEntry.id)))


def test_each_manual_award_deduction_and_correction_is_one_line(
    app: Any, organizer: Any, roster: Roster
) -> None:
    award, data = manual(organizer, roster.zhang, points="8", category="志愿服务", reason="社区服务 4 小时")
    assert award.status_code == 302
    assert organizer.post(f"/admin/points/members/{roster.zhang}", data=data).status_code == 302  # twice
    manual(organizer, roster.zhang, points="-3", category="组织生活", reason="缺席组织生活会")
    first, second = entry_ids(app)
    manual(organizer, roster.zhang, points="-8", category="志愿服务", reason="重复登记", corrects=str(first))
    third = entry_ids(app)[-1]
    lines = log(app)
    assert brief(app) == [
        ("organizer", "organizer", "points.award", "member", str(roster.zhang)),
        ("organizer", "organizer", "points.deduct", "member", str(roster.zhang)),
        ("organizer", "organizer", "points.correct", "member", str(roster.zhang)),
    ]
    assert [line.detail for line in lines] == [
        {"entry": first, "points": 8, "category": "志愿服务", "corrects": None},
        {"entry": second, "points": -3, "category": "组织生活", "corrects": None},
        {"entry": third, "points": -8, "category": "志愿服务", "corrects": first},
    ]
    assert [line.summary for line in lines] == [
        "给张三（A001）加 8 分（志愿服务）：社区服务 4 小时",
        "给张三（A001）扣 3 分（组织生活）：缺席组织生活会",
        f"更正张三（A001）的第 {first} 条积分，记 -8 分（志愿服务）：更正第 {first} 条：重复登记",
    ]
    assert {(line.category, line.address) for line in lines} == {("points", "127.0.0.1")}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert all(now - dt.timedelta(minutes=1) < line.at <= now for line in lines)


@pytest.mark.parametrize(
    "form",
    [
        {"points": "5", "category": "学习", "reason": "  "},
        {"points": "0", "category": "学习", "reason": "x"},
        {"points": "5", "category": "娱乐", "reason": "x"},
    ],
)
def test_a_refused_points_form_writes_no_line(
    app: Any, organizer: Any, roster: Roster, form: dict[str, str]
) -> None:
    response, _data = manual(organizer, roster.zhang, **form)
    assert response.status_code == 400
    assert log(app) == [] and entry_ids(app) == []


def test_a_rules_edit_records_the_changed_lines(app: Any, organizer: Any) -> None:
    token = csrf_token(organizer, "/admin/points/rules")
    before = points(app).rules_text()
    after = before.replace("per_correct: 1 ", "per_correct: 3 ").replace("completed: 5 ", "completed: 6 ")
    saved = organizer.post("/admin/points/rules", data={"csrf_token": token, "rules": after})
    assert saved.status_code == 200 and points(app).rules().activities.quiz.per_correct == 3
    # Saving the same text again changes nothing, and a refused file is not saved.
    assert (
        organizer.post("/admin/points/rules", data={"csrf_token": token, "rules": after}).status_code == 200
    )
    bad = organizer.post("/admin/points/rules", data={"csrf_token": token, "rules": "categories: []\n"})
    assert bad.status_code == 400 and points(app).rules_text() == after
    [line] = log(app)
    assert (line.actor, line.action, line.target_type, line.target_id) == (
        "organizer",
        "points.rules",
        "rules",
        "points_rules.yaml",
    )
    assert line.summary == "修改积分规则：删去 2 行，写入 2 行"
    assert line.detail == {
        "removed": 2,
        "added": 2,
        "changes": [
            "-    per_correct: 1         # 每答对一题",
            "+    per_correct: 3         # 每答对一题",
            "-    completed: 5           # 任务卡未设分值时，完成并经支部审核通过的默认分",
            "+    completed: 6           # 任务卡未设分值时，完成并经支部审核通过的默认分",
        ],
    }


def _game(app: Any, roster: Roster) -> int:
    with database(app).transaction() as session:
        zhang, wang = session.get(Member, roster.zhang), session.get(Member, roster.wang)
        game = finished_game(
            session,
            "七一知识赛",
            dt.datetime(2026, 11, 20, 3),
            [
                Player(zhang, "第一党支部", answered=3, correct=2, rank=1),
                Player(wang, "第二党支部", answered=3, correct=1, rank=2),
                Player(None, "第二党支部", answered=3, correct=3, rank=3, nickname="来宾"),
            ],
        )
        return game.id


def test_a_finished_game_is_credited_as_one_line_of_the_system(app: Any, roster: Roster) -> None:
    game_id = _game(app, roster)
    service = points(app)
    with database(app).transaction() as session:
        game = session.get(Game, game_id)
        added = service.credit_game(session, game)  # as the end of a live game does
    # 张三: participation 2 + 2 correct + 1st place 5 + winning branch 2; 王五: 2 + 1 + 3
    assert sorted(e.points for e in added) == [1, 2, 2, 2, 2, 3, 5]
    with database(app).transaction() as session:
        assert service.credit_game(session, session.get(Game, game_id)) == []  # nothing new: no line
    [line] = log(app)
    assert (line.actor, line.actor_role, line.action, line.target_type, line.target_id, line.address) == (
        "system",
        "system",
        "points.credit_game",
        "game",
        str(game_id),
        "",
    )
    assert line.detail == {"entries": 7, "members": 2, "total": 17}
    assert line.summary == "比赛“七一知识赛”记分：2 人 7 条，共 17 分"


def test_the_cli_credits_a_game_and_base_points_as_one_line_each(
    app: Any, runner: Any, roster: Roster
) -> None:
    game_id = _game(app, roster)
    assert runner.invoke(args=["points", "credit-game", str(game_id)]).exit_code == 0
    assert runner.invoke(args=["points", "credit-game", str(game_id)]).exit_code == 0  # nothing new
    assert runner.invoke(args=["points", "base", "--period", "2026-Q4"]).exit_code == 0
    assert runner.invoke(args=["points", "base", "--period", "明年"]).exit_code == 2
    assert brief(app) == [
        (CLI_ACTOR, "cli", "points.credit_game", "game", str(game_id)),
        (CLI_ACTOR, "cli", "points.base", "period", "2026-Q4"),
    ]
    assert [line.detail for line in log(app)] == [
        {"entries": 7, "members": 2, "total": 17},
        {"entries": 3, "members": 3, "total": 180},  # 60 each, three members
    ]
    assert log(app)[1].summary == "2026-Q4 基础分记分：3 人 3 条，共 180 分"


def test_matching_players_credits_as_the_organizer(app: Any, organizer: Any, roster: Roster) -> None:
    with database(app).transaction() as session:
        game = finished_game(
            session,
            "匹配赛",
            dt.datetime(2026, 11, 20, 3),
            [Player(None, "红队", answered=2, correct=2, rank=1, nickname="小张")],
            team_mode="free",
        )
        game_id, player_id = game.id, game.players[0].id
    token = csrf_token(organizer, f"/admin/games/{game_id}")
    matched = organizer.post(
        f"/admin/games/{game_id}/match", data={"csrf_token": token, f"player_{player_id}": "A001"}
    )
    assert matched.status_code == 302
    assert brief(app) == [("organizer", "organizer", "points.credit_game", "game", str(game_id))]
    assert log(app)[0].detail == {"entries": 3, "members": 1, "total": 9}  # 2 + 2 + 5


def test_a_finished_scenario_run_is_credited_as_one_line_of_the_system(app: Any) -> None:
    from tests.scenario.test_pages import play_mini

    with database(app).transaction() as session:
        first = branch(session, "第一党支部")
        member(session, "张三", "D001", first)
        member(session, "李四", "D002", first)
    play_mini(app)  # ends the run: written and credited
    with database(app).sessions() as session:
        run_id = session.scalar(select(ScenarioRun.id))
    assert [action for _actor, _role, action, _type, _id in brief(app)] == [
        "scenario.load",
        "points.credit_scenario",
    ]
    assert brief(app)[1] == ("system", "system", "points.credit_scenario", "scenario_run", str(run_id))
    line = log(app)[1]  # after the scenario's load (by the test: the system too)
    assert line.detail == {"entries": 6, "members": 2, "total": 21}
    assert line.summary == "剧本杀“电台疑云”记分：2 人 6 条，共 21 分"
