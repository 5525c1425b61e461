"""Every client → server Socket.IO event of the live quiz, the scenario runs and the danmaku
walls gets random and malformed payloads, from a phone that joined nothing, from a seated
player and from a host with a real token: each one is answered with ``ok: true`` or a stable
error code of its module's table and a zh-CN message, nothing is logged as an unexpected
error, the games stay consistent in Redis, and a normal game still plays afterwards.

The events come from the protocol modules (those with a handler), so a new event is fuzzed
without touching this file.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.danmaku import protocol as wall_protocol
from app.live import protocol as live_protocol
from app.live.events import LIMITS
from app.scenario import protocol as scenario_protocol
from tests.fuzz.conftest import World, join_new_threads, logged_errors, new_game
from tests.fuzz.strategies import FIELDS, examples, payloads

MODULES: dict[str, ModuleType] = {
    "live": live_protocol,
    "scenario": scenario_protocol,
    "wall": wall_protocol,
}
EXAMPLES_PER_EVENT = 40
# The payload fields of each event (docs/PROTOCOL.md), so that the right-shaped payloads
# reach past the parser; an event missing here gets every field any event has.
EVENT_FIELDS = {
    "host:join": ["pin", "host_token"],
    "host:kick": ["pin", "player_id"],
    "player:join": ["pin", "nickname", "team", "member_no", "rejoin_token"],
    "player:answer": ["pin", "q", "choice"],
    "scenario:host_join": ["pin", "host_token"],
    "scenario:screen_join": ["pin", "host_token"],
    "scenario:assign": ["pin", "player_id", "group", "role"],
    "scenario:release": ["pin", "clue", "group"],
    "scenario:note": ["pin", "player_id", "text"],
    "scenario:replace": ["pin", "player_id", "new_player_id"],
    "scenario:join": ["pin", "nickname", "member_no", "rejoin_token"],
    "scenario:search": ["pin", "place"],
    "scenario:scan": ["pin", "code"],
    "scenario:answer": ["pin", "checkpoint", "choice"],
    "scenario:vote": ["pin", "option"],
    "scenario:share": ["pin", "clue"],
    "wall:join": ["pin", "nickname", "rejoin_token"],
    "wall:send": ["pin", "text", "color"],
    "qa:ask": ["pin", "text"],
    "wall:screen_join": ["pin", "token", "name"],
    "wall:moderator_join": ["pin", "token", "name"],
    "wall:mute": ["pin", "player_id", "minutes"],
    "wall:settings": ["pin", "mode", "paused", "overlay"],
    **{event: ["pin", "message_id"] for event in ("wall:approve", "wall:reject", "wall:remove")},
    **{event: ["pin", "question_id"] for event in ("qa:vote", "qa:pin", "qa:answered", "qa:hide")},
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def client_events(module: ModuleType) -> list[str]:
    """The module's events that the server handles: its client → server events."""
    from app.realtime import socketio

    handled = socketio.server.handlers["/"]
    return [name for name in module.EVENTS.values() if name in handled]


def error_table(module: ModuleType) -> dict[str, str]:
    """The codes a module's events may answer with: its own table over the quiz's (the
    scenario and wall protocols fall back to the quiz's codes, e.g. bad_request)."""
    return {**live_protocol.ERRORS, **module.ERRORS}


def check_ack(event: str, ack: Any, table: dict[str, str]) -> None:
    assert isinstance(ack, dict), f"{event}: no dict ack: {ack!r}"
    if ack.get("ok") is True:
        return
    assert ack.get("ok") is False, f"{event}: {ack!r}"
    error = ack["error"]
    code = error["code"]
    # Redis is up: `unavailable` here would be a crash (a Lua error, a bug) answered politely.
    assert code in table and code != "unavailable", f"{event}: code {code!r}"
    assert error["message"] == table[code] and CHINESE.search(error["message"]), error


def test_every_module_has_client_events(world: World) -> None:
    """The enumeration the fuzzing relies on is not empty, and covers every handled event."""
    from app.realtime import socketio

    counts = {name: len(client_events(module)) for name, module in MODULES.items()}
    assert counts == {"live": 7, "scenario": 17, "wall": 14}
    covered = {event for module in MODULES.values() for event in client_events(module)}
    assert set(socketio.server.handlers["/"]) - covered == {"disconnect"}


