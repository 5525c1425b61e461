"""Scenario files: broken ones report every problem at its exact place; the samples pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from app.scenario.schema import ScenarioError, parse_scenario

DATA = Path(__file__).parent / "data"
MINI = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
SAMPLES = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))


def problems_of(data: Any) -> list[tuple[str, str]]:
    text = data if isinstance(data, (str, bytes)) else yaml.safe_dump(data, allow_unicode=True)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    return caught.value.problems


def mini(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(MINI, allow_unicode=True))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


DELETE = object()


def test_the_test_scenario_passes() -> None:
    assert parse_scenario((DATA / "mini.yaml").read_bytes()).title == "电台疑云"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_scenario_passes(path: Path) -> None:
    scenario = parse_scenario(path.read_bytes())
    assert scenario.approved
    assert len(scenario.reveal.sources) >= 1


def test_the_samples_are_the_two_the_issue_asks_for() -> None:
    scenarios = {p.name: parse_scenario(p.read_bytes()) for p in SAMPLES}
    radio = scenarios["radio_shanghai.yaml"]
    assert 5 <= len(radio.roles) <= 7 and len(radio.acts) >= 4
    assert len(radio.clues) >= 15 and len(radio.checkpoints) >= 3
    assert {clue.unlock for clue in radio.clues} == {"act", "search", "prop", "checkpoint", "host"}
    assert "李白" in radio.reveal.history and "1949" in radio.reveal.history and radio.fiction
    short = scenarios["yida_boat.yaml"]
    assert 4 <= len(short.roles) <= 6 and short.duration <= 45


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (mini(roles__0__acts__act3__clues=["c9"]), [("roles[0].acts.act3", "未知线索“c9”")]),
        (mini(roles__1__acts={"act9": "x"}), [("roles[1].acts", "未知幕“act9”")]),
        (mini(clues__2__place="cellar"), [("clues[2].place", "未知搜证地点“cellar”")]),
        (mini(clues__2__act="act1"), [("clues[2].act", "unlock: search 的线索不用 act")]),
        (mini(clues__0__act=DELETE), [("clues[0].act", "unlock: act 的线索需要写明 act")]),
        (mini(clues__1__role=DELETE), [("clues[1].role", "visibility: role 的线索需要写明 role")]),
        (mini(clues__5__parent="c-none"), [("clues[5].parent", "未知线索“c-none”")]),
        (
            mini(clues__6__parent="c-deep"),
            [
                ("clues[5].parent", "线索的 parent 形成了循环"),
                ("clues[6].parent", "线索的 parent 形成了循环"),
            ],
        ),
        (
            mini(clues__7__parent="c-open"),
            [("clues[7].unlock", "深入线索（有 parent）只能通过搜证、扫码或主持人发放解锁")],
        ),
        (mini(places__1__barred=["ghost"]), [("places[1].barred", "未知角色“ghost”")]),
        (mini(acts__2__checkpoints=["k1"]), [("checkpoints[1]", "关卡“k2”没有在任何一幕开放")]),
        (mini(acts__3__type="discuss"), [("acts", "需要恰好一个 vote（投票/推理）类型的幕")]),
        (mini(acts__4__type="discuss"), [("acts", "需要恰好一个 reveal（复盘）类型的幕，并且是最后一幕")]),
        (mini(final__answer="nobody"), [("final.answer", "未知选项“nobody”")]),
        (mini(final__endings={"ghost": "x"}), [("final.endings", "未知角色“ghost”")]),
        (mini(players={"min": 2, "max": 5}), [("roles", "必需角色有 3 个，多于每组最少人数 2")]),
        (mini(players={"min": 3, "max": 6}), [("roles", "角色只有 5 个，少于每组最多人数 6")]),
        (mini(clues__3__id="c-attic-1"), [("clues[3].id", "编号“c-attic-1”重复")]),
        (
            mini(checkpoints__0__question__answer="E"),
            [("checkpoints[0].question.answer", "答案“E”超出选项范围（本题只有 ABC）。")],
        ),
        (
            mini(checkpoints__0__question__explaination="x"),
            [
                (
                    "checkpoints[0].question.explaination",
                    "不认识的字段，可用：id、type、stem、options、answer、explanation、points、time_limit、difficulty、tags、source、media",
                )
            ],
        ),
        (mini(review__status="ok"), [("review.status", "应为 draft、approved、rejected 之一")]),
        (mini(acts__1__action_points=0), [("acts[1].action_points", "不能小于 1")]),
        (mini(roles__0__secret="x"), [("roles[0].secret", "不认识的设置项")]),
        (mini(title=DELETE), [("title", "缺少这一项")]),
        (
            mini(clues__0__unlock="magic"),
            [("clues[0].unlock", "应为 act、search、prop、checkpoint、host 之一")],
        ),
        (mini(id="电台"), [("id", "只能用字母、数字、- 和 _（最多 40 个）")]),
    ],
)
def test_a_broken_file_names_each_problem_and_its_place(data: Any, expected: list[tuple[str, str]]) -> None:
    assert problems_of(data) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", [("", "文件是空的")]),
        (b"\xff\xfe\x00bad", [("", "剧本文件不是 UTF-8 编码")]),
        ("id: [unclosed\n", [("第 2 行", "YAML 格式错误")]),
        ("id: x\nreview: {date: 2026-13-01}\n", [("", "YAML 格式错误：文件中有不存在的日期")]),
        ("- a\n- b\n", [("", "剧本文件应是一个 YAML 映射（键: 值）")]),
        (b"a: " + b"x" * (1024 * 1024), [("", "剧本文件超过 1024 KB")]),
    ],
)
def test_a_file_that_is_not_a_scenario_at_all(text: Any, expected: list[tuple[str, str]]) -> None:
    assert problems_of(text) == expected


def test_every_problem_of_a_file_is_reported_in_one_run() -> None:
    data = mini(roles__0__acts__act3__clues=["c9"], final__answer="nobody", places__1__barred=["ghost"])
    assert problems_of(data) == [
        ("roles[0].acts.act3", "未知线索“c9”"),
        ("places[1].barred", "未知角色“ghost”"),
        ("final.answer", "未知选项“nobody”"),
    ]


def test_arena_scenario_check_prints_the_report_and_exits_by_result(tmp_path: Path) -> None:
    from app.scenario.cli import scenario_group

    runner = CliRunner()
    good = runner.invoke(scenario_group, ["check", str(DATA / "mini.yaml")])
    assert good.exit_code == 0
    assert good.output.splitlines() == [
        "mini.yaml：检查通过",
        "  《电台疑云》（mini-radio）：1948 年 上海，约 30 分钟，每组 3-5 人",
        "  审核：approved（测试）",
        "  角色 5 个（必需 3），幕 5，搜证地点 2，关卡 2",
        "  线索 10 条：随幕 2，搜证 4，扫码 1，关卡 1，主持人 2",
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        yaml.safe_dump(mini(roles__0__acts__act3__clues=["c9"]), allow_unicode=True), encoding="utf-8"
    )
    bad = runner.invoke(scenario_group, ["check", str(broken)])
    assert bad.exit_code == 1
    assert bad.output.splitlines() == ["broken.yaml：发现 1 个问题", "  roles[0].acts.act3: 未知线索“c9”"]
    as_json = runner.invoke(scenario_group, ["check", "--json", str(broken)])
    assert '"place": "roles[0].acts.act3"' in as_json.output and as_json.exit_code == 1
