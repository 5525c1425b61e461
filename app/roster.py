"""The member roster in the database: load a roster file in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.audit import SYSTEM, Actor, record
from app.extensions import Database
from app.models import Branch, Member
from question_bank import BankFileError, Report
from question_bank.roster import RosterEntry, read_roster

log = logging.getLogger(__name__)


@dataclass
class RosterOutcome:
    report: Report[RosterEntry] | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    branches_added: int = 0
    error_code: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_code

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "branches_added": self.branches_added,
        }
        if self.report is not None:
            data["report"] = self.report.as_dict()
        if self.error_code:
            data["error"] = {"code": self.error_code, "message": self.error_message}
        return data


def load_roster(
    db: Database, data: bytes, filename: str, *, max_bytes: int, actor: Actor = SYSTEM
) -> RosterOutcome:
    """Add new members and update known ones (by 工号) from a roster file.

    Members missing from the file are left as they are: a roster upload of one branch must
    not deactivate the others. Branches are created by name as they first appear. A load
    that changed something writes the audit log's line for ``actor`` in its transaction.
    """
    try:
        report = read_roster(data, filename, max_bytes=max_bytes)
    except BankFileError as error:
        return RosterOutcome(None, error_code=error.code, error_message=error.message)
    outcome = RosterOutcome(report)
    try:
        with db.transaction() as session:
            branches = {branch.name: branch for branch in session.scalars(select(Branch))}
            numbers = [entry.member_no for entry in report.accepted]
            known = {
                member.member_no: member
                for member in session.scalars(select(Member).where(Member.member_no.in_(numbers)))
            }
            for entry in report.accepted:
                branch = branches.get(entry.branch)
                if branch is None:
                    branch = branches[entry.branch] = Branch(name=entry.branch)
                    session.add(branch)
                    outcome.branches_added += 1
                member = known.get(entry.member_no)
                if member is None:
                    session.add(
                        Member(
                            name=entry.name,
                            member_no=entry.member_no,
                            branch=branch,
                            phone=entry.phone or None,
                            member_type=entry.member_type or "正式党员",
                        )
                    )
                    outcome.added += 1
                elif (member.name, member.branch, member.phone or "", member.active, member.member_type) != (
                    entry.name,
                    branch,
                    entry.phone,
                    True,
                    entry.member_type or member.member_type,
                ):
                    member.name, member.branch, member.phone = entry.name, branch, entry.phone or None
                    member.member_type = entry.member_type or member.member_type
                    member.active = True
                    outcome.updated += 1
                else:
                    outcome.unchanged += 1
            if outcome.added or outcome.updated or outcome.branches_added:
                _record(session, actor, filename, outcome)
    except SQLAlchemyError:
        log.exception("roster load of %s failed", filename)
        return RosterOutcome(
            report,
            error_code="import_failed",
            error_message="写入数据库失败，本次没有导入任何成员，花名册保持原样。请稍后重试。",
        )
    return outcome


def _record(session: Session, actor: Actor, filename: str, outcome: RosterOutcome) -> None:
    rejected = len(outcome.report.rejected_rows()) if outcome.report else 0
    record(
        session,
        actor,
        "roster.import",
        summary=(
            f"导入花名册 {filename}：新增 {outcome.added} 人，更新 {outcome.updated} 人，"
            f"未变 {outcome.unchanged} 人，新增支部 {outcome.branches_added} 个，未导入 {rejected} 行"
        ),
        target_type="roster",
        target_id=filename[:80],
        detail={
            "file": filename[:100],
            "added": outcome.added,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "branches_added": outcome.branches_added,
            "skipped": rejected,
        },
    )


def branch_summary(session: Session) -> list[tuple[Branch, int]]:
    query = (
        select(Branch, func.count(Member.id))
        .outerjoin(Member, (Member.branch_id == Branch.id) & Member.active)
        .group_by(Branch.id)
        .order_by(Branch.name)
    )
    return [(branch, count) for branch, count in session.execute(query)]