# -- the three states --------------------------------------------------------------------------


def joined(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack = client.emit(event, payload, callback=True)
    assert ack["ok"], (event, ack)
    return ack  # type: ignore[no-any-return]


def seat_scenario_players(world: World, host: Any, *phones: Any) -> None:
    """Three phones in the run (its minimum), the host deals the roles: the first act."""
    for number, phone in enumerate(phones):
        seat = joined(
            phone, scenario_protocol.PLAYER_JOIN, {"pin": world.run_pin, "nickname": f"玩家{number}"}
        )
        world.known.setdefault("player_id", []).append(seat["player_id"])
        world.known.setdefault("rejoin_token", []).append(seat["rejoin_token"])
    joined(host, scenario_protocol.HOST_JOIN, {"pin": world.run_pin, "host_token": world.run_token})
    joined(host, scenario_protocol.HOST_NEXT, {"pin": world.run_pin})


def seat_player(world: World) -> Any:
    """A phone seated in the quiz (question 0 open; a second player who never answers keeps
    it open), in the run (the search act: places to search, clues to share) and on the
    standalone wall. It holds no host token."""
    host, bystander, phone = world.client(), world.client(), world.client()
    pin = world.quiz_pin
    joined(host, live_protocol.HOST_JOIN, {"pin": pin, "host_token": world.quiz_token})
    for client, nickname in ((bystander, "旁观者"), (phone, "模糊测试")):
        seat = joined(client, live_protocol.PLAYER_JOIN, {"pin": pin, "nickname": nickname, "team": "蓝队"})
        world.known.setdefault("player_id", []).append(seat["player_id"])
        world.known.setdefault("rejoin_token", []).append(seat["rejoin_token"])
    assert joined(host, live_protocol.HOST_START, {"pin": pin})["state"]["phase"] == "question"
    seat_scenario_players(world, host, phone, world.client(), world.client())
    joined(host, scenario_protocol.HOST_NEXT, {"pin": world.run_pin})  # act 2: the search
    world.known["new_player_id"] = list(world.known["player_id"])
    joined(phone, wall_protocol.JOIN, {"pin": world.wall_pin, "nickname": "模糊测试"})
    return phone


def seat_host(world: World) -> Any:
    """A host console of the quiz and the run (real host tokens) and the wall's moderator,
    with two players in the quiz (to kick, to score) and three in the run (in its first act)."""
    world.knows_tokens()
    host = world.client()
    joined(host, live_protocol.HOST_JOIN, {"pin": world.quiz_pin, "host_token": world.quiz_token})
    joined(host, wall_protocol.MODERATOR_JOIN, {"pin": world.wall_pin, "token": world.wall_token})
    for nickname in ("甲", "乙"):
        seat = joined(
            world.client(),
            live_protocol.PLAYER_JOIN,
            {"pin": world.quiz_pin, "nickname": nickname, "team": "红队"},
        )
        world.known.setdefault("player_id", []).append(seat["player_id"])
    seat_scenario_players(world, host, world.client(), world.client(), world.client())
    world.known["new_player_id"] = list(world.known["player_id"])
    return host


# -- after the fuzzing ----------------------------------------------------------------------------


def check_quiz_consistent(world: World, pin: str) -> None:
    """Scores, the board and answers only for seated players; no question counts more
    answers than there are players; the phase is one of the protocol's."""
    from app.realtime import live_games

    store = live_games(world.app).store
    state = store.state(pin)
    assert state is not None
    assert state.phase in ("lobby", "question", "reveal", "leaderboard", "podium", "ended")
    players = set(store.players(pin))
    assert set(store.scores(pin)) <= players
    assert set(store.ranking(pin)) <= players
    for q in range(state.total):
        answers = store.answers(pin, q)
        assert set(answers) <= players
        assert store.answered_count(pin, q) == len(answers) <= len(players)


def check_others_consistent(world: World) -> None:
    """The run and the wall still build their host and moderator views from Redis."""
    from app.realtime import danmaku_walls, scenario_runs

    assert scenario_runs(world.app).host_join(world.run_pin, world.run_token)
    walls = danmaku_walls(world.app)
    assert walls.state(world.wall_pin)["mode"] in wall_protocol.MODES
    assert isinstance(walls.moderator_view(world.wall_pin), dict)


def check_valid_flow(world: World) -> None:
    """A fresh game: the host opens it, a new phone joins and answers, and gets ``ok``; the
    fuzzed run and wall still take a new phone."""
    pin, token = new_game(world.app)
    host, phone = world.client(), world.client()
    assert host.emit(live_protocol.HOST_JOIN, {"pin": pin, "host_token": token}, callback=True)["ok"]
    joined = phone.emit(
        live_protocol.PLAYER_JOIN, {"pin": pin, "nickname": "新来的", "team": "红队"}, callback=True
    )
    assert joined["ok"] and joined["state"]["phase"] == "lobby", joined
    assert host.emit(live_protocol.HOST_START, {"pin": pin}, callback=True)["state"]["phase"] == "question"
    answer = phone.emit(live_protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [1]}, callback=True)
    assert answer["ok"] is True and answer["accepted"] is True, answer
    wall = phone.emit(wall_protocol.JOIN, {"pin": world.wall_pin, "nickname": "新来的"}, callback=True)
    assert wall["ok"], wall
    sent = phone.emit(wall_protocol.SEND, {"pin": world.wall_pin, "text": "向党旗致敬"}, callback=True)
    assert sent["ok"] or sent["error"]["code"] in ("wall_paused", "wall_off"), sent
    run = phone.emit(
        scenario_protocol.PLAYER_JOIN, {"pin": world.run_pin, "nickname": "新来的"}, callback=True
    )
    assert run["ok"] or run["error"]["code"] in ("run_over", "run_full"), run


