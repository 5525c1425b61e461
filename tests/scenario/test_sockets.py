"""Scenario runs (红色剧本杀) over the wire: real python-socketio clients against a real
``arena serve`` process, one real Redis and one real database (tests/scenario/conftest.py).

The runs are opened in this process (``open_run`` on the server's database and Redis) with
tests/scenario/data/mini.yaml: five roles (op, wife, mole required; boss, kid optional),
groups of 3 to 5, acts read → search → checkpoint → vote → reveal.

Every client records every payload it receives, acknowledgements included, so the leak
test can read everything a phone or the big screen was ever sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import database
from app.live import protocol as live_protocol
from app.models import Member, PointEntry, ScenarioAnswer, ScenarioPlayer, ScenarioRun
from app.points.service import points
from app.realtime import scenario_runs
from app.scenario import protocol as p
from app.scenario.results import finish_run, open_run
from tests.live.conftest import Server

from .conftest import MEMBERS, Recorder

SLUG = "mini-radio"
TITLE = "电台疑云"
GROUPS = ["第 1 组", "第 2 组"]
ROLE_IDS = ["op", "wife", "mole", "boss", "kid"]  # file order
ROLES = {
    "op": ("报务员", "负责收发电报。", "你知道电台藏在阁楼。", "保护电台。"),
    "wife": ("掩护人", "以夫妻名义掩护报务员。", "你每天去菜场接头。", "找出可疑的人。"),
    "mole": ("邻居", "住在隔壁的店员。", "你被特务收买了。", "不被发现。"),
    "boss": ("交通员", "负责传递情报。", "你认识所有人。", "把情报送出去。"),
    "kid": ("报童", "街头卖报的孩子。", "你看见邻居进过警察局。", "把看到的告诉大人。"),
}
SCRIPTS = {  # role → [(act title, script)] in act order
    "op": [("第一幕 阅读剧本", "你刚收到一份电报。"), ("第三幕 知识关卡", "你想起了暗号。")],
    "wife": [("第一幕 阅读剧本", "你注意到邻居最近常来串门。")],
    "mole": [("第一幕 阅读剧本", "你要掩饰自己。")],
    "boss": [],
    "kid": [],
}
ENDINGS = {"op": "你守住了电台。", "mole": "你被组织识破。"}  # role.ending / final.endings
CLUES = {  # id → (title, text), in file order
    "c-open": ("报纸", "报上登着寻人启事。"),
    "c-op-private": ("密码本", "密码本第三页。"),
    "c-attic-1": ("旧电台", "阁楼里的电台还热着。"),
    "c-attic-2": ("烟头", "窗台上有陌生的烟头。"),
    "c-shop-1": ("账本", "店铺账本多了一笔钱。"),
    "c-deep": ("收据", "警察局开出的收据。"),
    "c-prop": ("信封", "一个写着邻居名字的信封。"),
    "c-k1": ("暗号", "暗号是“长风”。"),
    "c-host": ("组织来信", "组织提醒：注意隔壁。"),
    "c-op-memory": ("回忆", "你想起邻居问过阁楼。"),
}
EXPLANATIONS = {"k1": "1949年5月27日上海解放。", "k2": "白区工作方针。"}
K1_OPTIONS = ["1949年5月7日", "1949年5月27日", "1949年10月1日"]
REVEAL = {
    "answer": "mole",
    "answer_text": "邻居",
    "text": "邻居被收买，泄露了电台位置。",
    "history": "隐蔽战线的同志们在上海坚持斗争。",
    "sources": ["《中国共产党上海史》"],
    "lesson": "对党忠诚，保守秘密。",
    "fiction": "全部人物为虚构。",
}
REVEAL_TEXTS = [REVEAL["text"], REVEAL["history"], REVEAL["lesson"], REVEAL["fiction"], *REVEAL["sources"]]
VOTE_OPTIONS = [{"id": role, "text": ROLES[role][0]} for role in ROLE_IDS]
ACTS = [  # what phones, the screen and the host are told of each act
    {"index": index, "id": f"act{index + 1}", "type": kind, "title": title, "screen": screen, "time_box": box}
    for index, (kind, title, screen, box) in enumerate(
        [
            ("read", "第一幕 阅读剧本", "请阅读你的剧本", 300),
            ("search", "第二幕 搜证", "开始搜证", None),
            ("checkpoint", "第三幕 知识关卡", "回答问题", None),
            ("vote", "第四幕 投票", "投出叛徒", None),
            ("reveal", "第五幕 复盘", "真相", None),
        ]
    )
]


# -- helpers ---------------------------------------------------------------------------------------


def message(code: str) -> str:
    return p.ERRORS.get(code) or live_protocol.ERRORS[code]


def assert_error(ack: dict[str, Any], code: str, **extra: Any) -> None:
    """The exact refusal: code, its zh-CN message and nothing else but ``extra``."""
    assert ack == {"ok": False, "error": {"code": code, "message": message(code), **extra}}, ack


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list | tuple):
        return {k for v in value for k in all_keys(v)}
    return set()


def views(client: Recorder, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
    """Every view a phone was sent, in order: scenario:view events and the join acks' views."""
    found = []
    for name, data in client.payloads(start, end):
        if name == p.VIEW:
            found.append(data)
        elif name == f"ack:{p.PLAYER_JOIN}" and data.get("ok"):
            found.append(data["view"])
    return found


def at_act(client: Recorder, act: int) -> list[dict[str, Any]]:
    return [v for v in views(client) if v["phase"] == "playing" and v["act"] and v["act"]["index"] == act]


def ids(view: dict[str, Any]) -> list[str]:
    return [clue["id"] for clue in view.get("clues", [])]


def clue(clue_id: str, how: str, mine: bool = False, shareable: bool = False) -> dict[str, Any]:
    title, text = CLUES[clue_id]
    return {
        "id": clue_id,
        "title": title,
        "text": text,
        "image": "",
        "how": how,
        "mine": mine,
        "shareable": shareable,
    }


def role_view(role: str) -> dict[str, str]:
    name, intro, background, objective = ROLES[role]
    return {"id": role, "name": name, "intro": intro, "background": background, "objective": objective}


def scripts(role: str, acts: int) -> list[dict[str, str]]:
    titles = [act["title"] for act in ACTS[:acts]]
    return [{"act": title, "text": text} for title, text in SCRIPTS[role] if title in titles]


def open_mini(app: Any, groups: int, props_per_group: bool = True) -> tuple[str, str, int]:
    run, token = open_run(
        database(app), scenario_runs(app), SLUG, groups=groups, props_per_group=props_per_group
    )
    return run.pin, token, run.id


@dataclass
class Seat:
    index: int
    nickname: str
    phone: Recorder
    player_id: str
    token: str
    joined: dict[str, Any]  # the join ack
    group: int = -1
    role: str = ""

    def call(self, event: str, pin: str, **data: Any) -> dict[str, Any]:
        return self.phone.call(event, {"pin": pin, **data})


@dataclass
class Run:
    pin: str
    token: str
    run_id: int
    host: Recorder
    seats: list[Seat] = field(default_factory=list)
    acks: dict[str, Any] = field(default_factory=dict)

    def seat(self, group: int, role: str) -> Seat:
        return next(s for s in self.seats if (s.group, s.role) == (group, role))

    def command(self, event: str, **data: Any) -> dict[str, Any]:
        return self.host.call(event, {"pin": self.pin, **data})


