"""The live quiz over the wire: real python-socketio clients, real ``arena serve`` processes,
one real Redis and one real database."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis as redis_py
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.live import protocol
from app.live.store import LiveStore
from app.models import Game, GameAnswer, GamePlayer
from tests.live.conftest import Phone, Server, new_game, single, start_server, stop_server

QUESTIONS = [
    single("第一题", ["甲", "乙", "丙", "丁"], 1),
    single("第二题", ["甲", "乙", "丙", "丁"], 0),
    single("第三题", ["甲", "乙", "丙", "丁"], 2),
]
PLAN = {  # player → (team, choices for q1..q3; None = no answer)
    "红一": ("红队", [1, 0, 2]),
    "红二": ("红队", [1, 3, 2]),
    "红三": ("红队", [0, 0, 2]),
    "蓝一": ("蓝队", [1, 0, 0]),
    "蓝二": ("蓝队", [None, 0, 2]),
    "蓝三": ("蓝队", [3, 1, None]),
}


def expected_points(elapsed: int, limit_ms: int, streak: int) -> int:
    return round(1000 * (1 - elapsed / limit_ms / 2)) + min(100 * (streak - 1), 500)


def host(url: str, pin: str, token: str, make: Callable[..., Phone]) -> Phone:
    screen = make(url, "host")
    ack = screen.call(protocol.HOST_JOIN, {"pin": pin, "host_token": token})
    assert ack["ok"], ack
    return screen


def join(
    url: str, pin: str, nickname: str, team: str, make: Callable[..., Phone]
) -> tuple[Phone, dict[str, Any]]:
    phone = make(url, nickname)
    ack = phone.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": nickname, "team": team})
    assert ack["ok"], ack
    return phone, ack


def test_full_game_scores_ranks_and_teams_exactly(
    server: Server, store: LiveStore, phones: Callable[..., Phone], live_env: dict[str, Any]
) -> None:
    pin, token = new_game(store, QUESTIONS)
    screen = host(server.url, pin, token, phones)
    seats = {name: join(server.url, pin, name, team, phones) for name, (team, _c) in PLAN.items()}
    assert screen.wait(protocol.GAME_PLAYERS, lambda d: d["count"] == 6)["count"] == 6

    totals = dict.fromkeys(PLAN, 0)
    streaks = dict.fromkeys(PLAN, 0)
    correct_time = dict.fromkeys(PLAN, 0)
    for q, question in enumerate(QUESTIONS):
        ack = screen.call(protocol.HOST_START if q == 0 else protocol.HOST_NEXT, {"pin": pin})
        assert ack["ok"] and ack["state"]["phase"] == "question" and ack["state"]["q"] == q, ack
        for name, (phone, _ack) in seats.items():
            phone.wait(protocol.GAME_STATE, lambda d, q=q: d["phase"] == "question" and d["q"] == q)
            choice = PLAN[name][1][q]
            if choice is not None:
                answer = phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": q, "choice": [choice]})
                assert answer["ok"] and answer["accepted"] is True, answer
        recorded = store.answers(pin, q)
        if all(PLAN[name][1][q] is not None for name in PLAN):
            screen.wait(protocol.GAME_REVEAL, lambda d, q=q: d["q"] == q)  # closed early: all answered
        else:
            assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "reveal"
        reveal = screen.wait(protocol.GAME_REVEAL, lambda d, q=q: d["q"] == q)
        assert reveal["correct"] == question["key"]
        assert reveal["distribution"] == [sum(1 for n in PLAN if PLAN[n][1][q] == i) for i in range(4)]
        assert reveal["explanation"] == question["stem"] + "的解析"
        for name, (phone, joined) in seats.items():
            choice = PLAN[name][1][q]
            right = choice == question["key"][0]
            elapsed = recorded[joined["player_id"]]["e"] if choice is not None else 0
            streaks[name] = streaks[name] + 1 if right else 0
            points = expected_points(elapsed, 30_000, streaks[name]) if right else 0
            totals[name] += points
            correct_time[name] += elapsed if right else 0
            result = phone.wait(protocol.PLAYER_RESULT, lambda d, q=q: d["q"] == q)
            assert (result["correct"], result["points"], result["score"], result["streak"]) == (
                right,
                points,
                totals[name],
                streaks[name],
            ), name
        order = sorted(PLAN, key=lambda n: (-totals[n], correct_time[n], list(PLAN).index(n)))
        for place, name in enumerate(order, start=1):
            result = seats[name][0].wait(protocol.PLAYER_RESULT, lambda d, q=q: d["q"] == q)
            assert result["rank"] == place, (name, result)
        board = screen.call(protocol.HOST_NEXT, {"pin": pin})
        assert board["state"]["phase"] == "leaderboard"
        screen.wait(
            protocol.GAME_LEADERBOARD, lambda _d, q=q: len(screen.received(protocol.GAME_LEADERBOARD)) > q
        )
        leaderboard = screen.received(protocol.GAME_LEADERBOARD)[q]
        assert [p["nickname"] for p in leaderboard["players"]] == order
        assert [p["score"] for p in leaderboard["players"]] == [totals[n] for n in order]
        red = round(sum(totals[n] for n in PLAN if PLAN[n][0] == "红队") / 3, 1)
        blue = round(sum(totals[n] for n in PLAN if PLAN[n][0] == "蓝队") / 3, 1)
        teams = {t["team"]: (t["score"], t["members"], t["rank"]) for t in leaderboard["teams"]}
        assert teams["红队"][:2] == (red, 3) and teams["蓝队"][:2] == (blue, 3)
        assert teams["红队"][2] == (1 if red > blue else 2)

    podium_ack = screen.call(protocol.HOST_NEXT, {"pin": pin})
    assert podium_ack["state"]["phase"] == "podium"
    over = seats["红一"][0].wait(protocol.GAME_OVER)
    assert [p["nickname"] for p in over["podium"]] == order[:3]

    # The game was written to SQL in one transaction when the podium showed.
    engine = create_engine(live_env["database_url"])
    with Session(engine) as session:
        game = session.scalar(select(Game).where(Game.pin == pin))
        assert game is not None and game.questions_played == 3
        rows = {
            p.nickname: (p.score, p.rank, p.team)
            for p in session.scalars(select(GamePlayer).where(GamePlayer.game_id == game.id))
        }
        assert rows == {n: (totals[n], order.index(n) + 1, PLAN[n][0]) for n in PLAN}
        answers = session.scalars(select(GameAnswer).where(GameAnswer.game_id == game.id)).all()
        assert len(answers) == sum(1 for n in PLAN for c in PLAN[n][1] if c is not None)
    engine.dispose()
    assert screen.call(protocol.HOST_NEXT, {"pin": pin})["state"]["phase"] == "ended"


def test_the_answer_never_reaches_a_phone_before_the_reveal(
    server: Server, store: LiveStore, phones: Callable[..., Phone]
) -> None:
    question = single("秘密题", ["选项一", "选项二", "选项三"], 2)
    question["explanation"] = "答案是选项三"
    pin, token = new_game(store, [question])
    screen = host(server.url, pin, token, phones)
    phone, _ack = join(server.url, pin, "观察者", "红队", phones)
    screen.call(protocol.HOST_START, {"pin": pin})
    phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
    rejoin = phone.call(protocol.PLAYER_JOIN, {"pin": pin, "rejoin_token": _ack["rejoin_token"]})
    before = json.dumps([phone.events, rejoin], ensure_ascii=False)
    assert "key" not in before and "答案是选项三" not in before and '"correct"' not in before
    screen.call(protocol.HOST_NEXT, {"pin": pin})
    assert phone.wait(protocol.GAME_REVEAL)["correct"] == [2]


def test_the_deadline_closes_the_question_without_the_host(
    server: Server, store: LiveStore, phones: Callable[..., Phone]
) -> None:
    pin, token = new_game(store, [single("限时题", ["甲", "乙"], 0, limit=1)])
    screen = host(server.url, pin, token, phones)
    phone, _ack = join(server.url, pin, "沉默者", "蓝队", phones)
    started = time.monotonic()
    screen.call(protocol.HOST_START, {"pin": pin})
    state = phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "reveal", timeout=5)
    assert 0.9 < time.monotonic() - started < 3
    assert state["q"] == 0
    assert phone.wait(protocol.PLAYER_RESULT)["points"] == 0
    time.sleep(0.5)
    assert len(phone.received(protocol.GAME_REVEAL)) == 1  # closed once, not once per tick


def test_reconnect_mid_question_keeps_the_seat_and_blocks_a_second_answer(
    server: Server, store: LiveStore, phones: Callable[..., Phone]
) -> None:
    pin, token = new_game(store, [single("第一题", ["甲", "乙"], 0), single("第二题", ["甲", "乙"], 1)])
    screen = host(server.url, pin, token, phones)
    phone, joined = join(server.url, pin, "断线者", "红队", phones)
    other, _ = join(server.url, pin, "旁观者", "红队", phones)
    screen.call(protocol.HOST_START, {"pin": pin})
    phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
    assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})["ok"]
    phone.close()  # Wi-Fi drops
    back = phones(server.url, "断线者（重连）")
    ack = back.call(protocol.PLAYER_JOIN, {"pin": pin, "rejoin_token": joined["rejoin_token"]})
    assert ack["ok"] and ack["player_id"] == joined["player_id"] and ack["nickname"] == "断线者"
    assert ack["answered"] is True and ack["state"]["phase"] == "question"
    second = back.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [1]})
    assert second["error"]["code"] == "duplicate_answer"
    assert other.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [1]})["ok"]
    result = back.wait(protocol.PLAYER_RESULT)
    assert result["correct"] is True and result["score"] > 0
    assert store.answered_count(pin, 0) == 2


def test_two_server_processes_share_one_game(
    server: Server, store: LiveStore, phones: Callable[..., Phone], live_env: dict[str, Any]
) -> None:
    other = start_server(live_env["instance"], live_env["database_url"], live_env["redis_url"])
    try:
        pin, token = new_game(store, [single("跨进程", ["甲", "乙"], 1)])
        screen = host(server.url, pin, token, phones)  # host on process A
        phone, _ = join(other.url, pin, "乙进程", "蓝队", phones)  # phone on process B
        assert screen.wait(protocol.GAME_PLAYERS, lambda d: d["count"] == 1)["teams"][0]["team"] == "蓝队"
        screen.call(protocol.HOST_START, {"pin": pin})
        state = phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
        assert state["question"]["stem"] == "跨进程"
        assert phone.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [1]})["ok"]
        assert screen.wait(protocol.GAME_REVEAL)["distribution"] == [0, 1]
        assert phone.wait(protocol.PLAYER_RESULT)["correct"] is True
    finally:
        stop_server(other)


def other_database(url: str, number: int) -> str:
    """The same Redis server, another logical database: no other server's ticker sees it."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"{url.split('?')[0]}?db={number}"
    return urlunsplit(parts._replace(path=f"/{number}"))


