"""The live quiz service (app/live/games.py) driven directly, without sockets, on a real
Redis: exact points, ranks and team scores of a whole game from the server-recorded times;
no answer leaks before the reveal; kicks, rejoins and late joiners.

Times are controlled without sleeping: just before a player answers, the open question's
``open_ms`` is moved back (the state's version unchanged), so the server-measured elapsed
time is the planned time plus the few milliseconds the test itself takes. The expected
points are then computed from the recorded elapsed times with the formula of DESIGN §5.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.live import protocol
from app.live.games import Emit, LiveGames, Then, game_room, host_room, settled
from app.live.protocol import JoinRequest, ProtocolError
from app.live.store import LiveStore
from tests.live.conftest import new_game, single

SECRET = "games-test-secret"
LIMIT_MS = 30_000


class Live(LiveGames):
    """The service under test, remembering its games so that their keys can be deleted. What
    it returns is settled as the socket layer's ``send`` settles it: every ``Then`` done, so
    a closing answer's emits hold the results (the split itself is tested on its own)."""

    pins: list[str]

    def advance(self, pin: str, command: str) -> tuple[dict[str, Any], list[Emit | Then]]:
        state, emits = super().advance(pin, command)
        return state, list(settled(emits))

    def answer(
        self, pin: str, player_id: str, q: int, choice: Any
    ) -> tuple[dict[str, Any], list[Emit | Then]]:
        ack, emits = super().answer(pin, player_id, q, choice)
        return ack, list(settled(emits))


@pytest.fixture
def live(store: LiveStore) -> Iterator[Live]:
    games = Live(store, SECRET, finish=None)
    games.pins = []
    yield games
    for pin in games.pins:  # delete this test's games only: nothing is flushed globally
        keys = list(store.redis.scan_iter(match=f"arena:game:{pin}*"))
        if keys:
            store.redis.delete(*keys)
        store.redis.zrem(LiveStore.DEADLINES, pin)


def create(live: Live, questions: list[dict[str, Any]], **config: Any) -> str:
    pin, _token = new_game(live.store, questions, **config)
    live.pins.append(pin)
    return pin


def join(
    live: LiveGames, pin: str, nickname: str, team: str, sid: str = "", token: str = ""
) -> dict[str, Any]:
    return live.player_join(JoinRequest(pin, nickname, team, "", token), sid or f"sid-{nickname}")


def rewind(store: LiveStore, pin: str, ms: int) -> None:
    """Pretend the open question opened ``ms`` earlier (same version: not a transition)."""
    if ms <= 0:
        return
    state = store.state(pin)
    assert state is not None and state.phase == "question"
    moved = dataclasses.replace(state, shown_ms=state.shown_ms - ms, open_ms=state.open_ms - ms)
    assert store.apply(pin, state.version, moved)


def events(emits: list[Emit], event: str) -> list[Emit]:
    return [emit for emit in emits if emit.event == event]


def only(emits: list[Emit], event: str) -> dict[str, Any]:
    found = events(emits, event)
    assert len(found) == 1, [e.event for e in emits]
    return found[0].payload


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list | tuple):
        return {k for v in value for k in all_keys(v)}
    return set()


def assert_no_answer_in(payload: Any, question: dict[str, Any], secrets: tuple[str, ...] = ()) -> None:
    assert not all_keys(payload) & {"key", "correct", "explanation", "source", "distribution", "fraction"}
    text = json.dumps(payload, ensure_ascii=False)
    assert question["explanation"] not in text
    for secret in secrets:
        assert secret not in text


def points(elapsed: int, streak: int) -> int:
    """DESIGN §5, written out independently of app/live/scoring.py."""
    return round(1000 * (1 - min(elapsed, LIMIT_MS) / LIMIT_MS / 2)) + min(100 * (streak - 1), 500)


