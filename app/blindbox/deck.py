"""The deck file (党建盲盒, docs/FORMATS.md §10): YAML or an XLSX workbook with the sheets
“规则” and “卡片”, parsed into one ``Deck`` and checked as a whole.

Both formats become the same document and go through the same pydantic models, so a rule
is written once; only the places differ: ``cards[3].points`` in YAML, ``卡片 第 5 行 分值``
in a workbook. A deck loads whole or not at all: draws and the shuffle bag depend on every
card, so a half-loaded deck would change who gets what. No Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePath
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from app.validation import BAD_DATE, FileProblems, Strict, pydantic_problems, yaml_place
from question_bank import tabular
from question_bank.errors import BankFileError, message
from question_bank.normalize import cell_text
from question_bank.readers import named_sheets

RARITIES = ("普通", "稀有", "隐藏")
# A rarity stands for a weight: on a full bag a 普通 card is drawn 10 times as often as a 隐藏 one.
RARITY_WEIGHTS = {"普通": 10, "稀有": 3, "隐藏": 1}
PROOFS = ("none", "text", "photo")
PROOF_NAMES = {"none": "无", "text": "文字", "photo": "照片"}
_PROOF_ALIASES = {"无": "none", "不需要": "none", "文字": "text", "照片": "photo", "图片": "photo"}
MAX_DECK_BYTES = 2 * 1024 * 1024
MAX_CARDS = 500
_OFFER_WORDS = {"一张": 1, "抽一张": 1, "1张": 1, "三选一": 3, "3选1": 3, "三张": 3, "3张": 3}
Id = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")


class DeckError(FileProblems):
    """The file is not a valid deck."""

    code = "bad_deck"


def _folded(value: Any) -> Any:
    """Full-width digits and letters as organizers type them (３ → 3), spaces trimmed; YAML's
    ``true`` is not the number 1."""
    if isinstance(value, bool):
        return str(value).lower()
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(value: Any) -> Any:
    """``2026-12-01``, ``2026/12/1``, ``2026年12月1日`` (how a spreadsheet cell reads)."""
    if isinstance(value, dt.datetime):
        return value.date()
    value = _folded(value)
    if isinstance(value, str):
        if not value:
            return None
        match = _DATE.match(value)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass  # 2026-02-30: pydantic reports it as a bad date
    return value


def _offer(value: Any) -> Any:
    value = _folded(value)
    if isinstance(value, str):
        return _OFFER_WORDS.get(value, int(value) if value.isascii() and value.isdigit() else value)
    return value


Folded = BeforeValidator(_folded)
Number = Annotated[int, Folded]
Date = Annotated[dt.date | None, BeforeValidator(_date)]


class DrawRules(Strict):
    offer: Annotated[Literal[1, 3], BeforeValidator(_offer)] = 1  # one card, or three to choose from
    per_day: Number = Field(default=1, ge=0, le=50)  # 0: no daily limit
    per_week: Number = Field(default=3, ge=0, le=200)  # 0: no weekly limit
    branches: list[str] = Field(default_factory=list, max_length=200)  # empty: every branch
    due_days: Number = Field(default=7, ge=1, le=365)

    @field_validator("branches", mode="before")
    @classmethod
    def _branch_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # one cell: “第一党支部、第二党支部”
            value = [part for part in re.split(r"[、,，;；\n]+", value)]
        if isinstance(value, list):
            return [_folded(part) for part in value if not isinstance(part, str) or part.strip()]
        return value

    @model_validator(mode="after")
    def _limits(self) -> DrawRules:
        if self.per_day and self.per_week and self.per_week < self.per_day:
            raise ValueError("每周次数不能少于每日次数")
        return self


class Card(Strict):
    id: Annotated[str, Folded] = Id
    title: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=500)
    category: str = Field(default="", max_length=20)
    points: Number | None = Field(default=None, ge=0, le=1000)  # None: the points rules' task default
    points_min: Number | None = Field(default=None, ge=0, le=1000)
    points_max: Number | None = Field(default=None, ge=0, le=1000)
    rarity: Annotated[Literal["普通", "稀有", "隐藏"], Folded] = "普通"
    weight: Number | None = Field(default=None, ge=1, le=1000)  # overrides the rarity's weight
    proof: Literal["none", "text", "photo"] = "text"
    limit: Number | None = Field(default=None, ge=1, le=100)  # times one member may hold it; None: no cap
    valid_from: Date = None
    valid_until: Date = None
    due_days: Number | None = Field(default=None, ge=1, le=365)  # None: the deck's due_days

    @field_validator("proof", mode="before")
    @classmethod
    def _proof_alias(cls, value: Any) -> Any:
        value = _folded(value)
        if isinstance(value, str):
            value = _PROOF_ALIASES.get(value, value.lower())
        if value not in PROOFS:
            raise ValueError("凭证应为 无、文字、照片 之一（或 none、text、photo）")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> Card:
        problems = []
        if (self.points_min is not None or self.points_max is not None) and self.points is None:
            problems.append("填写了分值范围时也要填写分值")
        if self.points is not None and not self.low <= self.points <= self.high:
            problems.append("分值应在最低分和最高分之间")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            problems.append("截止日期不能早于生效日期")
        if problems:
            raise ValueError("；".join(problems))
        return self

    @property
    def low(self) -> int | None:
        return self.points if self.points_min is None else self.points_min

    @property
    def high(self) -> int | None:
        return self.points if self.points_max is None else self.points_max

    @property
    def draw_weight(self) -> int:
        return self.weight or RARITY_WEIGHTS[self.rarity]

    def drawable_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class Deck(Strict):
    key: str = Id
    title: str = Field(min_length=1, max_length=60)
    description: str = Field(default="", max_length=1000)
    rules: DrawRules = DrawRules()
    cards: list[Card] = Field(min_length=1, max_length=MAX_CARDS)

    @model_validator(mode="after")
    def _unique_ids(self) -> Deck:
        counts = Counter(card.id for card in self.cards)
        repeated = [card_id for card_id, count in counts.items() if count > 1]
        if repeated:
            raise ValueError("；".join(f"卡片编号“{card_id}”重复" for card_id in repeated))
        return self

    def card(self, card_id: str) -> Card:
        """The card with this id; KeyError when the deck (perhaps reloaded) has none."""
        for card in self.cards:
            if card.id == card_id:
                return card
        raise KeyError(card_id)


# -- the workbook ----------------------------------------------------------------------------

RULE_ROWS = {  # 规则 sheet: 项目 → field (top-level fields of the deck, then its draw rules)
    "编号": ("key",),
    "名称": ("title",),
    "说明": ("description",),
    "每次可选": ("rules", "offer"),
    "每日次数": ("rules", "per_day"),
    "每周次数": ("rules", "per_week"),
    "可抽支部": ("rules", "branches"),
    "完成期限（天）": ("rules", "due_days"),
}
CARD_COLUMNS: dict[str, list[str]] = {
    "id": ["编号", "卡片编号", "id"],
    "title": ["标题", "卡片标题", "任务", "title"],
    "description": ["说明", "任务说明", "描述", "description"],
    "category": ["类别", "分类", "category"],
    "points": ["分值", "积分", "points"],
    "points_min": ["最低分", "points_min"],
    "points_max": ["最高分", "points_max"],
    "rarity": ["稀有度", "rarity"],
    "weight": ["权重", "weight"],
    "proof": ["凭证", "完成凭证", "proof"],
    "limit": ["每人上限", "每人次数上限", "limit"],
    "valid_from": ["生效日期", "开始日期", "valid_from"],
    "valid_until": ["截止日期", "结束日期", "valid_until"],
    "due_days": ["完成期限", "完成期限天", "due_days"],
}
CARD_LABELS = {field: aliases[0] for field, aliases in CARD_COLUMNS.items()} | {"due_days": "完成期限（天）"}


def _rule_key(value: object) -> str:
    return re.sub(r"[\s（）()天]", "", unicodedata.normalize("NFKC", str(value or "")))


_RULE_KEYS = {_rule_key(label): label for label in RULE_ROWS}


class _Workbook:
    """The document a workbook holds, and where each value came from (for the report)."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"rules": {}, "cards": []}
        self.rule_rows: dict[str, int] = {}  # rule label → row
        self.card_rows: list[int] = []  # the row of each card, in order
        self.card_labels: dict[str, str] = dict(CARD_LABELS)  # field → header text in the file
        self.problems: list[tuple[str, str]] = []

    def read_rules(self, rows: Iterator[tuple[int, list[object]]]) -> None:
        for number, cells in rows:
            if not cells or cells[0] is None:
                continue
            label = _RULE_KEYS.get(_rule_key(cells[0]))
            if label is None:
                if _rule_key(cells[0]) not in ("项目", ""):
                    self.problems.append((f"规则 第 {number} 行", f"不认识的项目“{cells[0]}”"))
                continue
            cell = cells[1] if len(cells) > 1 else None
            if isinstance(cell, tabular.Formula):
                self.problems.append(
                    (f"规则 第 {number} 行 {label}", message("formula_cell", value=str(cell)[:40]))
                )
                continue
            value = cell_text(cell)
            if not value:
                continue
            if label in self.rule_rows:
                self.problems.append(
                    (f"规则 第 {number} 行", f"“{label}”与第 {self.rule_rows[label]} 行重复")
                )
                continue
            self.rule_rows[label] = number
            path = RULE_ROWS[label]
            target = self.document if len(path) == 1 else self.document["rules"]
            target[path[-1]] = value

    def read_cards(self, rows: Iterator[tuple[int, list[object]]]) -> None:
        header = tabular.find_header(rows, CARD_COLUMNS, {"title": "标题"}, anchor="title")
        self.card_labels.update(header.labels)
        for number, values, problems in tabular.data_rows(rows, header):
            self.problems += [(f"卡片 第 {number} 行 {p.column}", p.message) for p in problems]
            self.card_rows.append(number)
            self.document["cards"].append(dict(values))

    def place(self, where: str) -> str:
        """``cards[3].points`` → ``卡片 第 5 行 分值``; ``rules.per_day`` → ``规则 第 6 行 每日次数``."""
        match = re.match(r"^cards\[(\d+)\](?:\.(\w+))?", where)
        if match:
            row = self.card_rows[int(match.group(1))]
            label = self.card_labels.get(match.group(2) or "", "")
            return f"卡片 第 {row} 行 {label}".rstrip()
        path = tuple(where.split(".")) if where else ()
        label = next((name for name, field in RULE_ROWS.items() if field == path), None)
        if label is not None:
            row = self.rule_rows.get(label)
            return f"规则 第 {row} 行 {label}" if row else f"规则 {label}"
        return {"cards": "卡片", "rules": "规则", "": ""}.get(where, where)


