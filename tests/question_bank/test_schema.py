"""The canonical question and its rules (DESIGN §6), one raw question at a time.

Each test hands :func:`build_question` what a reader would have found in one row and
asserts the exact canonical question, or the exact (row, column, code) that rejects it.
Columns are named as the spreadsheet reader names fields it has no header for.
"""

from __future__ import annotations

from typing import Any

import pytest

from question_bank.errors import MESSAGES, BankFileError, message
from question_bank.normalize import clean_text, fingerprint
from question_bank.schema import Origin, Question, RawQuestion, build_question, parse_type
from question_bank.tabular import FIELD_LABELS

ROW = 7
FOUR = ["实现社会主义现代化", "实现共产主义", "全面建成小康社会", "实现中华民族伟大复兴"]


def build(**fields: Any) -> Question:
    fields.setdefault("stem", "中国共产党的最高理想和最终目标是（ ）。")
    question, problems = build_question(
        RawQuestion(row=ROW, file="题库.xlsx", columns=dict(FIELD_LABELS), **fields)
    )
    assert problems == [], problems
    assert question is not None
    assert question.origin == Origin("题库.xlsx", ROW)
    return question


def reject(**fields: Any) -> tuple[int | None, str | None, str, str]:
    fields.setdefault("stem", "中国共产党的最高理想和最终目标是（ ）。")
    question, problems = build_question(
        RawQuestion(row=ROW, file="题库.xlsx", columns=dict(FIELD_LABELS), **fields)
    )
    assert question is None
    assert len(problems) == 1
    problem = problems[0]
    return problem.row, problem.column, problem.code, problem.message


# -- answer shapes -------------------------------------------------------------------------


def test_single_answer_is_one_letter_string() -> None:
    question = build(type="单选题", options=FOUR, answer="B", explanation="党章总纲。", points=10)
    assert question == Question(
        type="single",
        stem="中国共产党的最高理想和最终目标是（ ）。",
        options=FOUR,
        answer="B",
        explanation="党章总纲。",
        points=10,
    )


@pytest.mark.parametrize(
    "written",
    [
        "A、B、D",
        "A,B,D",
        "ABD",
        "A，B，D",
        "ＡＢＤ",
        "Ａ、Ｂ、Ｄ",
        "A B D",
        "a;b;d",
        "DBA",
        "A、B、D、D",
        "A/B/D",
    ],
)
def test_multiple_answer_in_every_usual_spelling_is_sorted_unique_letters(written: str) -> None:
    question = build(type="多选题", options=FOUR, answer=written)
    assert question.type == "multiple"
    assert question.answer == ["A", "B", "D"]


@pytest.mark.parametrize("written", ["B", "b", "Ｂ", " B ", "B。", "B."])
def test_single_answer_letter_variants(written: str) -> None:
    assert build(type="单选", options=FOUR, answer=written).answer == "B"


@pytest.mark.parametrize("written", ["对", "正确", "√", "T", "t", "true", "是", "✓", "对。", "Ｔ", "1"])
def test_judge_true_spellings(written: str) -> None:
    question = build(type="判断题", stem="预备党员的预备期为一年。", answer=written)
    assert (question.type, question.options, question.answer) == ("judge", [], True)


@pytest.mark.parametrize("written", ["错", "错误", "×", "F", "false", "否", "✗", "错误。", "0"])
def test_judge_false_spellings(written: str) -> None:
    question = build(type="判断题", stem="预备党员的预备期为两年。", answer=written)
    assert (question.type, question.options, question.answer) == ("judge", [], False)


@pytest.mark.parametrize(("written", "expected"), [("A", True), ("B", False), ("a", True), ("Ｂ", False)])
def test_judge_answer_as_letter_when_options_are_correct_and_wrong(written: str, expected: bool) -> None:
    question = build(type="判断题", stem="预备党员的预备期为一年。", options=["正确", "错误"], answer=written)
    assert question == Question(type="judge", stem="预备党员的预备期为一年。", answer=expected)


def test_judge_with_options_dui_cuo_and_letter_b() -> None:
    assert build(type="判断", stem="党费可以不交。", options=["对", "错"], answer="B").answer is False


def test_judge_answer_as_bool_from_yaml() -> None:
    assert build(type="judge", stem="党费必须按月交纳。", answer=True).answer is True


def test_judge_with_three_options_is_rejected() -> None:
    assert reject(type="判断题", options=["正确", "错误", "不确定"], answer="A") == (
        ROW,
        "选项",
        "judge_options",
        "判断题只能有“正确/错误”两个选项，本题有 3 个选项。",
    )


def test_judge_with_unknown_answer_is_rejected() -> None:
    assert reject(type="判断题", answer="可能") == (
        ROW,
        "答案",
        "bad_judge_answer",
        "判断题答案“可能”无法识别，请填写 对/错、正确/错误、√/×、T/F。",
    )