class Reference:
    """The expected totals, streaks, correct-answer times, ranks and team means."""

    def __init__(self, players: list[tuple[str, str]]) -> None:
        self.players = players
        self.team = dict(players)
        self.total = dict.fromkeys(self.team, 0)
        self.streak = dict.fromkeys(self.team, 0)
        self.time = dict.fromkeys(self.team, 0)
        self.excluded: set[str] = set()

    def score(self, right: dict[str, bool], elapsed: dict[str, int]) -> dict[str, int]:
        earned = {}
        for name in self.team:
            if right.get(name):
                self.streak[name] += 1
                earned[name] = points(elapsed[name], self.streak[name])
                self.time[name] += elapsed[name]
            else:
                self.streak[name] = 0
                earned[name] = 0
            self.total[name] += earned[name]
        return earned

    def order(self) -> list[str]:
        joined = [name for name, _team in self.players]
        ranked = [name for name in joined if name not in self.excluded]
        return sorted(ranked, key=lambda n: (-self.total[n], self.time[n], joined.index(n)))

    def teams(self) -> dict[str, float]:
        members: dict[str, list[int]] = {}
        for name, team in self.players:
            if name not in self.excluded:
                members.setdefault(team, []).append(self.total[name])
        return {team: round(sum(s) / len(s), 1) for team, s in members.items()}


# -- a whole game --------------------------------------------------------------------------

PLAYERS = [
    ("红一", "红队"),
    ("红二", "红队"),
    ("红三", "红队"),
    ("蓝一", "蓝队"),
    ("蓝二", "蓝队"),
    ("蓝三", "蓝队"),
]

MULTIPLE = {
    "type": "multiple",
    "stem": "下列属于“四个意识”的是",
    "options": ["政治意识", "发展意识", "大局意识", "创新意识"],
    "key": [0, 2],
    "explanation": "四个意识：政治意识、大局意识、核心意识、看齐意识。",
    "source": "测试",
    "time_limit": 30,
    "media": "",
}
FILL = {
    "type": "fill",
    "stem": "中共中央在陕北____度过了十三年。",
    "options": [],
    "key": [["延安", "延安市"]],
    "explanation": "1935 年至 1948 年，中共中央在陕北。",
    "source": "测试",
    "time_limit": 30,
    "media": "",
}
QUESTIONS = [single("党的一大在哪一年召开", ["1919", "1921", "1927", "1949"], 1), MULTIPLE, FILL]

# Per question, in answer order: (player, choice, planned elapsed ms). Missing players do not answer.
PLAN: list[list[tuple[str, Any, int]]] = [
    [
        ("红一", [1], 0),
        ("蓝一", [1], 3_000),
        ("红二", [1], 6_000),
        ("红三", [0], 9_000),
        ("蓝三", [3], 12_000),
    ],
    [
        ("蓝二", [0, 2], 0),
        ("红一", [2, 0], 6_000),
        ("红三", [0, 2], 6_000),
        ("蓝一", [0, 2], 15_000),
        ("红二", [0], 15_000),
        ("蓝三", [0, 1, 2], 24_000),
    ],
    [("红二", "延安市", 0), ("蓝二", "延安", 3_000), ("红一", " 延 安！", 12_000), ("蓝一", "西安", 12_000)],
]
RIGHT = [  # who is right, decided by hand (multiple choice is all-or-nothing; fill is folded)
    {"红一", "红二", "蓝一"},
    {"红一", "红三", "蓝一", "蓝二"},
    {"红一", "红二", "蓝二"},
]
DISTRIBUTION = [[1, 3, 0, 1], [6, 1, 5, 0], [3, 1]]


