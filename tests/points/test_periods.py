"""Assessment periods in Beijing time: parsing as organizers write them, exact UTC bounds,
and which period a stored moment falls in at Beijing midnight."""

from __future__ import annotations

import datetime as dt

import pytest

from app.points.periods import TZ, PeriodError, board_keys, parse_period, period_of

D = dt.date
T = dt.datetime


@pytest.mark.parametrize(
    ("text", "key", "scope", "start", "end", "bounds"),
    [
        ("2026", "2026", "year", D(2026, 1, 1), D(2027, 1, 1), (T(2025, 12, 31, 16), T(2026, 12, 31, 16))),
        ("2026年", "2026", "year", D(2026, 1, 1), D(2027, 1, 1), (T(2025, 12, 31, 16), T(2026, 12, 31, 16))),
        (
            "2026-Q4",
            "2026-Q4",
            "quarter",
            D(2026, 10, 1),
            D(2027, 1, 1),
            (T(2026, 9, 30, 16), T(2026, 12, 31, 16)),
        ),
        (
            "２０２６－Ｑ４",
            "2026-Q4",
            "quarter",
            D(2026, 10, 1),
            D(2027, 1, 1),
            (T(2026, 9, 30, 16), T(2026, 12, 31, 16)),
        ),
        (
            "2026年第四季度",
            "2026-Q4",
            "quarter",
            D(2026, 10, 1),
            D(2027, 1, 1),
            (T(2026, 9, 30, 16), T(2026, 12, 31, 16)),
        ),
        (
            "2026q1",
            "2026-Q1",
            "quarter",
            D(2026, 1, 1),
            D(2026, 4, 1),
            (T(2025, 12, 31, 16), T(2026, 3, 31, 16)),
        ),
        (
            "2026年第2季度",
            "2026-Q2",
            "quarter",
            D(2026, 4, 1),
            D(2026, 7, 1),
            (T(2026, 3, 31, 16), T(2026, 6, 30, 16)),
        ),
        (
            "2026年三季",
            "2026-Q3",
            "quarter",
            D(2026, 7, 1),
            D(2026, 10, 1),
            (T(2026, 6, 30, 16), T(2026, 9, 30, 16)),
        ),
        (
            "2026-11",
            "2026-11",
            "month",
            D(2026, 11, 1),
            D(2026, 12, 1),
            (T(2026, 10, 31, 16), T(2026, 11, 30, 16)),
        ),
        (
            "2026年11月",
            "2026-11",
            "month",
            D(2026, 11, 1),
            D(2026, 12, 1),
            (T(2026, 10, 31, 16), T(2026, 11, 30, 16)),
        ),
        (
            " ２０２６年 １２月 ",
            "2026-12",
            "month",
            D(2026, 12, 1),
            D(2027, 1, 1),
            (T(2026, 11, 30, 16), T(2026, 12, 31, 16)),
        ),
        (
            "2026-2",
            "2026-02",
            "month",
            D(2026, 2, 1),
            D(2026, 3, 1),
            (T(2026, 1, 31, 16), T(2026, 2, 28, 16)),
        ),
        (
            "2026-W48",
            "2026-W48",
            "week",
            D(2026, 11, 23),
            D(2026, 11, 30),
            (T(2026, 11, 22, 16), T(2026, 11, 29, 16)),
        ),
        (
            "2026w1",
            "2026-W01",
            "week",
            D(2025, 12, 29),
            D(2026, 1, 5),
            (T(2025, 12, 28, 16), T(2026, 1, 4, 16)),
        ),
        (
            "2026-W53",
            "2026-W53",
            "week",
            D(2026, 12, 28),
            D(2027, 1, 4),
            (T(2026, 12, 27, 16), T(2027, 1, 3, 16)),
        ),
        (
            "2026-01-01..2026-03-31",
            "2026-01-01..2026-03-31",
            "custom",
            D(2026, 1, 1),
            D(2026, 4, 1),
            (T(2025, 12, 31, 16), T(2026, 3, 31, 16)),
        ),
        (
            "2026-1-1 至 2026-1-1",
            "2026-01-01..2026-01-01",
            "custom",
            D(2026, 1, 1),
            D(2026, 1, 2),
            (T(2025, 12, 31, 16), T(2026, 1, 1, 16)),
        ),
        (
            "２０２６－１１－０１～２０２６－１１－１５",
            "2026-11-01..2026-11-15",
            "custom",
            D(2026, 11, 1),
            D(2026, 11, 16),
            (T(2026, 10, 31, 16), T(2026, 11, 15, 16)),
        ),
    ],
)
def test_periods_as_organizers_write_them(
    text: str, key: str, scope: str, start: dt.date, end: dt.date, bounds: tuple[dt.datetime, dt.datetime]
) -> None:
    period = parse_period(text)
    assert (period.key, period.scope, period.start, period.end) == (key, scope, start, end)
    assert period.utc_bounds() == bounds


