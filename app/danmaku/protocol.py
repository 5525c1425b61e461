"""The Socket.IO contract of the danmaku wall and Q&A (docs/PROTOCOL.md, "Danmaku wall"):
event names, payload rules, error codes with their zh-CN messages.

A wall is named by a PIN: a quiz game's or a scenario run's own PIN (its phones send from
the game's page, as the players they are), or a standalone wall's (`/wall/<pin>`, phones
join with a nickname). Conventions are the quiz's: every client event is acknowledged with
``{ok: true, …}`` or ``{ok: false, error: {code, message}}``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from app.live import protocol as live_protocol
from app.live.protocol import Command, ProtocolError, identifier, parse_pin

# Client → server.
JOIN = "wall:join"  # {pin, nickname?, rejoin_token?} (standalone walls)
SEND = "wall:send"  # {pin, text, color?}
ASK = "qa:ask"  # {pin, text}
VOTE = "qa:vote"  # {pin, question_id}
SCREEN_JOIN = "wall:screen_join"  # {pin, token}
MODERATOR_JOIN = "wall:moderator_join"  # {pin, token}
APPROVE = "wall:approve"  # {pin, message_id}
REJECT = "wall:reject"  # {pin, message_id}
REMOVE = "wall:remove"  # {pin, message_id}
MUTE = "wall:mute"  # {pin, player_id, minutes}
SETTINGS = "wall:settings"  # {pin, mode?, paused?, overlay?}
QA_PIN = "qa:pin"  # {pin, question_id | null}
QA_ANSWERED = "qa:answered"  # {pin, question_id}
QA_HIDE = "qa:hide"  # {pin, question_id}
# Server → clients.
MESSAGE = "wall:message"  # screens: {id, text, color, length}
REMOVED = "wall:removed"  # screens: {id}
QUEUE = "wall:queue"  # moderators: {pending: [...]}
STATE = "wall:state"  # everyone on the wall: {mode, paused, overlay}
QUESTIONS = "qa:questions"  # moderators and screens: {questions: [...], pinned}

EVENTS = {
    "join": JOIN,
    "send": SEND,
    "ask": ASK,
    "vote": VOTE,
    "screen_join": SCREEN_JOIN,
    "moderator_join": MODERATOR_JOIN,
    "approve": APPROVE,
    "reject": REJECT,
    "remove": REMOVE,
    "mute": MUTE,
    "settings": SETTINGS,
    "qa_pin": QA_PIN,
    "qa_answered": QA_ANSWERED,
    "qa_hide": QA_HIDE,
    "message": MESSAGE,
    "removed": REMOVED,
    "queue": QUEUE,
    "state": STATE,
    "questions": QUESTIONS,
}

ERRORS = {
    "wall_not_found": "找不到这面弹幕墙，请核对 6 位 PIN 码。",
    "bad_text": "弹幕应为 1 到 40 个字。",
    "bad_question": "提问应为 1 到 120 个字。",
    "repeat": "相同的内容刚刚发过了。",
    "muted": "你已被主持人暂时禁言。",
    "blocked": "这条内容未能发送，请文明发言。",
    "wall_paused": "弹幕墙已暂停，请稍后再发。",
    "wall_off": "本场没有开启弹幕。",
    "message_not_found": "找不到这条弹幕（可能已处理）。",
    "question_not_found": "找不到这个提问。",
    "already_voted": "你已经为这个提问点过赞了。",
}

MODES = ("auto", "manual", "off")
COLORS = ("#ffffff", "#ffd54f", "#ff8a80", "#80d8ff", "#b9f6ca", "#ea80fc")
TEXT_LIMIT = 40
QUESTION_LIMIT = 120
# Control characters, zero-width and direction marks, the BOM: removed from what phones send.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def error(code: str, **extra: Any) -> dict[str, Any]:
    message = ERRORS.get(code) or live_protocol.ERRORS[code]
    return {"ok": False, "error": {"code": code, "message": message, **extra}}


def clean_text(value: Any, limit: int, code: str) -> str:
    """Trimmed text without control or zero-width characters, 1 to ``limit`` characters."""
    if not isinstance(value, str):
        raise ProtocolError("bad_request", field="text")
    if len(value) > limit * 8:  # not worth cleaning: far too long whatever it holds
        raise WallRefused(code)
    text = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", value)).split())
    if not 1 <= len(text) <= limit:
        raise WallRefused(code)
    return text


class WallRefused(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def parse(event: str, data: Any) -> Command:
    if not isinstance(data, dict):
        raise ProtocolError("bad_request")
    pin = parse_pin(data)
    fields: dict[str, Any] = {}
    if event == JOIN:
        token = data.get("rejoin_token") or ""
        if not isinstance(token, str) or len(token) > live_protocol.TOKEN_LIMIT:
            raise ProtocolError("bad_request", field="rejoin_token")
        fields["rejoin_token"] = token
        # Required to join a standalone wall without a token; a game's phone needs none.
        fields["nickname"] = live_protocol._text(
            data, "nickname", live_protocol.NICKNAME_LIMIT, required=False
        )
    elif event == SEND:
        fields["text"] = clean_text(data.get("text"), TEXT_LIMIT, "bad_text")
        color = data.get("color") or COLORS[0]
        if color not in COLORS:
            raise ProtocolError("bad_request", field="color")
        fields["color"] = color
    elif event == ASK:
        fields["text"] = clean_text(data.get("text"), QUESTION_LIMIT, "bad_question")
    elif event in (VOTE, QA_ANSWERED, QA_HIDE):
        fields["question_id"] = identifier(data, "question_id", numbers=True)
    elif event == QA_PIN:
        fields["question_id"] = (
            None if data.get("question_id") is None else identifier(data, "question_id", numbers=True)
        )
    elif event in (SCREEN_JOIN, MODERATOR_JOIN):
        token = data.get("token")
        if not isinstance(token, str) or not 0 < len(token) <= live_protocol.TOKEN_LIMIT:
            raise ProtocolError("bad_host_token")
        fields["token"] = token
        fields["name"] = live_protocol._text(data, "name", live_protocol.NICKNAME_LIMIT, required=False)
    elif event in (APPROVE, REJECT, REMOVE):
        fields["message_id"] = identifier(data, "message_id", numbers=True)
    elif event == MUTE:
        fields["player_id"] = identifier(data, "player_id", limit=80)
        minutes = data.get("minutes", 10)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 24 * 60:
            raise ProtocolError("bad_request", field="minutes")
        fields["minutes"] = minutes
    elif event == SETTINGS:
        if "mode" in data:
            if data["mode"] not in MODES:
                raise ProtocolError("bad_request", field="mode")
            fields["mode"] = data["mode"]
        for flag in ("paused", "overlay"):
            if flag in data:
                if not isinstance(data[flag], bool):
                    raise ProtocolError("bad_request", field=flag)
                fields[flag] = data[flag]
    return Command(pin, fields)