def test_a_whole_game_of_three_questions_six_players_two_teams(live: Live, store: LiveStore) -> None:
    pin = create(live, QUESTIONS)
    seats = {name: join(live, pin, name, team)["player_id"] for name, team in PLAYERS}
    names = {player_id: name for name, player_id in seats.items()}
    expected = Reference(PLAYERS)

    for q, question in enumerate(QUESTIONS):
        state, emits = live.advance(pin, "start" if q == 0 else "next")
        assert (state["phase"], state["q"], state["total"], state["players"]) == ("question", q, 3, 6)
        assert state["deadline_ms"] - state["open_ms"] == LIMIT_MS and state["open_ms"] == state["shown_ms"]
        assert [e.event for e in emits] == [protocol.GAME_STATE]
        public = {
            "index": q,
            "type": question["type"],
            "stem": question["stem"],
            "options": question["options"],
            "time_limit": 30,
        }
        if question["type"] == "fill":
            public["blanks"] = 1
        assert state["question"] == public  # exactly what may be shown: no key
        secrets = ("延安",) if question["type"] == "fill" else ()
        assert_no_answer_in(emits[0].payload, question, secrets)

        shifted = 0
        closing: list[Emit] = []
        for name, choice, at in PLAN[q]:
            rewind(store, pin, at - shifted)
            shifted = at
            snapshot = live.player_snapshot(pin, seats[name])
            assert snapshot["answered"] is False and "result" not in snapshot
            assert_no_answer_in(snapshot, question, secrets)
            ack, closing = live.answer(pin, seats[name], q, choice)
            assert ack["accepted"] is True and at <= ack["elapsed_ms"] < at + 1_000, (name, ack)
            assert_no_answer_in(ack, question, secrets)
            if store.state(pin).phase == "question":  # type: ignore[union-attr]  # (the last answer closes it)
                assert closing == []
                assert_no_answer_in(
                    [live.state_payload(pin), live.player_snapshot(pin, seats[name])], question, secrets
                )
        if len(PLAN[q]) == len(PLAYERS):
            assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]  # all answered: closed early
        else:
            assert closing == [] and store.state(pin).phase == "question"  # type: ignore[union-attr]
            state, closing = live.advance(pin, "next")  # the host closes it
            assert state["phase"] == "reveal"

        recorded = store.answers(pin, q)
        assert {names[pid] for pid in recorded} == {name for name, _c, _at in PLAN[q]}
        elapsed = {names[pid]: answer["e"] for pid, answer in recorded.items()}
        for name, _choice, at in PLAN[q]:
            assert at <= elapsed[name] < at + 1_000
        earned = expected.score({name: name in RIGHT[q] for name in seats}, elapsed)
        order = expected.order()

        reveal = only(closing, protocol.GAME_REVEAL)
        assert reveal["q"] == q and reveal["correct"] == question["key"]
        assert reveal["distribution"] == DISTRIBUTION[q]
        assert reveal["answered"] == len(PLAN[q]) and reveal["explanation"] == question["explanation"]
        results = {names[e.to.rsplit(":", 1)[1]]: e.payload for e in events(closing, protocol.PLAYER_RESULT)}
        assert set(results) == set(seats)
        for name, player_id in seats.items():
            want = {
                "q": q,
                "correct": name in RIGHT[q],
                "points": earned[name],
                "score": expected.total[name],
                "rank": order.index(name) + 1,
                "streak": expected.streak[name],
                "answered": name in elapsed,
            }
            got = {key: results[name][key] for key in want}
            assert got == want, name
            assert store.result(pin, q, player_id) == results[name]
            snapshot = live.player_snapshot(pin, player_id)  # a phone reconnecting after the reveal
            assert snapshot["result"] == results[name] and snapshot["score"] == expected.total[name]
        # The team board as the closing process recorded it.
        teams = expected.teams()
        recorded_teams = {row["team"]: row["score"] for row in store.standings(pin) or []}
        assert recorded_teams == pytest.approx(teams)

        state, emits = live.advance(pin, "next")
        assert state["phase"] == "leaderboard"
        board = only(emits, protocol.GAME_LEADERBOARD)
        # To the big screen only: phones show 请看大屏排行榜 from the state.
        assert [e.to for e in events(emits, protocol.GAME_LEADERBOARD)] == [host_room(pin)]
        assert [e.to for e in events(emits, protocol.GAME_STATE)] == [game_room(pin)]
        assert [(p["nickname"], p["score"], p["rank"]) for p in board["players"]] == [
            (name, expected.total[name], place) for place, name in enumerate(order, start=1)
        ]
        assert [(t["team"], t["score"], t["members"], t["rank"]) for t in board["teams"]] == [
            (team, score, 3, place)
            for place, (team, score) in enumerate(sorted(teams.items(), key=lambda item: -item[1]), start=1)
        ]
        assert store.ranking(pin) == [seats[name] for name in order]

        if q == 0:
            # Three players tied on 0 points and 0 ms: they rank in join order.
            assert order == ["红一", "蓝一", "红二", "红三", "蓝二", "蓝三"]
            assert [earned[n] for n in ("红一", "蓝一", "红二")] == [
                points(elapsed["红一"], 1),
                points(elapsed["蓝一"], 1),
                points(elapsed["红二"], 1),
            ]
            assert 940 <= earned["蓝一"] <= 950 and 890 <= earned["红二"] <= 900  # 3 s and 6 s of 30 s

    state, emits = live.advance(pin, "next")
    assert state["phase"] == "podium"
    # The podium first: a phone shows the end on either, and it need not wait for the state.
    assert [e.event for e in emits] == [protocol.GAME_OVER, protocol.GAME_STATE]
    over = only(emits, protocol.GAME_OVER)
    final = expected.order()
    assert final == ["红一", "蓝二", "红二", "蓝一", "红三", "蓝三"]  # margins of 100+ points: no timing luck
    assert [(p["nickname"], p["score"], p["rank"]) for p in over["podium"]] == [
        (name, expected.total[name], place) for place, name in enumerate(final[:3], start=1)
    ]
    teams = expected.teams()
    assert [(t["team"], t["score"], t["rank"]) for t in over["teams"]] == [
        ("红队", teams["红队"], 1),
        ("蓝队", teams["蓝队"], 2),
    ]
    assert expected.streak == {"红一": 3, "红二": 1, "红三": 0, "蓝一": 0, "蓝二": 2, "蓝三": 0}
    scores = store.scores(pin)
    assert {
        name: (scores[pid]["score"], scores[pid]["correct"], scores[pid]["time"])
        for name, pid in seats.items()
    } == {
        name: (expected.total[name], sum(name in right for right in RIGHT), expected.time[name])
        for name in seats
    }
    state, _ = live.advance(pin, "next")
    assert state["phase"] == "ended"
    with pytest.raises(ProtocolError) as over_again:
        live.advance(pin, "next")
    assert over_again.value.code == "game_over"


