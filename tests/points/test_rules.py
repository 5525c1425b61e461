"""The rules file: the shipped defaults, every problem of a bad file with its place, star
thresholds, the awards of a live game, and saving a file only when it is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.points.rules import (
    DEFAULT_RULES,
    QuizResult,
    RulesError,
    load_rules,
    parse_rules,
    quiz_awards,
)
from app.points.service import Points

# The smallest valid file: every category the sections default to is declared.
MINIMAL = (
    "categories: [学习]\nmember_types: [群众]\nassessed: [群众]\n"
    "base: {category: 学习, member_types: [群众]}\n"
)
ONE_CATEGORY = "activities: {quiz: {category: 学习}, scenario: {category: 学习}, task: {category: 学习}}\n"


def test_the_default_rules() -> None:
    rules = load_rules(None)
    assert rules.categories == ["学习", "组织生活", "志愿服务", "履职", "纪律"]
    assert rules.member_types == ["正式党员", "预备党员", "入党积极分子", "群众"]
    assert rules.assessed == ["正式党员", "预备党员"]
    assert (rules.base.points, rules.base.category, rules.base.member_types) == (
        60,
        "履职",
        ["正式党员", "预备党员"],
    )
    assert rules.caps == {"学习": {"day": 20, "week": 60}, "志愿服务": {"month": 30}}
    assert rules.stars == {"一星": 30, "二星": 50, "三星": 70, "四星": 90, "五星": 110}
    quiz = rules.activities.quiz
    assert (quiz.category, quiz.participation, quiz.per_correct, quiz.rank_bonus, quiz.winning_branch) == (
        "学习",
        2,
        1,
        [5, 3, 2],
        2,
    )
    scenario, task = rules.activities.scenario, rules.activities.task
    assert (
        scenario.category,
        scenario.participation,
        scenario.per_checkpoint,
        scenario.deduction_correct,
    ) == (
        "组织生活",
        3,
        1,
        5,
    )
    assert (task.category, task.completed) == ("志愿服务", 5)


def test_load_rules_prefers_the_organizers_file(tmp_path: Path) -> None:
    assert load_rules(tmp_path / "missing.yaml") == load_rules(None)
    own = tmp_path / "points_rules.yaml"
    own.write_text(MINIMAL + "stars: {铜: 1}\n" + ONE_CATEGORY, encoding="utf-8")
    assert load_rules(own).stars == {"铜": 1} and load_rules(own).categories == ["学习"]


@pytest.mark.parametrize(
    ("total", "star"),
    [
        (-5, ""),
        (0, ""),
        (29, ""),
        (30, "一星"),
        (49, "一星"),
        (50, "二星"),
        (70, "三星"),
        (109, "四星"),
        (110, "五星"),
        (999, "五星"),
    ],
)
def test_the_star_is_the_highest_threshold_reached(total: int, star: str) -> None:
    assert load_rules(None).star(total) == star


def test_no_stars_means_no_star() -> None:
    assert parse_rules(MINIMAL + ONE_CATEGORY).star(10_000) == ""


def test_a_bad_rules_file_lists_every_cross_field_problem() -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(
            "categories: [学习, 学习, '', 非常非常非常非常长的类别名]\n"
            "member_types: [群众]\nassessed: [党员]\n"
            "caps: {学习: {hour: 3, day: 100001}, 文体: {day: 1}}\nstars: {一星: 50, 二星: 10}\n"
            "activities: {quiz: {rank_bonus: [5, -1]}}\n"
        )
    assert raised.value.code == "bad_rules"
    assert raised.value.problems == [
        ("", "categories 中有重复的类别"),
        ("", "类别“”应为 1-10 个字"),
        ("", "类别“非常非常非常非常长的类别名”应为 1-10 个字"),
        ("", "base.category 的类别“履职”不在 categories 中"),
        ("", "activities.scenario.category 的类别“组织生活”不在 categories 中"),
        ("", "activities.task.category 的类别“志愿服务”不在 categories 中"),
        ("", "assessed 中的“党员”不在 member_types 中"),
        ("", "base.member_types 中的“正式党员”不在 member_types 中"),
        ("", "base.member_types 中的“预备党员”不在 member_types 中"),
        ("", "caps.学习 的“hour”应为 day、week、month、quarter 或 year"),
        ("", "caps.学习.day 应在 0 到 100000 之间"),
        ("", "caps 中的类别“文体”不在 categories 中"),
        ("", "stars 的门槛应从低到高排列且互不相同"),
        ("", "activities.quiz.rank_bonus 每项应在 0 到 10000 之间"),
    ]
    assert raised.value.message.startswith("categories 中有重复的类别；类别“”应为 1-10 个字；")


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("member_types: [群众]\nassessed: [群众]\n", [("categories", "缺少这一项")]),
        (
            "categories: 学习\nmember_types: [群众]\nassessed: []\n",
            [("categories", "应为列表"), ("assessed", "至少需要 1 项")],
        ),
        ("categories: [1]\nmember_types: [群众]\nassessed: [群众]\n", [("categories[0]", "应为文字")]),
        (
            MINIMAL + "activities: {quiz: {per_correct: -1, speed: 3, participation: 1.5}}\n",
            [
                ("activities.quiz.participation", "应为整数"),
                ("activities.quiz.per_correct", "不能小于 0"),
                ("activities.quiz.speed", "不认识的设置项"),
            ],
        ),
        (
            MINIMAL.replace("member_types: [群众]}", "member_types: [群众], points: 10001}")
            + "caps: {学习: 5}\ncolour: red\n",
            [
                ("base.points", "不能大于 10000"),
                ("caps.学习", "应为映射（键: 值）"),
                ("colour", "不认识的设置项"),
            ],
        ),
        (MINIMAL + "caps: {学习: {week: 很多}}\n", [("caps.学习.week", "应为整数")]),
        (MINIMAL + "stars: [一星]\n", [("stars", "应为映射（键: 值）")]),
        (
            MINIMAL + "activities: {quiz: {rank_bonus: [" + "1, " * 21 + "]}}\n",
            [("activities.quiz.rank_bonus", "最多 20 项")],
        ),
        ("a: [", [("第 1 行", "YAML 格式错误")]),
        ("season_start: 2026-02-30\n", [("", "YAML 格式错误：文件中有不存在的日期")]),
        ("categories: [学习]\n  bad: indent\n", [("第 2 行", "YAML 格式错误")]),
        ("- 1\n", [("", "规则文件应是一个 YAML 映射（键: 值）")]),
        ("", [("", "规则文件应是一个 YAML 映射（键: 值）")]),
        (b"\xff\xfe", [("", "规则文件不是 UTF-8 编码")]),
        (b"#" * (64 * 1024 + 1), [("", "规则文件超过 64 KB")]),
        ("#" * (64 * 1024 + 1), [("", "规则文件超过 64 KB")]),
    ],
)
def test_bad_files_report_each_place_and_message(text: str | bytes, problems: list[tuple[str, str]]) -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(text)
    assert raised.value.problems == problems


def test_a_bom_and_the_size_limit_itself_are_fine() -> None:
    shipped = DEFAULT_RULES.read_bytes()
    assert parse_rules(b"\xef\xbb\xbf" + shipped) == load_rules(None)
    padded = (MINIMAL + ONE_CATEGORY).encode()
    padded += b"#" * (64 * 1024 - len(padded))
    assert len(padded) == 64 * 1024 and parse_rules(padded).categories == ["学习"]


@pytest.mark.parametrize(
    ("result", "awards"),
    [
        (
            QuizResult(answered=5, correct=4, rank=1, branch_won=True),
            [
                ("quiz.participation", "学习", 2, "参加“七一赛”"),
                ("quiz.correct", "学习", 4, "“七一赛”答对 4 题 × 1 分"),
                ("quiz.rank", "学习", 5, "“七一赛”个人第 1 名"),
                ("quiz.winning_branch", "学习", 2, "“七一赛”支部第一名"),
            ],
        ),
        (
            QuizResult(answered=5, correct=0, rank=3, branch_won=False),
            [
                ("quiz.participation", "学习", 2, "参加“七一赛”"),
                ("quiz.rank", "学习", 2, "“七一赛”个人第 3 名"),
            ],
        ),
        (
            QuizResult(answered=2, correct=1, rank=4, branch_won=False),
            [
                ("quiz.participation", "学习", 2, "参加“七一赛”"),
                ("quiz.correct", "学习", 1, "“七一赛”答对 1 题 × 1 分"),
            ],
        ),
        # Joined but never answered: nothing, not even as a member of the winning branch.
        (QuizResult(answered=0, correct=0, rank=1, branch_won=True), []),
        (
            QuizResult(answered=1, correct=0, rank=None, branch_won=False),
            [("quiz.participation", "学习", 2, "参加“七一赛”")],
        ),
    ],
)
def test_quiz_awards_by_the_default_rules(
    result: QuizResult, awards: list[tuple[str, str, int, str]]
) -> None:
    won = quiz_awards(load_rules(None), result, "七一赛")
    assert [(a.rule, a.category, a.points, a.reason) for a in won] == awards


def test_quiz_awards_skip_rules_worth_nothing() -> None:
    rules = parse_rules(
        MINIMAL + "activities: {quiz: {category: 学习, participation: 0, per_correct: 3, rank_bonus: [0, 4],"
        " winning_branch: 0}, scenario: {category: 学习}, task: {category: 学习}}\n"
    )
    first = quiz_awards(rules, QuizResult(answered=3, correct=2, rank=1, branch_won=True), "赛")
    assert [(a.rule, a.points) for a in first] == [("quiz.correct", 6)]  # participation, 1st, branch: 0
    second = quiz_awards(rules, QuizResult(answered=3, correct=2, rank=2, branch_won=True), "赛")
    assert [(a.rule, a.points, a.reason) for a in second] == [
        ("quiz.correct", 6, "“赛”答对 2 题 × 3 分"),
        ("quiz.rank", 4, "“赛”个人第 2 名"),
    ]


def test_saving_rules_replaces_the_file_only_when_valid(tmp_path: Path) -> None:
    service = Points(tmp_path / "points_rules.yaml", store=None)  # type: ignore[arg-type]
    assert service.rules_text() == DEFAULT_RULES.read_text(encoding="utf-8")
    saved = service.save_rules(MINIMAL + ONE_CATEGORY)
    assert saved.categories == ["学习"] and service.rules().categories == ["学习"]
    with pytest.raises(RulesError) as raised:
        service.save_rules("categories: []\n")
    assert raised.value.problems[0] == ("categories", "至少需要 1 项")
    assert service.rules_text() == MINIMAL + ONE_CATEGORY  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points_rules.yaml"]