def join(make: Callable[[str], Recorder], pin: str, nickname: str, member_no: str = "") -> Seat:
    phone = make(nickname)
    data = {"pin": pin, "nickname": nickname}
    if member_no:
        data["member_no"] = member_no
    ack = phone.call(p.PLAYER_JOIN, data)
    assert ack["ok"] is True, ack
    return Seat(0, nickname, phone, ack["player_id"], ack["rejoin_token"], ack)


def host_console(make: Callable[[str], Recorder], pin: str, token: str) -> Recorder:
    host = make("host")
    ack = host.call(p.HOST_JOIN, {"pin": pin, "host_token": token})
    assert ack["ok"] is True, ack
    return host


def wait_act(seats: list[Seat], act: int) -> None:
    for seat in seats:
        seat.phone.wait(p.VIEW, lambda v, act=act: v["act"] is not None and v["act"]["index"] == act)


def seat_roles(run: Run, hosted: dict[str, Any]) -> None:
    players = {player["player_id"]: player for player in hosted["players"]}
    for seat in run.seats:
        seat.group, seat.role = players[seat.player_id]["group"], players[seat.player_id]["role"]


def small_run(
    url: str,
    app: Any,
    make: Callable[..., Recorder],
    nicknames: list[str],
    *,
    to_act: int = 0,
    groups: int = 1,
    props_per_group: bool = False,
    members: dict[int, str] | None = None,
    before_start: Callable[[Run], None] | None = None,
) -> Run:
    """A run of ``groups`` groups, the nicknames joined (in the lobby), started and moved to
    act ``to_act``; each seat knows its group and role from the host's payload."""
    pin, token, run_id = open_mini(app, groups, props_per_group)
    run = Run(pin, token, run_id, host_console(lambda name: make(url, name), pin, token))
    for index, nickname in enumerate(nicknames):
        seat = join(lambda name: make(url, name), pin, nickname, (members or {}).get(index, ""))
        seat.index = index
        run.seats.append(seat)
    if before_start is not None:
        before_start(run)
    for act in range(to_act + 1):
        ack = run.command(p.HOST_NEXT)
        assert ack["ok"] is True, ack
        wait_act(run.seats, act)
    seat_roles(run, ack["host"])
    return run


# -- one whole game: two groups of five, played once for the module ----------------------------------

# Player index → 工号: four roster members, and one number the roster does not know.
MEMBER_OF = {2: "S001", 3: "S002", 4: "S003", 5: "S004", 6: "X999"}


@dataclass
class Played(Run):
    screen: Recorder | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    marks: dict[str, dict[str, int]] = field(default_factory=dict)  # moment → client name → mark


def play(url: str, app: Any, make: Callable[[str], Recorder]) -> Played:
    """The script of the whole game; every ack is kept for the tests to check, in order."""
    pin, token, run_id = open_mini(app, groups=2, props_per_group=True)
    game = Played(pin, token, run_id, make("host"))
    game.codes = scenario_runs(app).store.codes(pin)
    card = {info["group"]: code for code, info in game.codes.items()}
    acks = game.acks
    acks["host_join"] = game.host.call(p.HOST_JOIN, {"pin": pin, "host_token": token})
    game.screen = make("screen")
    acks["screen_join"] = game.screen.call(p.SCREEN_JOIN, {"pin": pin, "host_token": token})
    for index in range(10):
        seat = join(make, pin, f"玩家{index}", MEMBER_OF.get(index, ""))
        seat.index = index
        game.seats.append(seat)
    acks["eleventh"] = make("第十一人").call(p.PLAYER_JOIN, {"pin": pin, "nickname": "第十一人"})
    game.screen.wait(p.SCREEN, lambda s: [g["players"] for g in s["groups"]] == [5, 5])
    # The host makes player 0 (group 1) and player 1 (group 2) the radio operators; the rest is dealt.
    acks["assign_0"] = game.command(p.HOST_ASSIGN, player_id=game.seats[0].player_id, role="op")
    acks["assign_1"] = game.command(p.HOST_ASSIGN, player_id=game.seats[1].player_id, role="op")
    acks["assign_taken"] = game.command(p.HOST_ASSIGN, player_id=game.seats[2].player_id, role="op")

    acks["act1"] = game.command(p.HOST_NEXT)
    assert acks["act1"]["ok"] is True, acks["act1"]
    seat_roles(game, acks["act1"]["host"])
    assert sorted((s.group, s.role) for s in game.seats) == sorted(
        (g, r) for g in (0, 1) for r in ROLE_IDS
    ), "each group must have all five roles"
    wait_act(game.seats, 0)
    acks["pause"] = game.command(p.HOST_PAUSE)
    acks["resume"] = game.command(p.HOST_RESUME)

    def do(label: str, group: int, role: str, event: str, **data: Any) -> None:
        assert label not in acks
        acks[label] = game.seat(group, role).call(event, pin, **data)

    acks["act2"] = game.command(p.HOST_NEXT)
    wait_act(game.seats, 1)
    do("g0 op attic", 0, "op", p.PLAYER_SEARCH, place="attic")
    do("g0 wife attic", 0, "wife", p.PLAYER_SEARCH, place="attic")
    do("g0 boss shop", 0, "boss", p.PLAYER_SEARCH, place="shop")
    do("g0 boss shop before the prop", 0, "boss", p.PLAYER_SEARCH, place="shop")
    do("g0 mole shop", 0, "mole", p.PLAYER_SEARCH, place="shop")
    do("g0 kid scan", 0, "kid", p.PLAYER_SCAN, code=card[0])
    do("g0 boss shop after the prop", 0, "boss", p.PLAYER_SEARCH, place="shop")
    do("g0 boss attic", 0, "boss", p.PLAYER_SEARCH, place="attic")
    do("g0 op attic again", 0, "op", p.PLAYER_SEARCH, place="attic")
    do("g1 op attic", 1, "op", p.PLAYER_SEARCH, place="attic")
    do("g1 mole attic", 1, "mole", p.PLAYER_SEARCH, place="attic")
    do("g1 wife shop", 1, "wife", p.PLAYER_SEARCH, place="shop")
    do("g1 wife shop again", 1, "wife", p.PLAYER_SEARCH, place="shop")
    do("g1 kid attic", 1, "kid", p.PLAYER_SEARCH, place="attic")
    do("g1 op share", 1, "op", p.PLAYER_SHARE, clue="c-attic-2")
    game.marks["share"] = {s.nickname: s.phone.mark() for s in game.seats}
    do("g1 mole share", 1, "mole", p.PLAYER_SHARE, clue="c-attic-2")
    acks["release"] = game.command(p.HOST_RELEASE, clue="c-host", group=0)

    acks["act3"] = game.command(p.HOST_NEXT)
    wait_act(game.seats, 2)
    for label, group, role, checkpoint, choice in (
        ("g0 op k1", 0, "op", "k1", [0]),
        ("g0 op k1 again", 0, "op", "k1", [1]),
        ("g0 wife k1", 0, "wife", "k1", [2]),
        ("g0 boss k2", 0, "boss", "k2", [0]),
        ("g0 mole k2", 0, "mole", "k2", [1]),
        ("g0 op k2", 0, "op", "k2", [0]),
        ("g1 wife k1", 1, "wife", "k1", [1]),
        ("g1 op k1", 1, "op", "k1", [1]),
        ("g1 mole k1", 1, "mole", "k1", [0]),
        ("g1 boss k2", 1, "boss", "k2", [0]),
        ("g1 kid k1", 1, "kid", "k1", [1]),
        ("g1 kid k2", 1, "kid", "k2", [1]),
    ):
        do(label, group, role, p.PLAYER_ANSWER, checkpoint=checkpoint, choice=choice)

    acks["act4"] = game.command(p.HOST_NEXT)
    wait_act(game.seats, 3)
    for label, group, role, option in (
        ("g0 op vote", 0, "op", "mole"),
        ("g0 wife vote", 0, "wife", "mole"),
        ("g0 boss vote", 0, "boss", "mole"),
        ("g0 kid vote", 0, "kid", "boss"),
        ("g0 kid vote again", 0, "kid", "wife"),  # a vote may change until the reveal
        ("g0 mole vote", 0, "mole", "wife"),
        ("g1 op vote", 1, "op", "mole"),
        ("g1 wife vote", 1, "wife", "mole"),
        ("g1 mole vote", 1, "mole", "wife"),
        ("g1 boss vote", 1, "boss", "wife"),  # group 2's kid does not vote: a 2–2 tie
    ):
        do(label, group, role, p.PLAYER_VOTE, option=option)

    clients = {s.nickname: s.phone for s in game.seats} | {"screen": game.screen, "host": game.host}
    game.marks["reveal"] = {name: client.mark() for name, client in clients.items()}
    acks["act5"] = game.command(p.HOST_NEXT)
    wait_act(game.seats, 4)
    game.screen.wait(p.SCREEN, lambda s: s["act"] is not None and s["act"]["index"] == 4)

    acks["end"] = game.command(p.HOST_END)
    for seat in game.seats:
        seat.phone.wait(p.VIEW, lambda v: v["phase"] == "ended")
    game.screen.wait(p.SCREEN, lambda s: s["phase"] == "ended")
    acks["end again"] = game.command(p.HOST_END)
    return game


