"""The ledger: crediting a finished game through the rules, idempotency (twice, and from
two processes at once), caps across Beijing midnight, manual entries, base points, and the
season boards rebuilt from SQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import database
from app.live import protocol
from app.live.games import LiveGames
from app.live.results import finish_game
from app.models import Branch, Game, GamePlayer, Member, PointEntry
from app.points.ledger import LedgerError, credit, credit_game, grant_base, manual_entry
from app.points.periods import parse_period
from app.points.rules import Award, parse_rules
from app.points.service import points
from app.realtime import live_games
from tests.live.conftest import new_game, single


def people(app: Any) -> dict[str, int]:
    with database(app).transaction() as session:
        red, blue = Branch(name="红旗支部"), Branch(name="先锋支部")
        session.add_all([red, blue])
        session.flush()
        members = [
            Member(name="张三", member_no="D001", branch_id=red.id),
            Member(name="李四", member_no="D002", branch_id=blue.id),
            Member(name="王五", member_no="D003", branch_id=red.id, member_type="群众"),
        ]
        session.add_all(members)
        session.flush()
        return {m.name: m.id for m in members} | {"红旗支部": red.id, "先锋支部": blue.id}


def entries(app: Any) -> list[tuple[str, str, int, str]]:
    with database(app).sessions() as session:
        rows = session.scalars(
            select(PointEntry).order_by(PointEntry.member_id, PointEntry.rule, PointEntry.id)
        )
        return [(e.member.name, e.rule, e.points, e.reason) for e in rows]


def play_a_game(app: Any) -> tuple[LiveGames, str]:
    """Two questions in branch teams: 张三 right twice, 李四 once, an unmatched guest never."""
    store = live_games(app).store
    games = LiveGames(store, "k", finish=lambda pin: finish_game(database(app), store, pin, points(app)))
    pin, _token = new_game(
        store,
        [single("一", ["甲", "乙"], 0), single("二", ["甲", "乙"], 1)],
        title="党史赛",
        teams=["红旗支部", "先锋支部"],
        team_mode="branches",
    )
    seats = {}
    for nickname, team, member_no in (
        ("张三", "红旗支部", "D001"),
        ("李四", "先锋支部", "D002"),
        ("来宾", "先锋支部", ""),
    ):
        seats[nickname] = games.player_join(
            protocol.JoinRequest(pin, nickname, team, member_no, ""), sid=f"s-{nickname}"
        )["player_id"]
    games.advance(pin, "start")
    games.answer(pin, seats["张三"], 0, [0])
    games.answer(pin, seats["李四"], 0, [1])
    games.answer(pin, seats["来宾"], 0, [1])
    games.advance(pin, "next")
    games.advance(pin, "next")
    games.answer(pin, seats["张三"], 1, [1])
    games.answer(pin, seats["李四"], 1, [1])
    games.answer(pin, seats["来宾"], 1, [0])
    games.advance(pin, "next")
    games.advance(pin, "next")  # podium: the game is written and credited here
    return games, pin


EXPECTED_GAME = [
    ("张三", "quiz.correct", 2, "“党史赛”答对 2 题 × 1 分"),
    ("张三", "quiz.participation", 2, "参加“党史赛”"),
    ("张三", "quiz.rank", 5, "“党史赛”个人第 1 名"),
    ("张三", "quiz.winning_branch", 2, "“党史赛”支部第一名"),
    ("李四", "quiz.correct", 1, "“党史赛”答对 1 题 × 1 分"),
    ("李四", "quiz.participation", 2, "参加“党史赛”"),
    ("李四", "quiz.rank", 3, "“党史赛”个人第 2 名"),
]


def test_a_finished_game_is_credited_once(app: Any) -> None:
    people(app)
    games, pin = play_a_game(app)
    # 来宾 is unmatched (no 工号): listed on the results page, not credited.
    assert entries(app) == EXPECTED_GAME
    games.advance(pin, "next")  # ended: written again → found by its live key
    assert finish_game(database(app), games.store, pin, points(app)) is not None  # and once more
    with database(app).transaction() as session:
        game = session.scalars(select(Game)).one()
        assert credit_game(session, points(app).rules(), game) == []
        assert [p.nickname for p in game.players if p.member_id is None] == ["来宾"]
    assert entries(app) == EXPECTED_GAME


def test_two_processes_crediting_one_game_count_once(app: Any, tmp_path: Path) -> None:
    ids = people(app)
    with database(app).transaction() as session:
        game = Game(
            live_key="x",
            pin="111111",
            title="并发赛",
            settings={"team_mode": "free"},
            questions=[],
            teams=[],
            questions_played=5,
            started_at=dt.datetime(2026, 11, 20, 2),
            ended_at=dt.datetime(2026, 11, 20, 3),
        )
        session.add(game)
        session.flush()
        for number, name in enumerate(("张三", "李四", "王五")):
            session.add(
                GamePlayer(
                    game_id=game.id,
                    player_key=name,
                    nickname=name,
                    team="红",
                    member_id=ids[name],
                    correct_count=5 - number,
                    answered_count=5,
                    rank=number + 1,
                )
            )
        game_id = game.id
    env = {
        **os.environ,
        "DATABASE_URL": app.config["ARENA"].database_url,
        "REDIS_URL": app.config["ARENA"].redis_url,
        "ARENA_INSTANCE": str(app.config["ARENA"].instance_path),
        "SECRET_KEY": "x",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "points", "credit-game", str(game_id)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    added = sorted(int(out.split("新记 ")[1].split(" 条")[0]) for out, _err in outputs)
    assert added in ([0, 9], [4, 5], [3, 6], [2, 7], [1, 8])  # nine entries between them, however split
    assert sum(added) == 9 and len(entries(app)) == 9


def test_caps_cut_awards_per_beijing_day_and_say_so(app: Any) -> None:
    ids = people(app)
    rules = parse_rules(
        points(app).rules_text().replace("学习: {day: 20, week: 60}", "学习: {day: 10, week: 25}")
    )
    award = Award("quiz.correct", "学习", 6, "答对 6 题")
    late_evening = dt.datetime(2026, 11, 20, 15, 50)  # 23:50 in Beijing, Friday 20 November (week 47)
    after_midnight = dt.datetime(2026, 11, 20, 16, 10)  # 00:10 in Beijing, 21 November: a new day
    with database(app).transaction() as session:
        member = session.get(Member, ids["张三"])
        for number, moment in enumerate(
            (
                late_evening,
                late_evening,
                after_midnight,
                after_midnight,
                after_midnight + dt.timedelta(days=1),
                after_midnight + dt.timedelta(days=1, hours=1),
            )
        ):
            credit(
                session, rules, member, [award], source_type="quiz", source_id=str(number), occurred_at=moment
            )
        manual_entry(
            session,
            member,
            points=50,
            category="学习",
            reason="额外奖励",
            created_by="组织委员",
            request_id="r1",
            rules=rules,
            occurred_at=after_midnight,
        )
    assert [(points_, reason) for _n, _r, points_, reason in entries(app) if _r == "quiz.correct"] == [
        (6, "答对 6 题"),
        (4, "答对 6 题（应得 6 分，已达学习每日上限 10 分，本次记 4 分）"),
        (6, "答对 6 题"),
        (4, "答对 6 题（应得 6 分，已达学习每日上限 10 分，本次记 4 分）"),
        (5, "答对 6 题（应得 6 分，已达学习每周上限 25 分，本次记 5 分）"),
        (0, "答对 6 题（应得 6 分，已达学习每周上限 25 分，本次记 0 分）"),
    ]
    assert ("张三", "manual", 50, "额外奖励") in entries(app)  # an organizer's award is not capped


def test_manual_entries_and_base_points(app: Any) -> None:
    ids = people(app)
    rules = points(app).rules()
    with database(app).transaction() as session:
        member = session.get(Member, ids["李四"])
        first = manual_entry(
            session,
            member,
            points=-3,
            category="组织生活",
            reason=" 缺席\n三会一课 ",
            created_by="组织委员",
            request_id="a1",
            rules=rules,
        )
        assert (
            manual_entry(
                session,
                member,
                points=-3,
                category="组织生活",
                reason="缺席三会一课",
                created_by="组织委员",
                request_id="a1",
                rules=rules,
            )
            is None
        )
        manual_entry(
            session,
            member,
            points=3,
            category="组织生活",
            reason="已补课",
            created_by="组织委员",
            request_id="a2",
            rules=rules,
            corrects=first,
        )
        for bad, code in (
            ({"points": 0}, "bad_points"),
            ({"reason": ""}, "reason_required"),
            ({"category": "文体"}, "bad_category"),
            ({"created_by": ""}, "bad_request"),
        ):
            fields = {"points": 1, "category": "学习", "reason": "x", "created_by": "组织委员", **bad}
            with pytest.raises(LedgerError) as raised:
                manual_entry(session, member, request_id="b", rules=rules, **fields)
            assert raised.value.code == code
        year = parse_period("2026")
        assert len(grant_base(session, rules, year, "命令行")) == 2  # 群众 gets no 基础分 by default
        assert grant_base(session, rules, year, "命令行") == []
    assert entries(app) == [
        ("张三", "base", 60, "2026 基础分"),
        ("李四", "base", 60, "2026 基础分"),
        ("李四", "manual", -3, "缺席 三会一课"),
        ("李四", "manual", 3, f"更正第 {first.id} 条：已补课"),
    ]


def test_rebuild_gives_the_boards_the_increments_gave(app: Any, runner: Any) -> None:
    ids = people(app)
    play_a_game(app)
    rules = points(app).rules()
    with database(app).transaction() as session:
        added = [
            manual_entry(
                session,
                session.get(Member, ids["王五"]),
                points=7,
                category="志愿服务",
                reason="志愿服务",
                created_by="组织委员",
                request_id="v1",
                rules=rules,
            )
        ]
        added += grant_base(session, rules, parse_period("2026"), "命令行")
    points(app).publish(added)
    store = points(app).store
    incremental = store.dump()
    month = [
        key
        for key in incremental
        if key.startswith("arena:points:members:")
        and key.count("-") == 1
        and "W" not in key
        and "Q" not in key
    ]
    assert len(month) >= 1
    store.redis.flushdb()  # Redis loses everything (FLUSHALL on this test's own database)
    assert store.dump() == {}
    result = runner.invoke(args=["points", "rebuild"])
    assert result.exit_code == 0 and "重建" in result.output
    assert store.dump() == incremental
    # 王五 is 群众: on the member board, not on the branch board.
    year = dict(incremental["arena:points:members:2026"])
    assert year[str(ids["王五"])] == 7.0
    assert dict(incremental["arena:points:branches:2026"])[str(ids["红旗支部"])] == 60 + 11


def test_crediting_the_same_task_twice_counts_once(app: Any) -> None:
    ids = people(app)
    rules = points(app).rules()
    card = Award("task.completed", "志愿服务", 5, "完成任务卡“走访老党员”")
    with database(app).transaction() as session:
        member = session.get(Member, ids["张三"])
        at = dt.datetime(2026, 11, 21, 2)
        first = credit(
            session, rules, member, [card], source_type="task", source_id="card-17", occurred_at=at
        )
        again = credit(
            session, rules, member, [card], source_type="task", source_id="card-17", occurred_at=at
        )
        assert [e.idempotency_key for e in first] == [
            f"task:card-17:{ids['张三']}:task.completed"
        ] and again == []
    assert entries(app) == [("张三", "task.completed", 5, "完成任务卡“走访老党员”")]
