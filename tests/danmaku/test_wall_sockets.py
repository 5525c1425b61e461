"""The danmaku wall and Q&A over the wire: real python-socketio clients, two real
``arena serve`` processes (A and B), one real Redis, one real database.

Walls are made, and the word list edited, as the organizer's pages do: through the wall
service of an in-process app on the same Redis and database (the ``walls`` fixture).
Standalone walls' phones are keyed ``wall:<player_id>``, quiz players ``quiz:<player_id>``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select

from app.danmaku import protocol as wp
from app.danmaku.wordfilter import normalise
from app.extensions import database
from app.live import protocol as lp
from app.models import FilterWord, ModerationEntry, WallMessage, WallQuestion
from tests.live.conftest import Phone, Server, new_game, single

Make = Callable[..., Phone]
WHITE, GOLD, RED = wp.COLORS[0], wp.COLORS[1], wp.COLORS[2]
SHOWN = {"ok": True, "status": "shown"}
QUEUED = {"ok": True, "status": "queued"}
XSS = "<img src=x onerror=alert(1)>"
BLOCKED = {"code": "blocked", "message": "这条内容未能发送，请文明发言。"}


# -- helpers ------------------------------------------------------------------------------------------


def refused(ack: dict[str, Any], code: str) -> dict[str, Any]:
    """The error of a refused ack, with its code and its zh-CN message checked."""
    assert ack["ok"] is False, ack
    error = ack["error"]
    assert error["code"] == code, ack
    assert error["message"] == (wp.ERRORS.get(code) or lp.ERRORS[code]), ack
    return error


def join_wall(url: str, pin: str, nickname: str, make: Make, rejoin_token: str = "") -> tuple[Phone, dict]:
    phone = make(url, nickname or "rejoined")
    payload = (
        {"pin": pin, "rejoin_token": rejoin_token} if rejoin_token else {"pin": pin, "nickname": nickname}
    )
    ack = phone.call(wp.JOIN, payload)
    assert ack["ok"] is True, ack
    return phone, ack


def open_screen(url: str, pin: str, token: str, make: Make) -> Phone:
    screen = make(url, "screen")
    ack = screen.call(wp.SCREEN_JOIN, {"pin": pin, "token": token})
    assert ack["ok"] is True, ack
    return screen


def open_moderation(url: str, pin: str, token: str, name: str, make: Make) -> tuple[Phone, dict]:
    moderator = make(url, name)
    ack = moderator.call(wp.MODERATOR_JOIN, {"pin": pin, "token": token, "name": name})
    assert ack["ok"] is True, ack
    return moderator, ack


def send(phone: Phone, pin: str, text: Any, **extra: Any) -> dict[str, Any]:
    return phone.call(wp.SEND, {"pin": pin, "text": text, **extra})


def everything(client: Phone) -> list[tuple[str, Any]]:
    with client.lock:
        return list(client.events)


def settles(client: Phone, event: str, expected: Any, timeout: float = 5) -> None:
    """``client`` receives ``event`` with exactly ``expected`` (the last one shown if not)."""
    try:
        client.wait(event, lambda data: data == expected, timeout)
    except AssertionError:
        assert client.received(event)[-1:] == [expected], client.name


def messages_on(screen: Phone, count: int) -> list[dict[str, Any]]:
    """The first ``count`` wall:message payloads of a screen, in message order."""
    screen.wait(wp.MESSAGE, lambda _d: len(screen.received(wp.MESSAGE)) >= count)
    return sorted(screen.received(wp.MESSAGE), key=lambda m: int(m["id"]))


def rows(app: Any, model: Any, pin: str, *columns: str) -> list[tuple[Any, ...]]:
    with database(app).sessions() as session:
        query = select(*(getattr(model, c) for c in columns)).where(model.pin == pin).order_by(model.id)
        return [tuple(row) for row in session.execute(query)]


def moderation_log(app: Any, pin: str) -> list[tuple[Any, ...]]:
    return rows(app, ModerationEntry, pin, "action", "target", "detail", "actor")


# -- 1. rate limit, mute and repeats: one Redis for both processes -------------------------------------


def test_rate_limit_mute_and_repeats_hold_across_two_processes(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("跨进程限流", "auto")
    screen = open_screen(a.url, pin, token, phones)
    moderation, _ = open_moderation(a.url, pin, token, "主持人老张", phones)
    on_a, joined = join_wall(a.url, pin, "张三", phones)
    on_b, again = join_wall(b.url, pin, "", phones, rejoin_token=joined["rejoin_token"])
    assert (again["player_id"], again["nickname"]) == (joined["player_id"], "张三")
    player = f"wall:{joined['player_id']}"

    # A burst of three, split over A and B; the fourth is refused on either process.
    started = time.monotonic()
    assert send(on_a, pin, "第一条") == SHOWN
    assert send(on_b, pin, "第二条") == SHOWN
    assert send(on_a, pin, "第三条") == SHOWN
    fourth = refused(send(on_b, pin, "第四条"), "rate_limited")
    since_first_ms = (time.monotonic() - started) * 1000
    assert set(fourth) == {"code", "message", "retry_ms"}
    assert 0 < fourth["retry_ms"] <= 3000
    # The bucket refills from the first message on: a token every 3 s.
    assert fourth["retry_ms"] >= 3000 - since_first_ms - 2
    on_a_too = refused(send(on_a, pin, "第四条"), "rate_limited")
    assert 0 < on_a_too["retry_ms"] <= fourth["retry_ms"]
    time.sleep(on_a_too["retry_ms"] / 1000 + 0.005)
    assert send(on_b, pin, "第四条") == SHOWN  # the refused attempts were not remembered as sent

    shown = messages_on(screen, 4)
    assert shown == [
        {"id": str(n), "text": text, "color": WHITE}
        for n, text in enumerate(["第一条", "第二条", "第三条", "第四条"], start=1)
    ]
    copy = moderation.wait(wp.MESSAGE, lambda m: m["id"] == "1")
    assert copy == {"id": "1", "text": "第一条", "color": WHITE, "player": player, "nickname": "张三"}

    # Muted from A; refused on B (and A) with the very until_ms the mute returned.
    mute = moderation.call(wp.MUTE, {"pin": pin, "player_id": player, "minutes": 1})
    assert set(mute) == {"ok", "until_ms"} and mute["ok"] is True
    until = mute["until_ms"]
    assert 55_000 <= until - walls.store.now_ms() <= 60_000
    assert refused(send(on_b, pin, "禁言中"), "muted")["until_ms"] == until
    assert refused(send(on_a, pin, "禁言中"), "muted")["until_ms"] == until
    assert refused(on_b.call(wp.ASK, {"pin": pin, "text": "禁言中能提问吗"}), "muted")["until_ms"] == until
    assert moderation.call(wp.MUTE, {"pin": pin, "player_id": player, "minutes": 0}) == {
        "ok": True,
        "until_ms": 0,
    }
    after = send(on_b, pin, "解除禁言")
    if after["ok"] is False:  # the bucket is still refilling (the mute neither refills nor empties it)
        time.sleep(refused(after, "rate_limited")["retry_ms"] / 1000 + 0.005)
        after = send(on_b, pin, "解除禁言")
    assert after == SHOWN
    assert [m["text"] for m in messages_on(screen, 5)][4] == "解除禁言"
    assert moderation_log(app, pin) == [
        ("mute", player, "1 分钟", "主持人老张"),
        ("unmute", player, "0 分钟", "主持人老张"),
    ]

    # Repeats: the same text after normalisation, from the same player, on either process.
    li_a, li = join_wall(a.url, pin, "李四", phones)
    li_b, _ = join_wall(b.url, pin, "", phones, rejoin_token=li["rejoin_token"])
    assert send(li_a, pin, "Hello World 你好") == SHOWN
    for phone, variant in [
        (li_b, "Hello World 你好"),
        (li_a, "ＨＥＬＬＯ ＷＯＲＬＤ 你好"),  # full-width
        (li_b, "hello world 你好"),  # case
        (li_a, "HelloWorld你好"),  # spaces
        (li_b, "hello-world，你好！"),  # punctuation
        (li_a, "Ｈｅｌｌｏ　Ｗｏｒｌｄ　你好"),  # ideographic spaces
    ]:
        assert refused(send(phone, pin, variant), "repeat") == {
            "code": "repeat",
            "message": wp.ERRORS["repeat"],
        }
    # The repeats took no tokens: two more distinct texts pass, then the bucket is empty.
    assert send(li_b, pin, "Hello World 你好吗") == SHOWN
    assert send(li_a, pin, "再见") == SHOWN
    assert 0 < refused(send(li_b, pin, "还有一条"), "rate_limited")["retry_ms"] <= 3000
    wang, _ = join_wall(b.url, pin, "王五", phones)
    assert send(wang, pin, "hello world 你好") == SHOWN  # another player's text is not a repeat
    digest = hashlib.sha1(normalise("Hello World 你好").encode()).hexdigest()[:16]
    recent = walls.store.key(pin, f"recent:wall:wall:{li['player_id']}:{digest}")
    assert 0 < walls.store.redis.pttl(recent) <= 10_000  # remembered for 10 s only

    texts = [m["text"] for m in messages_on(screen, 9)]
    assert texts[5:] == ["Hello World 你好", "Hello World 你好吗", "再见", "hello world 你好"]
    assert len(screen.received(wp.MESSAGE)) == 9
    assert rows(app, WallMessage, pin, "text", "status") == [(text, "shown") for text in texts]


# -- 2. the word list: edited in SQL, reloaded by every process at its next message --------------------

VARIANTS = [  # (sent, stored after cleaning)
    ("坚决反对腐败", "坚决反对腐败"),
    ("腐 败", "腐 败"),  # an inserted space
    ("腐.败！", "腐.败！"),  # an inserted symbol
    ("腐★☆败", "腐★☆败"),
    ("腐\u200b败", "腐败"),  # a zero-width space (removed on arrival)
    ("腐敗现象", "腐敗现象"),  # the traditional form
    ("ＳＣＡＭ", "ＳＣＡＭ"),  # full-width letters
    ("S c-a_m!", "S c-a_m!"),  # case, spaces and symbols
    ("防诈骗：scam", "防诈骗：scam"),
]


def test_a_word_added_in_sql_blocks_on_both_processes_and_never_reaches_the_screen(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("词库热更新", "auto")
    screen = open_screen(a.url, pin, token, phones)
    moderation, _ = open_moderation(b.url, pin, token, "主持人", phones)

    # Not listed yet: both processes show it (and build their filter now).
    before_a, _ = join_wall(a.url, pin, "甲进程", phones)
    before_b, _ = join_wall(b.url, pin, "乙进程", phones)
    assert send(before_a, pin, "反对腐败") == SHOWN
    assert send(before_b, pin, "SCAM 警告") == SHOWN
    messages_on(screen, 2)

    with database(app).transaction() as session:
        session.add_all(
            [FilterWord(word="腐败", added_by="组织委员"), FilterWord(word="ｓｃａｍ", added_by="组织委员")]
        )
    walls.words_changed()

    expected_rows: list[tuple[str, str, str]] = [
        ("甲进程", "反对腐败", "shown"),
        ("乙进程", "SCAM 警告", "shown"),
    ]
    for label, server in (("甲", a), ("乙", b)):
        # A phone for each: most variants normalise alike, and a refused text is a repeat for
        # its sender within 10 s (the gate comes before the filter).
        for number, (sent, stored) in enumerate(VARIANTS):
            phone, _ = join_wall(server.url, pin, f"{label}{number}", phones)
            error = refused(send(phone, pin, sent), "blocked")
            assert error == BLOCKED, sent  # neutral: never the word, never the list
            assert "腐" not in json.dumps(error, ensure_ascii=False)
            assert "scam" not in json.dumps(error).casefold()
            expected_rows.append((f"{label}{number}", stored, "blocked"))
    asker, _ = join_wall(b.url, pin, "提问者", phones)
    assert refused(asker.call(wp.ASK, {"pin": pin, "text": "为什么会有腐 敗？"}), "blocked") == BLOCKED

    # Delisted again: both processes let it through at their next message.
    with database(app).transaction() as session:
        session.execute(delete(FilterWord))
    walls.words_changed()
    after_a, _ = join_wall(a.url, pin, "甲之后", phones)
    after_b, _ = join_wall(b.url, pin, "乙之后", phones)
    assert send(after_a, pin, "还是反对腐败") == SHOWN
    assert send(after_b, pin, "再说一次 scam") == SHOWN
    expected_rows += [("甲之后", "还是反对腐败", "shown"), ("乙之后", "再说一次 scam", "shown")]

    on_screen = ["反对腐败", "SCAM 警告", "还是反对腐败", "再说一次 scam"]
    assert [m["text"] for m in messages_on(screen, 4)] == on_screen
    assert [m["text"] for m in messages_on(moderation, 4)] == on_screen
    assert [event for event, _data in everything(screen)] == [wp.MESSAGE] * 4
    assert rows(app, WallMessage, pin, "nickname", "text", "status") == expected_rows
    assert rows(app, WallQuestion, pin, "text") == []


# -- 3. manual moderation -------------------------------------------------------------------------------


def test_manual_mode_shows_nothing_until_a_moderator_approves(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("审核模式", "manual")
    screen = open_screen(a.url, pin, token, phones)
    host, host_ack = open_moderation(a.url, pin, token, "主持人老张", phones)
    assert set(host_ack) == {"ok", "moderator", "moderator_token"}
    second, second_ack = open_moderation(b.url, pin, host_ack["moderator_token"], "审核员小李", phones)
    assert set(second_ack) == {"ok", "moderator"}  # a moderator cannot hand out moderator tokens
    phone, joined = join_wall(b.url, pin, "王五", phones)
    player = f"wall:{joined['player_id']}"
    first = {"id": "1", "text": "第一条待审", "color": GOLD, "player": player, "nickname": "王五"}
    second_message = {"id": "2", "text": "第二条待审", "color": WHITE, "player": player, "nickname": "王五"}

    assert send(phone, pin, "第一条待审", color=GOLD) == QUEUED
    assert send(phone, pin, "第二条待审") == QUEUED
    settles(host, wp.QUEUE, {"pending": [first, second_message]})
    settles(second, wp.QUEUE, {"pending": [first, second_message]})
    time.sleep(0.3)
    assert everything(screen) == []  # nothing at all: not the message, not the queue
    late = phones(b.url, "late screen")
    late_ack = late.call(wp.SCREEN_JOIN, {"pin": pin, "token": token})
    assert late_ack["ok"] is True and late_ack["shown"] == []
    assert rows(app, WallMessage, pin, "message_id", "status") == [("1", "pending"), ("2", "pending")]

    approved = host.call(wp.APPROVE, {"pin": pin, "message_id": "1"})
    assert approved["ok"] is True and approved["moderator"]["pending"] == [second_message]
    screen.wait(wp.MESSAGE)
    settles(second, wp.QUEUE, {"pending": [second_message]})
    assert everything(screen) == [(wp.MESSAGE, {"id": "1", "text": "第一条待审", "color": GOLD})]
    assert late.wait(wp.MESSAGE) == {"id": "1", "text": "第一条待审", "color": GOLD}

    rejected = second.call(wp.REJECT, {"pin": pin, "message_id": "2"})
    assert rejected["ok"] is True and rejected["moderator"]["pending"] == []
    refused(host.call(wp.APPROVE, {"pin": pin, "message_id": "1"}), "message_not_found")  # twice
    refused(second.call(wp.APPROVE, {"pin": pin, "message_id": "2"}), "message_not_found")  # rejected
    refused(host.call(wp.REJECT, {"pin": pin, "message_id": "1"}), "message_not_found")
    refused(host.call(wp.APPROVE, {"pin": pin, "message_id": "99"}), "message_not_found")
    assert rows(app, WallMessage, pin, "message_id", "text", "status") == [
        ("1", "第一条待审", "approved"),
        ("2", "第二条待审", "rejected"),
    ]
    assert moderation_log(app, pin) == [
        ("approve", "1", "第一条待审", "主持人老张"),
        ("reject", "2", "第二条待审", "审核员小李"),
    ]

    removed = second.call(wp.REMOVE, {"pin": pin, "message_id": "1"})
    assert removed["ok"] is True and removed["moderator"]["shown"] == []
    assert screen.wait(wp.REMOVED) == {"id": "1"}
    assert host.wait(wp.REMOVED) == {"id": "1"}
    assert everything(screen) == [
        (wp.MESSAGE, {"id": "1", "text": "第一条待审", "color": GOLD}),
        (wp.REMOVED, {"id": "1"}),
    ]
    refused(host.call(wp.REMOVE, {"pin": pin, "message_id": "1"}), "message_not_found")
    assert phones(a.url, "reload").call(wp.SCREEN_JOIN, {"pin": pin, "token": token})["shown"] == []
    assert rows(app, WallMessage, pin, "message_id", "status") == [("1", "removed"), ("2", "rejected")]
    assert moderation_log(app, pin) == [
        ("approve", "1", "第一条待审", "主持人老张"),
        ("reject", "2", "第二条待审", "审核员小李"),
        ("remove", "1", "第一条待审", "审核员小李"),
    ]


# -- 4. pause and off -------------------------------------------------------------------------------------


def test_pause_and_off_reach_every_phone_and_refuse_messages(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("暂停与关闭", "auto")
    screen = open_screen(a.url, pin, token, phones)
    moderation, _ = open_moderation(b.url, pin, token, "主持人老张", phones)
    phone_a, joined = join_wall(a.url, pin, "甲", phones)
    phone_b, _ = join_wall(b.url, pin, "乙", phones)

    def state(mode: str, paused: bool) -> dict[str, Any]:
        return {
            "pin": pin,
            "title": "暂停与关闭",
            "mode": mode,
            "paused": paused,
            "overlay": True,
            "colors": list(wp.COLORS),
        }

    assert joined["wall"] == state("auto", False)
    assert send(phone_a, pin, "暂停前") == SHOWN

    ack = moderation.call(wp.SETTINGS, {"pin": pin, "paused": True})
    assert ack["ok"] is True and ack["moderator"]["state"] == state("auto", True)
    for client in (phone_a, phone_b, screen, moderation):
        assert client.wait(wp.STATE) == state("auto", True), client.name
    assert refused(send(phone_a, pin, "暂停中"), "wall_paused") == {
        "code": "wall_paused",
        "message": wp.ERRORS["wall_paused"],
    }
    refused(send(phone_b, pin, "暂停中"), "wall_paused")
    assert join_wall(b.url, pin, "新来的", phones)[1]["wall"] == state("auto", True)

    assert moderation.call(wp.SETTINGS, {"pin": pin, "paused": False})["ok"] is True
    settles(phone_b, wp.STATE, state("auto", False))
    assert send(phone_b, pin, "恢复后") == SHOWN

    assert moderation.call(wp.SETTINGS, {"pin": pin, "mode": "off"})["ok"] is True
    for client in (phone_a, phone_b, screen):
        settles(client, wp.STATE, state("off", False))
    assert refused(send(phone_a, pin, "关闭后"), "wall_off") == {
        "code": "wall_off",
        "message": wp.ERRORS["wall_off"],
    }
    refused(send(phone_b, pin, "关闭后"), "wall_off")

    for client in (phone_a, phone_b, screen):
        assert client.received(wp.STATE) == [state("auto", True), state("auto", False), state("off", False)]
    assert [m["text"] for m in screen.received(wp.MESSAGE)] == ["暂停前", "恢复后"]
    assert rows(app, WallMessage, pin, "text", "status") == [("暂停前", "shown"), ("恢复后", "shown")]
    assert moderation_log(app, pin) == [
        ("paused", "", "True", "主持人老张"),
        ("paused", "", "False", "主持人老张"),
        ("mode", "", "off", "主持人老张"),
    ]


# -- 5. Q&A ---------------------------------------------------------------------------------------------


def test_questions_upvotes_pin_hide_and_answered(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("问答环节", "auto")
    screen = open_screen(a.url, pin, token, phones)
    moderation, _ = open_moderation(b.url, pin, token, "主持人老张", phones)
    asker, _ = join_wall(a.url, pin, "提问人", phones)
    first_voter, first = join_wall(b.url, pin, "点赞甲", phones)
    second_voter, _ = join_wall(a.url, pin, "点赞乙", phones)

    # Question 1 (one vote) is asked before question 2 (two votes): the order is by votes.
    assert first_voter.call(wp.ASK, {"pin": pin, "text": "学习强国的积分怎么算？"}) == {
        "ok": True,
        "question_id": "1",
    }
    long_question = "党费" + "怎么交" * 39 + "？"
    assert len(long_question) == 120
    assert asker.call(wp.ASK, {"pin": pin, "text": long_question}) == {"ok": True, "question_id": "2"}
    assert asker.call(wp.VOTE, {"pin": pin, "question_id": "1"}) == {"ok": True, "votes": 1}
    assert first_voter.call(wp.VOTE, {"pin": pin, "question_id": "2"}) == {"ok": True, "votes": 1}
    assert second_voter.call(wp.VOTE, {"pin": pin, "question_id": "2"}) == {"ok": True, "votes": 2}
    # The same member again, on this connection and on the other process: refused, no count.
    refused(first_voter.call(wp.VOTE, {"pin": pin, "question_id": "2"}), "already_voted")
    again, _ = join_wall(a.url, pin, "", phones, rejoin_token=first["rejoin_token"])
    refused(again.call(wp.VOTE, {"pin": pin, "question_id": "2"}), "already_voted")
    refused(asker.call(wp.VOTE, {"pin": pin, "question_id": "1"}), "already_voted")

    def question(qid: str, votes: int, state: str = "open") -> dict[str, Any]:
        text, nickname = ("学习强国的积分怎么算？", "点赞甲") if qid == "1" else (long_question, "提问人")
        return {"id": qid, "text": text, "nickname": nickname, "votes": votes, "state": state}

    open_now = {"questions": [question("2", 2), question("1", 1)], "pinned": None}
    for client in (screen, moderation, asker, first_voter, second_voter):
        settles(client, wp.QUESTIONS, open_now)
    assert join_wall(b.url, pin, "晚到者", phones)[1]["questions"] == open_now["questions"]

    assert moderation.call(wp.QA_PIN, {"pin": pin, "question_id": "2"})["ok"] is True
    pinned = {"questions": [question("2", 2), question("1", 1)], "pinned": question("2", 2)}
    for client in (screen, moderation, asker):
        settles(client, wp.QUESTIONS, pinned)

    hidden = moderation.call(wp.QA_HIDE, {"pin": pin, "question_id": "2"})
    assert hidden["ok"] is True
    assert hidden["moderator"]["questions"] == [question("2", 2, "hidden"), question("1", 1)]
    assert hidden["moderator"]["pinned"] is None
    for client in (screen, asker, second_voter):
        settles(client, wp.QUESTIONS, {"questions": [question("1", 1)], "pinned": None})
    refused(second_voter.call(wp.VOTE, {"pin": pin, "question_id": "2"}), "question_not_found")

    answered = moderation.call(wp.QA_ANSWERED, {"pin": pin, "question_id": "1"})
    assert answered["ok"] is True
    assert answered["moderator"]["questions"] == [question("2", 2, "hidden"), question("1", 1, "answered")]
    for client in (screen, asker, first_voter):
        settles(client, wp.QUESTIONS, {"questions": [], "pinned": None})
    settles(
        moderation,
        wp.QUESTIONS,
        {"questions": [question("2", 2, "hidden"), question("1", 1, "answered")], "pinned": None},
    )
    refused(moderation.call(wp.QA_HIDE, {"pin": pin, "question_id": "7"}), "question_not_found")
    refused(moderation.call(wp.QA_PIN, {"pin": pin, "question_id": "7"}), "question_not_found")

    assert rows(app, WallQuestion, pin, "question_id", "nickname", "text", "votes", "state") == [
        ("1", "点赞甲", "学习强国的积分怎么算？", 1, "answered"),
        ("2", "提问人", long_question, 2, "hidden"),
    ]
    assert moderation_log(app, pin) == [
        ("qa_pin", "2", "", "主持人老张"),
        ("qa_hidden", "2", long_question, "主持人老张"),
        ("qa_answered", "1", "学习强国的积分怎么算？", "主持人老张"),
    ]
    assert everything(screen) and {event for event, _ in everything(screen)} == {wp.QUESTIONS}


def test_a_hidden_question_cannot_be_pinned_or_handled(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    """docs/PROTOCOL.md: ``question_not_found`` for "voting on or handling a question that
    does not exist or is hidden"."""
    a, b = servers
    pin, token = walls.store.create_standalone("隐藏的提问", "auto")
    moderation, _ = open_moderation(a.url, pin, token, "主持人老张", phones)
    asker, _ = join_wall(b.url, pin, "提问人", phones)
    assert asker.call(wp.ASK, {"pin": pin, "text": "不妥的提问"}) == {"ok": True, "question_id": "1"}
    assert moderation.call(wp.QA_HIDE, {"pin": pin, "question_id": "1"})["ok"] is True

    observed = []  # after each: (the ack's code, the wall's pinned question, the SQL state)
    for event in (wp.QA_PIN, wp.QA_ANSWERED, wp.QA_HIDE):
        ack = moderation.call(event, {"pin": pin, "question_id": "1"})
        code = ack["error"]["code"] if ack["ok"] is False else "ok"
        observed.append(
            (event, code, walls.store.wall(pin).get("pinned", ""), rows(app, WallQuestion, pin, "state"))
        )
    assert observed == [
        (event, "question_not_found", "", [("hidden",)]) for event in (wp.QA_PIN, wp.QA_ANSWERED, wp.QA_HIDE)
    ]
    assert refused(asker.call(wp.VOTE, {"pin": pin, "question_id": "1"}), "question_not_found")