def _read_workbook(data: bytes) -> _Workbook:
    book = _Workbook()
    found = set()
    for name, rows in named_sheets(data):
        name = name.strip()
        if name not in ("规则", "卡片"):
            continue
        found.add(name)
        try:
            if name == "规则":
                book.read_rules(rows)
            else:
                book.read_cards(rows)
        except BankFileError as error:  # no header, a damaged sheet: the sheet's problem
            book.problems.append((name, error.message))
    for name in ("规则", "卡片"):
        if name not in found:
            book.problems.append(("", f"工作簿里没有“{name}”工作表（请从模板开始填写）"))
    return book


# -- loading ---------------------------------------------------------------------------------


def parse_deck(data: bytes, filename: str) -> Deck:
    """A checked deck from a ``.yaml``/``.yml`` or ``.xlsx`` file, or DeckError listing
    every problem with its place."""
    suffix = PurePath(filename or "").suffix.lower()
    if not data.strip():
        raise DeckError([("", "文件是空的")])
    if len(data) > MAX_DECK_BYTES:
        raise DeckError([("", f"盲盒文件超过 {MAX_DECK_BYTES // 1024 // 1024} MB")])
    if suffix in (".yaml", ".yml"):
        return _validate(_yaml_document(data), str)
    if suffix == ".xlsx":
        try:
            book = _read_workbook(data)
        except BankFileError as error:
            raise DeckError([("", error.message)]) from None
        try:
            deck = _validate(book.document, book.place)
        except DeckError as error:
            raise DeckError(book.problems + error.problems) from None
        if book.problems:
            raise DeckError(book.problems)
        return deck
    raise DeckError([("", f"无法识别文件格式“{PurePath(filename or '').name}”，支持 .yaml、.yml、.xlsx")])


