"""The points ledger (积分): crediting through the rules, caps, manual entries, reading.

Every write happens inside the caller's transaction and returns the entries it added, so
the caller can update the Redis boards once the transaction has committed. Crediting is
idempotent: each entry has a key (source, source id, member, rule) and a second credit of
the same thing finds it and adds nothing, even from another process (the member's row is
locked first, so two processes credit one member one after the other).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Game, GamePlayer, Member, PointEntry, utcnow
from app.points.periods import SCOPE_NAMES, Period, period_of
from app.points.rules import Award, QuizResult, Rules, quiz_awards
from app.points.store import BoardEntry

MAX_MANUAL_POINTS = 1000
MAX_REASON = 200


class LedgerError(ValueError):
    def __init__(self, code: str, message: str, field_name: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field_name


def entry_key(source_type: str, source_id: str, member_id: int, rule: str) -> str:
    return f"{source_type}:{source_id}:{member_id}:{rule}"


def board_entries(entries: Iterable[PointEntry], assessed: Iterable[str]) -> list[BoardEntry]:
    """What the boards need of each entry; branch boards count the assessed types only."""
    counted = set(assessed)
    return [
        BoardEntry(e.member_id, e.branch_id, e.points, e.source_type, e.occurred_at, e.member_type in counted)
        for e in entries
    ]


def _already(session: Session, key: str) -> bool:
    return session.scalar(select(PointEntry.id).where(PointEntry.idempotency_key == key)) is not None


def _append(
    session: Session, member: Member, *, source_type: str, source_id: str, rule: str, **fields: Any
) -> PointEntry:
    """Add one ledger line for ``member`` with its branch and type as they are now."""
    entry = PointEntry(
        idempotency_key=entry_key(source_type, source_id, member.id, rule),
        member_id=member.id,
        branch_id=member.branch_id,
        member_type=member.member_type,
        source_type=source_type,
        source_id=source_id,
        rule=rule,
        **fields,
    )
    session.add(entry)
    session.flush()
    return entry


def lock_member(session: Session, member_id: int) -> None:
    """Serialise everything that credits one member: a no-op UPDATE locks the row on
    PostgreSQL and takes SQLite's write lock, before anything is read."""
    session.execute(update(Member).where(Member.id == member_id).values(id=Member.id))


def _capped(session: Session, rules: Rules, member: Member, award: Award, at: dt.datetime) -> tuple[int, str]:
    """The points the caps leave for ``award``, and the note naming the caps that cut it."""
    rooms: dict[str, tuple[int, int]] = {}
    for scope, limit in rules.caps.get(award.category, {}).items():
        start, end = period_of(scope, at).utc_bounds()
        used = session.scalar(
            select(func.coalesce(func.sum(PointEntry.points), 0)).where(
                PointEntry.member_id == member.id,
                PointEntry.category == award.category,
                PointEntry.kind == "award",
                PointEntry.source_type.not_in(("manual", "correction")),  # organizers' entries
                PointEntry.occurred_at >= start,
                PointEntry.occurred_at < end,
            )
        )
        rooms[scope] = (max(0, limit - int(used or 0)), limit)
    points = min([award.points, *(room for room, _limit in rooms.values())])
    if points == award.points:
        return points, ""
    binding = [
        f"{award.category}每{SCOPE_NAMES[s]}上限 {limit} 分"
        for s, (room, limit) in rooms.items()
        if room == points
    ]
    return points, f"（应得 {award.points} 分，已达{'、'.join(binding)}，本次记 {points} 分）"


def credit(
    session: Session,
    rules: Rules,
    member: Member,
    awards: Iterable[Award],
    *,
    source_type: str,
    source_id: str,
    occurred_at: dt.datetime,
    created_by: str = "",
) -> list[PointEntry]:
    """Add one entry per award not credited before; caps cut awards and say so."""
    lock_member(session, member.id)
    added = []
    for award in awards:
        if _already(session, entry_key(source_type, source_id, member.id, award.rule)):
            continue
        points, note = _capped(session, rules, member, award, occurred_at)
        entry = _append(
            session,
            member,
            source_type=source_type,
            source_id=source_id,
            rule=award.rule,
            kind="award",
            category=award.category,
            points=points,
            reason=award.reason + note,
            occurred_at=occurred_at,
            created_by=created_by,
        )
        added.append(entry)
    return added


