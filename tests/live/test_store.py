"""The live quiz's Redis store (app/live/store.py) against a real Redis: PINs and host
tokens, versioned transitions (a question closes exactly once), the atomic answer script,
joins, TTLs on every key, and rate limits."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_py

from app.live import protocol, quiz
from app.live.games import Emit, LiveGames, fold_nickname, settled
from app.live.quiz import QuizState
from app.live.store import GAME_TTL, LiveStore, Standings
from tests.live.conftest import new_game, single

QUESTIONS = [single("第一题", ["甲", "乙", "丙"], 1), single("第二题", ["甲", "乙"], 0)]


class Games:
    """Creates games and deletes every key of each one afterwards (nothing flushed globally)."""

    def __init__(self, store: LiveStore) -> None:
        self.store = store
        self.pins: list[str] = []

    def new(self, questions: list[dict[str, Any]] | None = None, **config: Any) -> tuple[str, str]:
        pin, token = new_game(self.store, questions or QUESTIONS, **config)
        self.pins.append(pin)
        return pin, token

    def cleanup(self) -> None:
        client = self.store.redis
        for pin in self.pins:
            keys = list(client.scan_iter(match=f"arena:game:{pin}*"))
            if keys:
                client.delete(*keys)
            client.zrem(LiveStore.DEADLINES, pin)


@pytest.fixture
def games(store: LiveStore) -> Iterator[Games]:
    made = Games(store)
    yield made
    made.cleanup()


def game_keys(store: LiveStore, pin: str) -> dict[str, int]:
    """Every key of the game found by SCAN, with its TTL in seconds."""
    return {
        key: store.redis.ttl(key) for key in store.redis.scan_iter(match=f"arena:game:{pin}*", count=1000)
    }


def assert_every_key_expires(store: LiveStore, pin: str, parts: set[str]) -> None:
    ttls = game_keys(store, pin)
    names = {key.removeprefix(f"arena:game:{pin}").lstrip(":") for key in ttls}
    assert parts <= names, f"missing keys {parts - names}"
    assert all(0 < ttl <= GAME_TTL for ttl in ttls.values()), ttls


def start(store: LiveStore, pin: str, **times: int) -> QuizState:
    """Open question 0 now (read time 0, 30 s), optionally with other times; returns the new state."""
    state = store.state(pin)
    assert state is not None
    new, _ = quiz.start(state, now_ms=store.now_ms(), read_ms=0, limit_ms=30_000)
    new = dataclasses.replace(new, **times)
    assert store.apply(pin, state.version, new)
    return new


def seat(
    store: LiveStore, pin: str, nickname: str, team: str = "红队", max_players: int = 100, joined_q: int = -1
) -> str:
    player = {"nickname": nickname, "team": team, "member_no": "", "joined_q": joined_q}
    code, player_id = store.join(pin, fold_nickname(nickname), player, max_players)
    assert code == "ok", code
    return player_id


# -- games, PINs and host tokens -----------------------------------------------------------


def test_create_game_gives_a_six_digit_pin_and_a_host_token(store: LiveStore, games: Games) -> None:
    pin, token = games.new(title="党史知识赛")
    other, other_token = games.new()
    assert re.fullmatch(r"[1-9][0-9]{5}", pin) and re.fullmatch(r"[1-9][0-9]{5}", other)
    assert pin != other and token != other_token
    assert len(token) >= 32
    assert store.exists(pin) and not store.exists("000000")
    assert store.state(pin) == QuizState(phase="lobby", q=-1, total=2, version=0)
    assert store.config(pin)["title"] == "党史知识赛"
    assert store.questions(pin) == QUESTIONS
    assert store.question(pin, 1) == QUESTIONS[1]
    assert store.question(pin, 2) is None
    # Only a hash of the token is stored.
    assert token not in store.redis.hgetall(store.game_key(pin)).values()


def test_check_host_accepts_only_the_games_own_token(store: LiveStore, games: Games) -> None:
    pin, token = games.new()
    other, other_token = games.new()
    assert store.check_host(pin, token) is True
    assert store.check_host(pin, token + "x") is False
    assert store.check_host(pin, token[:-1]) is False
    assert store.check_host(pin, "") is False
    assert store.check_host(pin, other_token) is False  # another game's token
    assert store.check_host(other, other_token) is True
    assert store.check_host("000000", token) is False  # no such game
    stored = store.redis.hget(store.game_key(pin), "host_token")
    assert store.check_host(pin, stored) is False  # knowing the stored hash is not enough


# -- versioned transitions -----------------------------------------------------------------


def test_apply_succeeds_only_at_the_expected_version(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    lobby = store.state(pin)
    assert lobby is not None
    opened, _ = quiz.start(lobby, now_ms=store.now_ms(), read_ms=0, limit_ms=30_000)
    assert store.apply(pin, 0, opened) is True
    assert store.apply(pin, 0, opened) is False  # the same command again: already applied
    assert store.state(pin) == opened
    assert store.redis.zscore(LiveStore.DEADLINES, pin) == opened.deadline_ms

    closed, _ = quiz.close(opened, 0)
    other_close = dataclasses.replace(closed, phase="leaderboard")
    assert store.apply(pin, opened.version, closed) is True
    # A second close (a deadline in another process, the host's click) sees the old version: refused.
    assert store.apply(pin, opened.version, other_close) is False
    assert store.state(pin) == closed
    assert store.redis.zscore(LiveStore.DEADLINES, pin) is None  # no longer due
    assert store.apply("000000", 0, opened) is False  # no such game
    assert not store.exists("000000")


def test_many_processes_applying_one_version_only_one_wins(
    store: LiveStore, games: Games, redis_url: str
) -> None:
    pin, _ = games.new()
    state = store.state(pin)
    assert state is not None
    new, _ = quiz.start(state, now_ms=store.now_ms(), read_ms=0, limit_ms=30_000)
    clients = [redis_py.Redis.from_url(redis_url, decode_responses=True) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    won: list[bool] = []

    def race(client: redis_py.Redis) -> None:
        process = LiveStore(client)
        barrier.wait()
        won.append(process.apply(pin, state.version, new))

    threads = [threading.Thread(target=race, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    for client in clients:
        client.close()
    assert sorted(won) == [False] * 7 + [True]
    assert store.state(pin) == new


class ReadThenWait(LiveStore):
    """A store whose first read of the game state waits until the other process has read it
    too: both processes then see the question open at the same version and both try to close it."""

    def __init__(self, client: redis_py.Redis, barrier: threading.Barrier) -> None:
        super().__init__(client)
        self.barrier = barrier
        self.waited = False

    def state(self, pin: str) -> QuizState | None:
        state = super().state(pin)
        if not self.waited:
            self.waited = True
            self.barrier.wait(10)
        return state


def race_to_close(redis_url: str, pin: str, processes: int = 2) -> list[list[Emit]]:
    clients = [redis_py.Redis.from_url(redis_url, decode_responses=True) for _ in range(processes)]
    barrier = threading.Barrier(processes)
    outcomes: list[list[Emit]] = []

    def close(client: redis_py.Redis) -> None:
        outcomes.append(settled(LiveGames(ReadThenWait(client, barrier), "test-secret").close_if_due(pin)))

    threads = [threading.Thread(target=close, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    for client in clients:
        client.close()
    assert len(outcomes) == processes
    return outcomes


def test_two_processes_closing_the_same_question_close_it_exactly_once(
    store: LiveStore, games: Games, redis_url: str
) -> None:
    for _round in range(5):
        pin, _ = games.new()
        player = seat(store, pin, "抢答者")
        opened = start(store, pin)
        code, _elapsed, _n, *_ = store.submit(pin, player, 0, [1], [1])
        assert code == "ok"
        outcomes = race_to_close(redis_url, pin)
        assert sorted(bool(emits) for emits in outcomes) == [False, True]
        winner = next(emits for emits in outcomes if emits)
        assert [e.event for e in winner] == [
            protocol.GAME_STATE,
            protocol.GAME_REVEAL,
            protocol.PLAYER_RESULT,
        ]
        after = store.state(pin)
        assert after is not None and after.phase == "reveal" and after.version == opened.version + 1
        elapsed = store.answers(pin, 0)[player]["e"]
        assert store.scores(pin)[player] == {
            "score": round(1000 * (1 - elapsed / 60_000)),
            "correct": 1,
            "streak": 1,
            "time": elapsed,
        }


class RivalScoresFirst(LiveStore):
    """A store that, right after telling its process the question is not scored yet, lets
    ``rival`` (another process) score it: this process then reads scores that already hold
    the question's points."""

    rival: Callable[[], object] | None = None

    def scored(self, pin: str) -> int:
        value = super().scored(pin)
        if self.rival is not None:
            rival, self.rival = self.rival, None
            rival()
        return value