@pytest.fixture(scope="module")
def slow_ticker(live_env: dict[str, Any]) -> Any:
    """A server whose deadline ticker is too slow to close anything, on a Redis database of
    its own: answers after the deadline meet the Lua script's own ``late`` check."""
    url = other_database(live_env["redis_url"], 9)
    running = start_server(live_env["instance"], live_env["database_url"], url, ARENA_TICK_MS="600000")
    client = redis_py.Redis.from_url(url, decode_responses=True)
    yield running, LiveStore(client)
    stop_server(running)
    client.close()


def test_every_error_code_over_the_wire(slow_ticker: Any, phones: Callable[..., Phone]) -> None:
    server, store = slow_ticker
    url = server.url
    seen: list[str] = []

    def code(ack: dict[str, Any]) -> str:
        assert ack["ok"] is False and ack["error"]["message"], ack
        seen.append(ack["error"]["code"])
        return str(ack["error"]["code"])

    pin, token = new_game(
        store,
        [single("一", ["甲", "乙"], 0, limit=1), single("二", ["甲", "乙"], 0)],
        max_players=3,
        late_join=False,
    )
    probe = phones(url, "probe")
    assert code(probe.call(protocol.PLAYER_JOIN, {"pin": "000001", "nickname": "甲"})) == "game_not_found"
    ack = probe.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": "x" * 21})
    assert code(ack) == "bad_request" and ack["error"]["field"] == "nickname"
    assert code(probe.call(protocol.HOST_JOIN, {"pin": pin, "host_token": "wrong"})) == "bad_host_token"
    assert code(probe.call(protocol.HOST_NEXT, {"pin": pin})) == "bad_host_token"  # never joined as host
    assert code(probe.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})) == "not_joined"
    assert (
        code(probe.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": "甲", "team": "黄队"})) == "bad_team"
    )
    screen = host(url, pin, token, phones)
    first, _joined = join(url, pin, "Zhang San", "红队", phones)
    taken = probe.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": "ｚｈａｎｇ san", "team": "红队"})
    assert code(taken) == "nickname_taken"
    second, second_joined = join(url, pin, "李四", "蓝队", phones)
    third, _ = join(url, pin, "王五", "蓝队", phones)
    full = probe.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": "赵六", "team": "红队"})
    assert code(full) == "game_full"
    assert code(first.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})) == "not_open"
    assert code(screen.call(protocol.HOST_KICK, {"pin": pin, "player_id": "nobody"})) == "player_not_found"
    assert screen.call(protocol.HOST_START, {"pin": pin})["ok"]
    assert code(screen.call(protocol.HOST_START, {"pin": pin})) == "wrong_phase"
    late_comer = phones(url, "迟到")
    assert code(
        late_comer.call(protocol.PLAYER_JOIN, {"pin": pin, "nickname": "迟到者", "team": "红队"})
    ) == ("late_join_closed")
    first.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
    assert code(first.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [5]})) == "bad_choice"
    assert first.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})["ok"]
    assert code(first.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [1]})) == "duplicate_answer"
    assert screen.call(protocol.HOST_KICK, {"pin": pin, "player_id": second_joined["player_id"]})["ok"]
    assert second.wait(protocol.PLAYER_KICKED)["message"] == protocol.ERRORS["kicked"]
    assert code(second.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})) == "kicked"
    reloaded = phones(url, "被移出者重载")
    assert code(
        reloaded.call(protocol.PLAYER_JOIN, {"pin": pin, "rejoin_token": second_joined["rejoin_token"]})
    ) == ("kicked")
    time.sleep(1.3)  # past the 1 s deadline; this server's ticker will not close the question
    assert code(third.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})) == "late"
    flood = [first.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]}) for _ in range(8)]
    assert code(flood[-1]) == "rate_limited" and flood[-1]["error"]["retry_ms"] > 0
    assert screen.call(protocol.HOST_END, {"pin": pin})["ok"]
    assert code(screen.call(protocol.HOST_NEXT, {"pin": pin})) == "game_over"
    # Every code of the table is reachable; these two need a broken Redis or an empty contest.
    assert set(protocol.ERRORS) - set(seen) == {"unavailable", "no_questions"}


