"""zh-CN problem reports for the YAML files organizers write (points rules, scenarios):
pydantic's errors in Chinese, each with its place in the file."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class FileProblems(ValueError):
    """The file is not valid; ``problems`` lists each (place, message) in zh-CN. Each kind
    of file names its own stable ``code``."""

    code = "bad_file"
    colon = ": "

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(
            "；".join(f"{place}{self.colon}{message}" if place else message for place, message in problems)
        )
        self.message = str(self)


class Strict(BaseModel):
    """A part of such a file: unknown keys are problems, and a loaded file never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_MESSAGES = {
    "missing": "缺少这一项",
    "extra_forbidden": "不认识的设置项",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_pattern_mismatch": "只能用字母、数字、- 和 _（最多 40 个）",
    "literal_error": "应为 {expected} 之一",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "date_type": "应为日期（如 2026-12-01）",
    "date_parsing": "应为日期（如 2026-12-01）",
    "date_from_datetime_parsing": "应为日期（如 2026-12-01）",
    "date_from_datetime_inexact": "应为日期（如 2026-12-01），不带时间",
}


def place(loc: tuple[Any, ...]) -> str:
    """``("roles", 2, "acts", "act3")`` → ``roles[2].acts.act3``, as the file is written."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def pydantic_problems(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        where = place(item["loc"])
        if item["type"] == "value_error":  # cross-field checks: one message each, "；"-separated
            problems += [(where, message) for message in str(item["ctx"]["error"]).split("；")]
            continue
        template = _MESSAGES.get(item["type"], "取值不正确")
        context = {key: str(value).replace("'", "") for key, value in item.get("ctx", {}).items()}
        if "expected" in context:  # "a, b or c" → "a、b、c"
            context["expected"] = context["expected"].replace(" or ", "、").replace(", ", "、")
        problems.append((where, template.format(**context)))
    return problems


# PyYAML turns 2026-13-01 into a date and raises a plain ValueError, not a YAMLError.
BAD_DATE = "YAML 格式错误：文件中有不存在的日期"


def yaml_place(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    return f"第 {mark.line + 1} 行" if mark is not None else ""
