"""Periods in Beijing time and the rules file: pure functions, exact values."""

from __future__ import annotations

import datetime as dt

import pytest

from app.points.periods import PeriodError, board_keys, parse_period, period_of
from app.points.rules import QuizResult, RulesError, load_rules, parse_rules, quiz_awards


@pytest.mark.parametrize(
    ("text", "key", "start", "end"),
    [
        ("2026", "2026", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
        ("2026-Q4", "2026-Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
        ("２０２６－Ｑ４", "2026-Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
        ("2026年第一季度", "2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        ("2026-11", "2026-11", dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
        ("2026年2月", "2026-02", dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        ("2026-W48", "2026-W48", dt.date(2026, 11, 23), dt.date(2026, 11, 30)),
        ("2026-01-01..2026-03-31", "2026-01-01..2026-03-31", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
    ],
)
def test_periods_as_organizers_write_them(text: str, key: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text)
    assert (period.key, period.start, period.end) == (key, start, end)


@pytest.mark.parametrize(
    "text", ["", "2026-13", "2026-Q5", "2026-W60", "2026-03-31..2026-01-01", "明年", "20261"]
)
def test_bad_periods(text: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert raised.value.code == "bad_period" and "无法识别的周期" in raised.value.message


def test_boundaries_are_beijing_midnight() -> None:
    assert parse_period("2026-12").utc_bounds() == (
        dt.datetime(2026, 11, 30, 16),
        dt.datetime(2026, 12, 31, 16),
    )
    # 00:30 on 1 December in Beijing is still 30 November in UTC.
    moment = dt.datetime(2026, 11, 30, 16, 30)
    assert period_of("month", moment).key == "2026-12" and period_of("day", moment).key == "2026-12-01"
    assert board_keys(moment) == {
        "week": "2026-W49",
        "month": "2026-12",
        "quarter": "2026-Q4",
        "year": "2026",
    }
    assert board_keys(dt.datetime(2026, 11, 30, 15, 59)) == {
        "week": "2026-W49",
        "month": "2026-11",
        "quarter": "2026-Q4",
        "year": "2026",
    }
    # Monday 30 November begins week 49 at Beijing midnight (16:00 UTC the day before).
    assert period_of("week", dt.datetime(2026, 11, 29, 15, 59)).key == "2026-W48"
    assert period_of("week", dt.datetime(2026, 11, 29, 16, 0)).key == "2026-W49"


def test_default_rules_and_awards() -> None:
    rules = load_rules(None)
    assert rules.categories == ["学习", "组织生活", "志愿服务", "履职", "纪律"]
    assert [rules.star(total) for total in (0, 29, 30, 69, 70, 110, 500)] == [
        "",
        "",
        "一星",
        "二星",
        "三星",
        "五星",
        "五星",
    ]
    won = quiz_awards(rules, QuizResult(answered=3, correct=2, rank=1, branch_won=True), "七一赛")
    assert [(a.rule, a.points, a.reason) for a in won] == [
        ("quiz.participation", 2, "参加“七一赛”"),
        ("quiz.correct", 2, "“七一赛”答对 2 题 × 1 分"),
        ("quiz.rank", 5, "“七一赛”个人第 1 名"),
        ("quiz.winning_branch", 2, "“七一赛”支部第一名"),
    ]
    assert quiz_awards(rules, QuizResult(answered=0, correct=0, rank=4, branch_won=True), "x") == []


def test_a_bad_rules_file_lists_every_problem_with_its_place() -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(
            "categories: [学习, 学习]\nmember_types: [群众]\nassessed: [党员]\n"
            "caps: {学习: {hour: 3}}\nstars: {一星: 50, 二星: 10}\n"
        )
    assert raised.value.problems == [
        ("", "categories 中有重复的类别"),
        ("", "base.category 的类别“履职”不在 categories 中"),
        ("", "activities.scenario.category 的类别“组织生活”不在 categories 中"),
        ("", "activities.task.category 的类别“志愿服务”不在 categories 中"),
        ("", "assessed 中的“党员”不在 member_types 中"),
        ("", "base.member_types 中的“正式党员”不在 member_types 中"),
        ("", "base.member_types 中的“预备党员”不在 member_types 中"),
        ("", "caps.学习 的“hour”应为 day、week、month、quarter 或 year"),
        ("", "stars 的门槛应从低到高排列且互不相同"),
    ]
    with pytest.raises(RulesError) as raised:
        parse_rules(
            "categories: [学习]\nmember_types: [群众]\nassessed: [群众]\n"
            "base: {category: 学习, member_types: [群众]}\n"
            "activities: {quiz: {per_correct: -1, speed: 3}}\n"
        )
    assert raised.value.problems == [
        ("activities.quiz.per_correct", "不能小于 0"),
        ("activities.quiz.speed", "不认识的设置项"),
    ]
    for text, problem in (
        ("a: [", ("第 1 行", "YAML 格式错误")),
        ("- 1", ("", "规则文件应是一个 YAML 映射（键: 值）")),
        (b"\xff\xfe", ("", "规则文件不是 UTF-8 编码")),
    ):
        with pytest.raises(RulesError) as raised:
            parse_rules(text)
        assert raised.value.problems == [problem] and raised.value.code == "bad_rules"
