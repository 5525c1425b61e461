"""Importing into the database: one transaction per file, duplicates never stored twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.banks import bank_questions, find_bank, import_file, search_questions
from app.extensions import Database
from app.models import Question, QuestionBank
from question_bank import to_yaml
from question_bank.schema import Question as BankQuestion

LIMIT = 10 * 1024 * 1024


def judge(n: int) -> BankQuestion:
    return BankQuestion(type="judge", stem=f"第{n}题：预备党员的预备期为一年。", answer=True, tags=["党章"])


def bank_file(*numbers: int) -> bytes:
    return to_yaml([judge(n) for n in numbers], name="x")


@pytest.fixture
def db(each_database_url: str) -> Database:
    database = Database(each_database_url)
    yield database
    database.engine.dispose()


def count(db: Database, bank: str) -> int:
    with db.sessions() as session:
        found = find_bank(session, bank)
        return 0 if found is None else len(bank_questions(session, found))


def test_import_stores_every_accepted_question_in_order(db: Database) -> None:
    outcome = import_file(db, bank_file(1, 2, 3), "a.yaml", "党章题库", max_bytes=LIMIT)
    assert outcome.ok and outcome.stored == 3
    with db.sessions() as session:
        bank = find_bank(session, "党章题库")
        assert [q.stem for q in bank_questions(session, bank)] == [judge(n).stem for n in (1, 2, 3)]
        positions = session.scalars(
            select(Question.position).where(Question.bank_id == bank.id).order_by(Question.position)
        )
        assert list(positions) == [1, 2, 3]


def test_second_import_appends_and_reports_duplicates_against_the_bank(db: Database) -> None:
    import_file(db, bank_file(1, 2), "a.yaml", "题库", max_bytes=LIMIT)
    outcome = import_file(db, bank_file(2, 3), "b.yaml", "题库", max_bytes=LIMIT)
    assert outcome.stored == 1
    assert [(p.row, p.code) for p in outcome.report.rejected] == [(4, "duplicate_in_bank")]
    assert "题库“题库”中已有相同的题目" in outcome.report.rejected[0].message
    with db.sessions() as session:
        bank = find_bank(session, "题库")
        rows = session.scalars(
            select(Question).where(Question.bank_id == bank.id).order_by(Question.position)
        )
        assert [(q.position, q.stem) for q in rows] == [
            (1, judge(1).stem),
            (2, judge(2).stem),
            (3, judge(3).stem),
        ]


def test_a_database_failure_mid_import_leaves_the_bank_unchanged(db: Database) -> None:
    import_file(db, bank_file(1), "a.yaml", "题库", max_bytes=LIMIT)
    inserted: list[Any] = []

    def fail_on_third(_mapper: Any, _connection: Any, target: Question) -> None:
        inserted.append(target.stem)
        if len(inserted) == 3:
            raise RuntimeError("disk full")

    # The listener raises inside the flush, as a real constraint or connection error would.
    from sqlalchemy.exc import OperationalError

    def fail(mapper: Any, connection: Any, target: Question) -> None:
        try:
            fail_on_third(mapper, connection, target)
        except RuntimeError as error:
            raise OperationalError("INSERT", {}, error) from error

    event.listen(Question, "before_insert", fail)
    try:
        outcome = import_file(db, bank_file(2, 3, 4, 5), "b.yaml", "题库", max_bytes=LIMIT)
    finally:
        event.remove(Question, "before_insert", fail)
    assert len(inserted) == 3
    assert outcome.error_code == "import_failed" and outcome.stored == 0
    assert "没有导入任何题目" in outcome.error_message
    assert len(outcome.report.accepted) == 4  # what the file held, reported though not stored
    assert count(db, "题库") == 1


def test_a_failed_import_into_a_new_bank_does_not_create_the_bank(db: Database) -> None:
    def fail(*_args: Any) -> None:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("INSERT", {}, RuntimeError("connection lost"))

    event.listen(Question, "before_insert", fail)
    try:
        outcome = import_file(db, bank_file(1, 2), "a.yaml", "新题库", max_bytes=LIMIT)
    finally:
        event.remove(Question, "before_insert", fail)
    assert outcome.error_code == "import_failed"
    with db.sessions() as session:
        assert session.scalar(select(func.count(QuestionBank.id))) == 0


def test_file_level_error_stores_nothing_and_creates_no_bank(db: Database) -> None:
    outcome = import_file(db, b"not a workbook", "bank.xlsx", "题库", max_bytes=LIMIT)
    assert (outcome.error_code, outcome.report) == ("not_xlsx", None)
    with db.sessions() as session:
        assert session.scalar(select(func.count(QuestionBank.id))) == 0


def test_the_unique_fingerprint_constraint_stops_a_racing_duplicate(db: Database) -> None:
    """Two imports that both read the bank before either wrote: the second must fail whole."""
    import_file(db, bank_file(1), "a.yaml", "题库", max_bytes=LIMIT)
    with db.transaction() as session:
        bank = find_bank(session, "题库")
        duplicate = Question.from_bank_question(judge(1), position=9)
        duplicate.bank_id = bank.id
        session.add(duplicate)
        with pytest.raises(Exception) as raised:
            session.flush()
        assert "uq_question_bank_fingerprint" in str(raised.value) or "UNIQUE" in str(raised.value).upper()
        session.rollback()
    assert count(db, "题库") == 1


def test_an_empty_bank_name_is_refused(db: Database) -> None:
    outcome = import_file(db, bank_file(1), "a.yaml", "  ", max_bytes=LIMIT)
    assert outcome.error_code == "bank_name_required"


def test_search_by_text_and_tag(db: Database) -> None:
    questions = [
        BankQuestion(type="judge", stem="党的最高理想是实现共产主义。", answer=True, tags=["党章", "总纲"]),
        BankQuestion(type="judge", stem="遵义会议召开于1935年。", answer=True, tags=["党史"]),
        BankQuestion(type="judge", stem="100%_的党员都要参加组织生活。", answer=True, tags=["党建"]),
    ]
    import_file(db, to_yaml(questions, name="x"), "x.yaml", "综合", max_bytes=LIMIT)
    with db.sessions() as session:
        bank_id = find_bank(session, "综合").id
        found, total = search_questions(session, bank_id, text="共产主义")
        assert (total, [q.stem for q in found]) == (1, [questions[0].stem])
        found, total = search_questions(session, bank_id, tag="党史")
        assert (total, [q.stem for q in found]) == (1, [questions[1].stem])
        found, total = search_questions(session, bank_id, tag="党")  # whole tags only
        assert total == 0
        found, total = search_questions(session, bank_id, text="%_")  # LIKE wildcards are literal
        assert (total, [q.stem for q in found]) == (1, [questions[2].stem])
        found, total = search_questions(session, bank_id, page=2, per_page=2)
        assert (total, [q.stem for q in found]) == (3, [questions[2].stem])


def test_stored_questions_convert_back_unchanged(db: Database, tmp_path: Path) -> None:
    from question_bank.writers import TEMPLATE_EXAMPLES

    import_file(db, to_yaml(TEMPLATE_EXAMPLES, name="x"), "x.yaml", "模板", max_bytes=LIMIT)
    with db.sessions() as session:
        assert bank_questions(session, find_bank(session, "模板")) == TEMPLATE_EXAMPLES
