"""Scoring rules of DESIGN §5, as pure functions of what was answered and when.

No I/O: the store calls these with the recorded answers and server-measured times.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScoringRules:
    """A contest's scoring settings (each is a contest setting; these are the defaults)."""

    base: int = 1000
    speed: bool = True  # False: a correct answer earns the full base whatever the time
    streak_step: int = 100
    streak_cap: int = 500
    multiple: str = "all_or_nothing"  # or "partial"
    team: str = "mean"  # or "sum"

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "speed": self.speed,
            "streak_step": self.streak_step,
            "streak_cap": self.streak_cap,
            "multiple": self.multiple,
            "team": self.team,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoringRules:
        return cls(**{key: data[key] for key in cls().as_dict() if key in data})


_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def fold_text(text: str) -> str:
    """How a typed fill-in answer is compared: NFKC, case-folded, no spaces or punctuation."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).casefold())


def correctness(question_type: str, key: Any, choice: Any, *, multiple: str = "all_or_nothing") -> float:
    """How correct ``choice`` is, from 0.0 to 1.0.

    ``key`` is the answer in game form: option indices for single/multiple/judge, the
    index order for order questions, a list of accepted alternatives per blank for fill.
    """
    if choice is None:
        return 0.0
    if question_type in ("single", "judge"):
        return 1.0 if list(choice) == list(key) else 0.0
    if question_type == "order":
        return 1.0 if list(choice) == list(key) else 0.0
    if question_type == "multiple":
        chosen, right = set(choice), set(key)
        if chosen == right:
            return 1.0
        if multiple == "partial" and chosen and chosen <= right:
            return len(chosen) / len(right)
        return 0.0
    if question_type == "fill":
        blanks: Sequence[str] = choice if isinstance(choice, list) else [choice]
        if len(blanks) != len(key):
            return 0.0
        for typed, alternatives in zip(blanks, key, strict=True):
            if fold_text(str(typed)) not in {fold_text(a) for a in alternatives}:
                return 0.0
        return 1.0
    raise ValueError(f"unknown question type {question_type!r}")


def speed_points(rules: ScoringRules, fraction: float, elapsed_ms: int, limit_ms: int) -> int:
    """``round(base * (1 - elapsed / limit / 2))`` for a correct answer: 1000 at once, 500 at the buzzer."""
    if fraction <= 0:
        return 0
    if not rules.speed or limit_ms <= 0:
        return round(rules.base * fraction)
    ratio = min(max(elapsed_ms, 0), limit_ms) / limit_ms
    return round(rules.base * fraction * (1 - ratio / 2))


def streak_bonus(rules: ScoringRules, streak: int) -> int:
    """+step per consecutive correct answer after the first, capped."""
    return min(rules.streak_step * max(streak - 1, 0), rules.streak_cap)


@dataclass(frozen=True)
class AnswerScore:
    correct: bool  # fully correct: counts for the streak and the correct-answer count
    fraction: float
    points: int
    streak: int


def score_answer(
    rules: ScoringRules, *, fraction: float, elapsed_ms: int, limit_ms: int, streak_before: int
) -> AnswerScore:
    """Points for one answer, given the player's streak before this question."""
    correct = fraction >= 1.0
    streak = streak_before + 1 if correct else 0
    points = speed_points(rules, fraction, elapsed_ms, limit_ms)
    if correct:
        points += streak_bonus(rules, streak)
    return AnswerScore(correct=correct, fraction=fraction, points=points, streak=streak)


@dataclass(frozen=True)
class Standing:
    player_id: str
    score: int
    correct_time_ms: int  # total answer time of the correct answers: the tie-break
    joined: int = 0  # join order, the last resort so that ranks are stable


def rank(standings: Iterable[Standing]) -> list[tuple[int, Standing]]:
    """Ranks 1..n: higher score first; on equal score the faster correct answers first."""
    ordered = sorted(standings, key=lambda s: (-s.score, s.correct_time_ms, s.joined))
    return [(index, standing) for index, standing in enumerate(ordered, start=1)]


def leaderboard_value(score: int, correct_time_ms: int) -> float:
    """One sorted-set score that orders by score, then by less correct-answer time.

    Exact in a double while score < 10**6 and the time < 10**9 ms (11 days).
    """
    return score * 1_000_000_000 + (999_999_999 - min(correct_time_ms, 999_999_999))


def team_score(rules: ScoringRules, member_scores: Sequence[int]) -> float:
    """Mean (fair between branches of different sizes) or sum; rounded to 0.1 for display."""
    if not member_scores:
        return 0.0
    total = sum(member_scores)
    return float(total) if rules.team == "sum" else round(total / len(member_scores), 1)


def rank_teams(rules: ScoringRules, teams: dict[str, Sequence[int]]) -> list[dict[str, Any]]:
    """Teams ranked by score; ties share nothing, the larger team ranks first then by name."""
    rows = [
        {"team": name, "score": team_score(rules, scores), "members": len(scores)}
        for name, scores in teams.items()
    ]
    rows.sort(key=lambda row: (-row["score"], -row["members"], row["team"]))
    for index, row in enumerate(rows, start=1):
        row["rank"] = index
    return rows