def test_a_question_is_scored_once_when_two_processes_score_it(
    store: LiveStore, games: Games, redis_url: str
) -> None:
    pin, _ = games.new()
    player = seat(store, pin, "答题者")
    start(store, pin)
    assert store.submit(pin, player, 0, [1], [1])[0] == "ok"
    closer = LiveGames(store, "test-secret")
    emits = closer.close_if_due(pin)  # the reveal is out; the scoring is still to do
    assert [getattr(item, "event", "Then") for item in emits] == [
        protocol.GAME_STATE,
        protocol.GAME_REVEAL,
        "Then",
    ]
    assert store.scored(pin) == -1 and store.scores(pin) == {}

    client = redis_py.Redis.from_url(redis_url, decode_responses=True)
    host = LiveGames(RivalScoresFirst(client), "test-secret")
    host.store.rival = lambda: settled(emits)  # type: ignore[attr-defined]  # the closer scores meanwhile
    assert host.score_question(pin, 0) == []  # it read the scores after the closer's points went in
    client.close()
    elapsed = store.answers(pin, 0)[player]["e"]
    once = round(1000 * (1 - elapsed / 60_000))
    assert store.scores(pin)[player]["score"] == once and store.scored(pin) == 0
    assert store.result(pin, 0, player)["points"] == once  # type: ignore[index]
    assert closer.score_question(pin, 0) == []  # and a third try finds it scored
    assert store.scores(pin)[player]["score"] == once


