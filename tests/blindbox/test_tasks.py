"""Draws, limits, submission, review and crediting in SQL (app/blindbox/tasks.py), with the
clock passed in: a week of draws runs in a moment. Times are UTC; the limits count Beijing
days and weeks (Monday first), so 2026-11-30 02:00 UTC is Monday 10:00 in Beijing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.blindbox import tasks
from app.blindbox.tasks import TaskError
from app.extensions import database
from app.models import Member, PointEntry, TaskDeck, TaskDraw, User
from app.points.rules import load_rules
from tests.blindbox.conftest import DECK, People, load

MONDAY = dt.datetime(2026, 11, 30, 2, 0)  # 10:00 in Beijing
RULES = load_rules(None)


@contextmanager
def tx(app: Any) -> Iterator[Session]:
    with database(app).transaction() as session:
        yield session


def _draw(
    app: Any, deck_id: int, member_id: int, now: dt.datetime, **extra: Any
) -> tuple[int, bool, str | None]:
    with tx(app) as session:
        deck = session.get(TaskDeck, deck_id)
        person = session.get(Member, member_id)
        assert deck is not None and person is not None
        row, new = tasks.draw(session, deck, member=person, now=now, **extra)
        return row.id, new, row.card_id


def _refused(app: Any, deck_id: int, member_id: int, now: dt.datetime) -> str:
    with pytest.raises(TaskError) as refused:
        _draw(app, deck_id, member_id, now)
    return refused.value.code


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def _submit(
    app: Any, draw_id: int, member_id: int, now: dt.datetime, text: str = "完成了", **extra: Any
) -> None:
    with tx(app) as session:
        row = session.get(TaskDraw, draw_id)
        person = session.get(Member, member_id)
        assert row is not None and person is not None
        tasks.submit(
            session,
            row,
            person,
            text=text,
            image=extra.get("image", ""),
            participants=extra.get("participants", []),
            now=now,
        )


def _review(
    app: Any,
    draw_id: int,
    username: str,
    approve: bool,
    points: int | None = None,
    comment: str = "",
    now: dt.datetime = MONDAY,
) -> list[tuple[int, int]]:
    with tx(app) as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None
        added = tasks.review(
            session,
            row,
            _user(session, username),
            approve=approve,
            points=points,
            comment=comment,
            rules=RULES,
            now=now,
        )
        return [(entry.member_id, entry.points) for entry in added]


def _ledger(app: Any) -> list[tuple[int, int, str]]:
    with tx(app) as session:
        rows = session.scalars(
            select(PointEntry).where(PointEntry.source_type == "task").order_by(PointEntry.id)
        )
        return [(entry.member_id, entry.points, entry.source_id) for entry in rows]


ONE_CARD = """
key: one
title: 一张卡
rules: {offer: 1, per_day: 0, per_week: 0, due_days: 3}
cards:
  - {id: only, title: 读一篇文章, points: 6, points_min: 4, points_max: 9, proof: text}
