"""The Socket.IO contract of the live quiz (DESIGN §4, docs/PROTOCOL.md): every event name,
every payload's shape in both directions, and every error code with its zh-CN message.

Handlers parse incoming payloads here and nowhere else; the pages get the event names from
``EVENTS`` (rendered into the page), and a test checks docs/PROTOCOL.md against this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Client → server (each takes an acknowledgement callback).
HOST_JOIN = "host:join"
HOST_START = "host:start"
HOST_NEXT = "host:next"
HOST_END = "host:end"
HOST_KICK = "host:kick"
PLAYER_JOIN = "player:join"
PLAYER_ANSWER = "player:answer"
# Server → clients.
GAME_STATE = "game:state"
GAME_ANSWERED = "game:answered"
GAME_REVEAL = "game:reveal"
PLAYER_RESULT = "player:result"
GAME_LEADERBOARD = "game:leaderboard"
GAME_OVER = "game:over"
PLAYER_KICKED = "player:kicked"
GAME_PLAYERS = "game:players"

EVENTS = {
    "host_join": HOST_JOIN,
    "host_start": HOST_START,
    "host_next": HOST_NEXT,
    "host_end": HOST_END,
    "host_kick": HOST_KICK,
    "player_join": PLAYER_JOIN,
    "player_answer": PLAYER_ANSWER,
    "game_state": GAME_STATE,
    "game_answered": GAME_ANSWERED,
    "game_reveal": GAME_REVEAL,
    "player_result": PLAYER_RESULT,
    "game_leaderboard": GAME_LEADERBOARD,
    "game_over": GAME_OVER,
    "player_kicked": PLAYER_KICKED,
    "game_players": GAME_PLAYERS,
}

ERRORS = {
    "game_not_found": "找不到这场比赛，请核对 6 位 PIN 码。",
    "bad_host_token": "主持人凭证无效，请从管理后台重新打开主持页面。",
    "not_open": "当前题目未开放作答。",
    "late": "作答时间已到，本题答案未被接受。",
    "duplicate_answer": "本题已经提交过答案，不能重复提交。",
    "bad_choice": "答案格式不正确。",
    "nickname_taken": "这个昵称已被使用，请换一个。",
    "game_full": "比赛人数已满。",
    "rate_limited": "操作太频繁，请稍后再试。",
    "bad_request": "请求格式不正确。",
    "not_joined": "请先加入比赛。",
    "kicked": "你已被主持人移出本场比赛。",
    "late_join_closed": "比赛已经开始，本场不允许中途加入。",
    "wrong_phase": "当前阶段不能执行这个操作。",
    "game_over": "比赛已经结束。",
    "no_questions": "这场比赛没有题目。",
    "player_not_found": "找不到这位选手。",
    "bad_team": "请选择列表中的队伍。",
    "unavailable": "服务暂时不可用，请稍后重试。",
}


class ProtocolError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def ack(self) -> dict[str, Any]:
        return error(self.code, **self.extra)


def error(code: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": ERRORS[code], **extra}}


def ok(**payload: Any) -> dict[str, Any]:
    return {"ok": True, **payload}


# -- parsing -------------------------------------------------------------------------------

PIN = re.compile(r"^[0-9]{6}$")  # ASCII digits: \d would also match other scripts' digits
NICKNAME_LIMIT = 20
TEAM_LIMIT = 30
MEMBER_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
TOKEN_LIMIT = 512
FILL_LIMIT = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def _payload(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError("bad_request")
    return data


def parse_pin(data: dict[str, Any]) -> str:
    pin = data.get("pin")
    if isinstance(pin, int) and not isinstance(pin, bool):
        pin = str(pin)
    if isinstance(pin, str):
        pin = unicodedata.normalize("NFKC", pin).strip()  # full-width digits from a Chinese IME
    if not isinstance(pin, str) or not PIN.match(pin):
        raise ProtocolError("bad_request", field="pin")
    return pin


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ProtocolError("bad_request", field=name)
        return ""
    if not isinstance(value, str) or len(value) > limit * 4:
        raise ProtocolError("bad_request", field=name)
    text = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(text):
        raise ProtocolError("bad_request", field=name)
    text = " ".join(text.split())
    if len(text) > limit or (required and not text):
        raise ProtocolError("bad_request", field=name)
    return text


@dataclass(frozen=True)
class Command:
    """A parsed client event of the scenario runs and walls: the PIN plus its fields."""

    pin: str
    fields: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.fields.get(name)


def identifier(
    data: dict[str, Any], name: str, *, required: bool = True, limit: int = 64, numbers: bool = False
) -> str:
    """An id a client names (a clue, a place, a message): short ASCII text; with ``numbers``
    a number is read as its text (message and question ids are counters)."""
    value = data.get(name)
    if value is None and not required:
        return ""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= limit or not value.isascii():
        raise ProtocolError("bad_request", field=name)
    return value


@dataclass(frozen=True)
class HostCommand:
    pin: str
    host_token: str = ""
    player_id: str = ""


def parse_host(data: Any, *, with_token: bool = False, with_player: bool = False) -> HostCommand:
    data = _payload(data)
    pin = parse_pin(data)
    token = ""
    if with_token:
        token = data.get("host_token")
        if not isinstance(token, str) or not 0 < len(token) <= TOKEN_LIMIT:
            raise ProtocolError("bad_host_token")
    player_id = ""
    if with_player:
        player_id = data.get("player_id")
        if not isinstance(player_id, str) or not 0 < len(player_id) <= 64:
            raise ProtocolError("bad_request", field="player_id")
    return HostCommand(pin, token, player_id)


@dataclass(frozen=True)
class JoinRequest:
    pin: str
    nickname: str
    team: str
    member_no: str
    rejoin_token: str


def parse_join(data: Any) -> JoinRequest:
    data = _payload(data)
    pin = parse_pin(data)
    token = data.get("rejoin_token") or ""
    if not isinstance(token, str) or len(token) > TOKEN_LIMIT:
        raise ProtocolError("bad_request", field="rejoin_token")
    nickname = _text(data, "nickname", NICKNAME_LIMIT, required=not token)
    team = _text(data, "team", TEAM_LIMIT, required=False)
    member_no = _text(data, "member_no", 32, required=False)
    if member_no:
        member_no = unicodedata.normalize("NFKC", member_no)
        if not MEMBER_NO.match(member_no):
            raise ProtocolError("bad_request", field="member_no")
    return JoinRequest(pin, nickname, team, member_no, token)


@dataclass(frozen=True)
class AnswerRequest:
    pin: str
    q: int
    choice: Any


def parse_answer(data: Any) -> AnswerRequest:
    data = _payload(data)
    pin = parse_pin(data)
    q = data.get("q")
    if not isinstance(q, int) or isinstance(q, bool) or not 0 <= q < 10_000:
        raise ProtocolError("bad_request", field="q")
    if "choice" not in data:
        raise ProtocolError("bad_choice")
    return AnswerRequest(pin, q, data["choice"])


def validate_choice(question: dict[str, Any], choice: Any) -> Any:
    """The choice in canonical form for this question, or ProtocolError("bad_choice")."""
    qtype = question["type"]
    count = len(question.get("options") or [])
    if qtype == "fill":
        blanks = len(question["key"])
        values = [choice] if isinstance(choice, str) else choice
        if not isinstance(values, list) or len(values) != blanks:
            raise ProtocolError("bad_choice")
        if not all(isinstance(v, str) and 0 < len(v.strip()) <= FILL_LIMIT for v in values):
            raise ProtocolError("bad_choice")
        return [unicodedata.normalize("NFC", v).strip() for v in values]
    if not isinstance(choice, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in choice
    ):
        raise ProtocolError("bad_choice")
    if any(not 0 <= i < count for i in choice) or len(set(choice)) != len(choice):
        raise ProtocolError("bad_choice")
    if qtype in ("single", "judge") and len(choice) != 1:
        raise ProtocolError("bad_choice")
    if qtype == "multiple":
        if not choice:
            raise ProtocolError("bad_choice")
        return sorted(choice)
    if qtype == "order" and len(choice) != count:
        raise ProtocolError("bad_choice")
    return choice