@pytest.fixture(scope="module")
def game(server: Server, scenario_app: Any) -> Iterator[Played]:
    made: list[Recorder] = []

    def make(name: str) -> Recorder:
        client = Recorder(server.url, name)
        made.append(client)
        return client

    try:
        yield play(server.url, scenario_app, make)
    finally:
        for client in made:
            client.close()


# Expected, worked out by hand from the script above (group index, role) → …
# Every phone of the group sees these at the end of the search act; the operator also sees
# c-op-private, and group 1's wife the c-attic-2 she found (group 2's was shared by its finder).
VISIBLE_AFTER_SEARCH = {
    0: ["c-open", "c-attic-1", "c-shop-1", "c-deep", "c-prop", "c-host"],
    1: ["c-open", "c-attic-1", "c-attic-2", "c-shop-1"],
}
ACTION_POINTS = {
    (0, "op"): 1,
    (0, "wife"): 1,
    (0, "boss"): 0,
    (0, "kid"): 2,  # scanning costs no action point
    (0, "mole"): 2,  # barred: nothing spent
    (1, "op"): 1,
    (1, "mole"): 1,
    (1, "wife"): 1,  # "nothing left" costs nothing
    (1, "kid"): 2,
    (1, "boss"): 2,
}
ANSWERS = {  # checkpoint → (choice, correct), one answer per player and checkpoint
    (0, "op"): {"k1": ([0], False), "k2": ([0], True)},
    (0, "wife"): {"k1": ([2], False)},
    (0, "boss"): {"k2": ([0], True)},
    (0, "mole"): {"k2": ([1], False)},
    (0, "kid"): {},
    (1, "wife"): {"k1": ([1], True)},
    (1, "op"): {"k1": ([1], True)},
    (1, "mole"): {"k1": ([0], False)},
    (1, "boss"): {"k2": ([0], True)},
    (1, "kid"): {"k1": ([1], True), "k2": ([1], False)},
}
VOTES = {
    (0, "op"): "mole",
    (0, "wife"): "mole",
    (0, "boss"): "mole",
    (0, "kid"): "wife",
    (0, "mole"): "wife",
    (1, "op"): "mole",
    (1, "wife"): "mole",
    (1, "mole"): "wife",
    (1, "boss"): "wife",
    (1, "kid"): None,
}
# Clues each player found themselves (search, prop card, checkpoint): a clue a role is handed
# (c-op-memory, the operators' at act 3) is given, not found.
CLUES_FOUND = {
    (0, "op"): 1,  # c-attic-1
    (0, "wife"): 1,  # c-attic-2
    (0, "boss"): 2,  # c-shop-1, c-deep
    (0, "kid"): 1,  # c-prop
    (0, "mole"): 0,
    (1, "op"): 1,  # c-attic-1 (c-k1 went to the wife, who answered first)
    (1, "mole"): 1,  # c-attic-2
    (1, "wife"): 2,  # c-shop-1, c-k1 (the first right answer to k1)
    (1, "boss"): 0,
    (1, "kid"): 0,
}
DECISIONS = [
    {"tally": {"mole": 3, "wife": 2}, "choice": "mole", "correct": True},
    {"tally": {"mole": 2, "wife": 2}, "choice": None, "correct": False},  # a tie decides nothing
]


