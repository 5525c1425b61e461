"""Draws, tasks, proof and review in SQL (docs/BLINDBOX.md).

Every function works inside the caller's transaction. What must not happen twice is
serialised on a row lock taken first: a draw locks the holder (the member, or the branch
for a branch's live draw), so two taps or two phones run one after the other and the
second finds the first's draw; a review moves a task out of ``submitted`` with one
conditional UPDATE, so a second click finds nothing to move and credits nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit import SYSTEM, Actor, record
from app.blindbox.deck import Card, Deck, deck_from_json, parse_deck
from app.blindbox.draw import DrawRefused, Held, draw_offer
from app.models import Branch, Member, PointEntry, TaskDeck, TaskDraw, TaskReview, User
from app.points.ledger import credit, lock_member
from app.points.periods import local_date, period_of
from app.points.rules import Award, Rules

MAX_PROOF_TEXT = 500
MAX_COMMENT = 200
OPEN = ("assigned", "rejected")  # a task its holder still has to complete
STATUS_NAMES = {
    "offered": "待选择",
    "assigned": "进行中",
    "submitted": "待审核",
    "approved": "已通过",
    "rejected": "已退回",
    "expired": "已过期",
}


class TaskError(ValueError):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def deck_of(row: TaskDeck) -> Deck:
    return deck_from_json(row.content)


def load_deck(
    session: Session, data: bytes, filename: str, *, loaded_by: str, now: dt.datetime, actor: Actor = SYSTEM
) -> tuple[TaskDeck, bool]:
    """Check a deck file and store it under its key (replacing the cards of a deck with the
    same key; drawn tasks keep their snapshot); ``actor`` goes to the audit log. Raises
    DeckError; returns (row, replaced)."""
    deck = parse_deck(data, filename)
    row = session.scalar(select(TaskDeck).where(TaskDeck.key == deck.key))
    replaced = row is not None
    if row is None:
        row = TaskDeck(key=deck.key)
        session.add(row)
    row.title = deck.title
    row.content = deck.model_dump(mode="json")
    row.loaded_at = now
    row.loaded_by = loaded_by
    session.flush()
    record(
        session,
        actor,
        "deck.load",
        summary=f"{'更新' if replaced else '载入'}盲盒《{row.title}》（{row.key}），{len(deck.cards)} 张卡片",
        target_type="deck",
        target_id=row.id,
        detail={"key": row.key, "file": filename[:100], "cards": len(deck.cards), "replaced": replaced},
    )
    return row, replaced


def card_snapshot(card: Card, deck: Deck) -> dict[str, Any]:
    """The card as the holder got it: a later load of the deck changes no drawn task.
    A card without points (None) earns the rules' ``activities.task.completed``."""
    return {
        "id": card.id,
        "title": card.title,
        "description": card.description,
        "category": card.category,
        "points": card.points,
        "low": card.low,
        "high": card.high,
        "rarity": card.rarity,
        "proof": card.proof,
        "due_days": card.due_days or deck.rules.due_days,
    }


def card_points(card: dict[str, Any], rules: Rules) -> tuple[int, int, int]:
    """(standard, lowest, highest) points of a drawn card under the current rules."""
    default = rules.activities.task.completed
    points = card.get("points")
    points = default if points is None else points
    low, high = card.get("low"), card.get("high")
    return points, points if low is None else low, points if high is None else high


def _lock_branch(session: Session, branch_id: int) -> None:
    session.execute(update(Branch).where(Branch.id == branch_id).values(id=Branch.id))


