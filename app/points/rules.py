"""The points rules (积分规则): one YAML file, validated as a whole, and the pure functions
that turn what a member achieved into awards. No database or Redis here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from app.points.periods import SCOPES
from app.validation import BAD_DATE, FileProblems, Strict, pydantic_problems, yaml_place

DEFAULT_RULES = Path(__file__).with_name("default_rules.yaml")
MAX_RULES_BYTES = 64 * 1024


class RulesError(FileProblems):
    """The rules file is not valid."""

    code = "bad_rules"
    colon = "："


Points = Field(default=0, ge=0, le=10_000)


class Base(Strict):
    points: int = Field(default=0, ge=0, le=10_000)
    category: str = "履职"
    member_types: list[str] = Field(default_factory=lambda: ["正式党员", "预备党员"])


class QuizRules(Strict):
    category: str = "学习"
    participation: int = Points
    per_correct: int = Points
    rank_bonus: list[int] = Field(default_factory=list, max_length=20)
    winning_branch: int = Points


class ScenarioRules(Strict):
    category: str = "组织生活"
    participation: int = Points
    per_checkpoint: int = Points
    per_clue: int = Points
    deduction_correct: int = Points


class TaskRules(Strict):
    category: str = "志愿服务"
    completed: int = Points


class Activities(Strict):
    quiz: QuizRules = QuizRules()
    scenario: ScenarioRules = ScenarioRules()
    task: TaskRules = TaskRules()


class Rules(Strict):
    categories: list[str] = Field(min_length=1, max_length=20)
    member_types: list[str] = Field(min_length=1, max_length=10)
    assessed: list[str] = Field(min_length=1)
    base: Base = Base()
    caps: dict[str, dict[str, int]] = Field(default_factory=dict)
    stars: dict[str, int] = Field(default_factory=dict)
    activities: Activities = Activities()

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        problems: list[str] = []
        categories = set(self.categories)
        if len(categories) != len(self.categories):
            problems.append("categories 中有重复的类别")
        for name in self.categories:
            if not name.strip() or len(name) > 10:
                problems.append(f"类别“{name}”应为 1-10 个字")
        for place, used in (
            ("base.category", self.base.category),
            ("activities.quiz.category", self.activities.quiz.category),
            ("activities.scenario.category", self.activities.scenario.category),
            ("activities.task.category", self.activities.task.category),
        ):
            if used not in categories:
                problems.append(f"{place} 的类别“{used}”不在 categories 中")
        types = set(self.member_types)
        for place, listed in (("assessed", self.assessed), ("base.member_types", self.base.member_types)):
            for name in listed:
                if name not in types:
                    problems.append(f"{place} 中的“{name}”不在 member_types 中")
        for category, windows in self.caps.items():
            if category not in categories:
                problems.append(f"caps 中的类别“{category}”不在 categories 中")
            for scope, limit in windows.items():
                if scope not in SCOPES:
                    problems.append(f"caps.{category} 的“{scope}”应为 day、week、month、quarter 或 year")
                elif not 0 <= limit <= 100_000:
                    problems.append(f"caps.{category}.{scope} 应在 0 到 100000 之间")
        thresholds = list(self.stars.values())
        if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
            problems.append("stars 的门槛应从低到高排列且互不相同")
        if any(bonus < 0 or bonus > 10_000 for bonus in self.activities.quiz.rank_bonus):
            problems.append("activities.quiz.rank_bonus 每项应在 0 到 10000 之间")
        if problems:
            raise ValueError("；".join(problems))
        return self

    def star(self, total: int) -> str:
        """The highest star whose threshold ``total`` reaches ('' when none)."""
        reached = [name for name, threshold in self.stars.items() if total >= threshold]
        return reached[-1] if reached else ""


def parse_rules(text: str | bytes) -> Rules:
    """Validate a whole rules file; every problem is reported, in Chinese, with its place."""
    if isinstance(text, bytes):
        if len(text) > MAX_RULES_BYTES:
            raise RulesError([("", f"规则文件超过 {MAX_RULES_BYTES // 1024} KB")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RulesError([("", "规则文件不是 UTF-8 编码")]) from None
    if len(text) > MAX_RULES_BYTES:
        raise RulesError([("", f"规则文件超过 {MAX_RULES_BYTES // 1024} KB")])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesError([(yaml_place(error), "YAML 格式错误")]) from None
    except ValueError:
        raise RulesError([("", BAD_DATE)]) from None
    if not isinstance(data, dict):
        raise RulesError([("", "规则文件应是一个 YAML 映射（键: 值）")])
    try:
        return Rules.model_validate(data)
    except ValidationError as error:
        raise RulesError(pydantic_problems(error)) from None


def load_rules(path: Path | None) -> Rules:
    """The organizer's rules file when there is one, else the shipped defaults."""
    source = path if path is not None and path.exists() else DEFAULT_RULES
    return parse_rules(source.read_bytes())


