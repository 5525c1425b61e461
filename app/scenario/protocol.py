"""The Socket.IO contract of scenario runs (docs/PROTOCOL.md, "Scenario runs"): every event
name, every payload's shape, every error code with its zh-CN message.

Same conventions as the live quiz (app/live/protocol.py): every client event takes an
acknowledgement callback answered with ``{ok: true, …}`` or ``{ok: false, error: {code,
message}}``; the PIN and text rules are the quiz's own.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from app.live import protocol as live_protocol
from app.live.protocol import Command, ProtocolError, parse_pin
from app.live.protocol import identifier as _identifier

# Client → server.
HOST_JOIN = "scenario:host_join"  # {pin, host_token} → {ok, host}
HOST_NEXT = "scenario:next"  # {pin} (from the lobby: deal roles, first act)
HOST_PREVIOUS = "scenario:previous"  # {pin}
HOST_PAUSE = "scenario:pause"  # {pin}
HOST_RESUME = "scenario:resume"  # {pin}
HOST_ASSIGN = "scenario:assign"  # {pin, player_id, group?, role?}
HOST_RELEASE = "scenario:release"  # {pin, clue, group?}
HOST_NOTE = "scenario:note"  # {pin, player_id, text}
HOST_REPLACE = "scenario:replace"  # {pin, player_id (who left), new_player_id}
HOST_END = "scenario:end"  # {pin}
SCREEN_JOIN = "scenario:screen_join"  # {pin, host_token} → {ok, screen}
PLAYER_JOIN = (
    "scenario:join"  # {pin, nickname, member_no?, rejoin_token?} → {ok, player_id, rejoin_token, view}
)
PLAYER_SEARCH = "scenario:search"  # {pin, place} → {ok, clue}
PLAYER_SCAN = "scenario:scan"  # {pin, code} → {ok, clue}
PLAYER_ANSWER = "scenario:answer"  # {pin, checkpoint, choice} → {ok, correct}
PLAYER_VOTE = "scenario:vote"  # {pin, option} → {ok}
PLAYER_SHARE = "scenario:share"  # {pin, clue} → {ok}
# Server → clients.
VIEW = "scenario:view"  # one player's phones: everything that phone may see
SCREEN = "scenario:screen"  # the big screen: progress, never a role or a clue's text
HOST = "scenario:host"  # the host's console: the screen plus players, roles, hints, clues
REPLACED = "scenario:replaced"  # a phone whose seat the host gave to another phone

EVENTS = {
    "host_join": HOST_JOIN,
    "next": HOST_NEXT,
    "previous": HOST_PREVIOUS,
    "pause": HOST_PAUSE,
    "resume": HOST_RESUME,
    "assign": HOST_ASSIGN,
    "release": HOST_RELEASE,
    "note": HOST_NOTE,
    "replace": HOST_REPLACE,
    "end": HOST_END,
    "screen_join": SCREEN_JOIN,
    "join": PLAYER_JOIN,
    "search": PLAYER_SEARCH,
    "scan": PLAYER_SCAN,
    "answer": PLAYER_ANSWER,
    "vote": PLAYER_VOTE,
    "share": PLAYER_SHARE,
    "view": VIEW,
    "screen": SCREEN,
    "host": HOST,
    "replaced": REPLACED,
}

ERRORS = {
    "run_not_found": "找不到这场剧本杀，请核对 6 位 PIN 码。",
    "run_over": "本场剧本杀已经结束。",
    "run_full": "各组人数都已满，请联系主持人。",
    "no_role": "你还没有角色，请等待主持人安排。",
    "replaced": "你的角色已由主持人交给另一台手机。",
    "roles_unfilled": "有小组人数不足，必需角色没有人扮演，暂时不能开始。",
    "no_players": "还没有玩家加入。",
    "bad_group": "没有这个小组。",
    "group_full": "这个小组人数已满。",
    "bad_role": "剧本里没有这个角色。",
    "role_taken": "这个角色在该组已经有人扮演。",
    "bad_replace": "只能把已离开玩家的角色交给一位尚未分配角色的玩家。",
    "bad_place": "没有这个搜证地点。",
    "place_barred": "你的角色不能搜查这个地点。",
    "no_action_points": "本轮行动点已经用完。",
    "nothing_left": "这里已经搜不到新的线索了，行动点未扣除。",
    "bad_code": "无法识别这张道具卡，请确认扫描的是本场游戏的道具卡。",
    "wrong_run": "这张道具卡属于另一场游戏，不能在本场使用。",
    "wrong_group": "这张道具卡属于另一个小组，请交给对应小组。",
    "already_found": "本组已经获得过这条线索了。",
    "parent_missing": "还需要先找到前置线索，才能解锁这张道具卡。",
    "bad_clue": "没有这条线索，或你不能操作它。",
    "not_open": "当前这一幕不能做这件事。",
    "scenario_not_approved": "剧本尚未通过内容审核，不能开始。",
}


def error(code: str, **extra: Any) -> dict[str, Any]:
    message = ERRORS.get(code) or live_protocol.ERRORS[code]
    return {"ok": False, "error": {"code": code, "message": message, **extra}}


NOTE_LIMIT = 200
CODE_LIMIT = 64


def _payload(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError("bad_request")
    return data


def _group(data: dict[str, Any]) -> int | None:
    value = data.get("group")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 100:
        raise ProtocolError("bad_request", field="group")
    return value


def parse(event: str, data: Any) -> Command:
    """Check one client event's payload; raises ProtocolError("bad_request", field=…)."""
    data = _payload(data)
    pin = parse_pin(data)
    fields: dict[str, Any] = {}
    if event in (HOST_JOIN, SCREEN_JOIN):
        token = data.get("host_token")
        if not isinstance(token, str) or not 0 < len(token) <= live_protocol.TOKEN_LIMIT:
            raise ProtocolError("bad_host_token")
        fields["host_token"] = token
    elif event == HOST_ASSIGN:
        fields.update(player_id=_identifier(data, "player_id"), group=_group(data))
        fields["role"] = _identifier(data, "role", required=False) or None
    elif event == HOST_RELEASE:
        fields.update(clue=_identifier(data, "clue"), group=_group(data))
    elif event == HOST_NOTE:
        fields.update(player_id=_identifier(data, "player_id"))
        fields["text"] = live_protocol._text(data, "text", NOTE_LIMIT, required=True)
    elif event == HOST_REPLACE:
        fields.update(
            player_id=_identifier(data, "player_id"), new_player_id=_identifier(data, "new_player_id")
        )
    elif event == PLAYER_SEARCH:
        fields["place"] = _identifier(data, "place")
    elif event == PLAYER_SCAN:
        code = data.get("code")
        if isinstance(code, str):
            code = unicodedata.normalize("NFKC", code).strip()
        if not isinstance(code, str) or not 0 < len(code) <= CODE_LIMIT:
            raise ProtocolError("bad_request", field="code")
        fields["code"] = code
    elif event == PLAYER_ANSWER:
        fields["checkpoint"] = _identifier(data, "checkpoint")
        if "choice" not in data:
            raise ProtocolError("bad_choice")
        fields["choice"] = data["choice"]
    elif event == PLAYER_VOTE:
        fields["option"] = _identifier(data, "option")
    elif event == PLAYER_SHARE:
        fields["clue"] = _identifier(data, "clue")
    return Command(pin, fields)