"""


def _one_task(app: Any, member_id: int, text: str = ONE_CARD) -> int:
    draw_id, _new, card = _draw(app, load(app, text), member_id, MONDAY)
    assert card == "only"
    return draw_id


# -- limits ------------------------------------------------------------------------------------


def test_day_and_week_limits_count_beijing_days_and_weeks(app: Any, people: People, deck_id: int) -> None:
    # The deck allows 2 a day and 5 a week.
    assert _draw(app, deck_id, people.zhang, MONDAY)[1] is True
    assert _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(hours=1))[1] is True
    assert _refused(app, deck_id, people.zhang, MONDAY + dt.timedelta(hours=2)) == "limit_day"
    # 23:59 Monday in Beijing is still Monday; 00:01 Tuesday is a new day.
    assert _refused(app, deck_id, people.zhang, dt.datetime(2026, 11, 30, 15, 59)) == "limit_day"
    _draw(app, deck_id, people.zhang, dt.datetime(2026, 11, 30, 16, 1))
    _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(days=1, hours=3))
    _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(days=2))
    assert _refused(app, deck_id, people.zhang, MONDAY + dt.timedelta(days=3)) == "limit_week"
    # Another member's allowance is their own; next Monday the week starts again.
    assert _draw(app, deck_id, people.li, MONDAY + dt.timedelta(days=3))[1] is True
    assert _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(days=7))[1] is True
    with tx(app) as session:
        deck = session.get(TaskDeck, deck_id)
        person = session.get(Member, people.zhang)
        assert deck is not None and person is not None
        left = tasks.allowance(session, tasks.deck_of(deck), deck_id, person, MONDAY + dt.timedelta(days=7))
        assert (left.today, left.week) == (1, 4)


def test_live_draws_do_not_use_a_members_allowance(app: Any, people: People, deck_id: int) -> None:
    for hour in range(3):
        _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(hours=hour), drawn_by="主持人")
    assert _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(hours=4))[1] is True


def test_an_open_offer_is_returned_again_and_counts_once(app: Any, people: People) -> None:
    deck_id = load(app, DECK.replace("offer: 1", "offer: 3").replace("per_day: 2", "per_day: 1"))
    first, new, card = _draw(app, deck_id, people.zhang, MONDAY)
    assert (new, card) == (True, None)
    assert _draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(minutes=5)) == (first, False, None)
    with tx(app) as session:
        row = session.get(TaskDraw, first)
        assert row is not None and row.status == "offered" and len(set(row.offered)) == 3
        offered = list(row.offered)
        with pytest.raises(TaskError) as wrong:
            tasks.choose(session, row, "nope", MONDAY)
        assert wrong.value.code == "bad_card"
    with tx(app) as session:
        row = session.get(TaskDraw, first)
        assert row is not None
        tasks.choose(session, row, offered[1], MONDAY)
        tasks.choose(session, row, offered[1], MONDAY)  # a double tap: the same choice, done once
        assert (row.status, row.card_id, row.due_at) == (
            "assigned",
            offered[1],
            MONDAY + dt.timedelta(days=7),
        )
        with pytest.raises(TaskError) as other:
            tasks.choose(session, row, offered[0], MONDAY)
        assert other.value.code == "already_chosen"
    # The offer was today's one draw.
    assert _refused(app, deck_id, people.zhang, MONDAY + dt.timedelta(hours=1)) == "limit_day"


def test_closed_decks_and_other_branches_are_refused(app: Any, people: People, deck_id: int) -> None:
    only_first = load(
        app,
        DECK.replace("key: test-box", "key: first-only").replace(
            "due_days: 7", "due_days: 7, branches: [第一党支部]"
        ),
    )
    assert _refused(app, only_first, people.wang, MONDAY) == "branch_not_allowed"
    assert _draw(app, only_first, people.zhang, MONDAY)[1] is True
    with tx(app) as session:
        deck = session.get(TaskDeck, deck_id)
        assert deck is not None
        deck.active = False
    assert _refused(app, deck_id, people.zhang, MONDAY) == "deck_closed"


def test_a_card_with_a_limit_is_held_at_most_that_often(app: Any, people: People, deck_id: int) -> None:
    """Twelve draws run through the four-card bag three times; the hidden card (limit 1)
    comes once, then the bag holds the other three."""
    held = []
    for day in range(12):
        held.append(_draw(app, deck_id, people.zhang, MONDAY + dt.timedelta(days=day), drawn_by="主持人")[2])
    assert held.count("rare") == 1
    assert sorted(held[:4]) == ["easy", "photo", "rare", "read"]
    with tx(app) as session:
        cycles = list(
            session.scalars(
                select(TaskDraw.cycle).where(TaskDraw.member_id == people.zhang).order_by(TaskDraw.id)
            )
        )
    assert cycles == [0] * 4 + [1] * 3 + [2] * 3 + [3] * 2
    assert sorted(held[4:7]) == sorted(held[7:10]) == ["easy", "photo", "read"]


def test_reloading_a_deck_keeps_drawn_tasks_as_drawn(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang)
    load(app, ONE_CARD.replace("读一篇文章", "读两篇文章").replace("points: 6", "points: 7"))
    with tx(app) as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None and (row.card["title"], row.card["points"]) == ("读一篇文章", 6)


# -- submitting --------------------------------------------------------------------------------


def test_submission_checks_proof_length_and_due_date(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang)

    def refused(**kwargs: Any) -> str:
        with pytest.raises(TaskError) as problem:
            _submit(app, draw_id, kwargs.pop("who", people.zhang), kwargs.pop("now", MONDAY), **kwargs)
        return problem.value.code

    assert refused(text="   ") == "proof_required"
    assert refused(text="字" * 501) == "text_too_long"
    assert refused(who=people.li) == "not_found"  # someone else's task
    _submit(app, draw_id, people.zhang, MONDAY, text="字" * 500)
    assert refused() == "not_open"  # waiting for review
    late = _one_task(app, people.li)
    with pytest.raises(TaskError) as expired:
        _submit(app, late, people.li, MONDAY + dt.timedelta(days=3, seconds=1))
    assert expired.value.code == "task_expired"
    with tx(app) as session:
        # The refusal rolled back its own change; expire_overdue marks the task for the pages.
        assert session.get(TaskDraw, late).status == "assigned"  # type: ignore[union-attr]
        assert tasks.expire_overdue(session, MONDAY + dt.timedelta(days=3, seconds=1)) == 1
        session.expire_all()
        assert session.get(TaskDraw, late).status == "expired"  # type: ignore[union-attr]
        assert session.get(TaskDraw, draw_id).status == "submitted"  # type: ignore[union-attr]


def test_a_photo_card_needs_a_photo(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang, ONE_CARD.replace("proof: text", "proof: photo"))
    with pytest.raises(TaskError) as problem:
        _submit(app, draw_id, people.zhang, MONDAY, text="照片忘了")
    assert problem.value.code == "proof_required"
    _submit(app, draw_id, people.zhang, MONDAY, text="", image="0" * 32 + ".jpg")


# -- reviewing ---------------------------------------------------------------------------------


def test_approve_within_the_range_credits_once(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang)
    _submit(app, draw_id, people.zhang, MONDAY)
    for points in (3, 10, -1):
        with pytest.raises(TaskError) as out:
            _review(app, draw_id, "sec1", True, points)
        assert out.value.code == "points_out_of_range"
    assert _review(app, draw_id, "sec1", True, 9) == [(people.zhang, 9)]
    with pytest.raises(TaskError) as again:
        _review(app, draw_id, "sec1", True, 9)
    assert again.value.code == "already_reviewed"
    assert _ledger(app) == [(people.zhang, 9, str(draw_id))]


def test_the_standard_points_without_an_adjustment(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang)
    _submit(app, draw_id, people.zhang, MONDAY)
    assert _review(app, draw_id, "sec1", True) == [(people.zhang, 6)]


def test_a_card_without_points_earns_the_rules_task_default(app: Any, people: People) -> None:
    text = ONE_CARD.replace("points: 6, points_min: 4, points_max: 9, ", "")
    draw_id = _one_task(app, people.zhang, text)
    _submit(app, draw_id, people.zhang, MONDAY)
    default = RULES.activities.task.completed
    assert _review(app, draw_id, "sec1", True) == [(people.zhang, default)]


def test_a_secretary_reviews_only_the_own_branch(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang)
    _submit(app, draw_id, people.zhang, MONDAY)
    with pytest.raises(TaskError) as other:
        _review(app, draw_id, "sec2", True)
    assert other.value.code == "not_found"
    assert _ledger(app) == []


def test_reject_needs_a_comment_and_lets_the_member_resubmit(app: Any, people: People) -> None:
    draw_id = _one_task(app, people.zhang)
    _submit(app, draw_id, people.zhang, MONDAY, text="第一次")
    with pytest.raises(TaskError) as bare:
        _review(app, draw_id, "sec1", False)
    assert bare.value.code == "comment_required"
    assert _review(app, draw_id, "sec1", False, comment="请写具体一些") == []
    _submit(app, draw_id, people.zhang, MONDAY + dt.timedelta(hours=1), text="第二次，写具体了")
    assert _review(app, draw_id, "sec1", True, 5) == [(people.zhang, 5)]
    with tx(app) as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None
        assert [(r.decision, r.points, r.comment, r.proof_text) for r in row.reviews] == [
            ("rejected", None, "请写具体一些", "第一次"),
            ("approved", 5, "", "第二次，写具体了"),
        ]
    assert _ledger(app) == [(people.zhang, 5, str(draw_id))]


def test_a_branch_task_credits_every_listed_participant(app: Any, people: People) -> None:
    deck_id = load(app, ONE_CARD)
    with tx(app) as session:
        deck = session.get(TaskDeck, deck_id)
        first = session.get(Member, people.zhang).branch  # type: ignore[union-attr]
        assert deck is not None
        row, _new = tasks.draw(session, deck, branch=first, now=MONDAY, drawn_by="主持人")
        draw_id = row.id
        assert (row.member_id, row.branch_id, row.live, row.card_id) == (None, people.first, True, "only")
    with pytest.raises(TaskError) as outsider:
        _submit(app, draw_id, people.li, MONDAY, participants=[people.wang])
    assert outsider.value.code == "bad_participants"
    with pytest.raises(TaskError) as other_branch:
        _submit(app, draw_id, people.wang, MONDAY)
    assert other_branch.value.code == "not_found"
    _submit(app, draw_id, people.li, MONDAY, participants=[people.zhang])
    assert _review(app, draw_id, "sec1", True, 8) == [(people.zhang, 8), (people.li, 8)]
    assert sorted(_ledger(app)) == sorted([(people.zhang, 8, str(draw_id)), (people.li, 8, str(draw_id))])


def test_an_organizer_reviews_every_branch(app: Any, people: People) -> None:
    from app.accounts import set_user

    with tx(app) as session:
        set_user(session, "boss", "organizer-pass-1", display_name="组织委员")
    draw_id = _one_task(app, people.wang)
    _submit(app, draw_id, people.wang, MONDAY)
    assert _review(app, draw_id, "boss", True) == [(people.wang, 6)]


def test_an_offered_card_removed_by_a_reload_is_left_out_and_cannot_be_chosen(
    app: Any, people: People
) -> None:
    from app.web.boxes import draw_view

    three = DECK.replace("offer: 1", "offer: 3")
    deck_id = load(app, three)
    draw_id, _new, _card = _draw(app, deck_id, people.zhang, MONDAY)
    with tx(app) as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None
        gone, kept = row.offered[0], row.offered[1:]
    lines = [line for line in three.splitlines() if f"id: {gone}," not in line]
    lines = [
        line for line in lines if not (gone == "photo" and line.strip() == "proof: photo, rarity: 稀有}")
    ]
    load(app, "\n".join(lines))
    with app.test_request_context(), tx(app) as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None
        assert [card["id"] for card in draw_view(row)["offered"]] == kept
        with pytest.raises(TaskError) as removed:
            tasks.choose(session, row, gone, MONDAY)
        assert (removed.value.code, removed.value.status) == ("card_removed", 409)