def test_a_phones_events_are_handled_one_at_a_time_in_the_order_sent(
    server: Server, store: LiveStore, phones: Callable[..., Phone]
) -> None:
    """An answer sent before the join it follows is acknowledged is handled after that join has
    finished: seated, in the lobby, it is refused as not yet open (handled alongside the join,
    as python-socketio's default would, it found no seat: not_joined)."""
    pin, _token = new_game(store, [single("第一题", ["甲", "乙"], 0)])
    # Three phones: handled the old way, the answer went first most times, not every time.
    for nickname in ("急性子一", "急性子二", "急性子三"):
        phone = phones(server.url, nickname)
        acks: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        phone.client.emit(
            protocol.PLAYER_JOIN,
            {"pin": pin, "nickname": nickname, "team": "红队"},
            callback=lambda ack, into=acks: into.put(("join", ack)),
        )
        phone.client.emit(
            protocol.PLAYER_ANSWER,
            {"pin": pin, "q": 0, "choice": [0]},
            callback=lambda ack, into=acks: into.put(("answer", ack)),
        )
        (first, joined), (second, answered) = acks.get(timeout=10), acks.get(timeout=10)
        assert (first, joined["ok"], second) == ("join", True, "answer"), nickname
        assert answered["ok"] is False and answered["error"]["code"] == "not_open"


def test_a_late_joiner_plays_from_the_next_question_with_zero_points(
    server: Server, store: LiveStore, phones: Callable[..., Phone]
) -> None:
    pin, token = new_game(store, [single("第一题", ["甲", "乙"], 0), single("第二题", ["甲", "乙"], 1)])
    screen = host(server.url, pin, token, phones)
    early, _ = join(server.url, pin, "准时者", "红队", phones)
    screen.call(protocol.HOST_START, {"pin": pin})
    late, joined = join(server.url, pin, "迟到者", "蓝队", phones)
    assert joined["score"] == 0 and joined["state"]["phase"] == "question"
    refused = late.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})
    assert refused["error"]["code"] == "not_open"
    # The late joiner cannot answer question 1, so the one answer that counts closes it.
    assert early.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [0]})["ok"]
    assert late.wait(protocol.PLAYER_RESULT)["points"] == 0
    screen.call(protocol.HOST_NEXT, {"pin": pin})  # leaderboard
    screen.call(protocol.HOST_NEXT, {"pin": pin})  # question 2
    late.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question" and d["q"] == 1)
    assert late.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 1, "choice": [1]})["ok"]
