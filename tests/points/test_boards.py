"""The season boards in Redis: counted as entries are committed, rebuilt from SQL exactly
the same after Redis lost them, and left alone (with a log line) while Redis is down."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.extensions import database
from app.models import Member, PointEntry
from app.points.ledger import board_entries, credit, manual_entry
from app.points.rules import Award
from app.points.service import Points, points
from app.points.store import PREFIX, BoardEntry, PointsStore
from tests.points.factories import Player, beijing, branch, finished_game, member


def season(app: Any, cli: Any) -> dict[str, int]:
    """Points in weeks 40, 48 and 49, October to December 2026, through every path that
    counts on the boards: the base and credit-game commands, and publish after a commit."""
    with database(app).transaction() as session:
        red, vanguard = branch(session, "红旗支部"), branch(session, "先锋支部")
        zhang = member(session, "张三", "D001", red)
        li = member(session, "李四", "D002", vanguard, "预备党员")
        wang = member(session, "王五", "D003", red, "群众")
        sun = member(session, "孙八", "D008", red)
        game = finished_game(
            session,
            "周末赛",
            beijing(2026, 11, 29, 23, 50),  # Sunday: week 48, though 15:50 UTC
            [
                Player(zhang, "甲队", answered=2, correct=2, rank=1),
                Player(wang, "甲队", answered=2, correct=1, rank=2),
                Player(sun, "乙队", answered=1, correct=0, rank=3),
            ],
            team_mode="free",
        )
        made = {
            "张三": zhang.id,
            "李四": li.id,
            "王五": wang.id,
            "孙八": sun.id,
            "红": red.id,
            "先锋": vanguard.id,
        }
        game_id = game.id
    assert cli.invoke(args=["points", "base", "--period", "2026-Q4"]).exit_code == 0
    assert (
        cli.invoke(args=["points", "credit-game", str(game_id)]).output
        == f"第 {game_id} 场：新记 8 条积分。\n"
    )
    service = points(app)
    rules = service.rules()
    with database(app).transaction() as session:
        sun_, zhang_, li_ = (session.get(Member, made[name]) for name in ("孙八", "张三", "李四"))
        sun_.branch_id = made["先锋"]
        session.flush()
        added = [
            manual_entry(
                session,
                li_,
                points=5,
                category="组织生活",
                reason="支部活动",
                created_by="组织委员",
                request_id="m1",
                rules=rules,
                occurred_at=beijing(2026, 11, 30, 0, 10),  # Monday: week 49, same UTC day as the game
            ),
            manual_entry(
                session,
                zhang_,
                points=-3,
                category="纪律",
                reason="迟到",
                created_by="组织委员",
                request_id="m2",
                rules=rules,
                occurred_at=beijing(2026, 11, 30, 23, 50),
            ),
            *credit(
                session,
                rules,
                sun_,
                [Award("task.completed", "志愿服务", 5, "完成任务卡")],
                source_type="task",
                source_id="card-1",
                occurred_at=beijing(2026, 12, 1, 0, 10),  # December, though 30 November in UTC
            ),
        ]
    service.publish(added)  # after the commit, as the pages do
    return made


def boards(store: PointsStore) -> dict[str, Any]:
    """The dump with ids as ints: scores by id for sorted sets, id sets for sets."""
    return {
        key.removeprefix(PREFIX): (
            {int(k): int(v) for k, v in value}
            if value and isinstance(value[0], tuple)
            else {int(k) for k in value}
        )
        for key, value in store.dump().items()
    }


def test_rebuild_after_redis_lost_everything_gives_the_same_boards(points_app: Any, cli: Any) -> None:
    ids = season(points_app, cli)
    store = points(points_app).store
    zhang, li, wang, sun, red, vanguard = (ids[k] for k in ("张三", "李四", "王五", "孙八", "红", "先锋"))
    whole_quarter = {zhang: 60 + 9 - 3, li: 60 + 5, sun: 60 + 4 + 5, wang: 6}
    expected = {
        # Base points at 00:00 on 1 October (Thursday of week 40); 王五 is 群众: no base.
        "members:2026-W40": {zhang: 60, li: 60, sun: 60},
        "members:2026-10": {zhang: 60, li: 60, sun: 60},
        "branches:2026-W40": {red: 120, vanguard: 60},
        "branches:2026-10": {red: 120, vanguard: 60},
        # The game: 张三 2+2+5, 王五 2+1+3 (群众: not on the branch board), 孙八 2+2 for 红旗.
        "members:2026-W48": {zhang: 9, wang: 6, sun: 4},
        "branches:2026-W48": {red: 13},
        "participants:2026-W48": {zhang, wang, sun},
        "members:2026-W49": {li: 5, zhang: -3, sun: 5},
        "branches:2026-W49": {vanguard: 10, red: -3},  # 孙八 has moved to 先锋
        "participants:2026-W49": {sun},
        "members:2026-11": {zhang: 6, wang: 6, sun: 4, li: 5},
        "branches:2026-11": {red: 10, vanguard: 5},
        "participants:2026-11": {zhang, wang, sun},
        "members:2026-12": {sun: 5},
        "branches:2026-12": {vanguard: 5},
        "participants:2026-12": {sun},
        "members:2026-Q4": whole_quarter,
        "members:2026": whole_quarter,
        "branches:2026-Q4": {red: 130, vanguard: 70},
        "branches:2026": {red: 130, vanguard: 70},
        "participants:2026-Q4": {zhang, wang, sun},
        "participants:2026": {zhang, wang, sun},
    }
    assert boards(store) == expected
    incremental = store.dump()
    assert store.top_members("2026-Q4", 3) == [(sun, 69), (zhang, 66), (li, 65)]
    assert store.branch_totals("2026-W49") == {vanguard: 10, red: -3}
    assert store.participants("2026-12") == {sun}
    assert store.redis.ttl(f"{PREFIX}members:2026") > 790 * 24 * 3600

    store.redis.flushdb()  # Redis lost everything (FLUSHALL, on this test's own database)
    assert store.dump() == {}
    result = cli.invoke(args=["points", "rebuild"])
    assert (result.exit_code, result.output) == (0, "已按 14 条积分重建 22 个排行榜。\n")
    assert store.dump() == incremental
    assert store.redis.ttl(f"{PREFIX}members:2026") > 790 * 24 * 3600


def test_rebuild_replaces_wrong_and_stale_boards_only(points_app: Any, cli: Any) -> None:
    season(points_app, cli)
    store = points(points_app).store
    right = store.dump()
    store.redis.zincrby(f"{PREFIX}members:2026", 100, "999")  # counted twice, say
    store.redis.zadd(f"{PREFIX}members:1999", {"1": 5})  # a board no entry belongs to
    store.redis.sadd(f"{PREFIX}rebuild:{PREFIX}members:2026", "7")  # left by a crashed rebuild
    store.redis.set("arena:live:keep-me", "1")  # another domain's key
    try:
        assert cli.invoke(args=["points", "rebuild"]).exit_code == 0
        assert store.dump() == right
        assert store.redis.get("arena:live:keep-me") == "1"
    finally:
        store.redis.delete("arena:live:keep-me")


@pytest.fixture
def store(redis_url: str) -> Iterator[PointsStore]:
    """The boards alone, on the session's Redis (no database needed)."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    boards = PointsStore(client)
    boards.clear()
    yield boards
    boards.clear()
    client.close()


