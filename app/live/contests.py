"""Contests: the organizer's settings, the questions they select, and starting a live game."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.live.scoring import ScoringRules
from app.live.store import LiveStore
from app.models import Branch, Contest, Question, QuestionBank
from question_bank.schema import LETTERS


class ContestError(ValueError):
    def __init__(self, code: str, message: str, field_name: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field_name


@dataclass
class ContestSettings:
    """Everything an organizer chooses for a contest, with the bounds each must stay in."""

    name: str = "知识竞赛"
    bank_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    difficulties: list[int] = field(default_factory=list)
    count: int = 10
    order: str = "fixed"  # or "shuffled"
    shuffle_options: bool = False
    time_limit: int = 20  # default seconds per question
    use_bank_time_limit: bool = True  # a question's own 时限 wins when it has one
    read_time: int = 0  # seconds the stem shows before the options (0-5)
    team_mode: str = "branches"  # or "free"
    free_teams: list[str] = field(default_factory=list)
    max_players: int = 2000
    late_join: bool = True
    scoring: dict[str, Any] = field(default_factory=lambda: ScoringRules().as_dict())

    @classmethod
    def parse(cls, data: dict[str, Any]) -> ContestSettings:
        """Validate untrusted input (a form or the API); every problem is a ContestError."""

        def integer(name: str, low: int, high: int, default: int) -> int:
            value = data.get(name, default)
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ContestError("bad_setting", f"“{name}”应为整数。", name) from None
            if not low <= number <= high:
                raise ContestError("bad_setting", f"“{name}”应在 {low} 到 {high} 之间。", name)
            return number

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = str(data.get(name, default))
            if value not in allowed:
                raise ContestError("bad_setting", f"“{name}”只能是 {'、'.join(allowed)}。", name)
            return value

        def flag(name: str, default: bool) -> bool:
            value = data.get(name, default)
            if isinstance(value, str):
                return value.lower() in ("1", "true", "on", "yes")
            return bool(value)

        def strings(name: str, limit: int) -> list[str]:
            value = data.get(name) or []
            if isinstance(value, str):
                value = [part for part in value.replace("，", ",").replace("、", ",").split(",")]
            if not isinstance(value, list):
                raise ContestError("bad_setting", f"“{name}”格式不正确。", name)
            items = [str(item).strip()[:limit] for item in value if str(item).strip()]
            return list(dict.fromkeys(items))

        bank_ids = data.get("bank_ids") or []
        if not isinstance(bank_ids, list) or not all(str(b).isdigit() for b in bank_ids):
            raise ContestError("bad_setting", "请选择题库。", "bank_ids")
        types = strings("types", 10)
        if any(t not in ("single", "multiple", "judge", "fill", "order") for t in types):
            raise ContestError("bad_setting", "题型只能是 single、multiple、judge、fill、order。", "types")
        difficulties = [int(d) for d in strings("difficulties", 1) if d.isdigit()]
        scoring_in = data.get("scoring") or {}
        if not isinstance(scoring_in, dict):
            raise ContestError("bad_setting", "计分设置格式不正确。", "scoring")
        rules = ScoringRules()
        scoring = {
            "base": integer("base", 100, 10_000, scoring_in.get("base", rules.base)),
            "speed": flag("speed", scoring_in.get("speed", rules.speed)),
            "streak_step": integer("streak_step", 0, 1000, scoring_in.get("streak_step", rules.streak_step)),
            "streak_cap": integer("streak_cap", 0, 5000, scoring_in.get("streak_cap", rules.streak_cap)),
            "multiple": choice(
                "multiple", ("all_or_nothing", "partial"), scoring_in.get("multiple", rules.multiple)
            ),
            "team": choice("team", ("mean", "sum"), scoring_in.get("team", rules.team)),
        }
        name = str(data.get("name") or "知识竞赛").strip()[:100] or "知识竞赛"
        settings = cls(
            name=name,
            bank_ids=[int(b) for b in bank_ids],
            tags=strings("tags", 40),
            types=types,
            difficulties=difficulties,
            count=integer("count", 1, 200, 10),
            order=choice("order", ("fixed", "shuffled"), "fixed"),
            shuffle_options=flag("shuffle_options", False),
            time_limit=integer("time_limit", 5, 600, 20),
            use_bank_time_limit=flag("use_bank_time_limit", True),
            read_time=integer("read_time", 0, 5, 0),
            team_mode=choice("team_mode", ("branches", "free"), "branches"),
            free_teams=strings("free_teams", 30),
            max_players=integer("max_players", 1, 10_000, 2000),
            late_join=flag("late_join", True),
            scoring=scoring,
        )
        if not settings.bank_ids:
            raise ContestError("bad_setting", "请至少选择一个题库。", "bank_ids")
        if settings.team_mode == "free" and len(settings.free_teams) < 1:
            raise ContestError("bad_setting", "自由组队时请填写队伍名称（用逗号分隔）。", "free_teams")
        return settings

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def game_question(question: Question, settings: ContestSettings, rng: random.Random) -> dict[str, Any]:
    """A stored question in game form: option indices as the key, options shuffled if asked
    (the key follows), the time limit resolved."""
    options = list(question.options)
    qtype = question.type
    if qtype == "judge":
        options = ["对", "错"]
        key: Any = [0 if question.answer else 1]
    elif qtype == "fill":
        key = [list(alternatives) for alternatives in question.answer]
    else:
        letters = question.answer if isinstance(question.answer, list) else [question.answer]
        key = [LETTERS.index(letter) for letter in letters]
    if settings.shuffle_options and qtype in ("single", "multiple", "order"):
        order = list(range(len(options)))
        rng.shuffle(order)
        options = [options[i] for i in order]
        position = {old: new for new, old in enumerate(order)}
        key = [position[i] for i in key]
        if qtype == "multiple":
            key.sort()
    time_limit = settings.time_limit
    if settings.use_bank_time_limit and question.time_limit:
        time_limit = question.time_limit
    return {
        "id": question.id,
        "type": qtype,
        "stem": question.stem,
        "options": options,
        "key": key,
        "explanation": question.explanation,
        "source": question.source,
        "time_limit": time_limit,
        "media": question.media,
    }


def select_questions(session: Session, settings: ContestSettings, rng: random.Random) -> list[dict[str, Any]]:
    query = select(Question).where(Question.bank_id.in_(settings.bank_ids))
    if settings.types:
        query = query.where(Question.type.in_(settings.types))
    if settings.difficulties:
        query = query.where(Question.difficulty.in_(settings.difficulties))
    rows = list(session.scalars(query.order_by(Question.bank_id, Question.position)))
    if settings.tags:
        wanted = set(settings.tags)
        rows = [row for row in rows if wanted & set(row.tags)]
    if settings.order == "shuffled":
        rng.shuffle(rows)
    return [game_question(row, settings, rng) for row in rows[: settings.count]]


def team_names(session: Session, settings: ContestSettings) -> list[str]:
    if settings.team_mode == "free":
        return settings.free_teams
    return list(session.scalars(select(Branch.name).order_by(Branch.name)))


def save_contest(session: Session, settings: ContestSettings, created_by: str = "") -> Contest:
    found = session.scalars(select(QuestionBank.id).where(QuestionBank.id.in_(settings.bank_ids))).all()
    if len(found) != len(set(settings.bank_ids)):
        raise ContestError("bank_not_found", "所选题库不存在。", "bank_ids")
    contest = Contest(name=settings.name, settings=settings.as_dict(), created_by=created_by)
    session.add(contest)
    session.flush()
    return contest


def start_game(
    session: Session, store: LiveStore, contest: Contest, *, rng: random.Random | None = None
) -> tuple[str, str]:
    """Put a contest live: a lobby with a fresh PIN. Returns (pin, host_token)."""
    settings = ContestSettings.parse(contest.settings)
    rng = rng or random.Random()
    questions = select_questions(session, settings, rng)
    if not questions:
        raise ContestError("no_questions", "按所选条件没有找到题目，请放宽筛选条件。")
    config = {
        "contest_id": contest.id,
        "title": settings.name,
        "read_time": settings.read_time,
        "time_limit": settings.time_limit,
        "teams": team_names(session, settings),
        "team_mode": settings.team_mode,
        "max_players": settings.max_players,
        "late_join": settings.late_join,
        "scoring": settings.scoring,
    }
    return store.create_game(config, questions)
