"""The ledger on each database: crediting a finished game through the rules, crediting once
(twice in a row, and from several processes at the same moment), caps per Beijing day, week
and month, manual entries and corrections, base points, and a member's running total."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import database
from app.live import protocol
from app.live.games import LiveGames, settled
from app.live.results import finish_game
from app.models import Game, Member, PointEntry
from app.points.ledger import (
    LedgerError,
    credit,
    credit_game,
    grant_base,
    manual_entry,
    member_ledger,
    unmatched_players,
)
from app.points.periods import parse_period, period_of
from app.points.rules import Award, parse_rules
from app.points.service import points
from app.realtime import live_games
from tests.live.conftest import new_game, single
from tests.points.factories import Player, beijing, branch, finished_game, ledger_rows, member

ROOT = Path(__file__).resolve().parents[2]


def roster(app: Any) -> dict[str, int]:
    """红旗支部: 张三, 王五 (群众); 先锋支部: 李四 (预备党员), 赵六 (left the roster)."""
    with database(app).transaction() as session:
        red, vanguard = branch(session, "红旗支部"), branch(session, "先锋支部")
        made = [
            member(session, "张三", "D001", red),
            member(session, "李四", "D002", vanguard, "预备党员"),
            member(session, "王五", "D003", red, "群众"),
            member(session, "赵六", "D004", vanguard, active=False),
        ]
        return {m.name: m.id for m in made} | {"红旗支部": red.id, "先锋支部": vanguard.id}


def rows(app: Any) -> list[tuple[str, str, int, str]]:
    with database(app).sessions() as session:
        return ledger_rows(session)


def count(app: Any) -> int:
    with database(app).sessions() as session:
        return int(session.scalar(select(func.count(PointEntry.id))))


# -- a live game, finished twice --------------------------------------------------------


def play_a_game(app: Any) -> tuple[LiveGames, str]:
    """Two questions in branch teams: 张三 right twice, 李四 once, a guest without 工号 never.

    (The guest answers nothing right, so that 李四 is second whatever the answer times.)
    """
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
    settled(games.advance(pin, "next")[1])  # podium: the game is written and credited here
    return games, pin


GAME_ENTRIES = [
    ("张三", "quiz.correct", 2, "“党史赛”答对 2 题 × 1 分"),
    ("张三", "quiz.participation", 2, "参加“党史赛”"),
    ("张三", "quiz.rank", 5, "“党史赛”个人第 1 名"),
    ("张三", "quiz.winning_branch", 2, "“党史赛”支部第一名"),
    ("李四", "quiz.correct", 1, "“党史赛”答对 1 题 × 1 分"),
    ("李四", "quiz.participation", 2, "参加“党史赛”"),
    ("李四", "quiz.rank", 3, "“党史赛”个人第 2 名"),
]


def test_ending_a_game_twice_credits_it_once(points_app: Any) -> None:
    ids = roster(points_app)
    games, pin = play_a_game(points_app)
    assert rows(points_app) == GAME_ENTRIES
    settled(games.advance(pin, "next")[1])  # ended: written again, found by its live key
    again = finish_game(database(points_app), games.store, pin, points(points_app))
    with database(points_app).transaction() as session:
        game = session.scalars(select(Game)).one()
        assert again == game.id
        assert credit_game(session, points(points_app).rules(), game) == []
        assert [p.nickname for p in unmatched_players(game)] == ["来宾"]
        stored = session.scalars(select(PointEntry).where(PointEntry.member_id == ids["张三"])).all()
        assert {(e.source_type, e.source_id, e.kind, e.category, e.created_by) for e in stored} == {
            ("quiz", str(game.id), "award", "学习", "系统")
        }
        assert {e.occurred_at for e in stored} == {game.ended_at}
        month = period_of("month", game.ended_at).key
    assert rows(points_app) == GAME_ENTRIES
    # The boards counted the game once, though it was written three times.
    assert points(points_app).store.top_members(month, 10) == [(ids["张三"], 11), (ids["李四"], 6)]
    assert points(points_app).store.branch_totals(month) == {ids["红旗支部"]: 11, ids["先锋支部"]: 6}


def test_crediting_again_adds_only_what_is_new(points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red = branch(session, "红旗支部")
        zhang, li, wang = (
            member(session, "张三", "D001", red),
            member(session, "李四", "D002", red),
            member(session, "王五", "D003", red),
        )
        game = finished_game(
            session,
            "七一赛",
            beijing(2026, 7, 1, 20),
            [
                Player(zhang, "红旗支部", answered=3, correct=3, rank=1),
                Player(None, "红旗支部", answered=3, correct=2, rank=2, nickname="小李"),
                Player(wang, "红旗支部", answered=3, correct=1, rank=3, kicked=True),
            ],
        )
        rules = points(points_app).rules()
        assert len(credit_game(session, rules, game)) == 4  # 张三 only: the guest is unmatched
        assert credit_game(session, rules, game) == []
        assert [p.nickname for p in unmatched_players(game)] == ["小李"]
        # The organizer matches the guest to 李四 on the results page and credits again;
        # the rules have changed meanwhile: what is in the ledger stays as it was.
        game.players[1].member_id = li.id
        session.flush()
        doubled = parse_rules(points(points_app).rules_text().replace("per_correct: 1", "per_correct: 2"))
        added = credit_game(session, doubled, game)
        assert [(e.member_id, e.rule, e.points) for e in added] == [
            (li.id, "quiz.participation", 2),
            (li.id, "quiz.correct", 4),
            (li.id, "quiz.rank", 3),
            (li.id, "quiz.winning_branch", 2),
        ]
        assert credit_game(session, doubled, game) == []
    assert rows(points_app) == [
        ("张三", "quiz.correct", 3, "“七一赛”答对 3 题 × 1 分"),
        ("张三", "quiz.participation", 2, "参加“七一赛”"),
        ("张三", "quiz.rank", 5, "“七一赛”个人第 1 名"),
        ("张三", "quiz.winning_branch", 2, "“七一赛”支部第一名"),
        ("李四", "quiz.correct", 4, "“七一赛”答对 2 题 × 2 分"),
        ("李四", "quiz.participation", 2, "参加“七一赛”"),
        ("李四", "quiz.rank", 3, "“七一赛”个人第 2 名"),
        ("李四", "quiz.winning_branch", 2, "“七一赛”支部第一名"),
    ]  # 王五 was kicked: never credited


def test_free_teams_earn_no_branch_bonus(points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red = branch(session, "红旗支部")
        zhang = member(session, "张三", "D001", red)
        game = finished_game(
            session,
            "自由组队赛",
            beijing(2026, 7, 2, 20),
            [Player(zhang, "红队", answered=1, correct=0, rank=4)],
            team_mode="free",
        )
        credit_game(session, points(points_app).rules(), game)
    assert rows(points_app) == [("张三", "quiz.participation", 2, "参加“自由组队赛”")]


def test_processes_crediting_one_game_at_the_same_moment_count_it_once(points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red, vanguard = branch(session, "红旗支部"), branch(session, "先锋支部")
        players = [
            Player(
                member(session, f"成员{n}", f"D{n:03d}", red if n % 2 else vanguard),
                "红旗支部",
                answered=5,
                correct=(10 - n) // 2,
                rank=n,
            )
            for n in range(1, 11)
        ]
        game_id = finished_game(session, "并发赛", beijing(2026, 11, 20, 20), players).id
    url = points_app.config["ARENA"].database_url
    racers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.points.race", url, str(game_id)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None and racer.stdout.readline() == "ready\n"
        for racer in racers:  # the starting shot, as close together as the pipes allow
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        outcomes = [racer.communicate(timeout=60) for racer in racers]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait()
    assert [r.returncode for r in racers] == [0, 0, 0, 0], [err for _out, err in outcomes]
    assert all(err == "" for _out, err in outcomes), [err for _out, err in outcomes]
    # Ten take part, all in the first (the only) team, eight answered right, three placed:
    # 10 + 8 + 3 + 10 entries worth 10×2 + 2×(4+3+2+1) + (5+3+2) + 10×2 points, once.
    assert sum(int(out) for out, _err in outcomes) == 31
    with database(points_app).sessions() as session:
        assert session.scalar(select(func.count(PointEntry.id))) == 31
        assert session.scalar(select(func.sum(PointEntry.points))) == 70


# -- caps across Beijing midnight ----------------------------------------------------------


def test_caps_count_beijing_days_weeks_and_months(points_app: Any) -> None:
    ids = roster(points_app)
    rules = points(points_app).rules()  # 学习: 20 a day, 60 a week; 志愿服务: 30 a month
    with database(points_app).transaction() as session:
        zhang, li = session.get(Member, ids["张三"]), session.get(Member, ids["李四"])
        numbers = iter(range(100))

        def award(who: Member, amount: int, at: dt.datetime, category: str = "学习") -> PointEntry:
            (entry,) = credit(
                session,
                rules,
                who,
                [Award("quiz.correct", category, amount, f"得 {amount} 分")],
                source_type="quiz",
                source_id=str(next(numbers)),
                occurred_at=at,
            )
            return entry

        def organizer(amount: int, at: dt.datetime, corrects: PointEntry | None = None) -> PointEntry:
            entry = manual_entry(
                session,
                zhang,
                points=amount,
                category="学习",
                reason="组织委员加分",
                created_by="组织委员",
                request_id=f"r{next(numbers)}",
                rules=rules,
                occurred_at=at,
                corrects=corrects,
            )
            assert entry is not None
            return entry

        # Week 48 runs from Monday 23 to Sunday 29 November, Beijing time.
        got = [award(zhang, 5, beijing(2026, 11, 26, 12))]  # Thursday
        fixed = organizer(-3, beijing(2026, 11, 26, 13))
        organizer(30, beijing(2026, 11, 26, 14), corrects=fixed)  # a correction: not capped either
        got.append(award(zhang, 15, beijing(2026, 11, 27, 23, 50)))  # Friday 23:50 = 15:50 UTC
        got.append(award(zhang, 15, beijing(2026, 11, 28, 0, 10)))  # Saturday 00:10 = 16:10 UTC, same UTC day
        organizer(50, beijing(2026, 11, 28, 7))  # 50 on top of a 20-a-day cap, and uses none of it
        got.append(award(zhang, 15, beijing(2026, 11, 28, 8)))
        got.append(award(li, 15, beijing(2026, 11, 28, 8)))  # caps are per member
        got.append(award(zhang, 15, beijing(2026, 11, 29, 10)))  # Sunday: the week is at 55
        got.append(award(zhang, 10, beijing(2026, 11, 29, 23, 50)))
        got.append(award(zhang, 3, beijing(2026, 11, 29, 23, 59)))
        got.append(award(zhang, 8, beijing(2026, 11, 30, 0, 10)))  # Monday: a new day and week
        got.append(award(zhang, 300, beijing(2026, 11, 30, 0, 20), "组织生活"))  # no cap
        # 志愿服务: 30 a month; 1 December begins at 16:00 UTC on 30 November.
        got.append(award(zhang, 25, beijing(2026, 11, 30, 23, 50), "志愿服务"))
        got.append(award(zhang, 10, beijing(2026, 11, 30, 23, 55), "志愿服务"))
        got.append(award(zhang, 10, beijing(2026, 12, 1, 0, 10), "志愿服务"))
        stored = [(e.points, e.reason) for e in got]
        organizers = session.scalars(
            select(PointEntry.points).where(PointEntry.source_type != "quiz").order_by(PointEntry.id)
        ).all()
    assert stored == [
        (5, "得 5 分"),
        (15, "得 15 分"),
        (15, "得 15 分"),
        (5, "得 15 分（应得 15 分，已达学习每日上限 20 分，本次记 5 分）"),
        (15, "得 15 分"),
        (15, "得 15 分"),
        (5, "得 10 分（应得 10 分，已达学习每日上限 20 分、学习每周上限 60 分，本次记 5 分）"),
        (0, "得 3 分（应得 3 分，已达学习每日上限 20 分、学习每周上限 60 分，本次记 0 分）"),
        (8, "得 8 分"),
        (300, "得 300 分"),
        (25, "得 25 分"),
        (5, "得 10 分（应得 10 分，已达志愿服务每月上限 30 分，本次记 5 分）"),
        (10, "得 10 分"),
    ]
    assert organizers == [-3, 30, 50]


def test_either_cap_can_bind_alone(points_app: Any) -> None:
    ids = roster(points_app)
    rules = parse_rules(
        points(points_app).rules_text().replace("学习: {day: 20, week: 60}", "学习: {day: 10, week: 25}")
    )
    moments = [
        beijing(2026, 11, 23, 9),
        beijing(2026, 11, 23, 10),
        beijing(2026, 11, 24, 9),
        beijing(2026, 11, 25, 9),
    ]
    with database(points_app).transaction() as session:
        zhang = session.get(Member, ids["张三"])
        reasons = []
        for number, at in enumerate(moments):
            (entry,) = credit(
                session,
                rules,
                zhang,
                [Award("quiz.correct", "学习", 9, "九分")],
                source_type="quiz",
                source_id=str(number),
                occurred_at=at,
            )
            reasons.append((entry.points, entry.reason))
    assert reasons == [
        (9, "九分"),
        (1, "九分（应得 9 分，已达学习每日上限 10 分，本次记 1 分）"),
        (9, "九分"),
        (6, "九分（应得 9 分，已达学习每周上限 25 分，本次记 6 分）"),
    ]


# -- manual entries, base points, a member's ledger --------------------------------------------


def test_manual_entries_corrections_and_a_double_submitted_form(points_app: Any) -> None:
    ids = roster(points_app)
    rules = points(points_app).rules()
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with database(points_app).transaction() as session:
        li = session.get(Member, ids["李四"])

        def enter(request_id: str, **fields: Any) -> PointEntry | None:
            form = {"points": -3, "category": "组织生活", "reason": "缺席三会一课", "created_by": "组织委员"}
            return manual_entry(session, li, request_id=request_id, rules=rules, **(form | fields))

        first = enter("a1", reason=" 缺席\n三会一课 ")
        assert first is not None
        assert enter("a1") is None  # the same form submitted twice
        assert enter("a1", points=5, reason="别的") is None  # the request id decides
        fixed = enter("a2", points=3, reason="已补课", corrects=first)
        award = enter("a3", points=1000, category="志愿服务", reason="x" * 200, created_by="书记")
        assert fixed is not None and award is not None
        for fields, code, message, field_name in (
            ({"points": 0}, "bad_points", "分值应为 -1000 到 1000 之间、不为 0 的整数。", "points"),
            ({"points": 1001}, "bad_points", "分值应为 -1000 到 1000 之间、不为 0 的整数。", "points"),
            ({"points": -1001}, "bad_points", "分值应为 -1000 到 1000 之间、不为 0 的整数。", "points"),
            ({"reason": " \n "}, "reason_required", "请填写加减分的原因。", "reason"),
            ({"reason": "x" * 201}, "reason_too_long", "原因最多 200 个字。", "reason"),
            (
                {"category": "文体"},
                "bad_category",
                "类别只能是：学习、组织生活、志愿服务、履职、纪律。",
                "category",
            ),
            ({"created_by": ""}, "bad_request", "缺少操作人。", ""),
        ):
            with pytest.raises(LedgerError) as raised:
                enter("b", **fields)
            assert (raised.value.code, raised.value.message, raised.value.field) == (
                code,
                message,
                field_name,
            )
        stored = [
            (e.kind, e.source_type, e.source_id, e.points, e.category, e.reason, e.created_by, e.corrects_id)
            for e in (first, fixed, award)
        ]
        assert all(
            before <= e.occurred_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None) for e in (first, award)
        )
        assert (first.branch_id, first.member_type) == (ids["先锋支部"], "预备党员")
    assert stored == [
        ("deduction", "manual", "a1", -3, "组织生活", "缺席 三会一课", "组织委员", None),
        ("award", "correction", "a2", 3, "组织生活", f"更正第 {first.id} 条：已补课", "组织委员", first.id),
        ("award", "manual", "a3", 1000, "志愿服务", "x" * 200, "书记", None),
    ]
    assert count(points_app) == 3


def test_base_points_once_per_period_to_active_members_of_the_listed_types(points_app: Any) -> None:
    ids = roster(points_app)
    rules = points(points_app).rules()
    with database(points_app).transaction() as session:
        session.add(
            Member(name="钱七", member_no="D007", branch_id=ids["红旗支部"], member_type="入党积极分子")
        )
        quarter = parse_period("2026-Q4")
        first = grant_base(session, rules, quarter, "命令行")
        assert grant_base(session, rules, quarter, "命令行") == []
        assert len(grant_base(session, rules, parse_period("2026"), "命令行")) == 2  # another period: again
        unpaid = parse_rules(points(points_app).rules_text().replace("points: 60", "points: 0"))
        assert grant_base(session, unpaid, parse_period("2027"), "命令行") == []
        granted = [
            (e.member.name, e.kind, e.category, e.points, e.reason, e.occurred_at, e.source_id, e.created_by)
            for e in first
        ]
    # 王五 is 群众, 钱七 入党积极分子, 赵六 no longer on the roster.
    assert granted == [
        ("张三", "base", "履职", 60, "2026-Q4 基础分", dt.datetime(2026, 9, 30, 16), "2026-Q4", "命令行"),
        ("李四", "base", "履职", 60, "2026-Q4 基础分", dt.datetime(2026, 9, 30, 16), "2026-Q4", "命令行"),
    ]
    assert count(points_app) == 4


def test_entries_keep_the_branch_and_type_of_their_time(points_app: Any) -> None:
    ids = roster(points_app)
    rules = points(points_app).rules()
    card = [Award("task.completed", "志愿服务", 5, "完成任务卡")]
    with database(points_app).transaction() as session:
        li = session.get(Member, ids["李四"])
        credit(
            session, rules, li, card, source_type="task", source_id="c1", occurred_at=beijing(2026, 11, 1, 9)
        )
        li.branch_id, li.member_type = ids["红旗支部"], "正式党员"
        session.flush()
        credit(
            session, rules, li, card, source_type="task", source_id="c2", occurred_at=beijing(2026, 11, 2, 9)
        )
        again = credit(
            session, rules, li, card, source_type="task", source_id="c2", occurred_at=beijing(2026, 11, 3, 9)
        )
        assert again == []
        kept = session.execute(
            select(PointEntry.idempotency_key, PointEntry.branch_id, PointEntry.member_type).order_by(
                PointEntry.id
            )
        ).all()
    assert [tuple(row) for row in kept] == [
        (f"task:c1:{ids['李四']}:task.completed", ids["先锋支部"], "预备党员"),
        (f"task:c2:{ids['李四']}:task.completed", ids["红旗支部"], "正式党员"),
    ]


def test_a_members_ledger_with_running_totals(points_app: Any) -> None:
    ids = roster(points_app)
    rules = points(points_app).rules()
    with database(points_app).transaction() as session:
        zhang = session.get(Member, ids["张三"])
        for request_id, amount, at in (
            ("m3", 4, beijing(2026, 12, 1, 0, 0)),
            ("m1", 10, beijing(2026, 11, 1, 0, 0)),
            ("m2", -3, beijing(2026, 11, 30, 23, 59)),
            ("m4", 7, beijing(2026, 10, 31, 23, 59)),
        ):
            manual_entry(
                session,
                zhang,
                points=amount,
                category="学习",
                reason=request_id,
                created_by="组织委员",
                request_id=request_id,
                rules=rules,
                occurred_at=at,
            )
        everything = [(line.entry.reason, line.running_total) for line in member_ledger(session, zhang.id)]
        november = [
            (line.entry.reason, line.running_total)
            for line in member_ledger(session, zhang.id, parse_period("2026-11"))
        ]
        assert member_ledger(session, ids["李四"]) == []
    assert everything == [("m4", 7), ("m1", 17), ("m2", 14), ("m3", 18)]
    assert november == [("m1", 10), ("m2", 7)]


def test_a_crediting_fault_leaves_the_game_stored(
    points_app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    roster(points_app)

    def broken(*_args: Any) -> list[PointEntry]:
        raise RuntimeError("rules went missing")

    monkeypatch.setattr("app.points.service.credit_game", broken)
    with caplog.at_level(logging.ERROR, logger="app.points.service"):
        _games, pin = play_a_game(points_app)
    assert "crediting game" in caplog.text and "rules went missing" in caplog.text
    with database(points_app).sessions() as session:
        game = session.scalars(select(Game).where(Game.pin == pin)).one()
        assert len(game.players) == 3
    assert count(points_app) == 0
    monkeypatch.undo()
    with database(points_app).transaction() as session:
        game = session.get(Game, game.id)
        assert len(credit_game(session, points(points_app).rules(), game)) == 7
    assert rows(points_app) == GAME_ENTRIES
