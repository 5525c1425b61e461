"""The organizer's wall pages: the word list (add, upload, remove, reloaded by every
process), a standalone wall, and the XLSX export of messages, Q&A and decisions."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
from sqlalchemy import select

from app.danmaku import protocol as p
from app.danmaku.protocol import WallRefused
from app.extensions import database
from app.models import FilterWord, ModerationEntry
from app.realtime import danmaku_walls
from tests.conftest import csrf_token


def refused(function: Any, *args: Any) -> str:
    try:
        function(*args)
    except WallRefused as error:
        return error.code
    raise AssertionError("not refused")


def test_the_word_list_is_edited_on_its_page_and_every_process_reloads_it(
    organizer: Any, app: Any, tmp_path: Any
) -> None:
    walls = danmaku_walls(app)
    pin, _token = walls.store.create_standalone("支部大会", "auto")
    assert walls.send(pin, "wall:a", "甲", "坏蛋来了", "#ffffff")[0] == {"status": "shown"}
    other = type(walls)(
        walls.store, walls.db, "another-process", walls.host_check
    )  # a second process's service
    assert other.word_filter().blocks("坏蛋") is False
    token = csrf_token(organizer, "/admin/walls")
    page = organizer.post(
        "/admin/walls/words", data={"csrf_token": token, "words": "坏蛋，坏蛋\n  ＳＢ  \n" + "长" * 41}
    )
    assert "已加入 2 个词。1 个词过长或没有文字，未加入。" in page.get_data(as_text=True)
    assert refused(walls.send, pin, "wall:a", "甲", "坏 蛋！", "#ffffff") == "blocked"
    assert refused(other.send, pin, "wall:b", "乙", "s b", "#ffffff") == "blocked"
    upload = organizer.post(
        "/admin/walls/words",
        data={"csrf_token": token, "file": (io.BytesIO("笨蛋\r\n滚\n".encode("gbk")), "words.txt")},
        content_type="multipart/form-data",
    )
    assert "已加入 2 个词。" in upload.get_data(as_text=True)
    with database(app).sessions() as session:
        words = {w.word: w.id for w in session.scalars(select(FilterWord))}
    assert set(words) == {"ＳＢ", "坏蛋", "滚", "笨蛋"}
    organizer.post(f"/admin/walls/words/{words['坏蛋']}/delete", data={"csrf_token": token})
    assert other.send(pin, "wall:c", "丙", "坏蛋走了", "#ffffff")[0] == {"status": "shown"}
    with database(app).sessions() as session:
        log = [
            (e.action, e.target, e.actor)
            for e in session.scalars(select(ModerationEntry).order_by(ModerationEntry.id))
        ]
    assert log == [
        ("word_add", "2 个词", "organizer"),
        ("word_add", "2 个词", "organizer"),
        ("word_remove", "坏蛋", "organizer"),
    ]
    empty = organizer.post("/admin/walls/words", data={"csrf_token": token, "words": "  "})
    assert empty.status_code == 400 and "请填写要屏蔽的词" in empty.get_data(as_text=True)


def test_creating_a_standalone_wall_opens_its_moderation_page(organizer: Any, app: Any) -> None:
    response = organizer.post(
        "/admin/walls",
        data={"csrf_token": csrf_token(organizer, "/admin/walls"), "title": "七一座谈会", "mode": "manual"},
    )
    match = re.fullmatch(r"/wall/(\d{6})/moderate#token=([\w-]+)", response.headers["Location"])
    assert match
    pin, token = match.groups()
    walls = danmaku_walls(app)
    assert walls.role_of(pin, token) == "host"
    assert walls.state(pin) | {"colors": []} == {
        "pin": pin,
        "title": "七一座谈会",
        "mode": "manual",
        "paused": False,
        "overlay": True,
        "colors": [],
    }
    moderator = walls.moderator_token(pin)
    assert walls.role_of(pin, moderator) == "moderator" and walls.role_of(pin, "forged") is None
    assert organizer.get(f"/wall/{pin}/moderator-qr.svg?token={moderator}").mimetype == "image/svg+xml"
    assert organizer.get(f"/wall/{pin}/moderator-qr.svg?token={token}x").status_code == 404


def test_the_export_holds_the_messages_the_questions_and_every_decision(organizer: Any, app: Any) -> None:
    walls = danmaku_walls(app)
    pin, _token = walls.store.create_standalone("支部大会", "manual")
    walls.send(pin, "wall:a", "张三", "=1+2 说得好", "#ffd54f")
    walls.send(pin, "wall:b", "李四", "不同意", "#ffffff")
    walls.moderate(pin, "审核员甲", p.APPROVE, p.Command(pin, {"message_id": "1"}))
    walls.moderate(pin, "审核员甲", p.REJECT, p.Command(pin, {"message_id": "2"}))
    first = walls.ask(pin, "wall:a", "张三", "党费怎么交？")[0]["question_id"]
    second = walls.ask(pin, "wall:b", "李四", "下次活动在哪里？")[0]["question_id"]
    walls.vote(pin, "wall:c", second)
    walls.moderate(pin, "主持人", p.QA_ANSWERED, p.Command(pin, {"question_id": second}))
    walls.moderate(pin, "主持人", p.MUTE, p.Command(pin, {"player_id": "wall:b", "minutes": 10}))
    wall_key = walls.store.record_key(pin)
    response = organizer.get(f"/admin/walls/export.xlsx?wall={wall_key}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["弹幕", "提问", "审核记录", "拦截与拒绝"]
    rows = lambda name: [row for row in book[name].iter_rows(values_only=True)]  # noqa: E731
    messages = rows("弹幕")
    assert messages[0] == ("编号", "时间（UTC）", "昵称", "内容", "颜色", "状态")
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in messages[1:]] == [
        (1, "张三", "'=1+2 说得好", "#ffd54f", "审核通过")
    ]
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows("提问")[1:]] == [
        (int(second), "李四", "下次活动在哪里？", 1, "已回答"),
        (int(first), "张三", "党费怎么交？", 0, "待回答"),
    ]
    assert [(r[1], r[2], r[3], r[4]) for r in rows("审核记录")[1:]] == [
        ("approve", "1", "'=1+2 说得好", "审核员甲"),
        ("reject", "2", "不同意", "审核员甲"),
        ("qa_answered", second, "下次活动在哪里？", "主持人"),
        ("mute", "wall:b", "10 分钟", "主持人"),
    ]
    assert [(r[0], r[3], r[4]) for r in rows("拦截与拒绝")[1:]] == [(2, "不同意", "审核拒绝")]
    assert organizer.get("/admin/walls/export.xlsx?wall=999999:0").status_code == 404


def test_a_scenario_runs_host_token_hosts_its_wall(app: Any) -> None:
    from pathlib import Path

    from app.realtime import scenario_runs
    from app.scenario.results import load_scenario, open_run

    mini = (Path(__file__).parents[1] / "scenario" / "data" / "mini.yaml").read_bytes()
    with database(app).transaction() as session:
        load_scenario(session, mini)
    run, token = open_run(database(app), scenario_runs(app), "mini-radio", 1, False)
    walls = danmaku_walls(app)
    assert walls.role_of(run.pin, token) == "host"
    assert walls.role_of(run.pin, token + "x") is None