def test_two_groups_of_five_play_mini_to_the_reveal(game: Played, scenario_app: Any) -> None:
    acks = game.acks
    # -- the lobby: joins alternate between the two groups; the eleventh phone finds them full
    assert acks["host_join"]["ok"] is True and acks["host_join"]["host"]["phase"] == "lobby"
    assert acks["screen_join"]["ok"] is True and acks["screen_join"]["screen"]["phase"] == "lobby"
    for seat in game.seats:
        view = seat.joined["view"]
        assert view["phase"] == "lobby" and "role" not in view and "clues" not in view
        assert view["me"] == {
            "player_id": seat.player_id,
            "nickname": seat.nickname,
            "group": GROUPS[seat.index % 2],
        }
    assert_error(acks["eleventh"], "run_full")
    lobby = [s for s in game.screen.received(p.SCREEN) if s["phase"] == "lobby"][-1]
    assert lobby["groups"] == [
        {"index": g, "name": GROUPS[g], "players": 5, "nicknames": [f"玩家{i}" for i in range(g, 10, 2)]}
        for g in (0, 1)
    ]
    assert lobby["waiting"] == 0
    assert acks["assign_0"]["ok"] is True and acks["assign_1"]["ok"] is True
    assert_error(acks["assign_taken"], "role_taken")

    # -- roles dealt: every group holds all five roles; the host's two operators kept theirs
    hosted = acks["act1"]["host"]
    assert hosted["phase"] == "playing" and hosted["act"] == ACTS[0]
    assert hosted["hint"] == "提醒大家不要给别人看剧本"
    assert len(hosted["players"]) == 10
    for player in hosted["players"]:
        seat = next(s for s in game.seats if s.player_id == player["player_id"])
        assert player == {
            "player_id": seat.player_id,
            "nickname": seat.nickname,
            "member_no": MEMBER_OF.get(seat.index, ""),
            "group": seat.index % 2,
            "role": seat.role,
            "role_name": ROLES[seat.role][0],
            "online": True,
        }
    for g in (0, 1):
        assert sorted(pl["role"] for pl in hosted["players"] if pl["group"] == g) == sorted(ROLE_IDS)
    assert [(s.group, s.role) for s in game.seats[:2]] == [(0, "op"), (1, "op")]
    for seat in game.seats:
        view = at_act(seat.phone, 0)[0]
        assert view["role"] == role_view(seat.role)
        assert view["scripts"] == scripts(seat.role, 1)
        assert view["clues"] == [clue("c-open", "act")] + (
            [clue("c-op-private", "act")] if seat.role == "op" else []
        )
        mates = sorted(
            (s for s in game.seats if s.group == seat.group and s is not seat), key=lambda s: s.player_id
        )
        assert view["group"] == [
            {"nickname": s.nickname, "role": ROLES[s.role][0], "intro": ROLES[s.role][1]} for s in mates
        ]
        assert "search" not in view and "checkpoints" not in view and "vote" not in view

    # -- the host pauses and resumes the time box of act 1 (300 s)
    paused, resumed = acks["pause"]["host"]["timer"], acks["resume"]["host"]["timer"]
    assert paused["paused"] is True and paused["deadline_ms"] is None
    assert 280_000 < paused["remaining_ms"] <= 300_000
    assert resumed["paused"] is False and resumed["remaining_ms"] is None and resumed["deadline_ms"] > 0

    # -- the search act: two action points each, exact clues in file order
    assert acks["act2"]["host"]["act"] == ACTS[1]
    for seat in game.seats:
        first = at_act(seat.phone, 1)[0]
        assert first["search"] == {
            "action_points": 2,
            "places": [
                {"id": "attic", "name": "阁楼", "barred": False},
                {"id": "shop", "name": "店铺", "barred": seat.role == "mole"},
            ],
        }
    found = {"ok": True}
    assert acks["g0 op attic"] == found | {"clue": "c-attic-1", "title": "旧电台"}
    assert acks["g0 wife attic"] == found | {"clue": "c-attic-2", "title": "烟头"}
    assert acks["g0 boss shop"] == found | {"clue": "c-shop-1", "title": "账本"}
    assert_error(acks["g0 boss shop before the prop"], "nothing_left")  # c-deep needs c-prop first
    assert_error(acks["g0 mole shop"], "place_barred")
    assert acks["g0 kid scan"] == found | {"clue": "c-prop", "title": "信封"}
    assert acks["g0 boss shop after the prop"] == found | {"clue": "c-deep", "title": "收据"}
    assert_error(acks["g0 boss attic"], "no_action_points")
    assert_error(acks["g0 op attic again"], "nothing_left")
    assert acks["g1 op attic"] == found | {"clue": "c-attic-1", "title": "旧电台"}
    assert acks["g1 mole attic"] == found | {"clue": "c-attic-2", "title": "烟头"}
    assert acks["g1 wife shop"] == found | {"clue": "c-shop-1", "title": "账本"}
    assert_error(acks["g1 wife shop again"], "nothing_left")  # c-deep: group 2 has no c-prop
    assert_error(acks["g1 kid attic"], "nothing_left")
    assert_error(acks["g1 op share"], "bad_clue")  # only the finder may share
    assert acks["g1 mole share"] == {"ok": True}
    assert acks["release"]["ok"] is True
    assert {c["id"]: c["found_by_groups"] for c in acks["release"]["host"]["clues"]} == {
        "c-open": [0, 1],
        "c-op-private": [0, 1],
        "c-attic-1": [0, 1],
        "c-attic-2": [0, 1],
        "c-shop-1": [0, 1],
        "c-deep": [0],
        "c-prop": [0],
        "c-k1": [],
        "c-host": [0],
        "c-op-memory": [],
    }
    for seat in game.seats:
        last = at_act(seat.phone, 1)[-1]  # the act's final state (act 3's view came after it)
        expected = list(VISIBLE_AFTER_SEARCH[seat.group])
        if seat.role == "op":
            expected.append("c-op-private")
        if (seat.group, seat.role) == (0, "wife"):
            expected.append("c-attic-2")
        assert ids(last) == [c for c in CLUES if c in expected], seat.nickname
        assert last["search"]["action_points"] == ACTION_POINTS[seat.group, seat.role], seat.nickname
    g0 = {s.role: at_act(s.phone, 1)[-1] for s in game.seats if s.group == 0}
    assert clue("c-attic-2", "search", mine=True, shareable=True) in g0["wife"]["clues"]
    assert clue("c-prop", "prop", mine=True) in g0["kid"]["clues"]
    assert clue("c-prop", "prop") in g0["boss"]["clues"]
    assert clue("c-deep", "search", mine=True) in g0["boss"]["clues"]
    assert clue("c-host", "host") in g0["mole"]["clues"]
    g1_mole = at_act(game.seat(1, "mole").phone, 1)[-1]
    assert clue("c-attic-2", "search", mine=True) in g1_mole["clues"]  # shared: no longer shareable
    assert clue("c-attic-2", "search") in at_act(game.seat(1, "kid").phone, 1)[-1]["clues"]

    # -- the checkpoint act: the operators are handed c-op-memory; one answer each
    assert acks["act3"]["host"]["act"] == ACTS[2]
    for seat in game.seats:
        first = at_act(seat.phone, 2)[0]
        assert first["scripts"] == scripts(seat.role, 3)
        assert ("c-op-memory" in ids(first)) is (seat.role == "op")
        if seat.role == "op":
            assert clue("c-op-memory", "role", mine=True) in first["clues"]
        assert [c["id"] for c in first["checkpoints"]] == ["k1", "k2"]
        k1, k2 = (c["question"] for c in first["checkpoints"])
        assert set(k1) == set(k2) == {"index", "type", "stem", "options", "time_limit"}
        assert (k1["type"], k1["stem"], k1["options"]) == ("single", "上海解放于（ ）。", K1_OPTIONS)
        assert (k2["type"], k2["stem"], k2["options"]) == (
            "judge",
            "隐蔽战线工作要求“隐蔽精干”。",
            ["对", "错"],
        )
        assert all(set(c) == {"id", "question"} for c in first["checkpoints"])  # nothing answered yet
    right, wrong = {"ok": True, "correct": True}, {"ok": True, "correct": False}
    assert acks["g0 op k1"] == wrong
    assert_error(acks["g0 op k1 again"], "duplicate_answer")
    assert acks["g0 wife k1"] == wrong
    assert acks["g0 boss k2"] == right
    assert acks["g0 mole k2"] == wrong
    assert acks["g0 op k2"] == right
    assert acks["g1 wife k1"] == right
    assert acks["g1 op k1"] == right
    assert acks["g1 mole k1"] == wrong
    assert acks["g1 boss k2"] == right
    assert acks["g1 kid k1"] == right
    assert acks["g1 kid k2"] == wrong
    for seat in game.seats:
        last = at_act(seat.phone, 2)[-1]
        answered = ANSWERS[seat.group, seat.role]
        for item in last["checkpoints"]:
            if item["id"] in answered:
                assert (item["answered"], item["correct"], item["explanation"]) == (
                    True,
                    answered[item["id"]][1],
                    EXPLANATIONS[item["id"]],
                ), seat.nickname
            else:
                assert set(item) == {"id", "question"}, seat.nickname
        # A right answer to k1 opened c-k1 for group 2 only; its first right answerer found it.
        if seat.group == 1:
            assert clue("c-k1", "checkpoint", mine=seat.role == "wife") in last["clues"], seat.nickname
        else:
            assert "c-k1" not in ids(last), seat.nickname

    # -- the vote
    assert acks["act4"]["host"]["act"] == ACTS[3]
    for label, ack in acks.items():
        if label.endswith("vote") or label.endswith("vote again"):
            assert ack == {"ok": True}, label
    for seat in game.seats:
        assert at_act(seat.phone, 3)[0]["vote"] == {
            "prompt": "谁泄露了电台的位置？",
            "options": VOTE_OPTIONS,
            "mine": None,
        }
        assert at_act(seat.phone, 3)[-1]["vote"]["mine"] == VOTES[seat.group, seat.role], seat.nickname

    # -- the reveal: each group's decision, each player's own ending
    revealed = acks["act5"]["host"]
    assert revealed["act"] == ACTS[4] and revealed["reveal"] == REVEAL
    for seat in game.seats:
        view = at_act(seat.phone, 4)[0]
        assert view["reveal"] == REVEAL | {
            "options": VOTE_OPTIONS,
            "decision": DECISIONS[seat.group],
            "ending": ENDINGS.get(seat.role, ""),
        }, seat.nickname
    screen = next(s for s in game.screen.received(p.SCREEN) if s["act"] and s["act"]["index"] == 4)
    assert screen["reveal"] == REVEAL and screen["options"] == VOTE_OPTIONS
    assert screen["groups"] == [
        {
            "index": 0,
            "name": GROUPS[0],
            "players": 5,
            "clues": 9,  # c-open c-op-private c-attic-1 c-attic-2 c-shop-1 c-prop c-deep c-host c-op-memory
            "total_clues": 10,
            "answered": 5,
            "correct": 2,
            "voted": 5,
            "decision": DECISIONS[0],
        },
        {
            "index": 1,
            "name": GROUPS[1],
            "players": 5,
            "clues": 7,  # c-open c-op-private c-attic-1 c-attic-2 c-shop-1 c-k1 c-op-memory
            "total_clues": 10,
            "answered": 6,
            "correct": 4,
            "voted": 4,
            "decision": DECISIONS[1],
        },
    ]

    # -- the end: written to SQL once, with its points
    for label in ("end", "end again"):  # ending again retries the write, which finds it done
        ack = acks[label]
        assert (ack["ok"], ack["written"], ack["host"]["phase"]) == (True, True, "ended"), label
    db = database(scenario_app)
    with db.sessions() as session:
        run = session.get(ScenarioRun, game.run_id)
        assert run is not None and run.ended_at is not None
        assert (run.pin, run.title, run.groups, run.props_per_group) == (game.pin, TITLE, GROUPS, True)
        assert run.decisions == [{"group": GROUPS[g], **DECISIONS[g]} for g in (0, 1)]
        members = {m.member_no: m for m in session.scalars(select(Member))}
        rows = {
            r.player_key: r
            for r in session.scalars(select(ScenarioPlayer).where(ScenarioPlayer.run_id == run.id))
        }
        assert set(rows) == {s.player_id for s in game.seats}
        for seat in game.seats:
            row, key = rows[seat.player_id], (seat.group, seat.role)
            number = MEMBER_OF.get(seat.index, "")
            assert (
                row.nickname,
                row.member_no,
                row.member_id,
                row.group_index,
                row.group_name,
                row.role,
                row.checkpoints_answered,
                row.checkpoints_correct,
                row.vote,
                row.deduction_correct,
            ) == (
                seat.nickname,
                number,
                members[number].id if number in members else None,
                seat.group,
                GROUPS[seat.group],
                seat.role,
                len(ANSWERS[key]),
                sum(correct for _choice, correct in ANSWERS[key].values()),
                VOTES[key],
                seat.group == 0,
            ), seat.nickname
            assert row.clues_found == CLUES_FOUND[key], seat.nickname
        answers = session.scalars(select(ScenarioAnswer).where(ScenarioAnswer.run_id == run.id)).all()
        assert sorted((a.player_key, a.checkpoint, a.choice, a.correct) for a in answers) == sorted(
            (s.player_id, k, choice, correct)
            for s in game.seats
            for k, (choice, correct) in ANSWERS[s.group, s.role].items()
        )

        # Points: participation 3, per checkpoint 1, per clue 1 (mini.yaml), right deduction 5.
        expected = set()
        for seat in game.seats:
            number = MEMBER_OF.get(seat.index, "")
            if number not in MEMBERS:
                continue
            key, member = (seat.group, seat.role), members[number]
            correct = sum(c for _choice, c in ANSWERS[key].values())
            awards = [("scenario.participation", 3, f"参加剧本杀“{TITLE}”")]
            if correct:
                awards.append(("scenario.checkpoint", correct, f"“{TITLE}”通过 {correct} 个知识关卡 × 1 分"))
            if CLUES_FOUND[key]:
                awards.append(
                    ("scenario.clue", CLUES_FOUND[key], f"“{TITLE}”找到 {CLUES_FOUND[key]} 条线索 × 1 分")
                )
            if seat.group == 0:
                awards.append(("scenario.deduction", 5, f"“{TITLE}”小组推理正确"))
            for rule, amount, reason in awards:
                expected.add(
                    (
                        f"scenario:{run.id}:{member.id}:{rule}",
                        member.id,
                        member.branch_id,
                        "正式党员",
                        "award",
                        "组织生活",
                        "scenario",
                        str(run.id),
                        rule,
                        amount,
                        reason,
                        "系统",
                    )
                )
        entries = session.scalars(select(PointEntry).where(PointEntry.source_type == "scenario")).all()
        entries = [e for e in entries if e.source_id == str(run.id)]
        assert {
            (
                e.idempotency_key,
                e.member_id,
                e.branch_id,
                e.member_type,
                e.kind,
                e.category,
                e.source_type,
                e.source_id,
                e.rule,
                e.points,
                e.reason,
                e.created_by,
            )
            for e in entries
        } == expected
        assert len(entries) == len(expected) and all(e.occurred_at == run.ended_at for e in entries)
        ended_at = run.ended_at

    # The host ended twice; the writer called once more adds nothing either.
    app_runs = scenario_runs(scenario_app)
    assert finish_run(db, app_runs, game.pin, points(scenario_app)) == game.run_id
    with db.sessions() as session:
        run_id = game.run_id
        assert session.get(ScenarioRun, run_id).ended_at == ended_at  # type: ignore[union-attr]
        count = select(func.count()).select_from(PointEntry).where(PointEntry.source_id == str(run_id))
        assert session.scalar(count.where(PointEntry.source_type == "scenario")) == len(expected)
        players = select(func.count()).select_from(ScenarioPlayer).where(ScenarioPlayer.run_id == run_id)
        assert session.scalar(players) == 10
        answered = select(func.count()).select_from(ScenarioAnswer).where(ScenarioAnswer.run_id == run_id)
        assert session.scalar(answered) == sum(len(a) for a in ANSWERS.values())


