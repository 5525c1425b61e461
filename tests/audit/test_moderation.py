"""Moderation in the audit log: the word list, every wall decision (through the real
Socket.IO handlers), 党建盲盒 review decisions and login codes; refusals write nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.danmaku import protocol as wp
from app.extensions import database
from app.models import FilterWord, ModerationEntry, PointEntry
from app.realtime import danmaku_walls, socketio
from tests.audit.conftest import brief, log
from tests.blindbox.conftest import (
    People,
    api_token,
    draw_api,
    load,
    make_people,
    member_client,
    staff_client,
)
from tests.conftest import csrf_token

ONE_CARD = """
key: audit-box
title: 审计盲盒
rules: {offer: 1, per_day: 5, per_week: 10, due_days: 7}
cards:
  - {id: read, title: 读一篇文章, category: 学习, points: 5, points_min: 3, points_max: 8, proof: text}
"""


def test_word_list_changes_are_recorded_with_the_words(app: Any, organizer: Any) -> None:
    token = csrf_token(organizer, "/admin/walls")
    added = organizer.post("/admin/walls/words", data={"csrf_token": token, "words": "坏蛋，坏蛋\n笨蛋"})
    assert "已加入 2 个词。" in added.get_data(as_text=True)
    again = organizer.post("/admin/walls/words", data={"csrf_token": token, "words": "坏蛋"})
    assert "已加入 0 个词。" in again.get_data(as_text=True)  # nothing new: no line
    assert organizer.post("/admin/walls/words", data={"csrf_token": token, "words": " "}).status_code == 400
    with database(app).sessions() as session:
        word_id = session.scalar(select(FilterWord.id).where(FilterWord.word == "笨蛋"))
    organizer.post(f"/admin/walls/words/{word_id}/delete", data={"csrf_token": token})
    assert brief(app) == [
        ("organizer", "organizer", "wall.words_add", "filter_words", ""),
        ("organizer", "organizer", "wall.words_remove", "filter_words", ""),
    ]
    assert [(line.summary, line.detail, line.category) for line in log(app)] == [
        ("敏感词表加入 2 个词：坏蛋、笨蛋", {"count": 2, "words": ["坏蛋", "笨蛋"]}, "moderation"),
        ("敏感词表删除 1 个词：笨蛋", {"count": 1, "words": ["笨蛋"]}, "moderation"),
    ]
    with database(app).sessions() as session:  # the wall's own log keeps its lines too
        assert [e.action for e in session.scalars(select(ModerationEntry))] == ["word_add", "word_remove"]


def ack(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    reply = client.emit(event, payload, callback=True)
    assert isinstance(reply, dict), reply
    return reply


def test_every_wall_decision_is_one_line_of_the_named_moderator(app: Any) -> None:
    walls = danmaku_walls(app)
    pin, token = walls.store.create_standalone("支部大会", "manual")
    wall_key = walls.store.record_key(pin)
    phone = socketio.test_client(app)
    joined = ack(phone, wp.JOIN, {"pin": pin, "nickname": "张三"})
    assert joined["ok"] is True
    for text in ("第一条", "第二条", "第三条"):
        assert ack(phone, wp.SEND, {"pin": pin, "text": text})["status"] == "queued"
    host = socketio.test_client(app)
    assert ack(host, wp.MODERATOR_JOIN, {"pin": pin, "token": token, "name": "主持人老张"})["ok"] is True
    moderator = socketio.test_client(app)
    moderator_token = walls.moderator_token(pin)
    assert ack(moderator, wp.MODERATOR_JOIN, {"pin": pin, "token": moderator_token, "name": "审核员小李"})[
        "ok"
    ]
    assert ack(host, wp.APPROVE, {"pin": pin, "message_id": "1"})["ok"] is True
    assert ack(moderator, wp.REJECT, {"pin": pin, "message_id": "2"})["ok"] is True
    assert ack(host, wp.APPROVE, {"pin": pin, "message_id": "2"})["ok"] is False  # refused: no line
    assert ack(moderator, wp.REMOVE, {"pin": pin, "message_id": "1"})["ok"] is True
    player = f"wall:{joined['player_id']}"
    assert ack(moderator, wp.MUTE, {"pin": pin, "player_id": player, "minutes": 5})["ok"] is True
    assert ack(host, wp.SETTINGS, {"pin": pin, "mode": "auto"})["ok"] is True
    for client in (phone, host, moderator):
        client.disconnect()
    assert brief(app) == [
        ("主持人老张", "wall_moderator", "wall.approve", "wall", wall_key),
        ("审核员小李", "wall_moderator", "wall.reject", "wall", wall_key),
        ("审核员小李", "wall_moderator", "wall.remove", "wall", wall_key),
        ("审核员小李", "wall_moderator", "wall.mute", "wall", wall_key),
        ("主持人老张", "wall_moderator", "wall.mode", "wall", wall_key),
    ]
    lines = log(app)
    assert [line.detail for line in lines] == [
        {"pin": pin, "target": "1", "text": "第一条"},
        {"pin": pin, "target": "2", "text": "第二条"},
        {"pin": pin, "target": "1", "text": "第一条"},
        {"pin": pin, "target": player, "text": "5 分钟"},
        {"pin": pin, "target": "", "text": "auto"},
    ]
    assert lines[0].summary == f"弹幕墙 {pin}：审核通过弹幕 #1：第一条"
    assert all(token not in json.dumps(line.detail) + line.summary for line in lines)
    assert all(moderator_token not in json.dumps(line.detail) + line.summary for line in lines)
    with database(app).sessions() as session:  # one path: the wall's log has the same decisions
        assert [e.action for e in session.scalars(select(ModerationEntry).order_by(ModerationEntry.id))] == [
            "approve",
            "reject",
            "remove",
            "mute",
            "mode",
        ]


# -- 党建盲盒 -----------------------------------------------------------------------------------


def submit(app: Any, deck_id: int, draw_id: int | None = None) -> int:
    """张三 (M001) draws the one card (unless resubmitting ``draw_id``) and submits proof."""
    phone = member_client(app, "M001")
    if draw_id is None:
        draw_id = int(draw_api(phone, deck_id, api_token(phone)).get_json()["draw"]["id"])
    url = f"/me/tasks/{draw_id}"
    response = phone.post(url, data={"text": "读完了", "csrf_token": csrf_token(phone, url)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return draw_id


def test_review_decisions_are_recorded_and_refusals_are_not(app: Any, organizer: Any) -> None:
    people: People = make_people(app)
    deck_id = load(app, ONE_CARD)
    draw_id = submit(app, deck_id)
    url = f"/admin/boxes/review/{draw_id}"
    secretary = staff_client(app, "sec1")
    token = csrf_token(secretary, url)
    out_of_range = secretary.post(url, data={"decision": "approve", "points": "9", "csrf_token": token})
    no_reason = secretary.post(url, data={"decision": "reject", "comment": " ", "csrf_token": token})
    assert (out_of_range.status_code, no_reason.status_code) == (400, 400)
    assert brief(app) == [("system", "system", "deck.load", "deck", str(deck_id))]  # loaded by the test
    rejected = secretary.post(url, data={"decision": "reject", "comment": "请补充心得", "csrf_token": token})
    assert rejected.status_code == 302
    submit(app, 0, draw_id)
    token = csrf_token(organizer, url)
    approved = organizer.post(url, data={"decision": "approve", "points": "7", "csrf_token": token})
    assert approved.status_code == 302
    assert organizer.post(url, data={"decision": "approve", "csrf_token": token}).status_code == 409
    assert brief(app)[1:] == [
        ("sec1", "secretary", "task.reject", "task", str(draw_id)),
        ("organizer", "organizer", "task.approve", "task", str(draw_id)),
    ]
    lines = log(app)[1:]
    assert [line.detail for line in lines] == [
        {"card": "read", "decision": "rejected", "comment": "请补充心得"},
        {"card": "read", "decision": "approved", "points": 7, "entries": 1, "total": 7},
    ]
    assert [line.summary for line in lines] == [
        f"退回张三（M001）的盲盒任务“读一篇文章”（第 {draw_id} 号）：请补充心得",
        f"通过张三（M001）的盲盒任务“读一篇文章”（第 {draw_id} 号），每人 7 分，记 1 条共 7 分",
    ]
    with database(app).sessions() as session:
        credited = session.scalars(select(PointEntry.member_id).where(PointEntry.source_type == "task"))
        assert list(credited) == [people.zhang]


def test_login_codes_are_recorded_without_the_codes(app: Any, organizer: Any) -> None:
    people: People = make_people(app)
    token = csrf_token(organizer, "/admin/boxes/codes")
    one = organizer.post("/admin/boxes/codes", data={"member_no": "M003", "csrf_token": token})
    code = one.get_data(as_text=True).split('data-testid="issued-code">')[1][:8]
    # Every member has a password: without "all", the branch has nobody to issue to.
    none = organizer.post("/admin/boxes/codes", data={"branch": str(people.first), "csrf_token": token})
    assert none.status_code == 400
    branch = organizer.post(
        "/admin/boxes/codes", data={"branch": str(people.first), "all": "1", "csrf_token": token}
    )
    assert branch.mimetype.endswith("spreadsheetml.sheet")
    assert brief(app) == [
        ("organizer", "organizer", "login_code.issue", "member", str(people.wang)),
        ("organizer", "organizer", "login_code.issue", "branch", str(people.first)),
    ]
    lines = log(app)
    assert [(line.summary, line.detail, line.category) for line in lines] == [
        ("为王五（M003）发放盲盒登录码", {"count": 1, "member_nos": ["M003"]}, "account"),
        ("为第一党支部支部 2 名成员发放盲盒登录码", {"count": 2, "member_nos": ["M001", "M002"]}, "account"),
    ]
    assert all(code not in json.dumps(line.detail) + line.summary for line in lines)