# -- 6. markup is text: delivered exactly as sent --------------------------------------------------------


def test_markup_is_delivered_to_the_screen_exactly_as_sent(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("<b>标题</b>", "auto")
    screen = open_screen(a.url, pin, token, phones)
    moderation, _ = open_moderation(b.url, pin, token, "主持人", phones)
    phone, _ = join_wall(b.url, pin, "<script>x</script>", phones)
    assert send(phone, pin, XSS, color=RED) == SHOWN
    assert phone.call(wp.ASK, {"pin": pin, "text": XSS}) == {"ok": True, "question_id": "2"}

    assert screen.wait(wp.MESSAGE) == {"id": "1", "text": XSS, "color": RED}
    assert moderation.wait(wp.MESSAGE)["text"] == XSS
    assert moderation.wait(wp.MESSAGE)["nickname"] == "<script>x</script>"
    question = screen.wait(wp.QUESTIONS)["questions"]
    assert question == [
        {"id": "2", "text": XSS, "nickname": "<script>x</script>", "votes": 0, "state": "open"}
    ]
    reload = phones(a.url, "reload").call(wp.SCREEN_JOIN, {"pin": pin, "token": token})
    assert reload["shown"] == [{"id": "1", "text": XSS, "color": RED}]
    assert reload["state"]["title"] == "<b>标题</b>"
    assert "&lt;" not in json.dumps(everything(screen)) and "&lt;" not in json.dumps(reload)
    assert rows(app, WallMessage, pin, "text", "status") == [(XSS, "shown")]
    assert rows(app, WallQuestion, pin, "text") == [(XSS,)]


# -- 7. bad payloads -----------------------------------------------------------------------------------------

CLIENT_EVENTS = [
    wp.JOIN,
    wp.SEND,
    wp.ASK,
    wp.VOTE,
    wp.SCREEN_JOIN,
    wp.MODERATOR_JOIN,
    wp.APPROVE,
    wp.REJECT,
    wp.REMOVE,
    wp.MUTE,
    wp.SETTINGS,
    wp.QA_PIN,
    wp.QA_ANSWERED,
    wp.QA_HIDE,
]
MODERATOR_EVENTS = {
    wp.APPROVE: {"message_id": "1"},
    wp.REJECT: {"message_id": "1"},
    wp.REMOVE: {"message_id": "1"},
    wp.MUTE: {"player_id": "wall:w000000000000", "minutes": 5},
    wp.SETTINGS: {"paused": True},
    wp.QA_PIN: {"question_id": None},
    wp.QA_ANSWERED: {"question_id": "1"},
    wp.QA_HIDE: {"question_id": "1"},
}


def test_bad_payloads_get_stable_error_codes(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    a, b = servers
    pin, token = walls.store.create_standalone("坏请求", "auto")
    other_pin, other_token = walls.store.create_standalone("另一面墙", "auto")
    screen = open_screen(a.url, pin, token, phones)

    # Not a dict, on every client event (a connection of their own: 30 wall events per 10 s).
    for payload in ("hello", [pin], None):
        probe = phones(a.url, "probe")
        for event in CLIENT_EVENTS:
            assert refused(probe.call(event, payload), "bad_request") == {
                "code": "bad_request",
                "message": lp.ERRORS["bad_request"],
            }, (event, payload)

    probe = phones(b.url, "probe")
    for bad_pin in ("12345", "1234567", "abcdef", None, ""):
        error = refused(probe.call(wp.JOIN, {"pin": bad_pin, "nickname": "甲"}), "bad_request")
        assert error["field"] == "pin"
        assert refused(probe.call(wp.SEND, {"pin": bad_pin, "text": "你好"}), "bad_request")["field"] == "pin"
    refused(probe.call(wp.JOIN, {"pin": "000001", "nickname": "甲"}), "wall_not_found")
    assert refused(probe.call(wp.JOIN, {"pin": pin}), "bad_request")["field"] == "nickname"
    # Not joined: to this wall, or to any.
    refused(probe.call(wp.SEND, {"pin": pin, "text": "你好"}), "not_joined")
    refused(probe.call(wp.ASK, {"pin": pin, "text": "你好吗"}), "not_joined")
    refused(probe.call(wp.VOTE, {"pin": pin, "question_id": "1"}), "not_joined")
    assert probe.call(wp.JOIN, {"pin": other_pin, "nickname": "别处的人"})["ok"] is True
    refused(probe.call(wp.SEND, {"pin": pin, "text": "你好"}), "not_joined")

    phone, joined = join_wall(b.url, pin, "测试员", phones)
    forty = "一二三四五六七八九十" * 4
    assert refused(send(phone, pin, forty + "多"), "bad_text") == {
        "code": "bad_text",
        "message": wp.ERRORS["bad_text"],
    }
    refused(send(phone, pin, "   "), "bad_text")
    refused(send(phone, pin, " \u200b\u200d\ufeff\x00\t\n "), "bad_text")  # empty once cleaned
    assert refused(send(phone, pin, 42), "bad_request")["field"] == "text"
    assert refused(send(phone, pin, "你好", color="#000000"), "bad_request")["field"] == "color"
    assert refused(send(phone, pin, "你好", color="red"), "bad_request")["field"] == "color"
    refused(phone.call(wp.ASK, {"pin": pin, "text": "问" * 121}), "bad_question")
    assert refused(phone.call(wp.VOTE, {"pin": pin, "question_id": ["1"]}), "bad_request")["field"] == (
        "question_id"
    )
    refused(phone.call(wp.VOTE, {"pin": pin, "question_id": "99"}), "question_not_found")
    assert send(phone, pin, forty) == SHOWN  # 40 characters: the limit itself
    assert send(phone, pin, "  你好\u200b世界\x07\u202e ", color=wp.COLORS[5]) == SHOWN
    assert messages_on(screen, 2) == [
        {"id": "1", "text": forty, "color": WHITE},
        {"id": "2", "text": "你好世界", "color": wp.COLORS[5]},
    ]

    # Moderator events without moderator_join, from a stranger and from a phone of the wall.
    for client in (phones(a.url, "stranger"), phone):
        for event, fields in MODERATOR_EVENTS.items():
            refused(client.call(event, {"pin": pin, **fields}), "bad_host_token")

    # Tokens: wrong, empty, another wall's, a phone's, a moderator's (not for screens).
    guest = phones(a.url, "guest")
    for wrong in ("wrong-token", "", None, other_token, joined["rejoin_token"]):
        refused(guest.call(wp.SCREEN_JOIN, {"pin": pin, "token": wrong}), "bad_host_token")
        refused(guest.call(wp.MODERATOR_JOIN, {"pin": pin, "token": wrong}), "bad_host_token")
    host, host_ack = open_moderation(a.url, pin, token, "主持人", phones)
    refused(guest.call(wp.SCREEN_JOIN, {"pin": pin, "token": host_ack["moderator_token"]}), "bad_host_token")
    refused(
        guest.call(wp.MODERATOR_JOIN, {"pin": other_pin, "token": host_ack["moderator_token"]}),
        "bad_host_token",
    )
    # A moderator of one wall is not one of another; bad fields of moderator events.
    refused(host.call(wp.SETTINGS, {"pin": other_pin, "paused": True}), "bad_host_token")
    for event, fields, field in [
        (wp.MUTE, {"player_id": "wall:x", "minutes": -1}, "minutes"),
        (wp.MUTE, {"player_id": "wall:x", "minutes": "10"}, "minutes"),
        (wp.MUTE, {"player_id": "", "minutes": 1}, "player_id"),
        (wp.SETTINGS, {"mode": "loud"}, "mode"),
        (wp.SETTINGS, {"paused": "yes"}, "paused"),
        (wp.APPROVE, {"message_id": None}, "message_id"),
    ]:
        assert refused(host.call(event, {"pin": pin, **fields}), "bad_request")["field"] == field
    assert walls.store.wall(pin)["paused"] == "0" and walls.store.wall(other_pin)["paused"] == "0"
    assert rows(app, ModerationEntry, pin, "action") == []
    assert [event for event, _ in everything(screen)] == [wp.MESSAGE, wp.MESSAGE]


# -- a quiz game's own wall ----------------------------------------------------------------------------------


def test_a_quiz_player_sends_on_the_game_pin_and_the_game_host_moderates(
    servers: tuple[Server, Server], walls: Any, phones: Make, app: Any
) -> None:
    from app.realtime import live_games

    a, b = servers
    pin, token = new_game(live_games(app).store, [single("第一题", ["甲", "乙"], 0)])
    walls.made_pins.append(pin)
    screen = open_screen(a.url, pin, token, phones)
    moderation, ack = open_moderation(a.url, pin, token, "主持人老张", phones)
    assert ack["moderator"]["state"]["mode"] == "auto" and "moderator_token" in ack
    player = phones(b.url, "答题者")
    seat = player.call(lp.PLAYER_JOIN, {"pin": pin, "nickname": "答题者", "team": "红队"})
    assert seat["ok"] is True, seat

    assert send(player, pin, "红队加油") == SHOWN
    assert screen.wait(wp.MESSAGE) == {"id": "1", "text": "红队加油", "color": WHITE}
    key = f"quiz:{seat['player_id']}"
    assert moderation.wait(wp.MESSAGE)["player"] == key
    until = moderation.call(wp.MUTE, {"pin": pin, "player_id": key, "minutes": 5})["until_ms"]
    assert refused(send(player, pin, "蓝队加油"), "muted")["until_ms"] == until
    refused(phones(b.url, "stranger").call(wp.JOIN, {"pin": pin, "nickname": "路人"}), "wall_not_found")
    assert rows(app, WallMessage, pin, "player_key", "nickname", "text", "status") == [
        (key, "答题者", "红队加油", "shown")
    ]
    assert moderation_log(app, pin) == [("mute", key, "5 分钟", "主持人老张")]