# -- awards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Award:
    """Points one member earns by one rule of one activity (before caps)."""

    rule: str  # part of the idempotency key: quiz.correct, quiz.rank, …
    category: str
    points: int
    reason: str


@dataclass(frozen=True)
class QuizResult:
    """What a member achieved in one live game (not the speed-weighted show score)."""

    answered: int
    correct: int
    rank: int | None
    branch_won: bool


def quiz_awards(rules: Rules, result: QuizResult, title: str) -> list[Award]:
    quiz = rules.activities.quiz
    awards = []
    if result.answered > 0 and quiz.participation:
        awards.append(Award("quiz.participation", quiz.category, quiz.participation, f"参加“{title}”"))
    if result.correct and quiz.per_correct:
        awards.append(
            Award(
                "quiz.correct",
                quiz.category,
                quiz.per_correct * result.correct,
                f"“{title}”答对 {result.correct} 题 × {quiz.per_correct} 分",
            )
        )
    if (
        result.answered > 0  # a place without a single answer is no achievement
        and result.rank is not None
        and 1 <= result.rank <= len(quiz.rank_bonus)
        and quiz.rank_bonus[result.rank - 1]
    ):
        awards.append(
            Award(
                "quiz.rank",
                quiz.category,
                quiz.rank_bonus[result.rank - 1],
                f"“{title}”个人第 {result.rank} 名",
            )
        )
    if result.branch_won and result.answered > 0 and quiz.winning_branch:
        awards.append(
            Award("quiz.winning_branch", quiz.category, quiz.winning_branch, f"“{title}”支部第一名")
        )
    return awards


@dataclass(frozen=True)
class ScenarioResult:
    """What a member achieved in one scenario run."""

    checkpoints_correct: int
    clues_found: int
    deduction_correct: bool


def scenario_awards(
    rules: Rules, result: ScenarioResult, title: str, overrides: dict[str, int | None] | None = None
) -> list[Award]:
    """A seat played to the end earns participation; each checkpoint answered right and
    each clue the member found earn theirs; the group's right deduction earns every member
    of the group. A scenario file's own ``points`` replace the rules' figures key by key."""
    scenario = rules.activities.scenario
    figures = {
        "participation": scenario.participation,
        "per_checkpoint": scenario.per_checkpoint,
        "per_clue": scenario.per_clue,
        "deduction_correct": scenario.deduction_correct,
    }
    figures.update({key: value for key, value in (overrides or {}).items() if value is not None})
    category = scenario.category
    awards = []
    if figures["participation"]:
        awards.append(
            Award("scenario.participation", category, figures["participation"], f"参加剧本杀“{title}”")
        )
    if result.checkpoints_correct and figures["per_checkpoint"]:
        awards.append(
            Award(
                "scenario.checkpoint",
                category,
                figures["per_checkpoint"] * result.checkpoints_correct,
                f"“{title}”通过 {result.checkpoints_correct} 个知识关卡 × {figures['per_checkpoint']} 分",
            )
        )
    if result.clues_found and figures["per_clue"]:
        awards.append(
            Award(
                "scenario.clue",
                category,
                figures["per_clue"] * result.clues_found,
                f"“{title}”找到 {result.clues_found} 条线索 × {figures['per_clue']} 分",
            )
        )
    if result.deduction_correct and figures["deduction_correct"]:
        awards.append(
            Award("scenario.deduction", category, figures["deduction_correct"], f"“{title}”小组推理正确")
        )
    return awards