def _holder_draws(
    session: Session, deck_row: TaskDeck, member: Member | None, branch_id: int
) -> list[TaskDraw]:
    query = select(TaskDraw).where(TaskDraw.deck_id == deck_row.id).order_by(TaskDraw.id)
    if member is not None:
        query = query.where(TaskDraw.member_id == member.id)
    else:
        query = query.where(TaskDraw.member_id.is_(None), TaskDraw.branch_id == branch_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Allowance:
    """What a member may still draw from a deck today and this week (None: no limit)."""

    today: int | None
    week: int | None

    @property
    def exhausted(self) -> bool:
        return self.today == 0 or self.week == 0


def allowance(session: Session, deck: Deck, deck_id: int, member: Member, now: dt.datetime) -> Allowance:
    """A member's own draws count against the deck's limits; a host's live draws do not."""

    def used(scope: str) -> int:
        start, end = period_of(scope, now).utc_bounds()
        count = session.scalar(
            select(func.count(TaskDraw.id)).where(
                TaskDraw.deck_id == deck_id,
                TaskDraw.member_id == member.id,
                TaskDraw.live.is_(False),
                TaskDraw.drawn_at >= start,
                TaskDraw.drawn_at < end,
            )
        )
        return int(count or 0)

    rules = deck.rules
    return Allowance(
        max(0, rules.per_day - used("day")) if rules.per_day else None,
        max(0, rules.per_week - used("week")) if rules.per_week else None,
    )


def may_draw(deck_row: TaskDeck, deck: Deck, branch: Branch) -> None:
    if not deck_row.active:
        raise TaskError("deck_closed", "这个盲盒已暂停抽取。", 409)
    if deck.rules.branches and branch.name not in deck.rules.branches:
        raise TaskError("branch_not_allowed", "你所在的支部不在这个盲盒的抽取范围内。", 403)


def draw(
    session: Session,
    deck_row: TaskDeck,
    *,
    member: Member | None = None,
    branch: Branch | None = None,
    now: dt.datetime,
    drawn_by: str = "",
) -> tuple[TaskDraw, bool]:
    """Draw for a member (self-service, limits apply) or, when ``drawn_by`` names a host,
    a live draw for a member or a whole branch. Returns (draw, new): an offer still
    waiting for its choice is returned again instead of a new draw (a reload never
    re-rolls)."""
    live = bool(drawn_by)
    if member is None and branch is None:
        raise TaskError("bad_request", "请选择抽取的成员或支部。")
    holder_branch = member.branch if member is not None else branch
    assert holder_branch is not None
    if member is not None:
        lock_member(session, member.id)
    else:
        _lock_branch(session, holder_branch.id)
    deck = deck_of(deck_row)
    may_draw(deck_row, deck, holder_branch)
    draws = _holder_draws(session, deck_row, member, holder_branch.id)
    waiting = next((d for d in draws if d.status == "offered"), None)
    if waiting is not None and not live:
        return waiting, False
    if member is not None and not live:
        left = allowance(session, deck, deck_row.id, member, now)
        if left.today == 0:
            raise TaskError(
                "limit_day", f"今天的抽取次数已用完（每天 {deck.rules.per_day} 次），明天再来吧。", 429
            )
        if left.week == 0:
            raise TaskError("limit_week", f"本周的抽取次数已用完（每周 {deck.rules.per_week} 次）。", 429)
    history = [Held(d.card_id, d.cycle) for d in draws]
    try:
        # A live draw reveals one card on the big screen; a member may get three to choose from.
        offer = draw_offer(deck, history, local_date(now), 1 if live else deck.rules.offer)
    except DrawRefused as refused:
        raise TaskError(refused.code, refused.message, 409) from refused
    row = TaskDraw(
        deck_id=deck_row.id,
        member_id=member.id if member is not None else None,
        branch_id=holder_branch.id,
        offered=list(offer.card_ids),
        cycle=offer.cycle,
        drawn_at=now,
        drawn_by=drawn_by,
        live=live,
        proof_text="",
        proof_image="",
        participants=[],
    )
    session.add(row)
    if len(offer.card_ids) == 1:
        _assign(row, deck, offer.card_ids[0], now)
    session.flush()
    return row, True


def _assign(row: TaskDraw, deck: Deck, card_id: str, now: dt.datetime) -> None:
    try:
        card = deck.card(card_id)
    except KeyError:
        raise TaskError("card_removed", "这张卡片已从盲盒中撤下，请选择其他卡片。", 409) from None
    row.card_id = card.id
    row.card = card_snapshot(card, deck)
    row.status = "assigned"
    row.due_at = now + dt.timedelta(days=row.card["due_days"])


def choose(session: Session, row: TaskDraw, card_id: str, now: dt.datetime) -> TaskDraw:
    """Take one card of an open three-card offer; the others go back into the bag."""
    session.execute(update(TaskDraw).where(TaskDraw.id == row.id).values(id=TaskDraw.id))
    session.refresh(row)
    if row.status != "offered":
        if row.card_id == card_id:
            return row  # the same choice twice (double tap): already done
        raise TaskError("already_chosen", "这次抽取已经选过卡片了。", 409)
    if card_id not in row.offered:
        raise TaskError("bad_card", "只能从这次抽到的卡片中选择。")
    _assign(row, deck_of(row.deck), card_id, now)
    session.flush()
    return row


def expire_overdue(session: Session, now: dt.datetime) -> int:
    """Mark open tasks past their due date expired (done lazily, by the pages that list them)."""
    result = session.execute(
        update(TaskDraw)
        .where(TaskDraw.status.in_(OPEN), TaskDraw.due_at < now)
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def can_submit(row: TaskDraw, member: Member) -> bool:
    if row.member_id is not None:
        return row.member_id == member.id
    return row.branch_id == member.branch_id  # any member of the branch submits its task


def submit(
    session: Session,
    row: TaskDraw,
    member: Member,
    *,
    text: str,
    image: str,
    participants: Iterable[int],
    now: dt.datetime,
) -> TaskDraw:
    """Hand in proof for an open task (again after a rejection). ``image`` is the stored
    name of an already checked and re-encoded photo, or ''."""
    session.execute(update(TaskDraw).where(TaskDraw.id == row.id).values(id=TaskDraw.id))
    session.refresh(row)
    if not can_submit(row, member):
        raise TaskError("not_found", "任务不存在。", 404)
    if row.status in OPEN and row.due_at is not None and now > row.due_at:
        row.status = "expired"
    if row.status == "expired":
        raise TaskError("task_expired", "这张任务卡已过期，不能再提交。", 409)
    if row.status not in OPEN:
        raise TaskError("not_open", f"这张任务卡{STATUS_NAMES.get(row.status, '')}，不能提交。", 409)
    text = text.strip()
    if len(text) > MAX_PROOF_TEXT:
        raise TaskError("text_too_long", f"文字说明不能超过 {MAX_PROOF_TEXT} 个字。")
    proof = (row.card or {}).get("proof", "text")
    if proof == "text" and not text:
        raise TaskError("proof_required", "这张任务卡需要填写完成情况的文字说明。")
    if proof == "photo" and not image:
        raise TaskError("proof_required", "这张任务卡需要上传一张照片作为凭证。")
    credited = [member.id]
    if row.member_id is None:
        chosen = set(participants) | {member.id}
        branch_members = set(
            session.scalars(
                select(Member.id).where(Member.branch_id == row.branch_id, Member.active.is_(True))
            )
        )
        if not chosen <= branch_members:
            raise TaskError("bad_participants", "参与人只能是本支部的在册成员。")
        credited = sorted(chosen)
    row.proof_text = text
    row.proof_image = image
    row.participants = credited
    row.submitted_by = member.id
    row.submitted_at = now
    row.status = "submitted"
    session.flush()
    return row


def may_review(user: User, row: TaskDraw) -> bool:
    """An organizer reviews every branch; a branch secretary only the own branch."""
    return user.role == "organizer" or (user.role == "secretary" and user.branch_id == row.branch_id)


def review(
    session: Session,
    row: TaskDraw,
    reviewer: User,
    *,
    approve: bool,
    points: int | None,
    comment: str,
    rules: Rules,
    now: dt.datetime,
) -> list[PointEntry]:
    """Approve (crediting the card's points, adjusted within its range, once) or reject
    with a comment (the holder may submit again). Returns the ledger entries added."""
    if not may_review(reviewer, row):
        raise TaskError("not_found", "任务不存在。", 404)
    comment = comment.strip()
    card = row.card or {}
    if len(comment) > MAX_COMMENT:
        raise TaskError("comment_too_long", f"审核意见不能超过 {MAX_COMMENT} 个字。")
    if approve:
        standard, low, high = card_points(card, rules)
        points = standard if points is None else points
        if not low <= points <= high:
            raise TaskError("points_out_of_range", f"这张卡片的分值只能在 {low} 到 {high} 分之间。")
    elif not comment:
        raise TaskError("comment_required", "退回时请写明原因，方便成员修改后重新提交。")
    decision = "approved" if approve else "rejected"
    moved = session.execute(
        update(TaskDraw)
        .where(TaskDraw.id == row.id, TaskDraw.status == "submitted")
        .values(status=decision, points_awarded=points if approve else None)
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        raise TaskError("already_reviewed", "这条提交已经审核过了。", 409)
    session.refresh(row)
    name = reviewer.display_name or reviewer.username
    session.add(
        TaskReview(
            draw_id=row.id,
            decision=decision,
            points=points if approve else None,
            comment=comment,
            proof_text=row.proof_text,
            proof_image=row.proof_image,
            reviewer=name,
            reviewed_at=now,
        )
    )
    if not approve or not points:
        session.flush()
        return []
    task = rules.activities.task
    award = Award("task.completed", task.category, points, f"完成盲盒任务“{card.get('title', '')}”")
    added: list[PointEntry] = []
    for member_id in sorted(row.participants or ([row.member_id] if row.member_id else [])):
        person = session.get(Member, member_id)
        if person is not None:
            added += credit(
                session,
                rules,
                person,
                [award],
                source_type="task",
                source_id=str(row.id),
                occurred_at=now,
                created_by=name,
            )
    return added