# -- the fuzzing ------------------------------------------------------------------------------------


def fuzz(
    world: World, module: ModuleType, caplog: pytest.LogCaptureFixture, client: Any | None
) -> Counter[str]:
    """Each event of ``module`` from ``client`` (or, with None, from a new phone each time).
    Returns how often each event was accepted (``event``) or refused (``event code``)."""
    table = error_table(module)
    events = client_events(module)
    assert events
    own_pin = {live_protocol: world.quiz_pin, scenario_protocol: world.run_pin}.get(module, world.wall_pin)
    known = {**world.known, "pin": [own_pin] * 6 + world.known["pin"]}
    answers: Counter[str] = Counter()
    for event in events:
        fuzz_event(
            world, event, payloads(known, EVENT_FIELDS.get(event, FIELDS)), table, caplog, client, answers
        )
    return answers


def fuzz_event(
    world: World,
    event: str,
    strategy: st.SearchStrategy[Any],
    table: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    client: Any | None,
    answers: Counter[str],
) -> None:
    @examples(EXAMPLES_PER_EVENT)
    @given(payload=strategy, arity=st.sampled_from([1, 1, 1, 1, 1, 0, 2]))
    def throw(payload: Any, arity: int) -> None:
        # Rate limits are tested on their own; here every payload must reach the parser.
        LIMITS.windows.clear()
        sender = client or world.client()
        ack = sender.emit(event, *([payload] * arity), callback=True)
        sender.get_received()  # what the rooms got: not needed, not kept
        if client is None:
            sender.disconnect()
        check_ack(event, ack, table)
        assert not logged_errors(caplog), (event, payload)
        answers[event if ack["ok"] else f"{event} {ack['error']['code']}"] += 1

    throw()


@pytest.mark.parametrize("module_name", list(MODULES))
@pytest.mark.parametrize("state", ["stranger", "player", "host"])
def test_events_answer_with_a_stable_code(
    world: World, caplog: pytest.LogCaptureFixture, state: str, module_name: str
) -> None:
    before = set(threading.enumerate())
    client = {"stranger": lambda _w: None, "player": seat_player, "host": seat_host}[state](world)
    answers = fuzz(world, MODULES[module_name], caplog, client)
    accepted = {event for event in answers if " " not in event}
    if state != "stranger":  # the payloads of the right shape reach the accepted paths too
        assert len(accepted) >= 2, sorted(answers.items())
    join_new_threads(before)  # an early close or a roster sent in the background
    assert not logged_errors(caplog)
    check_quiz_consistent(world, world.quiz_pin)
    check_others_consistent(world)
    check_valid_flow(world)
    join_new_threads(before)
    assert not logged_errors(caplog)