def test_partial_credit_and_team_sum_settings_reach_the_scores(live: Live, store: LiveStore) -> None:
    scoring = {
        "base": 1000,
        "speed": False,
        "streak_step": 100,
        "streak_cap": 500,
        "multiple": "partial",
        "team": "sum",
    }
    pin = create(live, [MULTIPLE], scoring=scoring)
    seats = {name: join(live, pin, name, team)["player_id"] for name, team in PLAYERS[:4]}
    live.advance(pin, "start")
    for name, choice in (("红一", [0, 2]), ("红二", [0]), ("红三", [0, 1]), ("蓝一", [2])):
        live.answer(pin, seats[name], 0, choice)
    got = {name: store.result(pin, 0, pid) for name, pid in seats.items()}
    assert {name: (r["points"], r["correct"], r["rank"]) for name, r in got.items()} == {
        "红一": (1000, True, 1),
        "红二": (500, False, 2),
        "蓝一": (500, False, 3),
        "红三": (0, False, 4),
    }
    assert live.team_standings(pin) == [
        {"team": "红队", "score": 1500.0, "members": 3, "rank": 1},
        {"team": "蓝队", "score": 500.0, "members": 1, "rank": 2},
    ]


# -- kicks ---------------------------------------------------------------------------------


def test_a_kicked_player_is_out_of_ranks_and_teams_and_its_answers_are_refused(
    live: Live, store: LiveStore
) -> None:
    players = [("甲", "红队"), ("乙", "红队"), ("丙", "蓝队"), ("丁", "蓝队")]
    pin = create(live, [single("一", ["对的", "错的"], 0), single("二", ["对的", "错的"], 0)])
    seats = {name: join(live, pin, name, team)["player_id"] for name, team in players}
    expected = Reference(players)
    live.advance(pin, "start")
    shifted = 0
    for name, choice, at in (("甲", [0], 0), ("丁", [1], 0), ("乙", [0], 3_000), ("丙", [0], 6_000)):
        rewind(store, pin, at - shifted)
        shifted = at
        live.answer(pin, seats[name], 0, choice)
    assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    elapsed = {name: store.answers(pin, 0)[pid]["e"] for name, pid in seats.items()}
    expected.score({"甲": True, "乙": True, "丙": True, "丁": False}, elapsed)
    assert store.ranking(pin) == [seats[n] for n in ("甲", "乙", "丙", "丁")]

    # The leader is kicked during the reveal.
    emits = live.kick(pin, seats["甲"])
    assert [(e.event, e.to) for e in emits] == [
        (protocol.PLAYER_KICKED, f"player:{pin}:{seats['甲']}"),
        (protocol.GAME_PLAYERS, f"host:{pin}"),
    ]
    assert emits[1].payload["count"] == 3
    assert seats["甲"] not in {p["player_id"] for t in emits[1].payload["teams"] for p in t["players"]}
    expected.excluded.add("甲")
    with pytest.raises(ProtocolError) as unknown:
        live.kick(pin, "nobody")
    assert unknown.value.code == "player_not_found"
    assert live.state_payload(pin)["players"] == 3

    _state, emits = live.advance(pin, "next")
    board = only(emits, protocol.GAME_LEADERBOARD)
    assert [(p["nickname"], p["rank"]) for p in board["players"]] == [("乙", 1), ("丙", 2), ("丁", 3)]
    teams = expected.teams()
    assert teams == {"红队": float(expected.total["乙"]), "蓝队": round(expected.total["丙"] / 2, 1)}
    assert [(t["team"], t["score"], t["members"], t["rank"]) for t in board["teams"]] == [
        ("红队", teams["红队"], 1, 1),
        ("蓝队", teams["蓝队"], 2, 2),  # ~950 against (~900 + 0) / 2
    ]

    live.advance(pin, "next")  # question 2
    with pytest.raises(ProtocolError) as refused:
        live.answer(pin, seats["甲"], 1, [0])
    assert refused.value.code == "kicked"
    with pytest.raises(ProtocolError) as back:
        join(live, pin, "", "", sid="sid-甲-reload", token=live.rejoin_token(pin, seats["甲"]))
    assert back.value.code == "kicked"
    assert store.has_answered(pin, 1, seats["甲"]) is False
    # The three others answering closes the question: the kicked phone is not waited for.
    for name in ("丁", "乙", "丙"):
        _ack, closing = live.answer(pin, seats[name], 1, [0])
    assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    elapsed = {name: store.answers(pin, 1)[pid]["e"] for name, pid in seats.items() if name != "甲"}
    expected.score({"乙": True, "丙": True, "丁": True}, elapsed)
    results = {e.to.rsplit(":", 1)[1]: e.payload for e in events(closing, protocol.PLAYER_RESULT)}
    order = expected.order()
    for name in ("乙", "丙", "丁"):
        assert results[seats[name]]["rank"] == order.index(name) + 1
        assert results[seats[name]]["score"] == expected.total[name]
    assert results[seats["甲"]]["rank"] is None and results[seats["甲"]]["points"] == 0
    assert seats["甲"] not in store.ranking(pin)

    _state, emits = live.advance(pin, "next")
    _state, emits = live.advance(pin, "next")
    over = only(emits, protocol.GAME_OVER)
    assert [p["nickname"] for p in over["podium"]] == order == ["乙", "丙", "丁"]
    assert {t["team"]: (t["score"], t["members"]) for t in over["all_teams"]} == {
        "红队": (float(expected.total["乙"]), 1),
        "蓝队": (round((expected.total["丙"] + expected.total["丁"]) / 2, 1), 2),
    }