def test_labels_name_the_last_day() -> None:
    assert parse_period("2026-Q4").label == "2026-Q4（2026-10-01 至 2026-12-31）"
    assert parse_period("2026-W48").label == "2026-W48（2026-11-23 至 2026-11-29）"
    assert parse_period("2026-02").label == "2026-02（2026-02-01 至 2026-02-28）"
    assert (
        parse_period("2026-03-01..2026-03-01").label == "2026-03-01..2026-03-01（2026-03-01 至 2026-03-01）"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "2026-13",
        "2026-00",
        "2026-Q0",
        "2026-Q5",
        "2026年第五季度",
        "2026年13月",
        "2026-W00",
        "2026-W54",
        "2027-W53",  # 2027 has 52 ISO weeks
        "2026-02-30..2026-03-01",
        "2026-03-31..2026-01-01",
        "2026-01-01..",
        "2026/11",
        "2026-Q4-1",
        "明年",
        "20261",
        "26",
        "0001",  # Beijing midnight of year 1 is before the first UTC moment
        "0001-01-01..0001-01-31",
        "9999",
        "9999-12-31..9999-12-31",
    ],
)
def test_bad_periods_are_refused_with_the_forms_that_work(text: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert raised.value.code == "bad_period"
    assert raised.value.message == (
        f"无法识别的周期“{text}”。可用：2026（年）、2026-Q4（季度）、2026-11（月）、"
        "2026-W48（周）、2026-01-01..2026-03-31（自定义起止日期，含两端）。"
    )
    assert isinstance(raised.value, ValueError) and str(raised.value) == raised.value.message


@pytest.mark.parametrize(
    ("scope", "before", "after"),
    [
        # Beijing midnight is 16:00 UTC the day before.
        ("day", ("2026-11-20", D(2026, 11, 20)), ("2026-11-21", D(2026, 11, 21))),
        ("week", ("2026-W48", D(2026, 11, 23)), ("2026-W49", D(2026, 11, 30))),
        ("month", ("2026-11", D(2026, 11, 1)), ("2026-12", D(2026, 12, 1))),
        ("quarter", ("2026-Q3", D(2026, 7, 1)), ("2026-Q4", D(2026, 10, 1))),
        ("year", ("2026", D(2026, 1, 1)), ("2027", D(2027, 1, 1))),
    ],
)
def test_period_of_turns_at_beijing_midnight(
    scope: str, before: tuple[str, dt.date], after: tuple[str, dt.date]
) -> None:
    boundary = {
        "day": T(2026, 11, 20, 16),  # 21 November 00:00 in Beijing
        "week": T(2026, 11, 29, 16),  # Monday 30 November 00:00
        "month": T(2026, 11, 30, 16),  # 1 December 00:00
        "quarter": T(2026, 9, 30, 16),  # 1 October 00:00
        "year": T(2026, 12, 31, 16),  # 1 January 2027 00:00
    }[scope]
    last = period_of(scope, boundary - dt.timedelta(microseconds=1))
    first = period_of(scope, boundary)
    assert (last.key, last.start) == before and last.end == first.start
    assert (first.key, first.start) == after
    assert last.utc_bounds()[1] == boundary == first.utc_bounds()[0]
    assert first.contains(boundary) and not last.contains(boundary)
    assert last.contains(boundary - dt.timedelta(microseconds=1))


def test_aware_moments_and_the_iso_week_of_new_year() -> None:
    new_year = T(2027, 1, 1, tzinfo=TZ)  # a Friday: ISO week 53 of 2026
    assert period_of("week", new_year).key == "2026-W53"
    assert period_of("day", new_year).key == "2027-01-01"
    assert period_of("day", T(2026, 12, 31, 16, tzinfo=dt.UTC)).key == "2027-01-01"
    assert board_keys(T(2026, 12, 31, 16)) == {
        "week": "2026-W53",
        "month": "2027-01",
        "quarter": "2027-Q1",
        "year": "2027",
    }
    assert board_keys(T(2026, 11, 30, 16, 30)) == {  # 00:30 on 1 December in Beijing
        "week": "2026-W49",
        "month": "2026-12",
        "quarter": "2026-Q4",
        "year": "2026",
    }
    assert board_keys(T(2026, 11, 30, 15, 59)) == {
        "week": "2026-W49",
        "month": "2026-11",
        "quarter": "2026-Q4",
        "year": "2026",
    }
    with pytest.raises(ValueError, match="hour"):
        period_of("hour", new_year)