def test_no_phone_or_screen_ever_receives_what_it_may_not_see(game: Played) -> None:
    role_texts = {role: [ROLES[role][2], ROLES[role][3], *(t for _a, t in SCRIPTS[role])] for role in ROLES}
    for seat in game.seats:
        phone, group, role = seat.phone, seat.group, seat.role
        received = phone.payloads()
        everything = dump(received)
        before_reveal = phone.payloads(0, game.marks["reveal"][seat.nickname])
        assert len(before_reveal) < len(received)
        # Roles: only its own background, objective, scripts and ending.
        for text in role_texts[role]:
            assert text in everything, (seat.nickname, text)
        for other, texts in role_texts.items():
            for text in texts if other != role else []:
                assert text not in everything, (seat.nickname, role, text)
        for other, ending in ENDINGS.items():
            if other == role:
                assert ending in everything and ending not in dump(before_reveal), seat.nickname
            else:
                assert ending not in everything, (seat.nickname, role, ending)
        # Clues: the group's, the role's, the finder's; never another group's.
        may_see = {"c-open", "c-attic-1", "c-shop-1"}
        may_see |= {"c-deep", "c-prop", "c-host"} if group == 0 else {"c-k1", "c-attic-2"}
        if role == "op":
            may_see |= {"c-op-private", "c-op-memory"}
        if (group, role) == (0, "wife"):
            may_see.add("c-attic-2")
        seen = {c for view in views(phone) for c in ids(view)}
        assert seen == may_see, seat.nickname
        for clue_id, (_title, text) in CLUES.items():
            assert (text in everything) is (clue_id in may_see), (seat.nickname, role, clue_id)
        if group == 1 and role != "mole":  # the finder-only clue, before its finder shared it
            assert CLUES["c-attic-2"][1] not in dump(phone.payloads(0, game.marks["share"][seat.nickname]))
        # Checkpoints: no key ever; an explanation only once this phone has answered.
        assert "key" not in all_keys(received)
        for checkpoint, explanation in EXPLANATIONS.items():
            sent = [
                i
                for i, (name, data) in enumerate(phone.events)
                if name == f"sent:{p.PLAYER_ANSWER}" and data["checkpoint"] == checkpoint
            ]
            if checkpoint in ANSWERS[group, role]:
                assert explanation not in dump(phone.payloads(0, sent[0])), (seat.nickname, checkpoint)
                assert explanation in everything
            else:
                assert sent == [] and explanation not in everything, (seat.nickname, checkpoint)
        # The answer of the game: nothing of the reveal before the reveal act.
        before = dump(before_reveal)
        assert not all_keys(before_reveal) & {"reveal", "answer", "answer_text", "decision", "ending"}
        for text in REVEAL_TEXTS:
            assert text not in before, (seat.nickname, text)
            assert text in everything

    screen = game.screen
    assert screen is not None
    received = screen.payloads()
    everything = dump(received)
    before_reveal = screen.payloads(0, game.marks["reveal"]["screen"])
    assert before_reveal and len(before_reveal) < len(received)
    for texts in role_texts.values():
        for text in texts:
            assert text not in everything, text
    for text in [*ENDINGS.values(), *EXPLANATIONS.values(), *(t for _title, t in CLUES.values())]:
        assert text not in everything, text
    assert not all_keys(received) & {"role", "roles", "background", "objective", "key"}
    assert not all_keys(before_reveal) & {"reveal", "answer", "answer_text", "decision"}
    for text in REVEAL_TEXTS:
        assert text not in dump(before_reveal) and text in everything, text


