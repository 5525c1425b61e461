"""Assessment periods in Asia/Shanghai time (pure: no I/O).

Points are stored with a UTC ``occurred_at``; every question "which day, week, month … is
this?" is answered in China Standard Time, so an answer given at 00:30 on 1 December in
Beijing belongs to December although it is still 30 November in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
SCOPES = ("day", "week", "month", "quarter", "year")
SCOPE_NAMES = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年"}


class PeriodError(ValueError):
    code = "bad_period"

    def __init__(self, text: str) -> None:
        super().__init__(
            f"无法识别的周期“{text}”。可用：2026（年）、2026-Q4（季度）、2026-11（月）、"
            "2026-W48（周）、2026-01-01..2026-03-31（自定义起止日期，含两端）。"
        )
        self.message = str(self)


@dataclass(frozen=True)
class Period:
    """Local dates ``[start, end)``; ``key`` is how it is written (2026-Q4)."""

    key: str
    scope: str  # one of SCOPES, or "custom"
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        return f"{self.key}（{self.start:%Y-%m-%d} 至 {last:%Y-%m-%d}）"

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Naive UTC datetimes ``[start, end)`` to compare with stored ``occurred_at``."""
        return utc(local_midnight(self.start)), utc(local_midnight(self.end))

    def contains(self, moment: dt.datetime) -> bool:
        return self.start <= local_date(moment) < self.end


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), TZ)


def utc(moment: dt.datetime) -> dt.datetime:
    """Aware → naive UTC, the form the database keeps."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def local_date(moment: dt.datetime) -> dt.date:
    """The Beijing date of a naive-UTC (as stored) or aware datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TZ).date()


def period_of(scope: str, moment: dt.datetime) -> Period:
    """The calendar period of ``scope`` that holds ``moment``."""
    day = local_date(moment)
    if scope == "day":
        return Period(f"{day:%Y-%m-%d}", "day", day, day + dt.timedelta(days=1))
    if scope == "week":
        year, week, weekday = day.isocalendar()
        start = day - dt.timedelta(days=weekday - 1)
        return Period(f"{year}-W{week:02d}", "week", start, start + dt.timedelta(days=7))
    if scope == "month":
        return _month(day.year, day.month)
    if scope == "quarter":
        return _quarter(day.year, (day.month - 1) // 3 + 1)
    if scope == "year":
        return Period(str(day.year), "year", dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1))
    raise ValueError(scope)


def _month(year: int, month: int) -> Period:
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return Period(f"{year}-{month:02d}", "month", dt.date(year, month, 1), end)


def _quarter(year: int, quarter: int) -> Period:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return Period(f"{year}-Q{quarter}", "quarter", start, end)


_FORMS = (
    (re.compile(r"(\d{4})年?"), "year"),
    (re.compile(r"(\d{4})-?Q([1-4])|(\d{4})年?第?([1-4一二三四])季度?"), "quarter"),
    (re.compile(r"(\d{4})-(\d{1,2})|(\d{4})年(\d{1,2})月"), "month"),
    (re.compile(r"(\d{4})-?W(\d{1,2})"), "week"),
    (re.compile(r"(\d{4}-\d{1,2}-\d{1,2})(?:\.\.|~|至|到)(\d{4}-\d{1,2}-\d{1,2})"), "custom"),
)
_CHINESE_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def parse_period(text: str) -> Period:
    """Read a period as organizers write it; full-width digits and letters are folded."""
    cleaned = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).upper()
    for pattern, scope in _FORMS:
        match = pattern.fullmatch(cleaned)
        if not match:
            continue
        parts = [part for part in match.groups() if part is not None]
        try:
            period = _read(scope, parts)
            period.utc_bounds()  # year 1 or 9999-12-31: dates no moment can be compared with
        except (ValueError, OverflowError):
            raise PeriodError(text) from None
        return period
    raise PeriodError(text)


def _read(scope: str, parts: list[str]) -> Period:
    if scope == "year":
        year = int(parts[0])
        return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    if scope == "quarter":
        return _quarter(int(parts[0]), int(_CHINESE_DIGITS.get(parts[1], parts[1])))
    if scope == "month":
        return _month(int(parts[0]), int(parts[1]))
    if scope == "week":
        start = dt.date.fromisocalendar(int(parts[0]), int(parts[1]), 1)
        return Period(f"{parts[0]}-W{int(parts[1]):02d}", "week", start, start + dt.timedelta(days=7))
    first, last = (dt.date.fromisoformat(_iso(part)) for part in parts)
    if last < first:
        raise ValueError("the end is before the start")
    return Period(f"{first:%Y-%m-%d}..{last:%Y-%m-%d}", "custom", first, last + dt.timedelta(days=1))


def _iso(day: str) -> str:
    year, month, date = day.split("-")
    return f"{year}-{int(month):02d}-{int(date):02d}"


def board_keys(moment: dt.datetime) -> dict[str, str]:
    """The season-leaderboard periods an entry at ``moment`` counts towards."""
    return {scope: period_of(scope, moment).key for scope in ("week", "month", "quarter", "year")}