# -- rejoining -----------------------------------------------------------------------------


def test_a_rejoin_token_returns_the_same_seat_and_forged_ones_do_not(live: Live, store: LiveStore) -> None:
    pin = create(live, [single("一", ["甲", "乙"], 0), single("二", ["甲", "乙"], 1)])
    other_pin = create(live, [single("一", ["甲", "乙"], 0)])
    first = join(live, pin, "老张", "红队", sid="sid-1")
    join(live, pin, "老李", "蓝队", sid="sid-2")
    token = first["rejoin_token"]
    assert first["state"]["phase"] == "lobby" and first["score"] == 0 and "answered" not in first

    live.advance(pin, "start")
    live.answer(pin, first["player_id"], 0, [0])
    back = join(live, pin, "", "", sid="sid-1b", token=token)  # the phone reloaded mid-question
    assert (back["player_id"], back["nickname"], back["team"]) == (first["player_id"], "老张", "红队")
    assert back["answered"] is True and back["state"]["phase"] == "question" and back["state"]["q"] == 0
    assert store.redis.hget(store.key(pin, "sids"), first["player_id"]) == "sid-1b"
    assert len(store.players(pin)) == 2
    with pytest.raises(ProtocolError) as again:
        live.answer(pin, back["player_id"], 0, [1])
    assert again.value.code == "duplicate_answer"

    live.advance(pin, "next")  # reveal
    after = join(live, pin, "任意", "", sid="sid-1c", token=token)  # a nickname does not matter with a token
    assert after["player_id"] == first["player_id"] and after["nickname"] == "老张"
    assert after["score"] == store.result(pin, 0, first["player_id"])["score"] > 500  # type: ignore[index]
    assert after["result"]["correct"] is True and after["streak"] == 1

    forged = [
        token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),  # tampered signature
        LiveGames(store, "another-secret").rejoin_token(pin, first["player_id"]),  # another server's key
        live.rejoin_token(other_pin, first["player_id"]),  # a valid token of another game
        "not-a-token",
    ]
    for bad in forged:
        with pytest.raises(ProtocolError) as refused:
            join(live, pin, "", "", sid="sid-x", token=bad)
        assert (refused.value.code, refused.value.extra) == ("bad_request", {"field": "nickname"}), bad
    # With a nickname a bad token is ignored: a new seat, if the nickname is free.
    with pytest.raises(ProtocolError) as taken:
        join(live, pin, "老张", "红队", sid="sid-x", token=forged[0])
    assert taken.value.code == "nickname_taken"
    newcomer = join(live, pin, "小王", "红队", sid="sid-y", token=forged[0])
    assert newcomer["player_id"] not in (first["player_id"],) and newcomer["score"] == 0
    assert len(store.players(pin)) == 3