def test_order_answer_keeps_the_given_order() -> None:
    options = ["遵义会议", "中共一大", "古田会议", "八七会议"]
    for written in ("BDCA", "B、D、C、A", "B→D→C→A", "b d c a"):
        question = build(type="排序题", stem="按时间先后排序。", options=options, answer=written)
        assert (question.type, question.answer) == ("order", ["B", "D", "C", "A"])


@pytest.mark.parametrize("written", ["BDC", "BDCC", "BDCAA"])
def test_order_answer_must_list_every_letter_once(written: str) -> None:
    options = ["遵义会议", "中共一大", "古田会议", "八七会议"]
    assert reject(type="排序题", stem="排序。", options=options, answer=written)[:3] == (
        ROW,
        "答案",
        "bad_order_answer",
    )


# -- answers written as option text ------------------------------------------------------


def test_single_answer_written_as_the_option_text() -> None:
    assert build(type="单选题", options=FOUR, answer="实现共产主义").answer == "B"


def test_single_answer_option_text_matches_after_cleaning() -> None:
    assert build(type="单选题", options=FOUR, answer=" 实现\u3000共产主义\u00a0").answer == "B"


def test_multiple_answer_written_as_option_texts() -> None:
    options = ["参加党的有关会议", "在党的会议上参加讨论", "对党的工作提出建议和倡议", "拒绝执行党的决议"]
    question = build(type="多选题", options=options, answer="参加党的有关会议、对党的工作提出建议和倡议")
    assert question.answer == ["A", "C"]
    question = build(type="多选题", options=options, answer="在党的会议上参加讨论；参加党的有关会议")
    assert question.answer == ["A", "B"]


def test_answer_matching_no_option_is_an_error_never_a_guess() -> None:
    assert reject(type="单选题", options=FOUR, answer="实现共产主义社会") == (
        ROW,
        "答案",
        "answer_not_in_options",
        "答案“实现共产主义社会”既不是选项字母，也与任何选项内容不一致。",
    )


def test_multiple_answer_with_one_unknown_text_is_rejected() -> None:
    options = ["参加党的有关会议", "在党的会议上参加讨论", "对党的工作提出建议和倡议"]
    assert reject(type="多选题", options=options, answer="参加党的有关会议、拒绝执行")[:3] == (
        ROW,
        "答案",
        "answer_not_in_options",
    )


# -- choice errors -------------------------------------------------------------------------


def test_answer_letter_outside_the_options() -> None:
    assert reject(type="单选题", options=FOUR[:3], answer="D") == (
        ROW,
        "答案",
        "answer_out_of_range",
        "答案“D”超出选项范围（本题只有 ABC）。",
    )


def test_multiple_answer_with_one_letter_outside_the_options() -> None:
    assert reject(type="多选题", options=FOUR, answer="A、E")[:3] == (ROW, "答案", "answer_out_of_range")


def test_single_with_two_letters() -> None:
    assert reject(type="单选题", options=FOUR, answer="AB") == (
        ROW,
        "答案",
        "single_needs_one",
        "单选题只能有一个答案，本题给出了“AB”。",
    )


def test_multiple_with_one_letter() -> None:
    assert reject(type="多选题", options=FOUR, answer="AA") == (
        ROW,
        "答案",
        "multiple_needs_two",
        "多选题至少需要两个正确答案，本题只有“AA”。",
    )


def test_choice_needs_two_options() -> None:
    assert reject(type="单选题", options=["唯一"], answer="A") == (
        ROW,
        "选项",
        "too_few_options",
        "单选题至少需要 2 个选项。",
    )


def test_option_gap_names_the_empty_option() -> None:
    assert reject(type="单选题", options=["甲", "", "丙"], answer="A") == (
        ROW,
        "选项B",
        "option_gap",
        "选项不连续：选项B为空，但后面还有选项。",
    )


def test_trailing_empty_options_are_not_a_gap() -> None:
    assert build(type="单选题", options=["甲", "乙", "", None, ""], answer="A").options == ["甲", "乙"]


def test_duplicate_option_after_normalisation() -> None:
    assert reject(type="单选题", options=["党章", "党史", "党 章\u00a0"], answer="A") == (
        ROW,
        "选项C",
        "duplicate_option",
        "选项C与选项A内容相同。",
    )


def test_more_than_six_options() -> None:
    assert reject(type="单选题", options=list("一二三四五六七"), answer="A") == (
        ROW,
        "选项",
        "too_many_options",
        "最多支持 6 个选项（A-F），本题有 7 个。",
    )


def test_missing_answer() -> None:
    assert reject(type="单选题", options=FOUR, answer="  ") == (
        ROW,
        "答案",
        "missing_field",
        "“答案”不能为空。",
    )