def test_due_games_lists_games_past_their_deadline(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    now = store.now_ms()
    opened = start(store, pin, deadline_ms=now - 5)
    assert pin in store.due_games(now)
    assert pin not in store.due_games(now - 10)
    closed, _ = quiz.close(opened, 0)
    assert store.apply(pin, opened.version, closed)
    assert pin not in store.due_games(now + 10**9)
    reopened = start_again = dataclasses.replace(closed, phase="question", version=closed.version + 1)
    assert store.apply(pin, closed.version, start_again)
    assert pin in store.due_games(now)
    assert 0 < store.redis.ttl(LiveStore.DEADLINES) <= GAME_TTL  # the shared index expires too
    store.forget_deadline(pin)
    assert pin not in store.due_games(now + 10**9)
    assert store.state(pin) == reopened


# -- answers -------------------------------------------------------------------------------


def test_submit_records_the_first_answer_with_the_server_time(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    alice, bob = seat(store, pin, "Alice"), seat(store, pin, "Bob")
    now = store.now_ms()
    start(store, pin, open_ms=now - 5_000, deadline_ms=now + 25_000)  # opened 5 s ago
    code, elapsed, answered, *_ = store.submit(pin, alice, 0, [1], [1])
    assert code == "ok" and answered == 1
    assert 5_000 <= elapsed < 6_000
    assert store.answers(pin, 0) == {alice: {"c": [1], "e": elapsed}}
    assert store.has_answered(pin, 0, alice) and not store.has_answered(pin, 0, bob)

    # A second answer from the same player: refused, and the first one stands.
    assert store.submit(pin, alice, 0, [2], [2]).code == "duplicate_answer"
    assert store.answers(pin, 0)[alice] == {"c": [1], "e": elapsed}

    code, _elapsed, answered, *_ = store.submit(pin, bob, 0, [2], [2])
    assert (code, answered) == ("ok", 2)
    assert store.counts(pin, 0) == {"1": 1, "2": 1, "n": 2}
    assert store.answered_count(pin, 0) == 2


def test_submit_for_another_question_is_not_open(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    alice = seat(store, pin, "Alice")
    assert store.submit(pin, alice, 0, [1], [1]).code == "not_open"  # still in the lobby
    start(store, pin)
    assert store.submit(pin, alice, 1, [0], [0]).code == "not_open"
    assert store.answered_count(pin, 1) == 0 and store.answers(pin, 1) == {}


def test_submit_before_the_read_time_is_over_is_not_open(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    alice = seat(store, pin, "Alice")
    now = store.now_ms()
    start(store, pin, shown_ms=now, open_ms=now + 60_000, deadline_ms=now + 90_000)
    assert store.submit(pin, alice, 0, [1], [1]).code == "not_open"
    assert store.answers(pin, 0) == {}


def test_submit_after_the_deadline_is_late(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    alice = seat(store, pin, "Alice")
    now = store.now_ms()
    start(store, pin, open_ms=now - 30_000, deadline_ms=now - 1)
    assert store.submit(pin, alice, 0, [1], [1]).code == "late"
    assert store.answers(pin, 0) == {} and store.counts(pin, 0) == {}


def test_submit_from_strangers_and_kicked_players(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    alice, bob = seat(store, pin, "Alice"), seat(store, pin, "Bob")
    start(store, pin)
    assert store.submit(pin, "999000deadbeef00", 0, [1], [1]).code == "not_joined"
    assert store.kick(pin, bob) is True
    assert store.kick(pin, "nobody") is False
    assert store.is_kicked(pin, bob) and not store.is_kicked(pin, alice)
    assert store.kicked(pin) == {bob}
    assert store.submit(pin, bob, 0, [1], [1]).code == "kicked"
    assert store.submit("000000", alice, 0, [1], [1]).code == "game_not_found"
    assert store.answers(pin, 0) == {}


# -- players -------------------------------------------------------------------------------


def test_join_seats_players_in_order(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    first = seat(store, pin, "Zhang San", "红队")
    second = seat(store, pin, "李四", "蓝队")
    assert re.fullmatch(r"999998[0-9a-f]{10}", first) and re.fullmatch(r"999997[0-9a-f]{10}", second)
    players = store.players(pin)
    assert players[first] == {
        "nickname": "Zhang San",
        "team": "红队",
        "member_no": "",
        "joined_q": -1,
        "seq": 1,
    }
    assert players[second]["seq"] == 2 and store.player(pin, second) == players[second]
    assert store.player(pin, "nobody") is None


def test_join_refuses_a_taken_nickname_whatever_its_width_case_or_spacing(
    store: LiveStore, games: Games
) -> None:
    pin, _ = games.new()
    seat(store, pin, "Zhang San")
    for same in ("zhang san", "ＺＨＡＮＧ　ＳＡＮ", "zhangsan", "Zhang-San"):
        player = {"nickname": same, "team": "红队", "member_no": "", "joined_q": -1}
        assert store.join(pin, fold_nickname(same), player, 100) == ("nickname_taken", ""), same
    assert len(store.players(pin)) == 1


def test_a_new_game_does_not_inherit_an_earlier_games_leftover_keys(
    store: LiveStore, games: Games, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys written after a game's last transition (its scoring after a reveal nobody moved on
    from) outlive its game hash by a moment; a new game given the same PIN starts clean."""
    old, _ = games.new()
    player = seat(store, old, "旧局")
    start(store, old)
    assert store.submit(old, player, 0, [1], [1])[0] == "ok"
    score = {player: {"score": 900, "correct": 1, "streak": 1, "time": 10}}
    store.record_scores(old, 0, score, {}, {}, Standings([], 1, 0))
    store.redis.delete(store.game_key(old))  # the game hash expired first
    monkeypatch.setattr("app.live.store.secrets.randbelow", lambda _n: int(old) - 100_000)
    pin, _ = games.new()
    assert pin == old
    assert store.scored(pin) == -1 and store.scores(pin) == {} and store.answers(pin, 0) == {}
    assert [q["stem"] for q in store.questions(pin)] == [q["stem"] for q in QUESTIONS]


def test_join_refuses_a_full_game_and_a_missing_one(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    player = {"nickname": "x", "team": "红队", "member_no": "", "joined_q": -1}
    assert store.join(pin, "a", player, 2)[0] == "ok"
    assert store.join(pin, "b", player, 2)[0] == "ok"
    assert store.join(pin, "c", player, 2) == ("game_full", "")
    assert len(store.players(pin)) == 2
    assert store.join("000000", "d", player, 2) == ("game_not_found", "")
    assert not store.exists("000000")


def test_connections_and_who_has_answered(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    alice, bob = seat(store, pin, "Alice"), seat(store, pin, "Bob")
    start(store, pin)
    assert store.all_online_answered(pin, 0) is False  # nobody online
    store.connect(pin, alice, "sid-a1")
    store.connect(pin, bob, "sid-b1")
    assert store.online_count(pin) == 2
    assert store.submit(pin, alice, 0, [1], [1])[0] == "ok"
    assert store.all_online_answered(pin, 0) is False
    store.connect(pin, bob, "sid-b2")  # Bob reloads: the new page connects first
    assert store.disconnect(pin, bob, "sid-b1") is False  # the old page's disconnect: ignored
    assert store.online_count(pin) == 2
    assert store.disconnect(pin, bob, "sid-b2") is True
    assert store.online_count(pin) == 1
    assert store.all_online_answered(pin, 0) is True
    # Carol joined while question 0 was open: she may not answer it, so she does not hold it
    # open; question 1 she may answer, and it waits for her.
    carol = seat(store, pin, "Carol", joined_q=0)
    store.connect(pin, carol, "sid-c1")
    assert store.all_online_answered(pin, 0) is True
    assert store.all_online_answered(pin, 1) is False
    store.connect(pin, "999000ghost", "sid-g1")  # a connection whose seat is gone counts for nobody
    assert store.all_online_answered(pin, 0) is True
    assert store.disconnect(pin, alice, "sid-a1") is True
    assert store.all_online_answered(pin, 0) is False  # only Carol is online, and she may not answer 0


def test_ranking_breaks_equal_values_by_join_order(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    ids = [seat(store, pin, name) for name in ("一", "二", "三", "四")]
    value = 999_999_999.0  # score 0, no time: all equal
    board = dict.fromkeys(ids, value)
    board[ids[3]] = 1 * 10**9 + 999_999_999 - 4_000.0  # the last joiner scored
    store.record_scores(pin, 0, {}, board, {}, Standings([], 4, 0))
    assert store.ranking(pin) == [ids[3], ids[0], ids[1], ids[2]]
    assert store.ranking(pin, 2) == [ids[3], ids[0]]


def test_the_standings_a_scoring_wrote_hold_until_the_hall_changes(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    seat(store, pin, "Alice")
    seat(store, pin, "Bob", team="蓝队")
    assert store.standings(pin) is None  # nothing scored yet
    rows = [
        {"team": "红队", "score": 900, "members": 1, "rank": 1},
        {"team": "蓝队", "score": 0, "members": 1, "rank": 2},
    ]
    store.record_scores(pin, 0, {}, {}, {}, Standings(rows, 2, 0))
    assert store.standings(pin) == rows
    assert store.standings(pin) == rows  # read again: still true
    carol = seat(store, pin, "Carol")  # joined since: the red team's mean is no longer 900
    assert store.standings(pin) is None
    store.record_scores(pin, 1, {}, {}, {}, Standings(rows, 3, 0))
    assert store.standings(pin) == rows
    assert store.kick(pin, carol)  # removed since: its team counts one member fewer
    assert store.standings(pin) is None
    store.record_scores(pin, 2, {}, {}, {}, Standings(rows, 3, 0))  # counted before the kick
    assert store.standings(pin) is None


# -- TTLs ----------------------------------------------------------------------------------


def test_every_key_of_a_game_has_a_ttl_at_every_step(store: LiveStore, games: Games) -> None:
    pin, _ = games.new()
    assert_every_key_expires(store, pin, {"", "questions"})

    alice, bob = seat(store, pin, "Alice"), seat(store, pin, "Bob")
    store.connect(pin, alice, "sid-a")
    store.connect(pin, bob, "sid-b")
    assert_every_key_expires(store, pin, {"", "questions", "players", "nicks", "sids"})

    opened = start(store, pin)
    assert_every_key_expires(store, pin, {"", "questions", "players", "nicks", "sids"})

    assert store.submit(pin, alice, 0, [1], [1])[0] == "ok"
    assert_every_key_expires(store, pin, {"answers:0", "counts:0"})

    assert store.kick(pin, bob)
    assert_every_key_expires(store, pin, {"kicked"})

    assert store.claim_tick(pin, 250) is True
    assert store.claim_tick(pin, 250) is False  # one process per window
    assert 0 < store.redis.pttl(store.key(pin, "tick")) <= 250
    store.redis.delete(store.key(pin, "tick"))

    emits = settled(LiveGames(store, "test-secret").close_if_due(pin))
    assert emits and store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    assert_every_key_expires(
        store,
        pin,
        {
            "",
            "questions",
            "players",
            "nicks",
            "sids",
            "answers:0",
            "counts:0",
            "kicked",
            "scores",
            "board",
            "results:0",
            "standings",
            "scored",
        },
    )

    # Each transition renews the TTL of every key of the game.
    for key in game_keys(store, pin):
        store.redis.expire(key, 60)
    reveal = store.state(pin)
    assert reveal is not None and reveal.version == opened.version + 1
    board, _ = quiz.next_step(reveal, now_ms=store.now_ms(), read_ms=0, limit_ms=30_000)
    assert store.apply(pin, reveal.version, board)
    ttls = game_keys(store, pin)
    assert len(ttls) >= 12 and all(GAME_TTL - 5 <= ttl <= GAME_TTL for ttl in ttls.values()), ttls


def test_now_ms_is_redis_time(store: LiveStore) -> None:
    seconds, micros = store.redis.time()
    now = store.now_ms()
    assert 0 <= now - (seconds * 1000 + micros // 1000) < 1_000
