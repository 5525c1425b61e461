"""Contests: settings validation, question selection, option shuffling with the key
following, starting a game from the API and the CLI."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from app.banks import import_file
from app.extensions import database
from app.live.contests import ContestError, ContestSettings, game_question, select_questions
from app.models import Question as QuestionRow
from question_bank import to_yaml
from question_bank.schema import Question
from tests.conftest import csrf_token

BANK = [
    Question(
        type="single",
        stem="单选一",
        options=["甲", "乙", "丙", "丁"],
        answer="C",
        tags=["党章"],
        difficulty=1,
    ),
    Question(
        type="multiple",
        stem="多选一",
        options=["甲", "乙", "丙", "丁"],
        answer=["A", "D"],
        tags=["党史"],
        difficulty=2,
        time_limit=45,
    ),
    Question(type="judge", stem="判断一", answer=False, tags=["党章"], difficulty=1),
    Question(
        type="fill",
        stem="填空一____",
        answer=[["为人民服务", "全心全意为人民服务"]],
        tags=["党建"],
        difficulty=3,
    ),
    Question(
        type="order",
        stem="排序一",
        options=["甲", "乙", "丙"],
        answer=["C", "A", "B"],
        tags=["党史"],
        difficulty=3,
    ),
]


@pytest.fixture
def bank_id(app: Any) -> int:
    outcome = import_file(database(app), to_yaml(BANK, name="x"), "x.yaml", "竞赛题库", max_bytes=10**7)
    assert outcome.stored == 5
    with database(app).sessions() as session:
        from app.banks import find_bank

        return find_bank(session, "竞赛题库").id


def test_settings_defaults_and_bounds() -> None:
    settings = ContestSettings.parse({"bank_ids": [1]})
    assert (
        settings.count,
        settings.time_limit,
        settings.read_time,
        settings.team_mode,
        settings.late_join,
    ) == (10, 20, 0, "branches", True)
    assert settings.scoring == {
        "base": 1000,
        "speed": True,
        "streak_step": 100,
        "streak_cap": 500,
        "multiple": "all_or_nothing",
        "team": "mean",
    }
    for bad, field in (
        ({"bank_ids": []}, "bank_ids"),
        ({"bank_ids": [1], "read_time": 6}, "read_time"),
        ({"bank_ids": [1], "count": "十"}, "count"),
        ({"bank_ids": [1], "order": "random"}, "order"),
        ({"bank_ids": [1], "team_mode": "free"}, "free_teams"),
        ({"bank_ids": [1], "types": ["essay"]}, "types"),
        ({"bank_ids": [1], "scoring": {"team": "max"}}, "team"),
    ):
        with pytest.raises(ContestError) as raised:
            ContestSettings.parse(bad)
        assert raised.value.field == field and raised.value.code == "bad_setting"


def test_filters_by_tag_type_and_difficulty(app: Any, bank_id: int) -> None:
    with database(app).sessions() as session:

        def pick(**settings: Any) -> list[str]:
            chosen = ContestSettings.parse({"bank_ids": [bank_id], **settings})
            return [q["stem"] for q in select_questions(session, chosen, random.Random(1))]

        assert pick() == ["单选一", "多选一", "判断一", "填空一____", "排序一"]
        assert pick(tags="党史") == ["多选一", "排序一"]
        assert pick(types=["judge", "fill"]) == ["判断一", "填空一____"]
        assert pick(difficulties="3") == ["填空一____", "排序一"]
        assert pick(count=2) == ["单选一", "多选一"]
        assert sorted(pick(order="shuffled")) == sorted(pick())


def test_game_form_keys_and_time_limits(app: Any, bank_id: int) -> None:
    with database(app).sessions() as session:
        rows = {row.stem: row for row in session.query(QuestionRow).all()}
    fixed = ContestSettings.parse({"bank_ids": [bank_id], "time_limit": 15})
    rng = random.Random(3)
    assert game_question(rows["单选一"], fixed, rng)["key"] == [2]
    multiple = game_question(rows["多选一"], fixed, rng)
    assert (multiple["key"], multiple["time_limit"]) == ([0, 3], 45)  # the question's own 时限 wins
    judge = game_question(rows["判断一"], fixed, rng)
    assert (judge["options"], judge["key"], judge["time_limit"]) == (["对", "错"], [1], 15)
    assert game_question(rows["填空一____"], fixed, rng)["key"] == [["为人民服务", "全心全意为人民服务"]]
    assert game_question(rows["排序一"], fixed, rng)["key"] == [2, 0, 1]
    own = ContestSettings.parse({"bank_ids": [bank_id], "time_limit": 15, "use_bank_time_limit": False})
    assert game_question(rows["多选一"], own, rng)["time_limit"] == 15


def test_shuffled_options_carry_the_key_with_them(app: Any, bank_id: int) -> None:
    with database(app).sessions() as session:
        rows = {row.stem: row for row in session.query(QuestionRow).all()}
    settings = ContestSettings.parse({"bank_ids": [bank_id], "shuffle_options": True})
    seen_orders = set()
    for seed in range(20):
        for stem, right in (("单选一", ["丙"]), ("多选一", ["甲", "丁"]), ("排序一", ["丙", "甲", "乙"])):
            shown = game_question(rows[stem], settings, random.Random(seed))
            assert (
                [shown["options"][i] for i in shown["key"]] == right
                if stem != "多选一"
                else (sorted(shown["options"][i] for i in shown["key"]) == sorted(right))
            )
            seen_orders.add(tuple(shown["options"]))
    assert len(seen_orders) > 3  # the options really move


def test_api_starts_a_game(organizer: Any, bank_id: int, app: Any) -> None:
    token = csrf_token(organizer, "/admin/banks")
    response = organizer.post(
        "/api/games",
        json={
            "name": "七一知识赛",
            "bank_ids": [bank_id],
            "count": 3,
            "team_mode": "free",
            "free_teams": ["一队", "二队"],
        },
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["ok"] is True and len(body["pin"]) == 6 and body["pin"].isdigit()
    assert body["host_url"].endswith(f"/host/{body['pin']}#token={body['host_token']}")
    assert body["join_url"].endswith(f"/play/{body['pin']}")
    from app.realtime import live_games

    store = live_games(app).store
    assert store.check_host(body["pin"], body["host_token"])
    assert [q["stem"] for q in store.questions(body["pin"])] == ["单选一", "多选一", "判断一"]
    assert store.config(body["pin"])["teams"] == ["一队", "二队"]
    assert "key" not in json.dumps(organizer.get(f"/play/{body['pin']}/teams").get_json())
    bad = organizer.post(
        "/api/games", json={"bank_ids": [bank_id], "read_time": 9}, headers={"X-CSRFToken": token}
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "read_time"
    assert organizer.post("/api/games", data="nonsense", headers={"X-CSRFToken": token}).status_code == 400


def test_api_needs_a_login(client: Any) -> None:
    assert client.post("/api/games", json={"bank_ids": [1]}).status_code in (302, 400)


def test_contest_pages_create_and_start(organizer: Any, bank_id: int) -> None:
    token = csrf_token(organizer, "/admin/contests")
    response = organizer.post(
        "/admin/contests",
        data={
            "csrf_token": token,
            "name": "支部擂台赛",
            "bank_ids": [str(bank_id)],
            "count": "2",
            "time_limit": "20",
            "read_time": "2",
            "team_mode": "branches",
            "max_players": "500",
            "base": "1000",
            "multiple": "partial",
            "team": "sum",
            "speed": "on",
            "late_join": "on",
            "order": "fixed",
        },
    )
    assert response.status_code == 302
    page = organizer.get("/admin/contests").get_data(as_text=True)
    assert "支部擂台赛" in page
    import re

    contest_id = re.search(r"/admin/contests/(\d+)/start", page).group(1)
    started = organizer.post(
        f"/admin/contests/{contest_id}/start", data={"csrf_token": csrf_token(organizer, "/admin/contests")}
    )
    assert started.status_code == 302 and "/host/" in started.headers["Location"]
    assert "#token=" in started.headers["Location"]
    bad = organizer.post(
        "/admin/contests",
        data={"csrf_token": token, "name": "x", "read_time": "9", "bank_ids": [str(bank_id)]},
    )
    assert bad.status_code == 400 and "read_time" in bad.get_data(as_text=True)


def test_cli_game_new_prints_json(runner: Any, bank_id: int) -> None:
    result = runner.invoke(
        args=[
            "game",
            "new",
            "--bank",
            "竞赛题库",
            "--count",
            "2",
            "--teams",
            "free",
            "--team-names",
            "红队,蓝队",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"pin", "host_token", "host_url", "join_url"}
    assert body["host_url"].endswith(f"/host/{body['pin']}#token={body['host_token']}")
    missing = runner.invoke(args=["game", "new", "--bank", "没有", "--json"])
    assert missing.exit_code == 2 and "bank_not_found" in missing.output