# -- prop cards ----------------------------------------------------------------------------------------


def test_prop_codes_of_another_run_another_group_replayed_or_forged_are_refused(
    server: Server, scenario_app: Any, clients: Callable[..., Recorder]
) -> None:
    other_pin, _other_token, _other_id = open_mini(scenario_app, groups=1)
    store = scenario_runs(scenario_app).store
    (other_code,) = store.codes(other_pin)
    names = ["红甲", "蓝甲", "红乙", "蓝乙", "红丙", "蓝丙"]  # joins alternate: 红 → group 1, 蓝 → group 2
    early: dict[str, Any] = {}

    def scan_in_the_lobby(run: Run) -> None:
        (own,) = [c for c, info in store.codes(run.pin).items() if info["group"] == 0]
        early["lobby"] = run.seats[0].call(p.PLAYER_SCAN, run.pin, code=own)

    run = small_run(
        server.url,
        scenario_app,
        clients,
        names,
        groups=2,
        props_per_group=True,
        before_start=scan_in_the_lobby,
    )
    codes = store.codes(run.pin)
    assert sorted((info["clue"], info["group"]) for info in codes.values()) == [("c-prop", 0), ("c-prop", 1)]
    card = {info["group"]: code for code, info in codes.items()}
    assert_error(early["lobby"], "wrong_phase")
    red, red_mate, blue = run.seats[0], run.seats[2], run.seats[1]
    assert (red.group, red_mate.group, blue.group) == (0, 0, 1)

    assert_error(red.call(p.PLAYER_SCAN, run.pin, code=other_code), "wrong_run")
    assert_error(red.call(p.PLAYER_SCAN, run.pin, code="forged-card-0000"), "bad_code")
    assert_error(red.call(p.PLAYER_SCAN, run.pin, code=card[0][:-1]), "bad_code")
    assert_error(red.call(p.PLAYER_SCAN, run.pin, code=card[1]), "wrong_group", group=GROUPS[1])
    assert red.call(p.PLAYER_SCAN, run.pin, code=f"  {card[0]}\n") == {
        "ok": True,
        "clue": "c-prop",
        "title": "信封",
    }
    assert_error(red.call(p.PLAYER_SCAN, run.pin, code=card[0]), "already_found")  # replayed
    assert_error(red_mate.call(p.PLAYER_SCAN, run.pin, code=card[0]), "already_found")
    assert blue.call(p.PLAYER_SCAN, run.pin, code=card[1]) == {"ok": True, "clue": "c-prop", "title": "信封"}
    assert_error(blue.call(p.PLAYER_SCAN, run.pin, code=card[1]), "already_found")

    red_view = red.phone.wait(p.VIEW, lambda v: "c-prop" in ids(v))
    assert clue("c-prop", "prop", mine=True) in red_view["clues"]
    mate_view = red_mate.phone.wait(p.VIEW, lambda v: "c-prop" in ids(v))
    assert clue("c-prop", "prop") in mate_view["clues"]
    blue.phone.wait(p.VIEW, lambda v: "c-prop" in ids(v))
    state = store.state(run.pin)
    assert state is not None
    assert state["found"]["0"]["c-prop"] == {"by": red.player_id, "how": "prop", "shared": False}
    assert state["found"]["1"]["c-prop"] == {"by": blue.player_id, "how": "prop", "shared": False}
    # The other run saw nothing of it.
    other = store.state(other_pin)
    assert other is not None and other["found"] == {"0": {}} and other["phase"] == "lobby"


# -- reconnecting and replacing --------------------------------------------------------------------