def _yaml_document(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DeckError([("", "盲盒文件不是 UTF-8 编码")]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DeckError([(yaml_place(error), "YAML 格式错误")]) from None
    except ValueError:
        raise DeckError([("", BAD_DATE)]) from None
    if not isinstance(document, dict):
        raise DeckError([("", "盲盒文件应是一个 YAML 映射（键: 值）")])
    return document


def _validate(document: Any, place: Any) -> Deck:
    try:
        return Deck.model_validate(document)
    except ValidationError as error:
        raise DeckError([(place(where), message) for where, message in pydantic_problems(error)]) from None


def deck_from_json(content: dict[str, Any]) -> Deck:
    """A deck as stored (``Deck.model_dump(mode="json")``), already checked when loaded."""
    return Deck.model_validate(content)


def report_lines(deck: Deck) -> list[str]:
    """What ``arena deck check`` prints for a good file."""
    rules = deck.rules
    rarities = "，".join(
        f"{rarity} {count}" for rarity in RARITIES if (count := sum(c.rarity == rarity for c in deck.cards))
    )
    total = sum(card.draw_weight for card in deck.cards)
    odds = "，".join(f"{card.id} {card.draw_weight / total:.1%}" for card in deck.cards[:20])
    return [
        f"《{deck.title}》（{deck.key}）：{len(deck.cards)} 张卡片（{rarities}）",
        f"每次{'三选一' if rules.offer == 3 else '抽一张'}；每人每天 {rules.per_day or '不限'} 次，"
        f"每周 {rules.per_week or '不限'} 次；完成期限 {rules.due_days} 天；"
        f"可抽支部：{'、'.join(rules.branches) if rules.branches else '全部'}",
        f"首抽概率：{odds}" + ("……" if len(deck.cards) > 20 else ""),
    ]


# -- the template ----------------------------------------------------------------------------

TEMPLATE_RULES = [
    ("编号", "my-box", "字母、数字、- 和 _；同一编号再次载入会替换卡片"),
    ("名称", "党建盲盒", ""),
    ("说明", "每天抽一次，完成后上传凭证，支部书记审核通过即计入积分。", ""),
    ("每次可选", "三选一", "一张 或 三选一"),
    ("每日次数", 1, "每人每天最多抽几次；0 表示不限"),
    ("每周次数", 3, "每人每周最多抽几次；0 表示不限"),
    ("可抽支部", "", "留空表示全部支部；多个支部用顿号分隔"),
    ("完成期限（天）", 7, "抽到后几天内完成；卡片可单独设置"),
]
TEMPLATE_CARDS: list[dict[str, object]] = [
    {"id": "study-01", "title": "学习一篇重要讲话", "description": "学习后写下三点体会。",
     "category": "学习", "points": 5, "rarity": "普通", "proof": "文字"},
    {"id": "service-01", "title": "参加一次志愿服务", "description": "上传活动现场照片。",
     "category": "服务", "points": 10, "points_min": 8, "points_max": 15, "rarity": "稀有",
     "proof": "照片", "limit": 2, "due_days": 14},
    {"id": "idea-01", "title": "提一条合理化建议", "description": "围绕本岗位工作提出建议。",
     "category": "建言", "points": 5, "rarity": "普通", "proof": "文字"},
    {"id": "help-01", "title": "帮助一位同事", "description": "写下帮助的经过。",
     "category": "互助", "points": 20, "rarity": "隐藏", "proof": "文字", "limit": 1},
]  # fmt: skip


def deck_template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    rules = workbook.active
    rules.title = "规则"
    rules.append(["项目", "值", "填写说明"])
    for row in TEMPLATE_RULES:
        rules.append(list(row))
    cards = workbook.create_sheet("卡片")
    cards.append([CARD_LABELS[field] for field in CARD_COLUMNS])
    for card in TEMPLATE_CARDS:
        cards.append([card.get(field, "") for field in CARD_COLUMNS])
    for sheet, widths in ((rules, {"A": 16, "B": 40, "C": 44}), (cards, {"B": 22, "C": 40})):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="FFE699")
        for column, width in widths.items():
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