def test_joining_an_unknown_or_ended_game(live: Live) -> None:
    with pytest.raises(ProtocolError) as missing:
        join(live, "000000", "某人", "红队")
    assert missing.value.code == "game_not_found"
    pin = create(live, [single("一", ["甲", "乙"], 0)])
    live.advance(pin, "end")
    with pytest.raises(ProtocolError) as over:
        join(live, pin, "某人", "红队")
    assert over.value.code == "game_over"


# -- late joiners --------------------------------------------------------------------------


def test_late_joiners_start_at_zero_and_play_from_the_next_question(live: Live, store: LiveStore) -> None:
    """What happens to a phone that joins after the start (late_join allowed, the default):

    - joining between questions (reveal/leaderboard of question q): seated with 0 points,
      no result for q, and it plays from question q+1;
    - joining while question q is open: seated with 0 points, its answer to q is refused with
      ``not_open`` (it plays from q+1), and q scores it 0 like any player who did not answer.
    """
    questions = [single(f"第{i + 1}题", ["甲", "乙"], 0) for i in range(3)]
    pin = create(live, questions)
    a = join(live, pin, "早到甲", "红队")["player_id"]
    b = join(live, pin, "早到乙", "蓝队")["player_id"]
    live.advance(pin, "start")
    live.answer(pin, a, 0, [0])
    live.answer(pin, b, 0, [1])
    assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    live.advance(pin, "next")  # leaderboard of question 1

    between = join(live, pin, "课间到", "红队")
    assert between["score"] == 0 and between["streak"] == 0
    assert between["state"]["phase"] == "leaderboard" and between["answered"] is False
    assert between["result"] is None
    late = between["player_id"]
    assert store.player(pin, late)["joined_q"] == 0  # type: ignore[index]
    # The standings the scoring wrote no longer hold: the red branch's mean counts its new
    # member's 0 from now on.
    first = store.scores(pin)[a]["score"]
    assert [(t["team"], t["score"], t["members"]) for t in live.leaderboard(pin)["teams"]] == [
        ("红队", round(first / 2, 1), 2),
        ("蓝队", 0.0, 1),
    ]
    with pytest.raises(ProtocolError) as past:
        live.answer(pin, late, 0, [0])
    assert past.value.code == "not_open"

    live.advance(pin, "next")  # question 2 opens
    during = join(live, pin, "题中到", "蓝队")
    mid = during["player_id"]
    assert during["state"]["phase"] == "question" and during["answered"] is False and during["score"] == 0
    assert store.player(pin, mid)["joined_q"] == 1  # type: ignore[index]
    with pytest.raises(ProtocolError) as current:
        live.answer(pin, mid, 1, [0])
    assert current.value.code == "not_open"
    for player in (a, b, late):
        _ack, closing = live.answer(pin, player, 1, [0])
    # The phone that joined mid-question cannot answer it, so it does not hold it open.
    assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    results = {e.to.rsplit(":", 1)[1]: e.payload for e in events(closing, protocol.PLAYER_RESULT)}
    assert results[late]["correct"] is True and results[late]["streak"] == 1
    assert results[late]["points"] == points(store.answers(pin, 1)[late]["e"], 1)
    assert (results[mid]["points"], results[mid]["answered"], results[mid]["score"]) == (0, False, 0)
    assert store.result(pin, 0, late) is None  # not scored for the question before it joined

    live.advance(pin, "next")
    live.advance(pin, "next")  # question 3: both late joiners play
    for player in (a, b, late, mid):
        live.answer(pin, player, 2, [0])
    scores = store.scores(pin)
    answers = [store.answers(pin, q) for q in range(3)]
    assert scores[mid]["score"] == points(answers[2][mid]["e"], 1)
    assert scores[late]["score"] == points(answers[1][late]["e"], 1) + points(answers[2][late]["e"], 2)
    assert scores[a]["score"] == sum(points(answers[q][a]["e"], q + 1) for q in range(3))
    assert (scores[late]["correct"], scores[mid]["correct"]) == (2, 1)