# -- stem, type and the other fields -----------------------------------------------------


def test_empty_stem() -> None:
    assert reject(stem=" \u3000 ", type="单选题", options=FOUR, answer="B") == (
        ROW,
        "题干",
        "missing_field",
        "“题干”不能为空。",
    )


def test_stem_over_the_limit() -> None:
    assert reject(stem="党" * 501, type="判断题", answer="对")[:3] == (ROW, "题干", "stem_too_long")
    assert build(stem="党" * 500, type="判断题", answer="对").stem == "党" * 500


def test_unknown_type() -> None:
    assert reject(type="问答题", options=FOUR, answer="B") == (
        ROW,
        "题型",
        "unknown_type",
        "无法识别的题型“问答题”，可用：单选题、多选题、判断题、填空题、排序题。",
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("单选题", "single"),
        ("单项选择题", "single"),
        ("多选", "multiple"),
        ("不定项选择题", "multiple"),
        ("判断题。", "judge"),
        ("是非题", "judge"),
        ("填空题", "fill"),
        ("排序题", "order"),
        ("Single", "single"),
        ("ＭＣ", "multiple"),
        ("True/False", "judge"),
    ],
)
def test_type_names(written: str, expected: str) -> None:
    assert parse_type(written) == expected


def test_type_codes_from_the_header_win() -> None:
    assert parse_type("1", {"0": "single", "1": "judge", "2": "multiple"}) == "judge"
    assert parse_type("1") is None


def test_type_is_inferred_from_the_shape_without_a_type() -> None:
    assert build(options=FOUR, answer="B").type == "single"
    assert build(options=FOUR, answer="A、C").type == "multiple"
    assert build(stem="预备党员的预备期为一年。", answer="对").type == "judge"
    fill = build(stem="党的思想路线的核心是____。", answer="实事求是")
    assert (fill.type, fill.answer) == ("fill", [["实事求是"]])


def test_numbers_difficulty_and_tags() -> None:
    question = build(
        type="判断题",
        stem="预备期为一年。",
        answer="对",
        points="10.0",
        time_limit=30.0,
        difficulty="中等",
        tags="党章、党史，党章;党员",
        source=" 《中国共产党章程》第七条 ",
    )
    assert (question.points, question.time_limit, question.difficulty) == (10, 30, 3)
    assert question.tags == ["党章", "党史", "党员"]
    assert question.source == "《中国共产党章程》第七条"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"points": "十分"}, ("分值", "bad_number", "“分值”应为整数，实际为“十分”。")),
        ({"points": "2.5"}, ("分值", "bad_number", "“分值”应为整数，实际为“2.5”。")),
        ({"points": "0"}, ("分值", "number_out_of_range", "“分值”应在 1 到 1000 之间，实际为 0。")),
        ({"time_limit": "3"}, ("时限", "number_out_of_range", "“时限”应在 5 到 600 之间，实际为 3。")),
        (
            {"difficulty": "6"},
            ("难度", "bad_difficulty", "无法识别的难度“6”，请填写 1-5 或 简单/较易/中等/较难/困难。"),
        ),
        (
            {"difficulty": "超难"},
            ("难度", "bad_difficulty", "无法识别的难度“超难”，请填写 1-5 或 简单/较易/中等/较难/困难。"),
        ),
    ],
)
def test_bad_numbers(fields: dict[str, str], expected: tuple[str, str, str]) -> None:
    assert reject(type="判断题", answer="对", **fields) == (ROW, *expected)


# -- text cleaning ---------------------------------------------------------------------------


def test_odd_spaces_and_zero_width_characters_are_cleaned() -> None:
    question = build(
        type="单选题",
        stem="\ufeff中国共产党\u00a0的\u3000根本宗旨是\u200b（ ）。\u200d",
        options=["全心全意为人民服务\u00a0", "\u3000实事求是", "密切\u200c联系群众", "批评与自我批评"],
        answer="Ａ",
    )
    assert question.stem == "中国共产党的根本宗旨是（ ）。"
    assert question.options == ["全心全意为人民服务", "实事求是", "密切联系群众", "批评与自我批评"]


def test_pdf_spacing_between_chinese_characters_is_removed_but_the_blank_is_kept() -> None:
    question = build(type="判断题", stem="中 国 共 产 党 的 根 本 宗 旨 是（ ）。", answer="对")
    assert question.stem == "中国共产党的根本宗旨是（ ）。"
    assert build(type="判断题", stem="党的宗旨是( )。", answer="对").stem == "党的宗旨是( )。"


def test_full_width_letters_fold_but_chinese_punctuation_stays() -> None:
    assert clean_text("ＣＰＣ成立于１９２１年，地点：上海。") == "CPC成立于1921年，地点：上海。"
    assert clean_text("第一行  \r\n\r\n  第二行\tend") == "第一行\n第二行 end"
    assert clean_text("①②③ a  b") == "①②③ a b"


