"""Question banks, rosters, scenarios and task decks in the audit log: one line per import
that stored something, with its counts; a refused file none; and never a change without its
line (a failed audit write fails the whole import)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app.extensions import database
from app.models import AuditEntry, Member, Question
from question_bank import to_yaml
from question_bank.schema import Question as BankQuestion
from tests.audit.conftest import CLI_ACTOR, brief, log
from tests.blindbox.conftest import DECK
from tests.conftest import csrf_token

MINI_SCENARIO = (Path(__file__).parents[1] / "scenario" / "data" / "mini.yaml").read_bytes()
ROSTER = (
    "姓名,工号,支部,手机\n张三,D001,第一党支部,13800000001\n李四,D002,第二党支部,\n王五,D003,第二党支部,12\n"
)


def bank_file(*numbers: int) -> bytes:
    questions = [
        BankQuestion(type="judge", stem=f"第{n}题：预备党员的预备期为一年。", answer=True) for n in numbers
    ]
    return to_yaml(questions, name="x")


def post_file(client: Any, url: str, page: str, data: bytes, name: str, **form: str) -> Any:
    return client.post(
        url,
        data={"file": (io.BytesIO(data), name), "csrf_token": csrf_token(client, page), **form},
        content_type="multipart/form-data",
    )


def upload_bank(client: Any, data: bytes, name: str, bank: str = "党章题库") -> Any:
    return post_file(client, "/admin/banks/upload", "/admin/banks", data, name, bank=bank)


def questions(app: Any) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count(Question.id))) or 0


def test_a_bank_upload_is_one_line_with_added_and_skipped_counts(app: Any, organizer: Any) -> None:
    assert upload_bank(organizer, bank_file(1, 2, 3), "a.yaml").status_code == 200
    assert upload_bank(organizer, bank_file(3, 4), "b.yaml").status_code == 200  # 3 is a duplicate
    with database(app).sessions() as session:
        bank_id = str(session.scalar(select(Question.bank_id)))
    assert brief(app) == [
        ("organizer", "organizer", "bank.import", "bank", bank_id),
        ("organizer", "organizer", "bank.import", "bank", bank_id),
    ]
    assert [line.detail for line in log(app)] == [
        {"file": "a.yaml", "added": 3, "skipped": 0},
        {"file": "b.yaml", "added": 1, "skipped": 1},
    ]
    assert log(app)[1].summary == "题库“党章题库”导入文件 b.yaml：新增 1 题，未导入 1 行"
    assert log(app)[1].category == "bank"


def test_a_bank_upload_that_stores_nothing_writes_no_line(app: Any, organizer: Any) -> None:
    assert upload_bank(organizer, b"%PDF-1.4 not a workbook", "bank.xlsx").status_code == 400
    assert upload_bank(organizer, b"stem: [", "bad.yaml").status_code == 400
    assert upload_bank(organizer, bank_file(1), "a.yaml", bank="  ").status_code == 400
    upload_bank(organizer, bank_file(1), "a.yaml")
    assert upload_bank(organizer, bank_file(1), "again.yaml").status_code == 200  # only a duplicate
    assert [line.detail["file"] for line in log(app)] == ["a.yaml"]


@pytest.fixture
def failing_audit() -> Iterator[None]:
    """The audit log's INSERT fails, as on a lost connection."""

    def fail(*_args: Any) -> None:
        raise OperationalError("INSERT", {}, RuntimeError("connection lost"))

    event.listen(AuditEntry, "before_insert", fail)
    yield
    event.remove(AuditEntry, "before_insert", fail)


@pytest.mark.usefixtures("failing_audit")
def test_no_import_is_stored_without_its_line(app: Any, organizer: Any) -> None:
    response = upload_bank(organizer, bank_file(1, 2), "a.yaml")
    assert response.status_code == 500 and "没有导入任何题目" in response.get_data(as_text=True)
    roster = post_file(organizer, "/admin/roster", "/admin/roster", ROSTER.encode(), "花名册.csv")
    assert roster.status_code == 500
    assert questions(app) == 0 and log(app) == []
    with database(app).sessions() as session:
        assert session.scalar(select(func.count(Member.id))) == 0


def test_a_roster_upload_is_one_line_with_its_counts(app: Any, organizer: Any) -> None:
    first = post_file(organizer, "/admin/roster", "/admin/roster", ROSTER.encode("gbk"), "花名册.csv")
    assert first.status_code == 200
    same = post_file(organizer, "/admin/roster", "/admin/roster", ROSTER.encode(), "again.csv")
    assert same.status_code == 200  # nothing changed: no line
    moved = ROSTER.replace("李四,D002,第二党支部", "李四,D002,第三党支部")
    assert post_file(organizer, "/admin/roster", "/admin/roster", moved.encode(), "b.csv").status_code == 200
    assert brief(app) == [
        ("organizer", "organizer", "roster.import", "roster", "花名册.csv"),
        ("organizer", "organizer", "roster.import", "roster", "b.csv"),
    ]
    assert [line.detail for line in log(app)] == [
        {"file": "花名册.csv", "added": 2, "updated": 0, "unchanged": 0, "branches_added": 2, "skipped": 1},
        {"file": "b.csv", "added": 0, "updated": 1, "unchanged": 1, "branches_added": 1, "skipped": 1},
    ]
    assert log(app)[0].summary == (
        "导入花名册 花名册.csv：新增 2 人，更新 0 人，未变 0 人，新增支部 2 个，未导入 1 行"
    )


def test_the_cli_bank_and_roster_loads_are_lines_of_the_cli(app: Any, runner: Any, tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_bytes(bank_file(1, 2))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert runner.invoke(args=["bank", "load", str(bank), "--bank", "命令行题库"]).exit_code == 0
    assert runner.invoke(args=["roster", "load", str(roster)]).exit_code == 1  # one row rejected
    assert [(a, r, action) for a, r, action, _t, _i in brief(app)] == [
        (CLI_ACTOR, "cli", "bank.import"),
        (CLI_ACTOR, "cli", "roster.import"),
    ]
    assert [line.detail["added"] for line in log(app)] == [2, 2]
    assert log(app)[0].address == ""


def test_scenario_and_deck_loads_are_recorded_and_broken_files_are_not(app: Any, organizer: Any) -> None:
    broken = MINI_SCENARIO.replace(b"clues: [c-op-memory]", b"clues: [c9]")
    assert post_file(organizer, "/admin/scenarios", "/admin/scenarios", broken, "s.yaml").status_code == 400
    assert (
        post_file(organizer, "/admin/scenarios", "/admin/scenarios", MINI_SCENARIO, "s.yaml").status_code
        == 200
    )
    assert (
        post_file(organizer, "/admin/scenarios", "/admin/scenarios", MINI_SCENARIO, "s.yaml").status_code
        == 200
    )
    assert post_file(organizer, "/admin/boxes", "/admin/boxes", b"key: [", "d.yaml").status_code == 400
    assert post_file(organizer, "/admin/boxes", "/admin/boxes", DECK.encode(), "deck.yaml").status_code == 200
    lines = log(app)
    assert [(line.actor, line.action, line.category) for line in lines] == [
        ("organizer", "scenario.load", "bank"),
        ("organizer", "scenario.load", "bank"),
        ("organizer", "deck.load", "bank"),
    ]
    assert [line.detail for line in lines] == [
        {"slug": "mini-radio", "replaced": False},
        {"slug": "mini-radio", "replaced": True},
        {"key": "test-box", "file": "deck.yaml", "cards": 4, "replaced": False},
    ]
    assert lines[1].summary == "更新剧本《电台疑云》（mini-radio）"