def test_a_mid_question_joiner_does_not_hold_the_question_open(live: Live, store: LiveStore) -> None:
    pin = create(live, [single("一", ["甲", "乙"], 0), single("二", ["甲", "乙"], 0)])
    early = join(live, pin, "早到", "红队")["player_id"]
    live.advance(pin, "start")
    join(live, pin, "迟到", "蓝队")
    _ack, closing = live.answer(pin, early, 0, [0])
    assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    assert events(closing, protocol.GAME_REVEAL)


def test_the_reveal_goes_out_before_the_scoring_and_a_quick_host_cannot_outrun_it(
    live: Live, store: LiveStore
) -> None:
    """The close sends the phase and the answer first; the scoring follows (a ``Then``). A host
    who moves on before it has run gets the results first, scored once."""
    pin = create(live, [single("一", ["甲", "乙"], 0), single("二", ["甲", "乙"], 0)])
    right = join(live, pin, "答对", "红队")["player_id"]
    wrong = join(live, pin, "答错", "蓝队")["player_id"]
    live.advance(pin, "start")
    live.answer(pin, wrong, 0, [1])
    _ack, closing = LiveGames.answer(live, pin, right, 0, [0])  # the last answer: unsettled
    assert [(getattr(e, "event", "Then"), getattr(e, "to", "")) for e in closing] == [
        (protocol.GAME_STATE, game_room(pin)),
        (protocol.GAME_REVEAL, game_room(pin)),
        ("Then", ""),
    ]
    assert closing[1].payload["distribution"] == [1, 1]  # type: ignore[union-attr]
    assert store.state(pin).phase == "reveal"  # type: ignore[union-attr]
    assert store.scored(pin) == -1 and store.result(pin, 0, right) is None  # nothing scored yet

    _state, leaving = LiveGames.advance(live, pin, "next")  # to the leaderboard, before the Then ran
    assert [e.event for e in leaving] == [  # type: ignore[union-attr]
        protocol.PLAYER_RESULT,
        protocol.PLAYER_RESULT,
        protocol.GAME_STATE,
        protocol.GAME_LEADERBOARD,
    ]
    earned = points(store.answers(pin, 0)[right]["e"], 1)
    results = {e.to: e.payload for e in leaving[:2]}  # type: ignore[union-attr]
    assert results[f"player:{pin}:{right}"]["points"] == earned
    assert results[f"player:{pin}:{wrong}"]["points"] == 0
    board = leaving[3].payload["players"]  # type: ignore[union-attr]
    assert [(row["player_id"], row["score"]) for row in board] == [(right, earned), (wrong, 0)]

    # The closing process's scoring, when it comes, finds the question scored: nothing is added.
    assert [e.event for e in settled(closing)] == [protocol.GAME_STATE, protocol.GAME_REVEAL]
    assert store.scores(pin)[right]["score"] == earned and store.scored(pin) == 0


