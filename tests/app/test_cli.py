"""The ``arena`` command: exit codes, output, and the export → check round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from question_bank import read_bank, template_xlsx, to_yaml
from question_bank.schema import Question

BAD_CSV = "题型,题干,选项A,选项B,答案\n单选题,第一题,甲,乙,A\n单选题,第二题,甲,乙,C\n".encode()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bank_check_exits_0_for_a_clean_file(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["bank", "check", str(write(tmp_path, "t.xlsx", template_xlsx()))])
    assert result.exit_code == 0, result.output
    assert "读取 5 行，接受 5，拒绝 0" in result.output


def test_bank_check_exits_1_and_lists_rejected_rows(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["bank", "check", str(write(tmp_path, "b.csv", BAD_CSV))])
    assert result.exit_code == 1
    assert "第 3 行 [答案] answer_out_of_range: 答案“C”超出选项范围（本题只有 AB）。" in result.output


def test_bank_check_json_report(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["bank", "check", "--json", str(write(tmp_path, "b.csv", BAD_CSV))])
    report = json.loads(result.output)
    assert (report["accepted"], report["rows_read"]) == (1, 2)
    assert report["rejected"] == [
        {
            "row": 3,
            "column": "答案",
            "code": "answer_out_of_range",
            "message": "答案“C”超出选项范围（本题只有 AB）。",
        }
    ]


def test_bank_check_exits_2_on_a_file_level_error(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["bank", "check", str(write(tmp_path, "x.xlsx", b"hello"))])
    assert result.exit_code == 2
    assert "错误 not_xlsx: 文件内容不是 Excel 工作簿" in result.output


@pytest.mark.parametrize("fmt", ["xlsx", "yaml", "csv", "json"])
def test_export_then_check_round_trips(runner: Any, tmp_path: Path, fmt: str) -> None:
    source = write(tmp_path, "t.xlsx", template_xlsx())
    assert runner.invoke(args=["bank", "load", str(source), "--bank", "示例"]).exit_code == 0
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(args=["bank", "export", "示例", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0 and "已导出 5 题" in result.output
    check = runner.invoke(args=["bank", "check", str(out)])
    assert check.exit_code == 0, check.output
    assert read_bank(out.read_bytes(), out.name).accepted == read_bank(template_xlsx(), "t.xlsx").accepted


def test_bank_load_reports_stored_and_rejected(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["bank", "load", str(write(tmp_path, "b.csv", BAD_CSV)), "--bank", "练习"])
    assert result.exit_code == 1
    assert "已导入题库“练习”：1 题。" in result.output
    again = runner.invoke(
        args=["bank", "load", "--json", str(write(tmp_path, "b.csv", BAD_CSV)), "--bank", "练习"]
    )
    report = json.loads(again.output)
    assert report["stored"] == 0
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [
        (2, "duplicate_in_bank"),
        (3, "answer_out_of_range"),
    ]


def test_bank_export_of_an_unknown_bank_exits_2(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["bank", "export", "没有这个题库", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "bank_not_found" in result.output


def test_bank_template_writes_the_template(runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    assert runner.invoke(args=["bank", "template", str(out)]).exit_code == 0
    assert len(read_bank(out.read_bytes(), out.name).accepted) == 5


def test_roster_load(runner: Any, tmp_path: Path) -> None:
    roster = "姓名,工号,支部\n张三,D1,一支部\n李四,D2,二支部\n".encode("utf-8-sig")
    result = runner.invoke(args=["roster", "load", str(write(tmp_path, "r.csv", roster))])
    assert result.exit_code == 0, result.output
    assert "新增 2 人，更新 0 人，未变 0 人，新增支部 2 个。" in result.output
    changed = "姓名,工号,支部\n张三,D1,二支部\n李四,D2,二支部\n".encode()
    result = runner.invoke(args=["roster", "load", str(write(tmp_path, "r.csv", changed))])
    assert "新增 0 人，更新 1 人，未变 1 人，新增支部 0 个。" in result.output


def test_admin_create_then_reset(runner: Any) -> None:
    result = runner.invoke(args=["admin", "create", "zuzhi", "--password", "a-long-password"])
    assert result.exit_code == 0 and "已创建组织者账号 zuzhi" in result.output
    result = runner.invoke(args=["admin", "create", "zuzhi", "--password", "another-password"])
    assert "已更新组织者账号 zuzhi" in result.output
    result = runner.invoke(args=["admin", "create", "zuzhi", "--password", "short"])
    assert result.exit_code == 2 and "weak_password" in result.output


def test_seed_creates_the_admin_and_loads_samples_once(runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_ADMIN_PASSWORD", "seeded-password")
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "已创建管理员账号 admin，初始密码：seeded-password" in first.output
    assert "示例花名册：30 名成员，3 个支部。" in first.output
    assert first.output.count("示例题库") == 3
    second = runner.invoke(args=["seed"])
    assert second.output == ""


def test_the_real_arena_command_exits_with_the_codes(tmp_path: Path, database_url: str) -> None:
    """Through the installed entry point, as an organizer's script would call it."""
    bank = write(
        tmp_path, "题库.yaml", to_yaml([Question(type="judge", stem="对吗？", answer=True)], name="x")
    )
    env = {**os.environ, "ARENA_INSTANCE": str(tmp_path / "instance"), "DATABASE_URL": database_url}
    arena = [sys.executable, "-m", "app"]
    check = subprocess.run([*arena, "bank", "check", str(bank)], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "读取 1 行，接受 1，拒绝 0" in check.stdout
    assert "Traceback" not in check.stderr and "Eventlet is deprecated" not in check.stderr
    bad = subprocess.run(
        [*arena, "bank", "check", str(write(tmp_path, "b.csv", BAD_CSV))],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    broken = subprocess.run(
        [*arena, "bank", "check", str(write(tmp_path, "x.xlsx", b"PK\x03\x04broken"))],
        env=env,
        capture_output=True,
        text=True,
    )
    assert broken.returncode == 2 and "corrupt_file" in broken.stderr
