"""The audit log (审计日志, docs/AUDIT.md): every change to points, banks, rosters and
moderation, with who, when and from where.

``record`` adds one line to the caller's session, so the line is committed with the change
it describes or rolled back with it: a change is never stored without its line, nor a line
without its change. Batches (a finished game's crediting, base points, an import) are one
line with their counts, not one per member. A line never holds a password, a login code or
a token. Nothing in the app updates or deletes a line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import getpass
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Game, Member, PointEntry, TaskDraw, TaskReview, User, utcnow
from app.points.periods import TZ, local_midnight, utc
from question_bank.normalize import neutralise

# The category of each action's prefix: the viewer filters by category.
CATEGORIES = {
    "points": "积分",
    "bank": "题库与内容",
    "roster": "花名册",
    "moderation": "审核",
    "account": "登录码",
}
_CATEGORY_OF = {
    "points": "points",
    "bank": "bank",
    "scenario": "bank",
    "deck": "bank",
    "roster": "roster",
    "wall": "moderation",
    "task": "moderation",
    "login_code": "account",
}
ROLE_NAMES = {
    "organizer": "组织者",
    "secretary": "支部书记",
    "host": "主持人",
    "cli": "命令行",
    "system": "系统",
    "wall_moderator": "弹幕审核",
}
MAX_SUMMARY = 400
MAX_DIFF_LINES = 40


@dataclass(frozen=True)
class Actor:
    """Who made a change: ``name`` goes to the log's actor column, ``role`` says what kind
    of name it is (an account's role, ``cli``, ``system`` or ``wall_moderator``)."""

    name: str
    role: str
    address: str = ""


SYSTEM = Actor("system", "system")


def _address() -> str:
    # The client's address as the app knows it: behind a proxy, the factory's ProxyFix reads
    # X-Forwarded-For only as far as the proxies it is told to trust (a client can forge it).
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def user_actor(user: User) -> Actor:
    """A logged-in account, with the address of the request it came in."""
    return Actor(user.username, user.role, _address())


def wall_actor(name: str) -> Actor:
    """A wall's moderator or host: not an account, known by the name typed on joining."""
    return Actor(name[:80], "wall_moderator", _address())


def cli_actor() -> Actor:
    """The ``arena`` command: the operating-system user who ran it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = "unknown"
    return Actor(f"cli:{user}"[:80], "cli")


def category_of(action: str) -> str:
    return _CATEGORY_OF[action.split(".", 1)[0]]


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    summary: str,
    target_type: str = "",
    target_id: object = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one line to ``session`` (committed with the change, or rolled back with it)."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.name,
        actor_role=actor.role,
        category=category_of(action),
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:80],
        summary=" ".join(summary.split())[:MAX_SUMMARY],
        detail=detail or {},
        address=actor.address,
    )
    session.add(entry)
    return entry


def record_credit(
    session: Session,
    actor: Actor,
    action: str,
    entries: Sequence[PointEntry],
    *,
    what: str,
    target_type: str,
    target_id: object,
) -> AuditEntry | None:
    """One line for a batch of ledger entries (a game, a run, base points): how many
    entries for how many members, and the total. Nothing credited, nothing recorded."""
    if not entries:
        return None
    members = len({e.member_id for e in entries})
    total = sum(e.points for e in entries)
    return record(
        session,
        actor,
        action,
        summary=f"{what}记分：{members} 人 {len(entries)} 条，共 {total} 分",
        target_type=target_type,
        target_id=target_id,
        detail={"entries": len(entries), "members": members, "total": total},
    )


def record_game_credit(
    session: Session, actor: Actor, game: Game, entries: Sequence[PointEntry]
) -> AuditEntry | None:
    """A finished game's crediting: at its end (the system), from its results page or by the CLI."""
    return record_credit(
        session,
        actor,
        "points.credit_game",
        entries,
        what=f"比赛“{game.title or '知识竞赛'}”",
        target_type="game",
        target_id=game.id,
    )


def record_manual(session: Session, actor: Actor, entry: PointEntry, member: Member) -> AuditEntry:
    """An organizer's award, deduction or correction: one line per ledger entry."""
    who = f"{member.name}（{member.member_no}）"
    if entry.corrects_id is not None:
        action, text = "points.correct", f"更正{who}的第 {entry.corrects_id} 条积分，记 {entry.points:+d} 分"
    elif entry.points > 0:
        action, text = "points.award", f"给{who}加 {entry.points} 分"
    else:
        action, text = "points.deduct", f"给{who}扣 {-entry.points} 分"
    return record(
        session,
        actor,
        action,
        summary=f"{text}（{entry.category}）：{entry.reason}",
        target_type="member",
        target_id=member.id,
        detail={
            "entry": entry.id,
            "points": entry.points,
            "category": entry.category,
            "corrects": entry.corrects_id,
        },
    )


def record_rules(session: Session, actor: Actor, before: str, after: str) -> AuditEntry:
    """A saved change of the points rules file, with its changed lines before and after."""
    changes = text_changes(before, after)
    removed = sum(1 for line in changes if line.startswith("-"))
    added = len(changes) - removed
    return record(
        session,
        actor,
        "points.rules",
        summary=f"修改积分规则：删去 {removed} 行，写入 {added} 行",
        target_type="rules",
        target_id="points_rules.yaml",
        detail={"removed": removed, "added": added, "changes": changes[:MAX_DIFF_LINES]},
    )


def record_review(session: Session, actor: Actor, row: TaskDraw, added: Sequence[PointEntry]) -> AuditEntry:
    """A review decision on a submitted task, with what its approval credited."""
    decision = session.scalar(
        select(TaskReview).where(TaskReview.draw_id == row.id).order_by(TaskReview.id.desc())
    )
    assert decision is not None  # review() has just added it
    holder = f"{row.member.name}（{row.member.member_no}）" if row.member else f"{row.branch.name}支部"
    task = f"{holder}的盲盒任务“{(row.card or {}).get('title', '')}”（第 {row.id} 号）"
    detail: dict[str, Any] = {"card": row.card_id, "decision": decision.decision}
    if decision.decision == "approved":
        total = sum(e.points for e in added)
        text = f"通过{task}，每人 {decision.points} 分，记 {len(added)} 条共 {total} 分"
        detail |= {"points": decision.points, "entries": len(added), "total": total}
    else:
        text = f"退回{task}：{decision.comment}"
        detail |= {"comment": decision.comment}
    action = "task.approve" if decision.decision == "approved" else "task.reject"
    return record(session, actor, action, summary=text, target_type="task", target_id=row.id, detail=detail)


def record_login_codes(session: Session, actor: Actor, members: Sequence[Member]) -> AuditEntry | None:
    """Login codes issued (to one member, or a branch at once); never the codes."""
    if not members:
        return None
    numbers = [m.member_no for m in members]
    if len(members) == 1:
        who, target_type, target_id = f"{members[0].name}（{numbers[0]}）", "member", members[0].id
    else:
        who, target_type, target_id = (
            f"{members[0].branch.name}支部 {len(members)} 名成员",
            "branch",
            members[0].branch_id,
        )
    return record(
        session,
        actor,
        "login_code.issue",
        summary=f"为{who}发放盲盒登录码",
        target_type=target_type,
        target_id=target_id,
        detail={"count": len(members), "member_nos": numbers[:100]},
    )


WALL_ACTIONS = {
    "approve": "审核通过弹幕",
    "reject": "拒绝弹幕",
    "remove": "撤下弹幕",
    "mute": "禁言",
    "unmute": "解除禁言",
    "mode": "审核方式改为",
    "paused": "暂停发送",
    "overlay": "弹幕层显示",
    "qa_pin": "置顶提问",
    "qa_answered": "标记提问已回答",
    "qa_hidden": "隐藏提问",
}


def record_wall(
    session: Session, actor: Actor, pin: str, wall_key: str, action: str, target: str, detail: str
) -> AuditEntry:
    """A wall moderator's decision (the same one the wall's own moderation log holds)."""
    what = WALL_ACTIONS.get(action, action)
    text = f"弹幕墙 {pin}：{what}" + (f" #{target}" if target else "") + (f"：{detail}" if detail else "")
    return record(
        session,
        actor,
        f"wall.{action}",
        summary=text,
        target_type="wall",
        target_id=wall_key,
        detail={"pin": pin, "target": target, "text": detail[:200]},
    )


def record_words(session: Session, actor: Actor, added: Sequence[str], removed: Sequence[str]) -> AuditEntry:
    """A change of the danmaku filter's word list (organizers see the list anyway)."""
    if added:
        action, text, words = "wall.words_add", f"敏感词表加入 {len(added)} 个词", added
    else:
        action, text, words = "wall.words_remove", f"敏感词表删除 {len(removed)} 个词", removed
    return record(
        session,
        actor,
        action,
        summary=f"{text}：{'、'.join(words[:10])}{' 等' if len(words) > 10 else ''}",
        target_type="filter_words",
        detail={"count": len(words), "words": list(words[:50])},
    )


def text_changes(before: str, after: str) -> list[str]:
    """The changed lines of a text file as ``-old`` / ``+new``, in file order."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""))
    return [line[:200] for line in diff[2:] if not line.startswith("@@")]  # [2:]: the file headers


# -- reading -------------------------------------------------------------------------------------


class FilterError(ValueError):
    code = "bad_filter"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Filters:
    """The viewer's filters: a category, an exact actor, Beijing dates (both ends included)."""

    category: str = ""
    actor: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def parse(cls, args: Any) -> Filters:
        category = str(args.get("category", "")).strip()
        if category and category not in CATEGORIES:
            raise FilterError("没有这个类别。")
        dates = []
        for name in ("from", "to"):
            text = str(args.get(name, "")).strip()
            try:
                dates.append(dt.date.fromisoformat(text) if text else None)
            except ValueError:
                raise FilterError(f"日期“{text[:20]}”应写成 2026-11-28 的形式。") from None
        start, end = dates
        if start and end and start > end:
            raise FilterError("开始日期不能晚于结束日期。")
        return cls(category, str(args.get("actor", "")).strip()[:80], start, end)

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for paging and export links)."""
        values = {
            "category": self.category,
            "actor": self.actor,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }
        return {key: value for key, value in values.items() if value}

    def query(self) -> Select[tuple[AuditEntry]]:
        query = select(AuditEntry)
        if self.category:
            query = query.where(AuditEntry.category == self.category)
        if self.actor:
            query = query.where(AuditEntry.actor == self.actor)
        if self.start:
            query = query.where(AuditEntry.at >= utc(local_midnight(self.start)))
        if self.end:
            query = query.where(AuditEntry.at < utc(local_midnight(self.end + dt.timedelta(days=1))))
        return query


def page_of(session: Session, filters: Filters, page: int, per_page: int) -> tuple[list[AuditEntry], int]:
    """One page of the filtered log, newest first, and the number of lines it has."""
    query = filters.query()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def actors(session: Session) -> list[str]:
    """The names that appear in the log, for the actor filter's suggestions."""
    return list(session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor).limit(500)))


def to_xlsx(entries: Iterable[AuditEntry]) -> bytes:
    """The filtered log for Excel, in Beijing time; text neutralised against formulas."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    sheet.append(["编号", "时间（北京时间）", "操作人", "身份", "类别", "操作", "对象", "说明", "来源地址"])
    for entry in entries:
        sheet.append(
            [
                entry.id,
                entry.at.replace(tzinfo=dt.UTC).astimezone(TZ).replace(tzinfo=None),
                neutralise(entry.actor),
                ROLE_NAMES.get(entry.actor_role, entry.actor_role),
                CATEGORIES.get(entry.category, entry.category),
                entry.action,
                f"{entry.target_type}:{entry.target_id}" if entry.target_type else "",
                neutralise(entry.summary),
                entry.address,
            ]
        )
    body = BytesIO()
    book.save(body)
    return body.getvalue()