def test_an_empty_ledger_rebuilds_to_no_boards(store: PointsStore) -> None:
    store.redis.zadd(f"{PREFIX}members:2026", {"1": 5})
    assert store.rebuild([]) == 0
    assert store.dump() == {}


def test_boards_count_what_the_entries_say(store: PointsStore) -> None:
    moment = beijing(2026, 12, 1, 0, 30)
    store.add(
        [
            BoardEntry(1, 10, 5, "quiz", moment),
            BoardEntry(2, 10, 6, "manual", moment),
            BoardEntry(3, 10, 4, "task", moment, for_branch=False),
            BoardEntry(1, 10, 2, "quiz", moment),
        ]
    )
    assert store.top_members("2026-12", 2) == [(1, 7), (2, 6)]
    assert store.top_members("2026-W49", 10) == [(1, 7), (2, 6), (3, 4)]
    assert store.branch_totals("2026-Q4") == {10: 13}
    assert store.participants("2026") == {1, 3}
    assert store.top_members("2026-11", 10) == [] and store.participants("2026-11") == set()
    assert store.clear() == 12 and store.dump() == {}


def test_board_entries_leave_unassessed_types_off_the_branch_boards(points_app: Any) -> None:
    with database(points_app).transaction() as session:
        red = branch(session, "红旗支部")
        rules = points(points_app).rules()
        added = [
            entry
            for who in (member(session, "张三", "D001", red), member(session, "王五", "D003", red, "群众"))
            for entry in credit(
                session,
                rules,
                who,
                [Award("task.completed", "志愿服务", 5, "任务")],
                source_type="task",
                source_id="c",
                occurred_at=beijing(2026, 11, 2, 9),
            )
        ]
        assert [(e.points, e.for_branch) for e in board_entries(added, rules.assessed)] == [
            (5, True),
            (5, False),
        ]
        assert [e.for_branch for e in board_entries(added, ["群众"])] == [False, True]


def test_publishing_while_redis_is_down_logs_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = redis.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0), decode_responses=True)
    service = Points(tmp_path / "points_rules.yaml", PointsStore(down))
    entry = PointEntry(
        member_id=1,
        branch_id=10,
        member_type="正式党员",
        points=5,
        source_type="quiz",
        occurred_at=beijing(2026, 11, 2, 9),
    )
    with caplog.at_level(logging.ERROR, logger="app.points.service"):
        service.publish([entry])
    assert "season boards not updated; run `arena points rebuild`" in caplog.text
    down.close()
