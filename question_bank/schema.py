"""The canonical question and the rules every reader's rows pass through.

A reader turns its file into :class:`RawQuestion` values (strings and numbers as found);
:func:`build_question` turns one into a validated :class:`Question` or into problems.
Answer shapes (DESIGN §6): single ``"B"``; multiple ``["A", "B", "D"]``; judge
``True``/``False``; fill one list of accepted alternatives per blank; order the option
letters in the right order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from question_bank.normalize import clean_text, fingerprint, fold
from question_bank.report import Problem

TYPES = ("single", "multiple", "judge", "fill", "order")
TYPE_LABELS = {
    "single": "单选题",
    "multiple": "多选题",
    "judge": "判断题",
    "fill": "填空题",
    "order": "排序题",
}
LETTERS = "ABCDEF"
MAX_OPTIONS = len(LETTERS)
STEM_LIMIT = 500
OPTION_LIMIT = 200
TEXT_LIMIT = 2000
POINTS_RANGE = (1, 1000)
TIME_LIMIT_RANGE = (5, 600)
DIFFICULTY_RANGE = (1, 5)

Answer = str | list[str] | bool | list[list[str]]

_TYPE_ALIASES = {
    "single": "single",
    "单选": "single",
    "单选题": "single",
    "单项选择": "single",
    "单项选择题": "single",
    "单择题": "single",
    "选择题": "single",
    "sc": "single",
    "s": "single",
    "radio": "single",
    "multiple": "multiple",
    "多选": "multiple",
    "多选题": "multiple",
    "多项选择": "multiple",
    "多项选择题": "multiple",
    "不定项": "multiple",
    "不定项选择": "multiple",
    "不定项选择题": "multiple",
    "mc": "multiple",
    "m": "multiple",
    "checkbox": "multiple",
    "judge": "judge",
    "判断": "judge",
    "判断题": "judge",
    "是非题": "judge",
    "对错题": "judge",
    "tf": "judge",
    "truefalse": "judge",
    "true/false": "judge",
    "j": "judge",
    "fill": "fill",
    "填空": "fill",
    "填空题": "fill",
    "blank": "fill",
    "f": "fill",
    "order": "order",
    "排序": "order",
    "排序题": "order",
    "sort": "order",
}
_TRUE = {"对", "正确", "√", "✓", "✔", "t", "true", "是", "y", "yes", "1", "对的", "正确的"}
_FALSE = {"错", "错误", "×", "✗", "✘", "x", "f", "false", "否", "n", "no", "0", "错的", "错误的"}
_JUDGE_OPTION_TRUE = {"对", "正确", "√", "是", "true", "t"}
_JUDGE_OPTION_FALSE = {"错", "错误", "×", "否", "false", "f"}
_DIFFICULTY_WORDS = {
    "简单": 1,
    "容易": 1,
    "易": 1,
    "较易": 2,
    "较简单": 2,
    "一般": 3,
    "中等": 3,
    "中": 3,
    "适中": 3,
    "较难": 4,
    "困难": 5,
    "难": 5,
    "很难": 5,
}
_LETTER_LIST = re.compile(r"^[A-F](?:[\s,、;|/>→\-]*[A-F])*$")
_SEPARATORS = re.compile(r"[\s,、;|/>→\-]+")
_ALTERNATIVES = re.compile(r"[;；]")
_BLANKS = re.compile(r"[|｜\n]")
# Blank markers in a fill stem: a run of underscores, or empty brackets.
_BLANK_MARK = re.compile(r"_{2,}|＿{2,}|[（(]\s*[)）]|【\s*】|\[\s*\]")
_TAG_SPLIT = re.compile(r"[,，、;；/|\s]+")


@dataclass(frozen=True)
class Origin:
    """Where a question came from, for reports: the file and the row it stands in."""

    file: str
    row: int | None


@dataclass
class Question:
    type: str
    stem: str
    answer: Answer
    options: list[str] = field(default_factory=list)
    explanation: str = ""
    points: int | None = None
    time_limit: int | None = None
    difficulty: int | None = None
    tags: list[str] = field(default_factory=list)
    source: str = ""
    media: str = ""
    id: str = ""
    origin: Origin | None = field(default=None, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.stem, self.options)

    def to_dict(self) -> dict[str, Any]:
        """The canonical form (YAML/JSON export), leaving out empty optional fields."""
        data: dict[str, Any] = {"type": self.type, "stem": self.stem}
        if self.id:
            data = {"id": self.id, **data}
        if self.options:
            data["options"] = list(self.options)
        data["answer"] = self.answer
        for name in ("explanation", "points", "time_limit", "difficulty", "source", "media"):
            value = getattr(self, name)
            if value not in ("", None):
                data[name] = value
        if self.tags:
            data["tags"] = list(self.tags)
        return data

    def answer_text(self) -> str:
        """The answer as the spreadsheet template writes it (``ABD``, ``对``, ``a;b|c``)."""
        if self.type == "judge":
            return "对" if self.answer else "错"
        if self.type == "fill":
            assert isinstance(self.answer, list)
            return "|".join(";".join(alternatives) for alternatives in self.answer)
        if isinstance(self.answer, list):
            return "".join(self.answer)  # type: ignore[arg-type]
        return str(self.answer)


@dataclass
class RawQuestion:
    """One question as a reader found it, before any rule is applied.

    ``columns`` names, for each canonical field, the column (or key) it came from, so that
    a problem is reported where the organizer will look for it.
    """

    row: int | None
    file: str = ""
    type: Any = None
    stem: Any = None
    options: list[Any] = field(default_factory=list)
    answer: Any = None
    explanation: Any = None
    points: Any = None
    time_limit: Any = None
    difficulty: Any = None
    tags: Any = None
    source: Any = None
    media: Any = None
    id: Any = None
    columns: dict[str, str] = field(default_factory=dict)
    type_codes: dict[str, str] = field(default_factory=dict)
    answer_is_number: bool = False


def parse_type(value: str, type_codes: dict[str, str] | None = None) -> str | None:
    """Canonical type for a type cell, or None when it is not a known type."""
    key = fold(value).rstrip("。.")
    if type_codes and key in type_codes:
        return type_codes[key]
    return _TYPE_ALIASES.get(key)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


class _Rejected(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Builder:
    """Applies the rules to one raw question; the first problem per field is reported."""

    def __init__(self, raw: RawQuestion) -> None:
        self.raw = raw

    def column(self, name: str) -> str:
        return self.raw.columns.get(name, name)

    def problem(self, name: str, code: str, **details: object) -> Problem:
        return Problem.of(self.raw.row, self.column(name), code, **details)

    def fail(self, name: str, code: str, **details: object) -> _Rejected:
        return _Rejected(self.problem(name, code, **details))

    # -- fields ------------------------------------------------------------------------

    def stem(self) -> str:
        stem = _text(self.raw.stem)
        if not stem:
            raise self.fail("stem", "missing_field")
        if len(stem) > STEM_LIMIT:
            raise self.fail("stem", "stem_too_long", limit=STEM_LIMIT)
        return stem

    def options(self) -> list[str]:
        texts = [_text(option) for option in self.raw.options]
        while texts and not texts[-1]:
            texts.pop()
        if len(texts) > MAX_OPTIONS:
            raise self.fail("options", "too_many_options", count=len(texts))
        for index, text in enumerate(texts):
            letter = LETTERS[index]
            if not text:
                raise self.fail(f"option_{letter}", "option_gap", letter=letter)
            if len(text) > OPTION_LIMIT:
                raise self.fail(f"option_{letter}", "option_too_long", letter=letter, limit=OPTION_LIMIT)
        folded = [fold(text) for text in texts]
        for index, key in enumerate(folded):
            first = folded.index(key)
            if first != index:
                raise self.fail(
                    f"option_{LETTERS[index]}",
                    "duplicate_option",
                    letter=LETTERS[index],
                    other=LETTERS[first],
                )
        return texts

    def type(self, options: list[str]) -> str:
        text = _text(self.raw.type)
        if text:
            parsed = parse_type(text, self.raw.type_codes)
            if parsed is None:
                raise self.fail("type", "unknown_type", value=text)
            return parsed
        return self.infer_type(options)

    def infer_type(self, options: list[str]) -> str:
        """A file without a type column (Kahoot's template, Aiken) says it by its shape."""
        answer = self.raw.answer
        if not options:
            if isinstance(answer, bool) or fold(_text(answer)) in _TRUE | _FALSE:
                return "judge"
            return "fill"
        if isinstance(answer, list):
            return "multiple" if len(answer) > 1 else "single"
        if self.raw.answer_is_number:
            return "multiple" if len(_SEPARATORS.split(_text(answer))) > 1 else "single"
        letters = fold(_text(answer)).upper()
        if _LETTER_LIST.match(letters) and len(_SEPARATORS.sub("", letters)) > 1:
            return "multiple"
        return "single"

    def letters(self, options: list[str]) -> list[str]:
        """The answer of a choice or order question as option letters, in the given order."""
        answer = self.raw.answer
        count = len(options)
        allowed = LETTERS[:count]
        if isinstance(answer, list):
            parts = [_text(part) for part in answer]
            shown = "、".join(parts)
        else:
            shown = _text(answer)
            if not shown:
                raise self.fail("answer", "missing_field")
            parts = None
        if self.raw.answer_is_number and parts is None:
            numbers = [p for p in _SEPARATORS.split(fold(shown)) if p]
            if all(n.isdigit() for n in numbers):
                if any(not 1 <= int(n) <= count for n in numbers):
                    raise self.fail("answer", "answer_out_of_range", value=shown, letters=allowed)
                return [LETTERS[int(n) - 1] for n in numbers]
        # An answer written as an option's whole text wins over reading it as letters only
        # when it is not itself a run of letters (an option "A" would be ambiguous).
        folded_options = [fold(option) for option in options]
        candidates = parts if parts is not None else [shown]
        result: list[str] = []
        for candidate in candidates:
            key = fold(candidate).upper().strip("。.")
            if _LETTER_LIST.match(key):
                letters = list(_SEPARATORS.sub("", key))
                outside = [letter for letter in letters if letter not in allowed]
                if outside:
                    raise self.fail("answer", "answer_out_of_range", value=shown, letters=allowed)
                result.extend(letters)
                continue
            matched = self.match_option_texts(candidate, folded_options)
            if matched is None:
                raise self.fail("answer", "answer_not_in_options", value=shown)
            result.extend(matched)
        return result

    @staticmethod
    def match_option_texts(candidate: str, folded_options: list[str]) -> list[str] | None:
        key = fold(candidate)
        if key in folded_options:
            return [LETTERS[folded_options.index(key)]]
        pieces = [piece for piece in re.split(r"[、,，;；|]", candidate) if piece.strip()]
        if len(pieces) > 1 and all(fold(piece) in folded_options for piece in pieces):
            return [LETTERS[folded_options.index(fold(piece))] for piece in pieces]
        return None

    def judge(self, options: list[str]) -> bool:
        if options:
            folded = [fold(option) for option in options]
            shaped = (
                len(options) == 2 and folded[0] in _JUDGE_OPTION_TRUE and folded[1] in _JUDGE_OPTION_FALSE
            )
            if not shaped:
                raise self.fail("options", "judge_options", count=len(options))
        answer = self.raw.answer
        if isinstance(answer, bool):
            return answer
        text = _text(answer)
        if not text:
            raise self.fail("answer", "missing_field")
        key = fold(text).strip("。.")
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        if key in ("a", "b"):  # the template's 选项A 正确 / 选项B 错误 convention
            return key == "a"
        raise self.fail("answer", "bad_judge_answer", value=text)

    def fill(self, stem: str, options: list[str]) -> list[list[str]]:
        if options:
            raise self.fail("options", "fill_has_options")
        answer = self.raw.answer
        blanks = len(_BLANK_MARK.findall(stem))
        groups: list[list[str]]
        if isinstance(answer, list):
            groups = []
            for part in answer:
                alternatives = part if isinstance(part, list) else [part]
                groups.append([_text(a) for a in alternatives if _text(a)])
        else:
            text = _text(answer)
            if not text:
                raise self.fail("answer", "missing_field")
            if _BLANKS.search(text):
                groups = [_split_alternatives(part) for part in _BLANKS.split(text)]
            else:
                alternatives = _split_alternatives(text)
                # "a；b" with two blanks in the stem is one answer per blank; with one blank
                # (or none marked) it is two accepted alternatives for that blank.
                if blanks > 1 and len(alternatives) == blanks:
                    groups = [[alternative] for alternative in alternatives]
                else:
                    groups = [alternatives]
        groups = [group for group in groups if group]
        if not groups:
            raise self.fail("answer", "missing_field")
        if blanks and blanks != len(groups):
            raise self.fail("answer", "fill_blank_mismatch", blanks=blanks, answers=len(groups))
        return groups

    def number(self, name: str, bounds: tuple[int, int]) -> int | None:
        value = getattr(self.raw, name)
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise self.fail(name, "bad_number", value=text) from None
        if not number.is_integer():
            raise self.fail(name, "bad_number", value=text)
        low, high = bounds
        if not low <= number <= high:
            raise self.fail(name, "number_out_of_range", low=low, high=high, value=int(number))
        return int(number)

    def difficulty(self) -> int | None:
        text = _text(self.raw.difficulty)
        if not text:
            return None
        if fold(text) in _DIFFICULTY_WORDS:
            return _DIFFICULTY_WORDS[fold(text)]
        try:
            number = float(fold(text))
        except ValueError:
            raise self.fail("difficulty", "bad_difficulty", value=text) from None
        low, high = DIFFICULTY_RANGE
        if not number.is_integer() or not low <= number <= high:
            raise self.fail("difficulty", "bad_difficulty", value=text)
        return int(number)

    def tags(self) -> list[str]:
        value = self.raw.tags
        items = value if isinstance(value, list) else _TAG_SPLIT.split(_text(value))
        tags: list[str] = []
        for item in items:
            tag = _text(item)
            if tag and tag not in tags:
                tags.append(tag[:40])
        return tags

    def long_text(self, name: str) -> str:
        text = _text(getattr(self.raw, name))
        if len(text) > TEXT_LIMIT:
            raise self.fail(name, "bad_field", detail=f"超过 {TEXT_LIMIT} 个字符")
        return text

    # -- the whole question ------------------------------------------------------------

    def build(self) -> Question:
        stem = self.stem()
        options = self.options()
        qtype = self.type(options)
        answer: Answer
        if qtype in ("single", "multiple", "order"):
            if len(options) < 2:
                raise self.fail("options", "too_few_options", type=TYPE_LABELS[qtype])
            letters = self.letters(options)
            shown = "".join(letters)
            if qtype == "single":
                if len(set(letters)) != 1:
                    raise self.fail("answer", "single_needs_one", value=shown)
                answer = letters[0]
            elif qtype == "multiple":
                unique = sorted(set(letters))
                if len(unique) < 2:
                    raise self.fail("answer", "multiple_needs_two", value=shown)
                answer = unique
            else:
                if sorted(letters) != list(LETTERS[: len(options)]):
                    raise self.fail(
                        "answer", "bad_order_answer", value=shown, letters=LETTERS[: len(options)]
                    )
                answer = letters
        elif qtype == "judge":
            answer = self.judge(options)
            options = []
        else:
            answer = self.fill(stem, options)
        return Question(
            type=qtype,
            stem=stem,
            options=options,
            answer=answer,
            explanation=self.long_text("explanation"),
            points=self.number("points", POINTS_RANGE),
            time_limit=self.number("time_limit", TIME_LIMIT_RANGE),
            difficulty=self.difficulty(),
            tags=self.tags(),
            source=self.long_text("source"),
            media=_text(self.raw.media),
            id=_text(self.raw.id)[:64],
            origin=Origin(self.raw.file, self.raw.row),
        )


def _split_alternatives(text: str) -> list[str]:
    return [clean_text(part) for part in _ALTERNATIVES.split(text) if clean_text(part)]


def build_question(raw: RawQuestion) -> tuple[Question | None, list[Problem]]:
    """Apply every rule to ``raw``: a question, or the problem that rejects the row."""
    builder = _Builder(raw)
    try:
        return builder.build(), []
    except _Rejected as rejected:
        return None, [rejected.problem]
