"""Every file reader gets random bytes, damaged copies of the real sample files, random
YAML/JSON documents and random spreadsheets: it returns a result or raises its own problem
exception with zh-CN messages, never anything else; and a loader that refuses a file leaves
every table as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from app.blindbox.deck import CARD_LABELS, RULE_ROWS, DeckError, deck_template_xlsx, parse_deck
from app.points.rules import DEFAULT_RULES, RulesError, parse_rules
from app.scenario.schema import ScenarioError, parse_scenario
from app.validation import FileProblems
from question_bank import BankFileError, Report, read_bank, template_xlsx
from question_bank.errors import MESSAGES
from question_bank.roster import read_roster
from tests.fuzz.conftest import MINI, ROOT, row_counts
from tests.fuzz.strategies import examples, json_values, mutations, spreadsheets, yaml_documents

CHINESE = re.compile(r"[\u4e00-\u9fff]")
BANK_SAMPLES = sorted((ROOT / "question_bank" / "samples").glob("*.yaml"))
ROSTER_SAMPLE = ROOT / "question_bank" / "samples" / "roster.csv"
SCENARIOS = [*sorted((ROOT / "scenarios").glob("*.yaml")), MINI]
DECKS = sorted((ROOT / "decks").glob("*.yaml"))
BANK_HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "分值", "难度", "标签"]
ROSTER_HEADER = ["姓名", "工号", "支部", "手机"]


def test_the_samples_exist() -> None:
    """The mutations start from the repository's real files."""
    assert len(BANK_SAMPLES) == 3 and ROSTER_SAMPLE.exists()
    assert len(SCENARIOS) == 3 and DECKS and DEFAULT_RULES.exists()


def dumped(document: Any) -> st.SearchStrategy[bytes]:
    """A random document as YAML and as JSON text."""
    as_yaml = yaml.safe_dump(document, allow_unicode=True).encode()
    try:
        as_json = json.dumps(document, ensure_ascii=False, default=str).encode()
    except ValueError:  # a circular or otherwise unencodable value: YAML only
        as_json = as_yaml
    return st.sampled_from([as_yaml, as_json])


documents = yaml_documents.flatmap(dumped)


def samples(paths: list[Path]) -> st.SearchStrategy[bytes]:
    return st.sampled_from([path.read_bytes() for path in paths])


def damaged(paths: list[Path], *extra: bytes) -> st.SearchStrategy[bytes]:
    return st.sampled_from([path.read_bytes() for path in paths] + list(extra)).flatmap(mutations)


def check_problems(problem: FileProblems) -> None:
    """A file-problem exception: a stable code and a non-empty list of zh-CN messages,
    each with its place in the file (empty for the whole file)."""
    assert problem.code and problem.problems
    for place, message in problem.problems:
        assert isinstance(place, str)
        assert CHINESE.search(message), problem.problems


def check_bank_error(error: BankFileError) -> None:
    assert error.code in MESSAGES and CHINESE.search(error.message), error


def check_report(report: Report[Any]) -> None:
    """Each rejected row says where (its row) and why (a coded zh-CN message)."""
    for problem in report.rejected:
        assert problem.code in MESSAGES and CHINESE.search(problem.message), problem
        assert problem.row is None or problem.row >= 1


# -- question banks ------------------------------------------------------------------------


BANK_NAMES = [
    "题库.yaml",
    "题库.yml",
    "题库.json",
    "题库.csv",
    "题库.xlsx",
    "题库.gift",
    "题库.txt",
    "题库.aiken",
]


@examples(250)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        damaged(BANK_SAMPLES, template_xlsx()),
        documents,
        spreadsheets(BANK_HEADER, ("单选题", "多选题", "判断题", "填空题", "A", "AB", "对", "错")),
    ),
    name=st.sampled_from([*BANK_NAMES, "题库.doc", "题库", "题库.XLSX"]),
)
def test_bank_reader(data: bytes, name: str) -> None:
    try:
        report = read_bank(data, name)
    except BankFileError as error:
        check_bank_error(error)
    else:
        check_report(report)


@examples(150)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        damaged([ROSTER_SAMPLE]),
        documents,
        spreadsheets(ROSTER_HEADER, ("第一党支部", "M001", "13800138000", "正式党员")),
    ),
    name=st.sampled_from(["花名册.csv", "花名册.xlsx", "花名册.txt"]),
)
def test_roster_reader(data: bytes, name: str) -> None:
    try:
        report = read_roster(data, name)
    except BankFileError as error:
        check_bank_error(error)
    else:
        check_report(report)


# -- YAML files of the organizers: scenarios, decks, rules, export columns ---------------------


@examples(200)
@given(data=st.one_of(st.binary(max_size=2000), damaged(SCENARIOS), documents, samples(SCENARIOS)))
def test_scenario_reader(data: bytes) -> None:
    try:
        parse_scenario(data)
    except ScenarioError as problem:
        check_problems(problem)