def test_a_phone_that_reconnects_with_its_rejoin_token_gets_its_seat_role_and_clues_back(
    server: Server, scenario_app: Any, clients: Callable[..., Recorder]
) -> None:
    run = small_run(server.url, scenario_app, clients, ["小赵", "小钱", "小孙"], to_act=1)
    assert sorted(s.role for s in run.seats) == ["mole", "op", "wife"]
    wife = run.seat(0, "wife")
    assert wife.call(p.PLAYER_SEARCH, run.pin, place="attic")["clue"] == "c-attic-1"
    assert wife.call(p.PLAYER_SEARCH, run.pin, place="attic")["clue"] == "c-attic-2"
    before = wife.phone.wait(p.VIEW, lambda v: "c-attic-2" in ids(v))
    assert ids(before) == ["c-open", "c-attic-1", "c-attic-2"] and before["search"]["action_points"] == 0

    mark = run.host.mark()
    wife.phone.close()  # the phone's Wi-Fi drops
    run.host.wait_from(
        mark,
        p.HOST,
        lambda h: any(pl["player_id"] == wife.player_id and not pl["online"] for pl in h["players"]),
    )
    mark = run.host.mark()
    back = clients(server.url, "小钱（重连）")
    ack = back.call(p.PLAYER_JOIN, {"pin": run.pin, "rejoin_token": wife.token})
    assert ack["ok"] is True, ack
    assert ack["player_id"] == wife.player_id and isinstance(ack["rejoin_token"], str)
    assert ack["view"] == before  # same role, same clues, same action points
    assert ack["view"]["role"] == role_view("wife")
    assert clue("c-attic-2", "search", mine=True, shareable=True) in ack["view"]["clues"]
    run.host.wait_from(
        mark, p.HOST, lambda h: any(pl["player_id"] == wife.player_id and pl["online"] for pl in h["players"])
    )
    # The seat is the same seat: its finder-only clue can be shared, its points are spent.
    assert back.call(p.PLAYER_SHARE, {"pin": run.pin, "clue": "c-attic-2"}) == {"ok": True}
    assert_error(back.call(p.PLAYER_SEARCH, {"pin": run.pin, "place": "shop"}), "no_action_points")
    op = run.seat(0, "op")
    assert clue("c-attic-2", "search") in op.phone.wait(p.VIEW, lambda v: "c-attic-2" in ids(v))["clues"]
    state = scenario_runs(scenario_app).store.state(run.pin)
    assert state is not None and len(state["players"]) == 3


def test_the_host_gives_a_left_players_seat_to_a_late_joiner(
    server: Server, scenario_app: Any, clients: Callable[..., Recorder]
) -> None:
    names = ["老一", "老二", "老三", "老四", "老五"]
    run = small_run(server.url, scenario_app, clients, names, to_act=1)
    assert sorted(s.role for s in run.seats) == sorted(ROLE_IDS)
    wife, op = run.seat(0, "wife"), run.seat(0, "op")
    assert wife.call(p.PLAYER_SEARCH, run.pin, place="attic")["clue"] == "c-attic-1"
    assert wife.call(p.PLAYER_SEARCH, run.pin, place="attic")["clue"] == "c-attic-2"
    wife_before = wife.phone.wait(p.VIEW, lambda v: "c-attic-2" in ids(v))
    op_before = op.phone.wait(p.VIEW, lambda v: "c-attic-1" in ids(v))

    # The wife's player leaves (phone closed); every role is held, so a late joiner waits.
    wife.phone.close()
    run.host.wait(
        p.HOST, lambda h: any(pl["player_id"] == wife.player_id and not pl["online"] for pl in h["players"])
    )
    late = join(lambda name: clients(server.url, name), run.pin, "迟到一")
    view = late.joined["view"]
    assert view["phase"] == "playing" and view["me"] == {"player_id": late.player_id, "nickname": "迟到一"}
    assert not {"role", "clues", "group", "search", "scripts"} & set(view)
    waiting = run.host.wait(p.HOST, lambda h: any(pl["player_id"] == late.player_id for pl in h["players"]))
    assert [pl for pl in waiting["players"] if pl["player_id"] == late.player_id] == [
        {
            "player_id": late.player_id,
            "nickname": "迟到一",
            "member_no": "",
            "group": None,
            "role": None,
            "role_name": "",
            "online": True,
        }
    ]
    assert waiting["waiting"] == 1
    assert_error(late.call(p.PLAYER_SEARCH, run.pin, place="attic"), "no_role")
    assert_error(
        run.command(p.HOST_REPLACE, player_id=wife.player_id, new_player_id=op.player_id), "bad_replace"
    )

    replaced = run.command(p.HOST_REPLACE, player_id=wife.player_id, new_player_id=late.player_id)
    assert replaced["ok"] is True, replaced
    held = {pl["player_id"]: (pl["group"], pl["role"]) for pl in replaced["host"]["players"]}
    assert wife.player_id not in held and held[late.player_id] == (0, "wife")
    assert replaced["host"]["waiting"] == 0
    taken = late.phone.wait(p.VIEW, lambda v: v.get("role") is not None)
    assert taken["role"] == role_view("wife") and taken["me"]["group"] == GROUPS[0]
    assert taken["clues"] == wife_before["clues"]  # c-attic-2 is the new phone's own finder clue
    assert taken["scripts"] == wife_before["scripts"] and taken["search"] == wife_before["search"]
    assert late.call(p.PLAYER_SHARE, run.pin, clue="c-attic-2") == {"ok": True}
    # The old phone's token no longer opens the seat.
    ghost = clients(server.url, "老二（回来）")
    assert_error(ghost.call(p.PLAYER_JOIN, {"pin": run.pin, "rejoin_token": wife.token}), "replaced")

    # The operator's player walks away with the phone still connected: replaced too.
    second = join(lambda name: clients(server.url, name), run.pin, "迟到二")
    assert "role" not in second.joined["view"]
    assert run.command(p.HOST_REPLACE, player_id=op.player_id, new_player_id=second.player_id)["ok"] is True
    assert op.phone.wait(p.REPLACED) == {"message": p.ERRORS["replaced"]}
    assert op.phone.wait(p.VIEW, lambda v: v["phase"] == "replaced")
    assert_error(op.call(p.PLAYER_SEARCH, run.pin, place="attic"), "replaced")
    took = second.phone.wait(p.VIEW, lambda v: v.get("role") is not None)
    assert took["role"] == role_view("op") and took["scripts"] == op_before["scripts"]
    assert ids(took) == ["c-open", "c-op-private", "c-attic-1", "c-attic-2"]  # c-attic-2 was shared
    assert_error(
        clients(server.url, "老一（回来）").call(p.PLAYER_JOIN, {"pin": run.pin, "rejoin_token": op.token}),
        "replaced",
    )
    state = scenario_runs(scenario_app).store.state(run.pin)
    assert state is not None
    assert state["found"]["0"]["c-attic-2"] == {"by": late.player_id, "how": "search", "shared": True}
    assert state["ap"][late.player_id] == 0 and wife.player_id not in state["ap"]


# -- bad payloads --------------------------------------------------------------------------------------


