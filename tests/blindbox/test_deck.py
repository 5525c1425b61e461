"""Deck files (党建盲盒, docs/FORMATS.md §10): a broken file names each problem at its exact
place, in YAML (``cards[1].points``) and in a workbook (``卡片 第 3 行 分值``); the sample
deck and the template pass and survive the trip through the database's JSON."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from app.blindbox.deck import (
    MAX_CARDS,
    MAX_DECK_BYTES,
    Card,
    Deck,
    DeckError,
    deck_from_json,
    deck_template_xlsx,
    parse_deck,
    report_lines,
)

SAMPLE = Path(__file__).parents[2] / "decks" / "dangjian_box.yaml"
PROOF = "凭证应为 无、文字、照片 之一（或 none、text、photo）"
NOT_XLSX = "文件内容不是 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为 .xlsx”后重试。"

BASE: dict[str, Any] = {
    "key": "test-box",
    "title": "测试盲盒",
    "rules": {"offer": 1, "per_day": 1, "per_week": 3},
    "cards": [
        {"id": "read", "title": "读一篇文章", "points": 5},
        {
            "id": "photo",
            "title": "拍一张照片",
            "points": 10,
            "points_min": 8,
            "points_max": 15,
            "rarity": "稀有",
            "proof": "photo",
        },
        {"id": "rare", "title": "看望老党员", "points": 20, "rarity": "隐藏", "limit": 1},
    ],
}
DELETE = object()


def deck(**changes: Any) -> dict[str, Any]:
    """BASE with ``cards__1__points=20`` style changes (``DELETE`` removes the key)."""
    data = yaml.safe_load(yaml.safe_dump(BASE, allow_unicode=True))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key = int(last) if last.isdigit() else last
        if value is DELETE:
            del target[key]
        else:
            target[key] = value
    return data


def as_yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def problems_of(data: Any, filename: str = "deck.yaml") -> list[tuple[str, str]]:
    raw = data if isinstance(data, bytes) else data.encode() if isinstance(data, str) else as_yaml(data)
    with pytest.raises(DeckError) as caught:
        parse_deck(raw, filename)
    return caught.value.problems


def parsed(data: Any) -> Deck:
    return parse_deck(as_yaml(data), "deck.yaml")


# -- YAML ------------------------------------------------------------------------------------


def test_the_base_deck_of_these_tests_passes() -> None:
    result = parsed(BASE)
    assert [card.id for card in result.cards] == ["read", "photo", "rare"]
    assert (result.rules.offer, result.rules.per_day, result.rules.per_week, result.rules.due_days) == (
        1,
        1,
        3,
        7,
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (deck(rules__offer=2), [("rules.offer", "应为 1、3 之一")]),
        (deck(rules__offer="五选一"), [("rules.offer", "应为 1、3 之一")]),
        (deck(cards__0__rarity="传说"), [("cards[0].rarity", "应为 普通、稀有、隐藏 之一")]),
        (deck(colour="red"), [("colour", "不认识的设置项")]),
        (deck(rules__offers=3), [("rules.offers", "不认识的设置项")]),
        (deck(cards__1__score=3), [("cards[1].score", "不认识的设置项")]),
        (deck(cards__0__proof="视频"), [("cards[0].proof", PROOF)]),
        (deck(cards__0__proof=None), [("cards[0].proof", PROOF)]),
        (deck(cards__1__points=20), [("cards[1]", "分值应在最低分和最高分之间")]),
        (deck(cards__1__points=7), [("cards[1]", "分值应在最低分和最高分之间")]),
        (deck(cards__0__points_max=4), [("cards[0]", "分值应在最低分和最高分之间")]),
        (deck(cards__1__points=DELETE), [("cards[1]", "填写了分值范围时也要填写分值")]),
        (
            deck(cards__1__points=DELETE, cards__1__points_min=DELETE),
            [("cards[1]", "填写了分值范围时也要填写分值")],
        ),
        (
            deck(cards__0__valid_from="2026-12-01", cards__0__valid_until="2026-11-30"),
            [("cards[0]", "截止日期不能早于生效日期")],
        ),
        (
            deck(
                cards__1__points=20,
                cards__1__valid_from="2026-12-01",
                cards__1__valid_until="2026-11-30",
            ),
            [("cards[1]", "分值应在最低分和最高分之间"), ("cards[1]", "截止日期不能早于生效日期")],
        ),
        (deck(cards__2__id="read"), [("", "卡片编号“read”重复")]),
        (
            deck(cards__1__id="read", cards__2__id="read"),
            [("", "卡片编号“read”重复")],
        ),
        (deck(rules__per_day=4), [("rules", "每周次数不能少于每日次数")]),
        (deck(cards__0__points=1001), [("cards[0].points", "不能大于 1000")]),
        (deck(cards__0__points=-1), [("cards[0].points", "不能小于 0")]),
        (deck(cards__0__points="五"), [("cards[0].points", "应为整数")]),
        (deck(cards__0__weight=0), [("cards[0].weight", "不能小于 1")]),
        (deck(cards__0__weight=1001), [("cards[0].weight", "不能大于 1000")]),
        (deck(cards__0__limit=0), [("cards[0].limit", "不能小于 1")]),
        (deck(cards__0__limit=101), [("cards[0].limit", "不能大于 100")]),
        (deck(cards__0__due_days=0), [("cards[0].due_days", "不能小于 1")]),
        (deck(cards__0__due_days=366), [("cards[0].due_days", "不能大于 365")]),
        (deck(rules__due_days=366), [("rules.due_days", "不能大于 365")]),
        (deck(rules__per_day=51, rules__per_week=60), [("rules.per_day", "不能大于 50")]),
        (deck(rules__per_week=201), [("rules.per_week", "不能大于 200")]),
        (deck(rules__per_day=-1), [("rules.per_day", "不能小于 0")]),
        (deck(cards__0__title=""), [("cards[0].title", "不能为空")]),
        (deck(cards__0__title="长" * 41), [("cards[0].title", "不能超过 40 个字")]),
        (deck(cards__0__description="长" * 501), [("cards[0].description", "不能超过 500 个字")]),
        (deck(cards__0__category="长" * 21), [("cards[0].category", "不能超过 20 个字")]),
        (deck(title="长" * 61), [("title", "不能超过 60 个字")]),
        (deck(description="长" * 1001), [("description", "不能超过 1000 个字")]),
        (deck(cards__0__id="读书"), [("cards[0].id", "只能用字母、数字、- 和 _（最多 40 个）")]),
        (deck(key="a" * 41), [("key", "只能用字母、数字、- 和 _（最多 40 个）")]),
        (deck(title=DELETE), [("title", "缺少这一项")]),
        (deck(cards__0__title=DELETE), [("cards[0].title", "缺少这一项")]),
        (deck(cards=[]), [("cards", "至少需要 1 项")]),
        (deck(cards={"id": "a"}), [("cards", "应为列表")]),
        (deck(rules="每天一次"), [("rules", "应为映射（键: 值）")]),
        (deck(cards__0__valid_from="下个月"), [("cards[0].valid_from", "应为日期（如 2026-12-01）")]),
        (
            deck(key=DELETE, title=DELETE, cards=DELETE),
            [("key", "缺少这一项"), ("title", "缺少这一项"), ("cards", "缺少这一项")],
        ),
    ],
)
def test_a_broken_yaml_deck_names_each_problem_and_its_place(
    data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data) == expected


def test_every_problem_of_a_yaml_deck_is_reported_in_one_run() -> None:
    data = deck(rules__offer=2, cards__0__points=1001, cards__1__rarity="传说", cards__2__proof="视频")
    assert problems_of(data) == [
        ("rules.offer", "应为 1、3 之一"),
        ("cards[0].points", "不能大于 1000"),
        ("cards[1].rarity", "应为 普通、稀有、隐藏 之一"),
        ("cards[2].proof", PROOF),
    ]


def test_per_day_equal_to_per_week_or_either_unlimited_is_accepted() -> None:
    assert parsed(deck(rules__per_day=3)).rules.per_week == 3
    assert parsed(deck(rules__per_day=5, rules__per_week=0)).rules.per_day == 5
    assert parsed(deck(rules__per_day=0, rules__per_week=2)).rules.per_week == 2


def test_points_on_the_edge_of_the_range_and_a_range_with_one_end_are_accepted() -> None:
    assert parsed(deck(cards__1__points=8)).cards[1].points == 8
    assert parsed(deck(cards__1__points=15)).cards[1].points == 15
    one_end = parsed(deck(cards__1__points_max=DELETE)).cards[1]
    assert (one_end.low, one_end.points, one_end.high) == (8, 10, 10)
    same_day = parsed(deck(cards__0__valid_from="2026-12-01", cards__0__valid_until="2026-12-01")).cards[0]
    assert same_day.valid_from == same_day.valid_until == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("field", "written", "read"),
    [
        ("proof", "无", "none"),
        ("proof", "不需要", "none"),
        ("proof", "文字", "text"),
        ("proof", "照片", "photo"),
        ("proof", "图片", "photo"),
        ("proof", "PHOTO", "photo"),
        ("proof", " text ", "text"),
        ("rarity", " 稀有 ", "稀有"),
        ("points", "１２", 12),
        ("id", "ｒｅａｄ－２", "read-2"),
        ("valid_from", "2026年12月1日", dt.date(2026, 12, 1)),
        ("valid_from", "2026/12/1", dt.date(2026, 12, 1)),
        ("valid_from", "2026.12.01", dt.date(2026, 12, 1)),
        ("valid_until", dt.date(2026, 12, 31), dt.date(2026, 12, 31)),
    ],
)
def test_how_organizers_write_a_card_field_is_accepted(field: str, written: Any, read: Any) -> None:
    assert getattr(parsed(deck(**{f"cards__0__{field}": written})).cards[0], field) == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        (1, 1),
        (3, 3),
        ("3", 3),
        ("３", 3),
        ("三选一", 3),
        ("3选1", 3),
        ("三张", 3),
        ("一张", 1),
        ("抽一张", 1),
    ],
)
def test_offer_words_are_accepted(written: Any, read: int) -> None:
    assert parsed(deck(rules__offer=written)).rules.offer == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        (
            "第一党支部、第二党支部,第三党支部，第四党支部",
            ["第一党支部", "第二党支部", "第三党支部", "第四党支部"],
        ),
        ("第一党支部；第二党支部", ["第一党支部", "第二党支部"]),
        (["第一党支部", " 第二党支部 ", ""], ["第一党支部", "第二党支部"]),
        ([], []),
        ("", []),
    ],
)
def test_branches_are_a_list_or_one_separated_line(written: Any, read: list[str]) -> None:
    assert parsed(deck(rules__branches=written)).rules.branches == read


def test_rule_defaults_when_the_file_has_no_rules() -> None:
    rules = parsed(deck(rules=DELETE)).rules
    assert (rules.offer, rules.per_day, rules.per_week, rules.branches, rules.due_days) == (1, 1, 3, [], 7)
    card = parsed(deck(rules=DELETE)).cards[0]
    assert (card.rarity, card.proof, card.weight, card.limit, card.due_days) == (
        "普通",
        "text",
        None,
        None,
        None,
    )
    assert (card.description, card.category) == ("", "")


def test_a_card_without_points_keeps_none_for_the_points_rules_default() -> None:
    card = parsed(deck(cards__0__points=DELETE)).cards[0]
    assert (card.points, card.low, card.high) == (None, None, None)


BASE_TEXT = "key: k\ntitle: T\ncards:\n  - {id: a, title: A}\n"


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"", "deck.yaml", [("", "文件是空的")]),
        (b"  \n\n", "deck.yaml", [("", "文件是空的")]),
        (b"", "deck.xlsx", [("", "文件是空的")]),
        (b"\xff\xfe\x00bad", "deck.yaml", [("", "盲盒文件不是 UTF-8 编码")]),
        ("- a\n- b\n", "deck.yaml", [("", "盲盒文件应是一个 YAML 映射（键: 值）")]),
        ("就一句话\n", "deck.yaml", [("", "盲盒文件应是一个 YAML 映射（键: 值）")]),
        ("key: [unclosed\n", "deck.yaml", [("第 2 行", "YAML 格式错误")]),
        (
            BASE_TEXT.replace("title: A}", "title: A, valid_from: 2026-13-01}"),
            "deck.yaml",
            [("", "YAML 格式错误：文件中有不存在的日期")],
        ),
        (
            BASE_TEXT.replace("title: A}", "title: A, valid_until: 2026-02-30}"),
            "deck.yml",
            [("", "YAML 格式错误：文件中有不存在的日期")],
        ),
        (BASE_TEXT, "deck.json", [("", "无法识别文件格式“deck.json”，支持 .yaml、.yml、.xlsx")]),
        (BASE_TEXT, "上传/deck.txt", [("", "无法识别文件格式“deck.txt”，支持 .yaml、.yml、.xlsx")]),
        (BASE_TEXT, "", [("", "无法识别文件格式“”，支持 .yaml、.yml、.xlsx")]),
        (b"a: " + b"x" * MAX_DECK_BYTES, "deck.yaml", [("", "盲盒文件超过 2 MB")]),
        (b"a: " + b"x" * MAX_DECK_BYTES, "deck.xlsx", [("", "盲盒文件超过 2 MB")]),
    ],
)
def test_a_file_that_is_not_a_deck_at_all(data: Any, filename: str, expected: list[tuple[str, str]]) -> None:
    assert problems_of(data, filename) == expected


@pytest.mark.parametrize("filename", ["deck.yaml", "deck.yml", "DECK.YML", "路径/盲盒.Yaml"])
def test_yaml_extensions_are_accepted_in_any_case(filename: str) -> None:
    assert parse_deck(BASE_TEXT.encode(), filename).key == "k"


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse_deck("\ufeff".encode() + BASE_TEXT.encode(), "deck.yaml").key == "k"


def test_a_file_of_exactly_the_size_limit_is_read() -> None:
    text = BASE_TEXT.encode()
    padded = text + b"#" * (MAX_DECK_BYTES - len(text))
    assert len(padded) == MAX_DECK_BYTES
    assert parse_deck(padded, "deck.yaml").key == "k"
    assert problems_of(padded + b"#") == [("", "盲盒文件超过 2 MB")]


def test_a_deck_holds_at_most_max_cards_cards() -> None:
    assert MAX_CARDS == 500
    cards = [{"id": f"c{i}", "title": f"卡片{i}"} for i in range(MAX_CARDS + 1)]
    assert len(parsed(deck(cards=cards[:MAX_CARDS])).cards) == MAX_CARDS
    assert problems_of(deck(cards=cards)) == [("cards", "最多 500 项")]


@pytest.mark.parametrize("proof", [["text"], {"kind": "text"}])
def test_a_proof_that_is_a_list_or_a_mapping_is_a_problem_not_a_crash(proof: Any) -> None:
    assert problems_of(deck(cards__0__proof=proof)) == [("cards[0].proof", PROOF)]


# -- the sample deck, Card, report -----------------------------------------------------------


def test_the_sample_deck_passes_and_round_trips_through_json() -> None:
    sample = parse_deck(SAMPLE.read_bytes(), SAMPLE.name)
    assert (sample.key, sample.title, len(sample.cards)) == ("dangjian-box", "党建盲盒·示例", 16)
    assert (sample.rules.offer, sample.rules.per_day, sample.rules.per_week) == (3, 1, 3)
    stored = json.loads(json.dumps(sample.model_dump(mode="json"), ensure_ascii=False))
    assert deck_from_json(stored) == sample
    assert stored["cards"][0]["proof"] == "text"
    assert stored["cards"][12]["points"] is None  # help-thanks: the points rules decide


def test_the_yaml_example_in_formats_md_is_a_valid_deck() -> None:
    formats = (Path(__file__).parents[2] / "docs" / "FORMATS.md").read_text(encoding="utf-8")
    section = formats.split("## 10.")[1]
    example = section.split("```yaml\n")[1].split("```")[0]
    documented = parse_deck(example.encode(), "example.yaml")
    (one,) = documented.cards
    assert (documented.rules.offer, one.low, one.points, one.high, one.draw_weight) == (3, 5, 8, 10, 5)
    assert (one.proof, one.limit, one.due_days) == ("photo", 2, 14)
    assert (one.valid_from, one.valid_until) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_dates_round_trip_through_json() -> None:
    dated = parsed(deck(cards__0__valid_from="2026-12-01", cards__0__valid_until="2026-12-31"))
    stored = dated.model_dump(mode="json")
    assert (stored["cards"][0]["valid_from"], stored["cards"][0]["valid_until"]) == (
        "2026-12-01",
        "2026-12-31",
    )
    assert deck_from_json(stored) == dated


def test_report_lines_for_the_sample() -> None:
    sample = parse_deck(SAMPLE.read_bytes(), SAMPLE.name)
    assert report_lines(sample) == [
        "《党建盲盒·示例》（dangjian-box）：16 张卡片（普通 10，稀有 4，隐藏 2）",
        "每次三选一；每人每天 1 次，每周 3 次；完成期限 7 天；可抽支部：全部",
        "首抽概率：study-speech 8.8%，study-constitution 8.8%，study-history 8.8%，study-museum 2.6%，"
        "service-volunteer 2.6%，service-clean 8.8%，service-elder 0.9%，idea-work 8.8%，"
        "idea-branch 8.8%，idea-safety 2.6%，help-newcomer 8.8%，help-skill 8.8%，help-thanks 8.8%，"
        "read-book 2.6%，quiz-practice 8.8%，hidden-story 0.9%",
    ]


def test_report_lines_without_limits_with_branches_and_more_than_twenty_cards() -> None:
    cards = [{"id": f"c{i:02}", "title": "卡片"} for i in range(21)]
    data = deck(
        cards=cards,
        rules={
            "offer": 1,
            "per_day": 0,
            "per_week": 0,
            "branches": ["第一党支部", "第二党支部"],
            "due_days": 3,
        },
    )
    lines = report_lines(parsed(data))
    assert lines[:2] == [
        "《测试盲盒》（test-box）：21 张卡片（普通 21）",
        "每次抽一张；每人每天 不限 次，每周 不限 次；完成期限 3 天；可抽支部：第一党支部、第二党支部",
    ]
    assert lines[2] == "首抽概率：" + "，".join(f"c{i:02} 4.8%" for i in range(20)) + "……"


def card(**fields: Any) -> Card:
    return Card.model_validate({"id": "c", "title": "卡片", **fields})


@pytest.mark.parametrize(
    ("fields", "low", "high"),
    [
        ({"points": 5}, 5, 5),
        ({"points": 10, "points_min": 8, "points_max": 15}, 8, 15),
        ({"points": 10, "points_min": 8}, 8, 10),
        ({"points": 10, "points_max": 15}, 10, 15),
        ({}, None, None),
    ],
)
def test_card_low_and_high(fields: dict[str, Any], low: int | None, high: int | None) -> None:
    one = card(**fields)
    assert (one.low, one.high) == (low, high)


@pytest.mark.parametrize(
    ("fields", "weight"),
    [
        ({}, 10),
        ({"rarity": "普通"}, 10),
        ({"rarity": "稀有"}, 3),
        ({"rarity": "隐藏"}, 1),
        ({"rarity": "隐藏", "weight": 7}, 7),
        ({"rarity": "普通", "weight": 1}, 1),
    ],
)
def test_card_draw_weight_is_the_rarity_unless_weight_overrides(fields: dict[str, Any], weight: int) -> None:
    assert card(**fields).draw_weight == weight


def test_card_drawable_on_includes_both_ends_of_its_period() -> None:
    december = card(valid_from="2026-12-01", valid_until="2026-12-31")
    days = [dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)]
    assert [december.drawable_on(day) for day in days] == [False, True, True, False]
    assert [card(valid_from="2026-12-01").drawable_on(day) for day in days] == [False, True, True, True]
    assert [card(valid_until="2026-12-31").drawable_on(day) for day in days] == [True, True, True, False]
    assert [card().drawable_on(day) for day in days] == [True, True, True, True]


def test_deck_card_finds_a_card_by_id() -> None:
    base = parsed(BASE)
    assert base.card("photo").title == "拍一张照片"
    with pytest.raises(KeyError):
        base.card("nope")


# -- XLSX ------------------------------------------------------------------------------------


def workbook(cells: dict[str, Any] | None = None, edit: Callable[[Workbook], None] | None = None) -> bytes:
    """The template with cells changed: ``{"卡片!E3": "很多"}``; ``edit`` for the rest."""
    book = load_workbook(io.BytesIO(deck_template_xlsx()))
    for where, value in (cells or {}).items():
        sheet, cell = where.split("!")
        book[sheet][cell] = value
    if edit is not None:
        edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def from_workbook(data: bytes) -> Deck:
    return parse_deck(data, "盲盒.xlsx")


def xlsx_problems(data: bytes) -> list[tuple[str, str]]:
    return problems_of(data, "盲盒.xlsx")


def test_the_template_passes_and_round_trips_through_json() -> None:
    template = from_workbook(deck_template_xlsx())
    assert (template.key, template.title) == ("my-box", "党建盲盒")
    assert (template.rules.offer, template.rules.per_day, template.rules.per_week) == (3, 1, 3)
    assert (template.rules.branches, template.rules.due_days) == ([], 7)
    assert [c.id for c in template.cards] == ["study-01", "service-01", "idea-01", "help-01"]
    service = template.card("service-01")
    assert (service.points, service.low, service.high, service.rarity) == (10, 8, 15, "稀有")
    assert (service.proof, service.limit, service.due_days, service.weight) == ("photo", 2, 14, None)
    assert template.card("help-01").rarity == "隐藏"
    assert deck_from_json(template.model_dump(mode="json")) == template


def test_the_template_has_the_two_sheets_with_the_documented_headers() -> None:
    book = load_workbook(io.BytesIO(deck_template_xlsx()))
    assert book.sheetnames == ["规则", "卡片"]
    assert [row[0] for row in book["规则"].iter_rows(values_only=True)] == [
        "项目",
        "编号",
        "名称",
        "说明",
        "每次可选",
        "每日次数",
        "每周次数",
        "可抽支部",
        "完成期限（天）",
    ]
    assert next(book["卡片"].iter_rows(values_only=True)) == (
        "编号",
        "标题",
        "说明",
        "类别",
        "分值",
        "最低分",
        "最高分",
        "稀有度",
        "权重",
        "凭证",
        "每人上限",
        "生效日期",
        "截止日期",
        "完成期限（天）",
    )


def _rename_points_header(book: Workbook) -> None:
    book["卡片"]["E1"] = "积分"


def _delete_cards(book: Workbook) -> None:
    del book["卡片"]


def _delete_rules(book: Workbook) -> None:
    del book["规则"]


@pytest.mark.parametrize(
    ("cells", "edit", "expected"),
    [
        ({"卡片!E3": "很多"}, None, [("卡片 第 3 行 分值", "应为整数")]),
        ({"卡片!E3": "很多"}, _rename_points_header, [("卡片 第 3 行 积分", "应为整数")]),
        ({"卡片!H4": "传说"}, None, [("卡片 第 4 行 稀有度", "应为 普通、稀有、隐藏 之一")]),
        ({"卡片!J5": "视频"}, None, [("卡片 第 5 行 凭证", PROOF)]),
        ({"卡片!A2": "学习01"}, None, [("卡片 第 2 行 编号", "只能用字母、数字、- 和 _（最多 40 个）")]),
        ({"卡片!N3": 400}, None, [("卡片 第 3 行 完成期限（天）", "不能大于 365")]),
        ({"卡片!K5": 0}, None, [("卡片 第 5 行 每人上限", "不能小于 1")]),
        ({"卡片!F3": 12}, None, [("卡片 第 3 行", "分值应在最低分和最高分之间")]),
        ({"卡片!E3": None}, None, [("卡片 第 3 行", "填写了分值范围时也要填写分值")]),
        (
            {"卡片!L2": "2026-12-31", "卡片!M2": "2026-12-01"},
            None,
            [("卡片 第 2 行", "截止日期不能早于生效日期")],
        ),
        ({"卡片!A5": "study-01"}, None, [("", "卡片编号“study-01”重复")]),
        ({"卡片!A7": "extra", "卡片!E7": 5}, None, [("卡片 第 7 行 标题", "缺少这一项")]),
        ({"规则!B5": "五选一"}, None, [("规则 第 5 行 每次可选", "应为 1、3 之一")]),
        ({"规则!B6": "很多"}, None, [("规则 第 6 行 每日次数", "应为整数")]),
        ({"规则!B6": 4}, None, [("规则", "每周次数不能少于每日次数")]),
        ({"规则!B9": 0}, None, [("规则 第 9 行 完成期限（天）", "不能小于 1")]),
        ({"规则!B2": "我的盲盒"}, None, [("规则 第 2 行 编号", "只能用字母、数字、- 和 _（最多 40 个）")]),
        ({"规则!B3": None}, None, [("规则 名称", "缺少这一项")]),
        ({"规则!A10": "颜色", "规则!B10": "红"}, None, [("规则 第 10 行", "不认识的项目“颜色”")]),
        (
            {"规则!A10": "颜色", "卡片!E3": "很多"},
            None,
            [("规则 第 10 行", "不认识的项目“颜色”"), ("卡片 第 3 行 分值", "应为整数")],
        ),
        (
            {},
            _delete_cards,
            [("", "工作簿里没有“卡片”工作表（请从模板开始填写）"), ("卡片", "至少需要 1 项")],
        ),
        (
            {},
            _delete_rules,
            [
                ("", "工作簿里没有“规则”工作表（请从模板开始填写）"),
                ("规则 编号", "缺少这一项"),
                ("规则 名称", "缺少这一项"),
            ],
        ),
    ],
)
def test_a_broken_workbook_names_each_problem_by_sheet_row_and_column(
    cells: dict[str, Any], edit: Callable[[Workbook], None] | None, expected: list[tuple[str, str]]
) -> None:
    assert xlsx_problems(workbook(cells, edit)) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello, this is not a workbook", [("", NOT_XLSX)]),
        (BASE_TEXT.encode(), [("", NOT_XLSX)]),
    ],
)
def test_a_file_named_xlsx_that_is_not_a_workbook(data: bytes, expected: list[tuple[str, str]]) -> None:
    assert xlsx_problems(data) == expected


def test_a_card_sheet_without_a_header_is_the_sheets_problem() -> None:
    def blank_header(book: Workbook) -> None:
        for cell in book["卡片"][1]:
            cell.value = None

    assert xlsx_problems(workbook(edit=blank_header)) == [
        ("卡片", "前 20 行中没有找到表头：至少需要“标题”一列。"),
        ("卡片", "至少需要 1 项"),
    ]


def test_full_width_digits_are_read_as_numbers() -> None:
    result = from_workbook(workbook({"卡片!E2": "３", "卡片!K2": "２", "规则!B6": "２", "规则!B7": "１０"}))
    assert (result.cards[0].points, result.cards[0].limit) == (3, 2)
    assert (result.rules.per_day, result.rules.per_week) == (2, 10)


def test_dates_as_date_cells_and_as_written_text_are_read() -> None:
    result = from_workbook(
        workbook(
            {
                "卡片!L2": dt.datetime(2026, 12, 1),
                "卡片!M2": "2026年12月31日",
                "卡片!L3": "2026/12/1",
                "卡片!M3": dt.date(2027, 1, 5),
                "卡片!L4": "2026-12-01",
                "卡片!M4": "2026年12月1日",
            }
        )
    )
    periods = [(c.valid_from, c.valid_until) for c in result.cards[:3]]
    assert periods == [
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 12, 1), dt.date(2027, 1, 5)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 1)),
    ]
    assert (result.cards[3].valid_from, result.cards[3].valid_until) == (None, None)


@pytest.mark.parametrize(
    ("written", "offer"), [("三选一", 3), ("3选1", 3), (3, 3), ("一张", 1), (1, 1), ("１", 1)]
)
def test_offer_words_in_the_workbook(written: Any, offer: int) -> None:
    assert from_workbook(workbook({"规则!B5": written})).rules.offer == offer


@pytest.mark.parametrize(
    ("written", "branches"),
    [
        (
            "第一党支部、第二党支部,第三党支部，第四党支部",
            ["第一党支部", "第二党支部", "第三党支部", "第四党支部"],
        ),
        ("第一党支部", ["第一党支部"]),
        (None, []),
    ],
)
def test_branches_in_one_cell_are_split(written: str | None, branches: list[str]) -> None:
    assert from_workbook(workbook({"规则!B8": written})).rules.branches == branches


@pytest.mark.parametrize("label", ["完成期限", "完成期限(天)", "完成期限 （天）", " 每日次数 "])
def test_rule_labels_ignore_spacing_brackets_and_the_unit(label: str) -> None:
    row = "规则!A6" if "每日" in label else "规则!A9"
    result = from_workbook(workbook({row: label, "规则!B9": 10, "规则!B6": 2}))
    assert (result.rules.due_days, result.rules.per_day) == (10, 2)


def test_card_headers_accept_aliases() -> None:
    headers = {
        "卡片!A1": "卡片编号",
        "卡片!B1": "任务",
        "卡片!E1": "积分",
        "卡片!J1": "完成凭证",
        "卡片!N1": "due_days",
    }
    result = from_workbook(workbook(headers))
    service = result.card("service-01")
    assert (service.title, service.points, service.proof, service.due_days) == (
        "参加一次志愿服务",
        10,
        "photo",
        14,
    )


def test_proof_names_and_rarities_in_the_workbook() -> None:
    result = from_workbook(
        workbook({"卡片!J2": "无", "卡片!J3": "图片", "卡片!J4": "不需要", "卡片!H4": "稀有"})
    )
    assert [c.proof for c in result.cards] == ["none", "photo", "none", "text"]
    assert [c.rarity for c in result.cards] == ["普通", "稀有", "稀有", "隐藏"]


def test_a_weight_column_overrides_the_rarity() -> None:
    result = from_workbook(workbook({"卡片!I5": 6}))
    assert [c.draw_weight for c in result.cards] == [10, 3, 10, 6]


def test_empty_rows_and_sheets_other_than_the_two_are_ignored() -> None:
    def extra_sheet(book: Workbook) -> None:
        book.create_sheet("说明", 0)["A1"] = "请按模板填写"

    result = from_workbook(
        workbook({"卡片!A8": "late-01", "卡片!B8": "隔了两行的卡片", "卡片!E8": 1}, extra_sheet)
    )
    assert [c.id for c in result.cards] == ["study-01", "service-01", "idea-01", "help-01", "late-01"]
    assert xlsx_problems(workbook({"卡片!A8": "late-01", "卡片!E8": "很多"})) == [
        ("卡片 第 8 行 标题", "缺少这一项"),
        ("卡片 第 8 行 分值", "应为整数"),
    ]


# -- arena deck check ------------------------------------------------------------------------


SAMPLE_REPORT = [
    "dangjian_box.yaml：检查通过",
    "  《党建盲盒·示例》（dangjian-box）：16 张卡片（普通 10，稀有 4，隐藏 2）",
    "  每次三选一；每人每天 1 次，每周 3 次；完成期限 7 天；可抽支部：全部",
]


def test_arena_deck_check_passes_the_sample() -> None:
    from app.blindbox.cli import deck_check

    result = CliRunner().invoke(deck_check, [str(SAMPLE)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:3] == SAMPLE_REPORT
    assert lines[3].startswith("  首抽概率：study-speech 8.8%，") and len(lines) == 4


def test_arena_deck_check_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    from app.blindbox.cli import deck_check

    broken = tmp_path / "broken.yaml"
    broken.write_bytes(as_yaml(deck(rules__offer=2, cards__0__rarity="传说")))
    result = CliRunner().invoke(deck_check, [str(broken)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "broken.yaml：发现 2 个问题",
        "  rules.offer: 应为 1、3 之一",
        "  cards[0].rarity: 应为 普通、稀有、隐藏 之一",
    ]
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    result = CliRunner().invoke(deck_check, [str(empty)])
    assert (result.exit_code, result.output.splitlines()) == (
        1,
        ["empty.yaml：发现 1 个问题", "  文件是空的"],
    )


def test_arena_deck_check_json(tmp_path: Path) -> None:
    from app.blindbox.cli import deck_check

    runner = CliRunner()
    good = runner.invoke(deck_check, ["--json", str(SAMPLE)])
    assert good.exit_code == 0
    assert json.loads(good.output) == {
        "ok": True,
        "key": "dangjian-box",
        "title": "党建盲盒·示例",
        "cards": 16,
    }
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(workbook({"卡片!E3": "很多", "规则!B5": "五选一"}))
    bad = runner.invoke(deck_check, [str(broken), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output) == {
        "ok": False,
        "problems": [
            {"place": "规则 第 5 行 每次可选", "message": "应为 1、3 之一"},
            {"place": "卡片 第 3 行 分值", "message": "应为整数"},
        ],
    }


def test_arena_deck_template_writes_a_workbook_that_passes_the_check(tmp_path: Path) -> None:
    from app.blindbox.cli import deck_check, deck_template

    runner = CliRunner()
    out = tmp_path / "模板.xlsx"
    written = runner.invoke(deck_template, [str(out)])
    assert (written.exit_code, written.output) == (0, f"已写出模板 {out}。\n")
    checked = runner.invoke(deck_check, [str(out)])
    assert checked.exit_code == 0
    assert checked.output.splitlines()[:2] == [
        "模板.xlsx：检查通过",
        "  《党建盲盒》（my-box）：4 张卡片（普通 2，稀有 1，隐藏 1）",
    ]


def test_yaml_true_is_not_the_number_one() -> None:
    assert problems_of(deck(rules__offer=True, cards__0__points=True)) == [
        ("rules.offer", "应为 1、3 之一"),
        ("cards[0].points", "应为整数"),
    ]


def _rules_workbook(*rows: tuple[object, object]) -> bytes:
    book = load_workbook(io.BytesIO(deck_template_xlsx()))
    for row in rows:
        book["规则"].append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_formula_or_a_repeated_item_in_the_rules_sheet_is_a_problem() -> None:
    with pytest.raises(DeckError) as raised:
        parse_deck(_rules_workbook(("每日次数", "=1+1"), ("名称", "又一个名称")), "d.xlsx")
    assert raised.value.problems == [
        ("规则 第 10 行 每日次数", "单元格是公式（=1+1），请改为直接填写内容（复制后“选择性粘贴 → 数值”）。"),
        ("规则 第 11 行", "“名称”与第 3 行重复"),
    ]


def test_a_date_that_does_not_exist_in_a_quoted_yaml_string_gets_a_chinese_message() -> None:
    assert problems_of(deck(cards__0__valid_from="2026-02-30")) == [
        ("cards[0].valid_from", "应为日期（如 2026-12-01）")
    ]
