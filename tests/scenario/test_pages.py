"""Scenario pages and SQL: uploading files, starting a run, the prop sheet, the scan
landing page, and a finished run written once with its points credited once."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import database
from app.models import Branch, Member, PointEntry, ScenarioAnswer, ScenarioPlayer, ScenarioRun
from app.models import Scenario as ScenarioRow
from app.points.service import points
from app.realtime import danmaku_walls, scenario_runs
from app.scenario import protocol as p
from app.scenario.results import finish_run, load_scenario, open_run
from tests.conftest import csrf_token

MINI = (Path(__file__).parent / "data" / "mini.yaml").read_bytes()


def upload(client: Any, data: bytes, name: str = "mini.yaml") -> Any:
    return client.post(
        "/admin/scenarios",
        data={"csrf_token": csrf_token(client, "/admin/scenarios"), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_an_organizer_uploads_a_scenario_and_a_broken_one_is_refused_whole(organizer: Any, app: Any) -> None:
    broken = MINI.replace(b"clues: [c-op-memory]", b"clues: [c9]")
    response = upload(organizer, broken)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<code>roles[0].acts.act3</code> 未知线索“c9”" in page
    with database(app).sessions() as session:
        assert session.scalars(select(ScenarioRow)).all() == []
    response = upload(organizer, MINI)
    assert response.status_code == 200 and "已导入剧本《电台疑云》。" in response.get_data(as_text=True)
    again = upload(organizer, MINI)
    assert "已更新剧本《电台疑云》。" in again.get_data(as_text=True)
    with database(app).sessions() as session:
        assert [
            (row.slug, row.review_status, row.loaded_by) for row in session.scalars(select(ScenarioRow))
        ] == [("mini-radio", "approved", "organizer")]


def test_a_scenario_not_yet_approved_cannot_start(organizer: Any, app: Any) -> None:
    upload(organizer, MINI.replace(b"status: approved", b"status: draft"))
    response = organizer.post(
        "/admin/scenarios/mini-radio/runs",
        data={"csrf_token": csrf_token(organizer, "/admin/scenarios"), "groups": "2"},
    )
    assert response.status_code == 400
    assert "剧本尚未通过内容审核，不能开始。" in response.get_data(as_text=True)


def test_starting_a_run_opens_the_host_console_and_prints_one_card_per_prop_and_group(
    organizer: Any, app: Any
) -> None:
    upload(organizer, MINI)
    token = csrf_token(organizer, "/admin/scenarios")
    bad = organizer.post("/admin/scenarios/mini-radio/runs", data={"csrf_token": token, "groups": "31"})
    assert bad.status_code == 400 and "小组数应在 1 到 30 之间。" in bad.get_data(as_text=True)
    response = organizer.post(
        "/admin/scenarios/mini-radio/runs", data={"csrf_token": token, "groups": "3", "props_per_group": "on"}
    )
    assert response.status_code == 302
    match = re.fullmatch(r"/scenario/(\d{6})/host#token=([\w-]+)", response.headers["Location"])
    assert match
    pin, host_token = match.groups()
    runs = scenario_runs(app)
    assert runs.host_join(pin, host_token)["host"]["group_names"] == ["第 1 组", "第 2 组", "第 3 组"]
    with database(app).sessions() as session:
        run = session.scalars(select(ScenarioRun)).one()
        assert (run.pin, run.groups, run.props_per_group, run.ended_at) == (
            pin,
            ["第 1 组", "第 2 组", "第 3 组"],
            True,
            None,
        )
    sheet = organizer.get(f"/admin/scenario-runs/{run.id}/props").get_data(as_text=True)
    urls = re.findall(r'data-url="([^"]+)"', sheet)
    codes = runs.store.codes(pin)
    assert sorted(url.rsplit("/s/", 1)[1] for url in urls) == sorted(codes)
    assert sorted(card["group"] for card in codes.values()) == [0, 1, 2]
    assert sheet.count("<svg") == 3 and sheet.count("信封") == 3
    assert all(len(code) == 16 for code in codes)  # 12 random bytes, URL-safe


def test_the_scan_page_serves_the_runs_phone_page_and_refuses_an_unknown_code(app: Any, client: Any) -> None:
    with database(app).transaction() as session:
        load_scenario(session, MINI)
    run, _token = open_run(database(app), scenario_runs(app), "mini-radio", 1, False)
    code = next(iter(scenario_runs(app).store.codes(run.pin)))
    page = client.get(f"/s/{code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-pin="{run.pin}"' in text and f'data-scan-code="{code}"' in text
    forged = client.get("/s/AAAAAAAAAAAAAAAA")
    assert forged.status_code == 404
    assert "无法识别这张道具卡，请确认扫描的是本场游戏的道具卡。" in forged.get_data(as_text=True)


@pytest.fixture
def members(app: Any) -> dict[str, int]:
    with database(app).transaction() as session:
        branch = Branch(name="第一党支部")
        session.add(branch)
        session.flush()
        people = [
            Member(name=name, member_no=no, branch_id=branch.id)
            for name, no in (("张三", "D001"), ("李四", "D002"))
        ]
        session.add_all(people)
        session.flush()
        return {m.member_no: m.id for m in people}


def play_mini(app: Any) -> tuple[str, dict[str, str]]:
    """One group of three through the whole mini scenario with the service, no sockets."""
    with database(app).transaction() as session:
        load_scenario(session, MINI)
    runs = scenario_runs(app)
    run, _token = open_run(database(app), runs, "mini-radio", 1, False)
    pin = run.pin
    seats = {}
    for nickname, member_no, role in (("张三", "D001", "op"), ("李四", "D002", "wife"), ("来宾", "", "mole")):
        seats[role] = runs.join(pin, nickname, member_no, "")[0]["player_id"]
        runs.host_command(
            pin, "assign", p.Command(pin, {"player_id": seats[role], "group": None, "role": role})
        )

    def act(role: str, event: str, **fields: Any) -> Any:
        return runs.act(pin, seats[role], event, p.Command(pin, fields))[0]

    runs.host_command(pin, "next", p.Command(pin, {}))
    runs.host_command(pin, "next", p.Command(pin, {}))
    assert act("op", p.PLAYER_SEARCH, place="attic") == {"clue": "c-attic-1", "title": "旧电台"}
    assert act("op", p.PLAYER_SEARCH, place="shop") == {"clue": "c-shop-1", "title": "账本"}
    runs.host_command(pin, "next", p.Command(pin, {}))
    assert act("op", p.PLAYER_ANSWER, checkpoint="k1", choice=[1]) == {"correct": True}
    assert act("op", p.PLAYER_ANSWER, checkpoint="k2", choice=[0]) == {"correct": True}
    assert act("wife", p.PLAYER_ANSWER, checkpoint="k1", choice=[2]) == {"correct": False}
    runs.host_command(pin, "next", p.Command(pin, {}))
    for role in ("op", "wife", "mole"):
        act(role, p.PLAYER_VOTE, option="mole" if role != "mole" else "op")
    runs.host_command(pin, "next", p.Command(pin, {}))
    runs.host_command(pin, "end", p.Command(pin, {}))
    return pin, seats


def test_a_finished_run_is_written_once_and_credited_once(
    app: Any, members: dict[str, int], organizer: Any
) -> None:
    pin, _seats = play_mini(app)
    runs = scenario_runs(app)
    assert finish_run(database(app), runs, pin, points(app)) is not None  # a second finish: nothing new
    with database(app).sessions() as session:
        run = session.scalars(select(ScenarioRun)).one()
        assert run.decisions == [
            {"group": "第 1 组", "tally": {"mole": 2, "op": 1}, "choice": "mole", "correct": True}
        ]
        players = {
            row.nickname: (
                row.role,
                row.member_id is not None,
                row.clues_found,
                row.checkpoints_correct,
                row.checkpoints_answered,
                row.vote,
                row.deduction_correct,
            )
            for row in session.scalars(select(ScenarioPlayer))
        }
        assert players == {
            "张三": ("op", True, 3, 2, 2, "mole", True),  # c-attic-1, c-shop-1, c-k1
            "李四": ("wife", True, 0, 0, 1, "mole", True),
            "来宾": ("mole", False, 0, 0, 0, "op", True),
        }
        answers = sorted((a.checkpoint, a.choice, a.correct) for a in session.scalars(select(ScenarioAnswer)))
        assert answers == [("k1", [1], True), ("k1", [2], False), ("k2", [0], True)]
        entries = sorted(
            (e.member_id, e.rule, e.points, e.reason, e.category, e.source_type, e.source_id)
            for e in session.scalars(select(PointEntry))
        )
    zhang, li = members["D001"], members["D002"]
    source = str(run.id)
    assert entries == sorted(
        [
            (zhang, "scenario.participation", 3, "参加剧本杀“电台疑云”", "组织生活", "scenario", source),
            (
                zhang,
                "scenario.checkpoint",
                2,
                "“电台疑云”通过 2 个知识关卡 × 1 分",
                "组织生活",
                "scenario",
                source,
            ),
            (zhang, "scenario.clue", 3, "“电台疑云”找到 3 条线索 × 1 分", "组织生活", "scenario", source),
            (zhang, "scenario.deduction", 5, "“电台疑云”小组推理正确", "组织生活", "scenario", source),
            (li, "scenario.participation", 3, "参加剧本杀“电台疑云”", "组织生活", "scenario", source),
            (li, "scenario.deduction", 5, "“电台疑云”小组推理正确", "组织生活", "scenario", source),
        ]
    )
    page = organizer.get(f"/admin/scenario-runs/{run.id}").get_data(as_text=True)
    assert "邻居 2 票；报务员 1 票" in page
    assert page.count("<td>正确</td>") == 4  # the group's decision, and each of three players


def test_the_host_view_and_screen_know_the_run_the_phone_only_itself(app: Any) -> None:
    with database(app).transaction() as session:
        load_scenario(session, MINI)
    runs = scenario_runs(app)
    run, token = open_run(database(app), runs, "mini-radio", 2, False)
    first = runs.join(run.pin, "甲", "", "")[0]
    assert first["view"]["me"] == {"player_id": first["player_id"], "nickname": "甲", "group": "第 1 组"}
    assert runs.screen_join(run.pin, token)["screen"]["groups"][0]["nicknames"] == ["甲"]
    from app.live.protocol import ProtocolError

    with pytest.raises(ProtocolError):
        runs.host_join(run.pin, "wrong")


def test_ending_while_the_database_is_down_keeps_the_run_and_ending_again_writes_it(
    app: Any, members: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.scenario.results as results

    with database(app).transaction() as session:
        load_scenario(session, MINI)
    runs = scenario_runs(app)
    run, _token = open_run(database(app), runs, "mini-radio", 1, False)
    for nickname, member_no in (("张三", "D001"), ("李四", "D002"), ("王五", "")):
        runs.join(run.pin, nickname, member_no, "")
    runs.host_command(run.pin, "next", p.Command(run.pin, {}))
    real = results.finish_run

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(runs, "finish_run", down)
    ack, emits = runs.host_command(run.pin, "end", p.Command(run.pin, {}))
    assert ack["written"] is False and "不会重复计分" in ack["message"]
    assert {e.payload["phase"] for e in emits if e.event == p.VIEW} == {"ended"}
    monkeypatch.setattr(runs, "finish_run", lambda pin: real(database(app), runs, pin, points(app)))
    assert runs.host_command(run.pin, "end", p.Command(run.pin, {}))[0]["written"] is True
    assert runs.host_command(run.pin, "end", p.Command(run.pin, {}))[0]["written"] is True
    with database(app).sessions() as session:
        assert session.scalars(select(ScenarioRun)).one().ended_at is not None
        assert len(session.scalars(select(ScenarioPlayer)).all()) == 3
        participation = [e for e in session.scalars(select(PointEntry)) if e.rule == "scenario.participation"]
        assert sorted(e.member_id for e in participation) == sorted(members.values())


def test_a_run_pin_typed_on_the_quiz_join_page_leads_to_the_run(app: Any, client: Any) -> None:
    with database(app).transaction() as session:
        load_scenario(session, MINI)
    run, _token = open_run(database(app), scenario_runs(app), "mini-radio", 1, False)
    assert client.get(f"/play/{run.pin}").headers["Location"] == f"/scenario/{run.pin}/play"
    teams = client.get(f"/play/{run.pin}/teams")
    assert teams.status_code == 404
    assert teams.get_json()["redirect"] == f"/scenario/{run.pin}/play"
    pin, _wall_token = danmaku_walls(app).store.create_standalone("会", "auto")
    assert client.get(f"/play/{pin}/teams").get_json()["redirect"] == f"/wall/{pin}"
    assert client.get("/play/000000/teams").get_json() == {
        "ok": False,
        "error": {"code": "game_not_found", "message": "找不到这场比赛，请核对 6 位 PIN 码。"},
    }