# -- fill-in answers -------------------------------------------------------------------------

THOUGHT = "党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。"
TWO_BLANKS = "中国共产党的根本宗旨是（ ），思想路线的核心是（ ）。"


def test_fill_one_blank_two_alternatives() -> None:
    question = build(type="填空题", stem=THOUGHT, answer="实事求是；求真务实")
    assert question == Question(type="fill", stem=THOUGHT, answer=[["实事求是", "求真务实"]])


def test_fill_two_blanks_one_answer_each() -> None:
    question = build(type="填空题", stem=TWO_BLANKS, answer="全心全意为人民服务；实事求是")
    assert question.answer == [["全心全意为人民服务"], ["实事求是"]]


def test_fill_explicit_blanks_with_alternatives() -> None:
    question = build(type="填空题", stem=TWO_BLANKS, answer="全心全意为人民服务;为人民服务|实事求是")
    assert question.answer == [["全心全意为人民服务", "为人民服务"], ["实事求是"]]


def test_fill_blank_mismatch() -> None:
    assert reject(type="填空题", stem=TWO_BLANKS, answer="甲|乙|丙") == (
        ROW,
        "答案",
        "fill_blank_mismatch",
        "题干中有 2 个空，但答案给出了 3 组。",
    )
    assert reject(type="填空题", stem=THOUGHT, answer="实事求是|求真务实")[:3] == (
        ROW,
        "答案",
        "fill_blank_mismatch",
    )


def test_fill_without_blank_marks_takes_the_answer_as_given() -> None:
    assert build(type="填空题", stem="党的最高理想是什么？", answer="共产主义;实现共产主义").answer == [
        ["共产主义", "实现共产主义"]
    ]


def test_fill_with_options_is_rejected() -> None:
    assert reject(type="填空题", stem=THOUGHT, options=["实事求是"], answer="A") == (
        ROW,
        "选项",
        "fill_has_options",
        "填空题不应填写选项。",
    )


def test_fill_answer_float_from_excel_is_text() -> None:
    question = build(type="填空题", stem="中国共产党成立于____年。", answer=1921.0)
    assert question.answer == [["1921"]]


def test_fill_answer_as_nested_lists() -> None:
    question = build(type="fill", stem=TWO_BLANKS, answer=[["全心全意为人民服务", "为人民服务"], "实事求是"])
    assert question.answer == [["全心全意为人民服务", "为人民服务"], ["实事求是"]]


# -- equality and fingerprints ---------------------------------------------------------------


def test_question_equality_ignores_origin() -> None:
    a = Question(type="judge", stem="甲", answer=True, origin=Origin("a.xlsx", 3))
    b = Question(type="judge", stem="甲", answer=True, origin=Origin("b.yaml", 9))
    assert a == b
    assert a != Question(type="judge", stem="甲", answer=False)


def test_fingerprint_ignores_option_order_width_and_punctuation() -> None:
    base = fingerprint("党的最高理想是（ ）。", ["实现共产主义", "实现现代化"])
    assert fingerprint("党的最高理想是( ).", ["实现现代化", "实现共产主义"]) == base
    assert fingerprint("党的最高理想是（\u3000）。", ["实现共产主义 ", "实现现代化"]) == base
    assert fingerprint("党的最高理想是（ ）。", ["实现共产主义", "实现小康"]) != base
    assert fingerprint("党的最终目标是（ ）。", ["实现共产主义", "实现现代化"]) != base


def test_to_dict_is_the_canonical_form() -> None:
    question = Question(
        type="multiple",
        stem="甲",
        options=["a", "b", "c"],
        answer=["A", "C"],
        points=5,
        tags=["党章"],
        id="q1",
    )
    assert question.to_dict() == {
        "id": "q1",
        "type": "multiple",
        "stem": "甲",
        "options": ["a", "b", "c"],
        "answer": ["A", "C"],
        "points": 5,
        "tags": ["党章"],
    }


# -- messages -------------------------------------------------------------------------------


def test_every_message_formats_and_file_errors_carry_their_code() -> None:
    details = dict(
        size="1 MB",
        limit=1,
        name="x",
        detail="d",
        rows=20,
        column="c",
        line=3,
        value="v",
        type="t",
        count=7,
        letter="A",
        other="B",
        letters="ABC",
        blanks=1,
        answers=2,
        low=1,
        high=2,
        allowed="a",
        bank="b",
        columns="“题干”和“答案”两列",
    )
    for code in MESSAGES:
        text = message(code, **details)
        assert "{" not in text and text.strip()
    error = BankFileError("missing_column", column="答案")
    assert (error.code, error.message) == ("missing_column", "缺少必需的列“答案”。")