def credit_game(session: Session, rules: Rules, game: Game) -> list[PointEntry]:
    """Credit every player of a finished game who is matched to a roster member.

    Only what the member achieved counts (answered, correct, place); the speed-weighted
    game score is a show figure. Players without a member are left for the organizer to
    match on the results page; crediting again later adds only what is new.
    """
    winner = next((t["team"] for t in game.teams if t.get("rank") == 1), None)
    by_branch = game.settings.get("team_mode", "branches") == "branches"
    occurred_at = game.ended_at or utcnow()
    added: list[PointEntry] = []
    players = [p for p in game.players if p.member_id is not None and not p.kicked]
    for player in sorted(players, key=lambda p: p.member_id or 0):  # one lock order: no deadlock
        member = session.get(Member, player.member_id)
        if member is None:
            continue
        result = QuizResult(
            answered=player.answered_count,
            correct=player.correct_count,
            rank=player.rank,
            branch_won=by_branch and winner is not None and player.team == winner,
        )
        added += credit(
            session,
            rules,
            member,
            quiz_awards(rules, result, game.title or "知识竞赛"),
            source_type="quiz",
            source_id=str(game.id),
            occurred_at=occurred_at,
            created_by="系统",
        )
    return added


def unmatched_players(game: Game) -> list[GamePlayer]:
    return [p for p in game.players if p.member_id is None and not p.kicked]


def manual_entry(
    session: Session,
    member: Member,
    *,
    points: int,
    category: str,
    reason: str,
    created_by: str,
    request_id: str,
    rules: Rules,
    occurred_at: dt.datetime | None = None,
    corrects: PointEntry | None = None,
) -> PointEntry | None:
    """An organizer's award (加分), deduction (扣分) or correction (更正), never an edit.

    ``request_id`` comes from the form, so a double-submitted form adds one entry.
    Returns None when that request was already recorded.
    """
    reason = " ".join(str(reason).split())
    if not reason:
        raise LedgerError("reason_required", "请填写加减分的原因。", "reason")
    if len(reason) > MAX_REASON:
        raise LedgerError("reason_too_long", f"原因最多 {MAX_REASON} 个字。", "reason")
    if points == 0 or abs(points) > MAX_MANUAL_POINTS:
        raise LedgerError(
            "bad_points",
            f"分值应为 -{MAX_MANUAL_POINTS} 到 {MAX_MANUAL_POINTS} 之间、不为 0 的整数。",
            "points",
        )
    if category not in rules.categories:
        raise LedgerError("bad_category", f"类别只能是：{'、'.join(rules.categories)}。", "category")
    if not created_by:
        raise LedgerError("bad_request", "缺少操作人。")
    source_type = "correction" if corrects is not None else "manual"
    lock_member(session, member.id)
    if _already(session, entry_key(source_type, request_id, member.id, "manual")):
        return None
    return _append(
        session,
        member,
        source_type=source_type,
        source_id=request_id,
        rule="manual",
        kind="award" if points > 0 else "deduction",
        category=category,
        points=points,
        reason=(f"更正第 {corrects.id} 条：" if corrects is not None else "") + reason,
        occurred_at=occurred_at or utcnow(),
        created_by=created_by,
        corrects_id=corrects.id if corrects else None,
    )


def grant_base(session: Session, rules: Rules, period: Period, created_by: str) -> list[PointEntry]:
    """基础分: one entry per active member of the listed types, once per period."""
    base = rules.base
    if base.points <= 0:
        return []
    start, _end = period.utc_bounds()
    added = []
    members = session.scalars(
        select(Member)
        .where(Member.active.is_(True), Member.member_type.in_(base.member_types))
        .order_by(Member.id)
    )
    for member in members:
        lock_member(session, member.id)
        if _already(session, entry_key("base", period.key, member.id, "base")):
            continue
        entry = _append(
            session,
            member,
            source_type="base",
            source_id=period.key,
            rule="base",
            kind="base",
            category=base.category,
            points=base.points,
            reason=f"{period.key} 基础分",
            occurred_at=start,
            created_by=created_by,
        )
        added.append(entry)
    return added


@dataclass(frozen=True)
class LedgerLine:
    entry: PointEntry
    running_total: int


def member_ledger(session: Session, member_id: int, period: Period | None = None) -> list[LedgerLine]:
    """A member's entries in time order with the running total (of the period, if given)."""
    query = select(PointEntry).where(PointEntry.member_id == member_id)
    if period is not None:
        start, end = period.utc_bounds()
        query = query.where(PointEntry.occurred_at >= start, PointEntry.occurred_at < end)
    lines, total = [], 0
    for entry in session.scalars(query.order_by(PointEntry.occurred_at, PointEntry.id)):
        total += entry.points
        lines.append(LedgerLine(entry, total))
    return lines