def test_bad_payloads_get_their_exact_error_codes_and_the_server_keeps_answering(
    server: Server, scenario_app: Any, clients: Callable[..., Recorder]
) -> None:
    run = small_run(server.url, scenario_app, clients, ["错甲", "错乙", "错丙"], to_act=1)
    other_pin, _token, _id = open_mini(scenario_app, groups=1)
    pin = run.pin

    stranger = clients(server.url, "stranger")  # a connection that joined nothing
    assert_error(stranger.call(p.PLAYER_SEARCH, "not a dict"), "bad_request")
    assert_error(stranger.call(p.PLAYER_SEARCH, None), "bad_request")
    assert_error(stranger.call(p.PLAYER_SEARCH, ["pin", pin]), "bad_request")
    assert_error(stranger.call(p.PLAYER_JOIN, {"pin": "12ab", "nickname": "某"}), "bad_request", field="pin")
    assert_error(stranger.call(p.PLAYER_SEARCH, {"pin": pin, "place": "attic"}), "not_joined")
    assert_error(stranger.call(p.PLAYER_VOTE, {"pin": pin, "option": "mole"}), "not_joined")
    assert_error(stranger.call(p.HOST_NEXT, {"pin": pin}), "bad_host_token")
    assert_error(stranger.call(p.HOST_RELEASE, {"pin": pin, "clue": "c-host"}), "bad_host_token")
    assert_error(stranger.call(p.HOST_JOIN, {"pin": pin, "host_token": "wrong"}), "bad_host_token")
    assert_error(stranger.call(p.HOST_JOIN, {"pin": pin}), "bad_host_token")
    assert_error(stranger.call(p.HOST_JOIN, {"pin": "000000", "host_token": run.token}), "run_not_found")
    assert_error(stranger.call(p.PLAYER_JOIN, {"pin": "000000", "nickname": "迷路"}), "run_not_found")
    assert_error(stranger.call(p.PLAYER_JOIN, {"pin": pin, "nickname": "错甲"}), "nickname_taken")
    assert_error(
        stranger.call(p.PLAYER_JOIN, {"pin": pin, "rejoin_token": "forged"}), "bad_request", field="nickname"
    )
    assert_error(stranger.call(p.HOST_NEXT, {"pin": pin}), "bad_host_token")  # still not the host

    phone = run.seats[0]
    assert_error(phone.call(p.PLAYER_SEARCH, pin, place="cellar"), "bad_place")
    assert_error(phone.call(p.PLAYER_SEARCH, pin, place=5), "bad_request", field="place")
    assert_error(phone.call(p.PLAYER_SEARCH, pin), "bad_request", field="place")
    assert_error(phone.call(p.PLAYER_SHARE, pin, clue="c-nothing"), "bad_clue")
    assert_error(phone.call(p.PLAYER_SHARE, pin, clue="c-open"), "bad_clue")  # not a finder clue
    assert_error(phone.call(p.PLAYER_SCAN, pin, code=42), "bad_request", field="code")
    assert_error(phone.call(p.PLAYER_VOTE, pin, option="mole"), "not_open")
    assert_error(phone.call(p.PLAYER_ANSWER, pin, checkpoint="k1", choice=[1]), "not_open")
    assert_error(phone.call(p.PLAYER_SEARCH, other_pin, place="attic"), "not_joined")  # another run
    assert phone.call(p.PLAYER_SEARCH, pin, place="attic") == {
        "ok": True,
        "clue": "c-attic-1",
        "title": "旧电台",
    }

    host = run.host
    assert_error(run.command(p.HOST_RELEASE, clue="c-nope"), "bad_clue")
    assert_error(run.command(p.HOST_RELEASE, clue="c-host", group=7), "bad_group")
    assert_error(run.command(p.HOST_RELEASE, clue="c-host", group="0"), "bad_request", field="group")
    assert_error(run.command(p.HOST_ASSIGN, player_id="nobody", role="op"), "not_joined")
    assert_error(run.command(p.HOST_NOTE, player_id=phone.player_id, text=""), "bad_request", field="text")
    assert_error(host.call(p.HOST_NEXT, [pin]), "bad_request")
    assert_error(host.call(p.HOST_PAUSE, {"pin": pin}), "wrong_phase")  # act 2 has no time box
    assert run.command(p.HOST_NEXT)["ok"] is True
    wait_act(run.seats, 2)

    answerer = run.seats[1]  # another connection: each has 20 events per 10 s
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k1", choice=[7]), "bad_choice")
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k1", choice="B"), "bad_choice")
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k1", choice=[0, 1]), "bad_choice")
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k1"), "bad_choice")
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k2", choice=[True]), "bad_choice")
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k9", choice=[0]), "not_open")
    assert_error(answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k1", choice=[]), "bad_choice")
    # Still answering, and none of the refused answers was counted.
    assert answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k1", choice=[1]) == {"ok": True, "correct": True}
    assert answerer.call(p.PLAYER_ANSWER, pin, checkpoint="k2", choice=[0]) == {"ok": True, "correct": True}
    state = scenario_runs(scenario_app).store.state(pin)
    assert state is not None
    assert state["answers"] == {
        "k1": {answerer.player_id: {"choice": [1], "correct": True}},
        "k2": {answerer.player_id: {"choice": [0], "correct": True}},
    }


# -- results and dealing: what the engine must not do -------------------------


def test_a_clue_handed_to_a_role_is_not_a_clue_found(
    server: Server, scenario_app: Any, clients: Callable[..., Recorder]
) -> None:
    """c-op-memory is handed to the operator at act 3 (roles[0].acts.act3.clues): the player
    did not find it, so it earns no ``per_clue`` point (FORMATS §9: "每找到一条线索")."""

    def make_op(run: Run) -> None:
        assert run.command(p.HOST_ASSIGN, player_id=run.seats[0].player_id, role="op")["ok"] is True

    run = small_run(
        server.url,
        scenario_app,
        clients,
        ["手甲", "手乙", "手丙"],
        to_act=2,
        members={0: "S005"},
        before_start=make_op,
    )
    op = run.seats[0]
    assert op.role == "op"
    assert (
        clue("c-op-memory", "role", mine=True)
        in op.phone.wait(p.VIEW, lambda v: "c-op-memory" in ids(v))["clues"]
    )
    assert run.command(p.HOST_END)["ok"] is True
    db = database(scenario_app)
    with db.sessions() as session:
        row = session.scalar(
            select(ScenarioPlayer).where(
                ScenarioPlayer.run_id == run.run_id, ScenarioPlayer.player_key == op.player_id
            )
        )
        assert row is not None and (row.role, row.member_no) == ("op", "S005")
        entries = session.scalars(
            select(PointEntry).where(
                PointEntry.source_type == "scenario", PointEntry.source_id == str(run.run_id)
            )
        ).all()
        assert (row.clues_found, sorted((e.rule, e.points) for e in entries)) == (
            0,
            [("scenario.participation", 3)],
        )


def test_an_optional_role_chosen_by_the_host_cannot_leave_a_required_role_unplayed(
    server: Server, scenario_app: Any, clients: Callable[..., Recorder]
) -> None:
    """Three players, three required roles: if the host gives one of them the optional boss,
    only two remain for the three required roles, so the first act cannot begin (FORMATS §9:
    "a group needs this role filled before the first act")."""
    pin, token, _run_id = open_mini(scenario_app, groups=1)
    host = host_console(lambda name: clients(server.url, name), pin, token)
    seats = [join(lambda name: clients(server.url, name), pin, name) for name in ("选甲", "选乙", "选丙")]
    assert (
        host.call(p.HOST_ASSIGN, {"pin": pin, "player_id": seats[0].player_id, "role": "boss"})["ok"] is True
    )
    ack = host.call(p.HOST_NEXT, {"pin": pin})
    dealt = sorted(pl["role"] for pl in ack.get("host", {}).get("players", []))
    missing = sorted({"op", "wife", "mole"} - set(dealt))
    assert ack["ok"] is False, f"the first act began with the roles {dealt}: nobody plays {missing}"
    assert (ack["error"]["code"], ack["error"]["message"]) == ("roles_unfilled", message("roles_unfilled"))
    state = scenario_runs(scenario_app).store.state(pin)
    assert state is not None and state["phase"] == "lobby"