def test_ending_during_a_question_scores_it_before_the_podium(live: Live, store: LiveStore) -> None:
    pin = create(live, [single("一", ["甲", "乙"], 0), single("二", ["甲", "乙"], 0)])
    player = join(live, pin, "提前", "红队")["player_id"]
    join(live, pin, "未答", "红队")
    live.advance(pin, "start")
    live.answer(pin, player, 0, [0])
    _state, ending = LiveGames.advance(live, pin, "end")  # unsettled, as the host handler gets it
    events_sent = [getattr(e, "event", "Then") for e in ending]
    assert events_sent[0] == protocol.PLAYER_RESULT and events_sent.count(protocol.PLAYER_RESULT) == 2
    # The close's scoring, the podium, then the game's writing (none here: finish=None).
    assert events_sent[2:] == [protocol.GAME_STATE, protocol.GAME_REVEAL, "Then", protocol.GAME_OVER, "Then"]
    podium = only([e for e in ending if isinstance(e, Emit)], protocol.GAME_OVER)["podium"]
    assert podium[0]["player_id"] == player and podium[0]["score"] == points(
        store.answers(pin, 0)[player]["e"], 1
    )
    assert settled(ending[4:5]) == []  # the close's own scoring finds it done


def test_a_reloaded_host_screen_gets_what_the_phase_shows(live: Live, store: LiveStore) -> None:
    pin, token = new_game(store, [single("一", ["甲", "乙"], 1)])
    live.pins.append(pin)
    player = join(live, pin, "甲", "红队")["player_id"]
    assert set(live.host_join(pin, token)) == {"state", "roster"}
    live.advance(pin, "start")
    assert set(live.host_join(pin, token)) == {"state", "roster"}  # the question is in the state
    live.answer(pin, player, 0, [1])
    screen = live.host_join(pin, token)
    assert screen["question"]["stem"] == "一" and "key" not in screen["question"]
    assert (screen["reveal"]["correct"], screen["reveal"]["distribution"]) == ([1], [0, 1])
    live.advance(pin, "next")
    assert [p["nickname"] for p in live.host_join(pin, token)["leaderboard"]["players"]] == ["甲"]
    live.advance(pin, "next")
    assert [p["nickname"] for p in live.host_join(pin, token)["podium"]["podium"]] == ["甲"]


def test_a_cached_question_of_an_earlier_game_with_the_same_pin_is_not_used(live: Live) -> None:
    """Answers check the choice against a question cached in the process; if the PIN now
    names another game (the first expired, a new one drew the same PIN), the answer script
    refuses the stale question and the fresh one is fetched and used."""
    pin = create(live, [single("新的一题", ["甲", "乙", "丙", "丁"], 3)])
    seat = join(live, pin, "张三", "红队")["player_id"]
    live.advance(pin, "start")
    # What an earlier game with this PIN left in the cache: two options, another created_ms.
    live._questions[(pin, 0)] = (single("旧的一题", ["对", "错"], 0), "1")
    ack, _emits = live.answer(pin, seat, 0, [3])  # option 丁: only the fresh question has it
    assert ack["accepted"] is True
    assert live.store.answers(pin, 0)[seat]["c"] == [3]
    assert live._questions[(pin, 0)][0]["stem"] == "新的一题"


def test_the_answer_script_refuses_a_question_checked_for_another_game(live: Live) -> None:
    pin = create(live, [single("题", ["甲", "乙"], 0)])
    seat = join(live, pin, "李四", "红队")["player_id"]
    live.advance(pin, "start")
    assert live.store.submit(pin, seat, 0, [0], [0], created_ms="1").code == "stale"
    assert live.store.answers(pin, 0) == {}
    _question, created = live.store.game_question(pin, 0)
    submitted = live.store.submit(pin, seat, 0, [0], [0], created_ms=created)
    assert (submitted.code, submitted.answered, submitted.late, submitted.online) == ("ok", 1, 0, 1)
    assert submitted.may_be_last
