"""The scenario file (红色剧本杀, docs/FORMATS.md §9): parsed, checked as a whole, and every
problem reported with its place (``roles[2].acts.act3: 未知线索“c9”``).

Structure and types are pydantic's job; the cross-references (a clue's act, a role's
clues, the parent chains) are checked here afterwards, so that one run of the checker
reports everything wrong with a file. No Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from app.validation import BAD_DATE, FileProblems, Strict, pydantic_problems, yaml_place
from question_bank.readers import QUESTION_KEYS
from question_bank.schema import Question, RawQuestion, build_question

MAX_SCENARIO_BYTES = 1024 * 1024
Id = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
Text = Field(min_length=1, max_length=4000)
ACT_TYPES = ("read", "introduce", "search", "discuss", "checkpoint", "vote", "reveal")
UNLOCKS = ("act", "search", "prop", "checkpoint", "host")
VISIBILITIES = ("group", "role", "finder")
REVIEW_STATUSES = ("draft", "approved", "rejected")


class ScenarioError(FileProblems):
    """The file is not a valid scenario."""

    code = "bad_scenario"


class Players(Strict):
    min: int = Field(ge=1, le=12)
    max: int = Field(ge=1, le=12)


class Review(Strict):
    status: Literal["draft", "approved", "rejected"]
    reviewer: str = Field(default="", max_length=100)
    date: str = Field(default="", max_length=40)
    notes: str = Field(default="", max_length=4000)

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        return str(value) if value is not None and not isinstance(value, str) else value


class ScenarioPoints(Strict):
    participation: int | None = Field(default=None, ge=0, le=1000)
    per_checkpoint: int | None = Field(default=None, ge=0, le=1000)
    per_clue: int | None = Field(default=None, ge=0, le=1000)
    deduction_correct: int | None = Field(default=None, ge=0, le=1000)


class RoleAct(Strict):
    script: str = Field(default="", max_length=4000)
    clues: list[str] = Field(default_factory=list, max_length=20)


class Role(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=40)
    required: bool = True
    intro: str = Text
    background: str = Text
    objective: str = Text
    acts: dict[str, RoleAct] = Field(default_factory=dict)
    ending: str = Field(default="", max_length=4000)

    @field_validator("acts", mode="before")
    @classmethod
    def _script_shorthand(cls, value: Any) -> Any:
        """``act1: text`` is short for ``act1: {script: text}``."""
        if isinstance(value, dict):
            return {key: {"script": item} if isinstance(item, str) else item for key, item in value.items()}
        return value


class Act(Strict):
    id: str = Id
    type: Literal["read", "introduce", "search", "discuss", "checkpoint", "vote", "reveal"]
    title: str = Field(min_length=1, max_length=60)
    screen: str = Field(default="", max_length=2000)
    time_box: int | None = Field(default=None, ge=10, le=4 * 3600)
    hint: str = Field(default="", max_length=2000)
    action_points: int = Field(default=3, ge=1, le=20)
    checkpoints: list[str] = Field(default_factory=list, max_length=20)


class Place(Strict):
    id: str = Id
    name: str = Field(min_length=1, max_length=40)
    barred: list[str] = Field(default_factory=list)


class Clue(Strict):
    id: str = Id
    title: str = Field(min_length=1, max_length=60)
    text: str = Text
    image: str = Field(default="", max_length=300)
    visibility: Literal["group", "role", "finder"] = "group"
    role: str | None = None
    unlock: Literal["act", "search", "prop", "checkpoint", "host"]
    act: str | None = None
    place: str | None = None
    checkpoint: str | None = None
    parent: str | None = None


class Checkpoint(Strict):
    id: str = Id
    question: dict[str, Any]


class FinalOption(Strict):
    id: str = Id
    text: str = Field(min_length=1, max_length=200)


class Final(Strict):
    type: Literal["vote", "deduction"]
    prompt: str = Field(min_length=1, max_length=200)
    options: list[FinalOption] = Field(default_factory=list, max_length=12)
    answer: str
    endings: dict[str, str] = Field(default_factory=dict)


class Reveal(Strict):
    text: str = Field(min_length=1, max_length=8000)
    history: str = Field(min_length=1, max_length=8000)
    sources: list[str] = Field(min_length=1, max_length=30)
    lesson: str = Field(min_length=1, max_length=4000)


class Scenario(Strict):
    id: str = Id
    title: str = Field(min_length=1, max_length=60)
    summary: str = Field(min_length=1, max_length=2000)
    era: str = Field(min_length=1, max_length=60)
    objectives: list[str] = Field(min_length=1, max_length=10)
    players: Players
    duration: int = Field(ge=5, le=600)
    age: str = Field(min_length=1, max_length=40)
    review: Review
    fiction: str = Field(default="", max_length=4000)
    points: ScenarioPoints = ScenarioPoints()
    roles: list[Role] = Field(min_length=1, max_length=12)
    acts: list[Act] = Field(min_length=2, max_length=20)
    places: list[Place] = Field(default_factory=list, max_length=30)
    clues: list[Clue] = Field(min_length=1, max_length=100)
    checkpoints: list[Checkpoint] = Field(default_factory=list, max_length=30)
    final: Final
    reveal: Reveal

    # -- lookups the engine uses ---------------------------------------------------------

    def role(self, role_id: str) -> Role:
        return next(role for role in self.roles if role.id == role_id)

    def clue(self, clue_id: str) -> Clue:
        return next(clue for clue in self.clues if clue.id == clue_id)

    def act_index(self, act_id: str) -> int:
        return next(i for i, act in enumerate(self.acts) if act.id == act_id)

    def final_options(self) -> list[FinalOption]:
        """What a group chooses from: the listed options, or the roles for a plain vote."""
        if self.final.options:
            return list(self.final.options)
        return [FinalOption(id=role.id, text=role.name) for role in self.roles]

    def checkpoint_question(self, checkpoint_id: str) -> Question:
        checkpoint = next(item for item in self.checkpoints if item.id == checkpoint_id)
        question, _problems = _question(checkpoint.question)
        assert question is not None, "checked on load"
        return question

    @property
    def approved(self) -> bool:
        return self.review.status == "approved"


def _question(data: dict[str, Any]) -> tuple[Question | None, list[tuple[str, str]]]:
    unknown = [key for key in data if key not in QUESTION_KEYS]
    if unknown:
        return None, [(str(unknown[0]), f"不认识的字段，可用：{'、'.join(QUESTION_KEYS)}")]
    options = data.get("options") or []
    raw = RawQuestion(
        row=None,
        options=options if isinstance(options, list) else [options],
        **{key: data.get(key) for key in QUESTION_KEYS if key != "options"},
    )
    question, problems = build_question(raw)
    return question, [(problem.column or "", problem.message) for problem in problems]


# -- the cross-references ------------------------------------------------------------------


def _duplicates(kind: str, ids: Iterable[str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    problems = []
    for index, item in enumerate(ids):
        if item in seen:
            problems.append((f"{kind}[{index}].id", f"编号“{item}”重复"))
        seen.add(item)
    return problems


def _references(scenario: Scenario) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for kind in ("roles", "acts", "places", "clues", "checkpoints"):
        problems += _duplicates(kind, (item.id for item in getattr(scenario, kind)))
    roles = {role.id for role in scenario.roles}
    acts = {act.id for act in scenario.acts}
    places = {place.id for place in scenario.places}
    clues = {clue.id: clue for clue in scenario.clues}
    checkpoints = {checkpoint.id for checkpoint in scenario.checkpoints}

    def unknown(place: str, value: str | None, known: Iterable[str], what: str) -> None:
        if value is not None and value not in known:
            problems.append((place, f"未知{what}“{value}”"))

    for r, role in enumerate(scenario.roles):
        for act_id, role_act in role.acts.items():
            unknown(f"roles[{r}].acts", act_id, acts, "幕")
            for clue_id in role_act.clues:
                unknown(f"roles[{r}].acts.{act_id}", clue_id, clues, "线索")
    for a, act in enumerate(scenario.acts):
        for checkpoint_id in act.checkpoints:
            unknown(f"acts[{a}].checkpoints", checkpoint_id, checkpoints, "关卡")
        if act.checkpoints and act.type != "checkpoint":
            problems.append((f"acts[{a}].checkpoints", "只有 checkpoint 类型的幕可以开放关卡"))
        if act.type == "checkpoint" and not act.checkpoints:
            problems.append((f"acts[{a}].checkpoints", "checkpoint 类型的幕至少开放一个关卡"))
    for p, place in enumerate(scenario.places):
        for role_id in place.barred:
            unknown(f"places[{p}].barred", role_id, roles, "角色")
        if not any(clue.unlock == "search" and clue.place == place.id for clue in scenario.clues):
            problems.append((f"places[{p}]", f"搜证地点“{place.id}”没有可搜到的线索"))

    needs = {"act": "act", "search": "place", "checkpoint": "checkpoint"}
    for c, clue in enumerate(scenario.clues):
        here = f"clues[{c}]"
        for field_name in ("act", "place", "checkpoint"):
            value = getattr(clue, field_name)
            if needs.get(clue.unlock) == field_name and value is None:
                problems.append(
                    (f"{here}.{field_name}", f"unlock: {clue.unlock} 的线索需要写明 {field_name}")
                )
            elif needs.get(clue.unlock) != field_name and value is not None:
                problems.append((f"{here}.{field_name}", f"unlock: {clue.unlock} 的线索不用 {field_name}"))
        unknown(f"{here}.act", clue.act, acts, "幕")
        unknown(f"{here}.place", clue.place, places, "搜证地点")
        unknown(f"{here}.checkpoint", clue.checkpoint, checkpoints, "关卡")
        if clue.visibility == "role" and clue.role is None:
            problems.append((f"{here}.role", "visibility: role 的线索需要写明 role"))
        elif clue.visibility != "role" and clue.role is not None:
            problems.append((f"{here}.role", "只有 visibility: role 的线索可以写 role"))
        unknown(f"{here}.role", clue.role, roles, "角色")
        if clue.parent is not None:
            unknown(f"{here}.parent", clue.parent, clues, "线索")
            if clue.unlock not in ("search", "prop", "host"):
                problems.append((f"{here}.unlock", "深入线索（有 parent）只能通过搜证、扫码或主持人发放解锁"))
            seen = {clue.id}
            parent = clues.get(clue.parent)
            while parent is not None:
                if parent.id in seen:
                    problems.append((f"{here}.parent", "线索的 parent 形成了循环"))
                    break
                seen.add(parent.id)
                parent = clues.get(parent.parent) if parent.parent else None
    for checkpoint_id in checkpoints:
        if not any(checkpoint_id in act.checkpoints for act in scenario.acts):
            index = [item.id for item in scenario.checkpoints].index(checkpoint_id)
            problems.append((f"checkpoints[{index}]", f"关卡“{checkpoint_id}”没有在任何一幕开放"))
    for k, checkpoint in enumerate(scenario.checkpoints):
        _unused, question_problems = _question(checkpoint.question)
        for field_name, message in question_problems:
            place = f"checkpoints[{k}].question" + (f".{field_name}" if field_name else "")
            problems.append((place, message))

    types = [act.type for act in scenario.acts]
    if types.count("vote") != 1:
        problems.append(("acts", "需要恰好一个 vote（投票/推理）类型的幕"))
    if types.count("reveal") != 1 or types[-1] != "reveal":
        problems.append(("acts", "需要恰好一个 reveal（复盘）类型的幕，并且是最后一幕"))
    elif "vote" in types and types.index("vote") > types.index("reveal"):
        problems.append(("acts", "vote 幕应在 reveal 幕之前"))

    players = scenario.players
    if players.min > players.max:
        problems.append(("players", "min 不能大于 max"))
    required = sum(role.required for role in scenario.roles)
    if required > players.min:
        problems.append(("roles", f"必需角色有 {required} 个，多于每组最少人数 {players.min}"))
    if len(scenario.roles) < players.max:
        problems.append(("roles", f"角色只有 {len(scenario.roles)} 个，少于每组最多人数 {players.max}"))

    final = scenario.final
    options = {option.id for option in scenario.final_options()}
    problems += _duplicates("final.options", (option.id for option in final.options))
    if final.type == "deduction" and not final.options:
        problems.append(("final.options", "deduction（推理）需要列出选项"))
    unknown("final.answer", final.answer, options, "选项")
    for role_id in final.endings:
        unknown("final.endings", role_id, roles, "角色")
    return problems


# -- loading ---------------------------------------------------------------------------------


def parse_scenario(data: bytes | str) -> Scenario:
    """A checked scenario, or ScenarioError listing every problem with its place."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise ScenarioError([("", "文件是空的")])
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError([("", f"剧本文件超过 {MAX_SCENARIO_BYTES // 1024} KB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError([("", "剧本文件不是 UTF-8 编码")]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError([(yaml_place(error), "YAML 格式错误")]) from None
    except ValueError:
        raise ScenarioError([("", BAD_DATE)]) from None
    if not isinstance(document, dict):
        raise ScenarioError([("", "剧本文件应是一个 YAML 映射（键: 值）")])
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(pydantic_problems(error)) from None
    problems = _references(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def report_lines(scenario: Scenario) -> list[str]:
    """What ``arena scenario check`` prints for a good file."""
    unlocks = {kind: sum(clue.unlock == kind for clue in scenario.clues) for kind in UNLOCKS}
    names = {"act": "随幕", "search": "搜证", "prop": "扫码", "checkpoint": "关卡", "host": "主持人"}
    return [
        f"《{scenario.title}》（{scenario.id}）：{scenario.era}，约 {scenario.duration} 分钟，"
        f"每组 {scenario.players.min}-{scenario.players.max} 人",
        f"审核：{scenario.review.status}"
        + (f"（{scenario.review.reviewer}）" if scenario.review.reviewer else ""),
        f"角色 {len(scenario.roles)} 个（必需 {sum(r.required for r in scenario.roles)}），"
        f"幕 {len(scenario.acts)}，搜证地点 {len(scenario.places)}，关卡 {len(scenario.checkpoints)}",
        f"线索 {len(scenario.clues)} 条：" + "，".join(f"{names[k]} {n}" for k, n in unlocks.items() if n),
    ]
