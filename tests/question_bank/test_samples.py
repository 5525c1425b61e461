"""The sample content shipped in question_bank/samples/ loads cleanly and is complete."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from question_bank import TYPES, Question
from question_bank.roster import read_roster
from tests.question_bank.conftest import problems, read

SAMPLES = Path(__file__).resolve().parents[2] / "question_bank" / "samples"
BANKS = sorted(SAMPLES.glob("*.yaml"))


def _questions(path: Path) -> list[Question]:
    report = read(path.read_bytes(), path.name)
    assert (report.format, problems(report)) == ("yaml", [])
    assert report.rows_read == len(report.accepted)
    return report.accepted


def test_the_three_sample_banks_are_there() -> None:
    assert [path.name for path in BANKS] == ["dangjian.yaml", "dangshi.yaml", "dangzhang.yaml"]


@pytest.mark.parametrize("path", BANKS, ids=[path.stem for path in BANKS])
def test_sample_bank_loads_with_every_type_and_complete_questions(path: Path) -> None:
    questions = _questions(path)
    assert set(Counter(q.type for q in questions)) == set(TYPES)
    assert [q.stem for q in questions if not q.explanation.strip()] == []
    assert [q.stem for q in questions if not q.source.strip()] == []


def test_sample_banks_hold_at_least_150_questions_and_no_duplicates_across_them() -> None:
    questions = [q for path in BANKS for q in _questions(path)]
    assert len(questions) >= 150
    fingerprints = Counter(q.fingerprint for q in questions)
    assert [q.stem for q in questions if fingerprints[q.fingerprint] > 1] == []


def test_sample_roster_loads_30_members_in_3_branches() -> None:
    report = read_roster((SAMPLES / "roster.csv").read_bytes(), "roster.csv")
    assert (report.format, report.rows_read, problems(report)) == ("csv", 30, [])
    assert len(report.accepted) == 30
    assert len({entry.member_no for entry in report.accepted}) == 30
    assert Counter(entry.branch for entry in report.accepted) == {
        "第一党支部": 10,
        "第二党支部": 10,
        "机关党支部": 10,
    }