DECK_WORDS = tuple(RULE_ROWS) + tuple(CARD_LABELS.values()) + ("text", "photo", "稀有", "5")


@examples(200)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        damaged(DECKS, deck_template_xlsx()),
        documents,
        spreadsheets(list(CARD_LABELS.values()), DECK_WORDS),
    ),
    name=st.sampled_from(["盲盒.yaml", "盲盒.yml", "盲盒.xlsx", "盲盒.csv", ""]),
)
def test_deck_reader(data: bytes, name: str) -> None:
    try:
        parse_deck(data, name)
    except DeckError as problem:
        check_problems(problem)


@examples(200)
@given(data=st.one_of(st.binary(max_size=2000), damaged([DEFAULT_RULES]), documents))
def test_rules_reader(data: bytes) -> None:
    for text in (data, data.decode("utf-8", "replace")):  # the file, and the page's text box
        try:
            parse_rules(text)
        except RulesError as problem:
            check_problems(problem)


COLUMNS_SAMPLE = "成员明细:\n  - 支部\n  - 姓名\n  - {列: 合计, 标题: 总分}\n支部汇总: []\n".encode()


@pytest.fixture
def empty_assessment(app: Any) -> Any:
    """The export of an empty month: every sheet with its columns, no rows."""
    from app.extensions import database
    from app.models import utcnow
    from app.points.export import assessment
    from app.points.periods import period_of
    from app.points.service import points

    with database(app).sessions() as session:
        return assessment(session, points(app).rules(), period_of("month", utcnow()))


@examples(150)
@given(
    data=st.one_of(
        st.binary(max_size=1000),
        st.sampled_from([COLUMNS_SAMPLE]).flatmap(mutations),
        documents,
        json_values().map(lambda value: yaml.safe_dump({"成员明细": value}, allow_unicode=True).encode()),
    )
)
def test_export_columns_reader(empty_assessment: Any, data: bytes) -> None:
    from app.points.export import ColumnsError, apply_columns

    try:
        chosen = apply_columns(empty_assessment, data)
    except ColumnsError as problem:
        assert problem.code == "bad_columns" and CHINESE.search(problem.message), problem
    else:
        assert chosen.sheets


# -- the loaders that write to the database -------------------------------------------------------


@examples(120)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        damaged(BANK_SAMPLES[:1]),
        documents,
        spreadsheets(BANK_HEADER, ("单选题", "判断题", "A", "对")),
    ),
    name=st.sampled_from(["题库.yaml", "题库.json", "题库.csv", "题库.xlsx", "题库.txt"]),
)
def test_bank_import_writes_all_or_nothing(app: Any, data: bytes, name: str) -> None:
    from app.banks import import_file
    from app.extensions import database

    before = row_counts(app)
    outcome = import_file(database(app), data, name, "模糊测试题库", max_bytes=1024 * 1024)
    after = row_counts(app)
    if not outcome.ok or outcome.stored == 0:
        assert CHINESE.search(outcome.error_message) if outcome.error_code else outcome.report is not None
        assert after == before, outcome.as_dict()
    else:
        assert after["question"] == before["question"] + outcome.stored


@examples(100)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        damaged([ROSTER_SAMPLE]),
        spreadsheets(ROSTER_HEADER, ("第一党支部", "M001", "13800138000")),
    ),
    name=st.sampled_from(["花名册.csv", "花名册.xlsx"]),
)
def test_roster_import_writes_all_or_nothing(app: Any, data: bytes, name: str) -> None:
    from app.extensions import database
    from app.roster import load_roster

    before = row_counts(app)
    outcome = load_roster(database(app), data, name, max_bytes=1024 * 1024)
    after = row_counts(app)
    if not outcome.ok:
        assert CHINESE.search(outcome.error_message), outcome.as_dict()
        assert after == before, outcome.as_dict()
    else:
        added = after["member"] - before["member"]
        assert added == outcome.added and after["branch"] - before["branch"] == outcome.branches_added


@examples(100)
@given(
    data=st.one_of(st.binary(max_size=1000), damaged(DECKS), damaged(SCENARIOS), documents),
    kind=st.sampled_from(["deck", "scenario"]),
)
def test_deck_and_scenario_loads_write_all_or_nothing(app: Any, data: bytes, kind: str) -> None:
    from app.blindbox.tasks import load_deck
    from app.extensions import database
    from app.models import utcnow
    from app.scenario.results import load_scenario

    before = row_counts(app)
    try:
        with database(app).transaction() as session:
            if kind == "deck":
                load_deck(session, data, "盲盒.yaml", loaded_by="fuzz", now=utcnow())
            else:
                load_scenario(session, data, loaded_by="fuzz")
    except (DeckError, ScenarioError) as problem:
        check_problems(problem)
        assert row_counts(app) == before
