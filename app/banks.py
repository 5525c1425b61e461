"""Question banks in the database: import a file in one transaction, search, export."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.audit import SYSTEM, Actor, record
from app.extensions import Database
from app.models import Question, QuestionBank
from question_bank import BankFileError, Report, read_bank
from question_bank import Question as BankQuestion
from question_bank.normalize import clean_text

log = logging.getLogger(__name__)

BANK_NAME_LIMIT = 100


@dataclass
class ImportOutcome:
    """The reader's report plus what the database did with it."""

    report: Report[BankQuestion] | None
    bank_name: str
    stored: int = 0
    error_code: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_code

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"bank": self.bank_name, "stored": self.stored}
        if self.report is not None:
            data["report"] = self.report.as_dict()
        if self.error_code:
            data["error"] = {"code": self.error_code, "message": self.error_message}
        return data


def clean_bank_name(name: str) -> str:
    return clean_text(name or "").replace("\n", " ")[:BANK_NAME_LIMIT]


def import_file(
    db: Database,
    data: bytes,
    filename: str,
    bank_name: str,
    *,
    max_bytes: int,
    description: str = "",
    actor: Actor = SYSTEM,
) -> ImportOutcome:
    """Read ``data`` and store its accepted questions in bank ``bank_name`` (created if new).

    One transaction: either every accepted question is stored, or (on a database error)
    none is, and the outcome says so. Questions already in the bank are reported as
    duplicates and not stored again; the unique (bank, fingerprint) constraint keeps two
    imports running at once from storing the same question twice. The audit log's line
    for ``actor`` is written in the same transaction.
    """
    name = clean_bank_name(bank_name)
    if not name:
        return ImportOutcome(None, name, error_code="bank_name_required", error_message="请填写题库名称。")
    with db.sessions() as session:
        bank = find_bank(session, name)
        existing = set(bank_fingerprints(session, bank.id)) if bank else set()
    try:
        report = read_bank(data, filename, existing=existing, bank_name=name, max_bytes=max_bytes)
    except BankFileError as error:
        return ImportOutcome(None, name, error_code=error.code, error_message=error.message)
    outcome = ImportOutcome(report, name)
    if not report.accepted:
        return outcome
    try:
        with db.transaction() as session:
            bank = find_bank(session, name)
            if bank is None:
                bank = QuestionBank(name=name, description=description)
                session.add(bank)
                session.flush()
            start = session.scalar(
                select(func.coalesce(func.max(Question.position), 0)).where(Question.bank_id == bank.id)
            )
            for offset, question in enumerate(report.accepted, start=1):
                row = Question.from_bank_question(question, position=(start or 0) + offset)
                row.bank_id = bank.id
                session.add(row)
            added, rejected = len(report.accepted), len(report.rejected_rows())
            record(
                session,
                actor,
                "bank.import",
                summary=f"题库“{name}”导入文件 {filename}：新增 {added} 题，未导入 {rejected} 行",
                target_type="bank",
                target_id=bank.id,
                detail={"file": filename[:100], "added": added, "skipped": rejected},
            )
    except SQLAlchemyError:
        log.exception("import of %s into bank %s failed", filename, name)
        outcome.error_code = "import_failed"
        outcome.error_message = "写入数据库失败，本次没有导入任何题目，题库保持原样。请稍后重试。"
        return outcome
    outcome.stored = len(report.accepted)
    return outcome


def bank_fingerprints(session: Session, bank_id: int) -> list[str]:
    return list(session.scalars(select(Question.fingerprint).where(Question.bank_id == bank_id)))


def list_banks(session: Session) -> list[tuple[QuestionBank, int]]:
    counts = (
        select(QuestionBank, func.count(Question.id))
        .outerjoin(Question)
        .group_by(QuestionBank.id)
        .order_by(QuestionBank.name)
    )
    return [(bank, count) for bank, count in session.execute(counts)]


def find_bank(session: Session, name: str) -> QuestionBank | None:
    return session.scalar(select(QuestionBank).where(QuestionBank.name == clean_bank_name(name)))


def search_questions(
    session: Session, bank_id: int, *, text: str = "", tag: str = "", page: int = 1, per_page: int = 50
) -> tuple[list[Question], int]:
    """A page of a bank's questions whose stem, options or explanation contain ``text``."""
    query = select(Question).where(Question.bank_id == bank_id)
    text = text.strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        query = query.where(
            or_(
                Question.stem.like(pattern, escape="\\"),
                Question.explanation.like(pattern, escape="\\"),
                Question.source.like(pattern, escape="\\"),
            )
        )
    tag = tag.strip()
    if tag:
        query = query.where(Question.tag_index.like(f"%|{_escape_like(tag)}|%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Question.position).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def bank_tags(session: Session, bank_id: int) -> list[str]:
    tags: dict[str, None] = {}
    for row in session.scalars(select(Question.tags).where(Question.bank_id == bank_id)):
        for tag in row:
            tags.setdefault(tag, None)
    return sorted(tags)


def bank_questions(session: Session, bank: QuestionBank) -> list[BankQuestion]:
    rows = session.scalars(select(Question).where(Question.bank_id == bank.id).order_by(Question.position))
    return [row.to_bank_question() for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
