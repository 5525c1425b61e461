"""The scenario rules without a network: acts, every unlock path, action points,
visibility, the vote tally and the results that feed the ledger."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from app.scenario import engine
from app.scenario.engine import Refused
from app.scenario.schema import Scenario, parse_scenario

MINI = parse_scenario((Path(__file__).parent / "data" / "mini.yaml").read_bytes())
NOW = 1_000_000


def refused(code: str, function: Any, *args: Any) -> dict[str, Any]:
    with pytest.raises(Refused) as caught:
        function(*args)
    assert caught.value.code == code
    return caught.value.extra


def lobby(players: int = 3, groups: int = 1) -> dict[str, Any]:
    state = engine.new_state(MINI, [f"第 {n} 组" for n in range(1, groups + 1)])
    for n in range(players):
        engine.join(state, MINI, f"p{n}", f"玩家{n}")
    return state


def playing(roles: dict[str, str], act: int = 0) -> dict[str, Any]:
    """One group whose players hold the given roles, at act ``act``."""
    state = lobby(0)
    for pid, role in roles.items():
        engine.join(state, MINI, pid, pid)
        engine.assign(state, MINI, pid, None, role)
    engine.next_act(state, MINI, NOW, random.Random(1))
    for _ in range(act):
        engine.next_act(state, MINI, NOW, random.Random(1))
    return state


TRIO = {"o": "op", "w": "wife", "m": "mole"}


def clue_ids(state: dict[str, Any], pid: str) -> list[str]:
    return [clue["id"] for clue in engine.player_view(state, MINI, pid).get("clues", [])]


# -- joining, groups and roles ---------------------------------------------------------------------


def test_players_are_balanced_over_groups_in_join_order() -> None:
    state = lobby(7, groups=3)
    assert [state["players"][f"p{n}"]["group"] for n in range(7)] == [0, 1, 2, 0, 1, 2, 0]


def test_a_nickname_is_taken_whatever_its_width_or_case() -> None:
    state = lobby(0)
    engine.join(state, MINI, "a", "Ｌｉ Ming")
    refused("nickname_taken", engine.join, state, MINI, "b", "liming")


def test_a_full_hall_is_refused() -> None:
    state = lobby(5)
    refused("run_full", engine.join, state, MINI, "p5", "玩家5")


def test_start_needs_every_required_role_filled() -> None:
    state = lobby(2)
    assert refused("roles_unfilled", engine.start, state, MINI, random.Random(1)) == {"groups": ["第 1 组"]}
    assert state["phase"] == "lobby"


def test_start_deals_required_roles_first_and_keeps_the_hosts_choice() -> None:
    state = lobby(4)
    engine.assign(state, MINI, "p3", None, "kid")
    engine.start(state, MINI, random.Random(7))
    roles = {pid: player["role"] for pid, player in state["players"].items()}
    assert roles["p3"] == "kid"
    assert sorted(roles[p] for p in ("p0", "p1", "p2")) == ["mole", "op", "wife"]


def test_an_optional_role_given_by_the_host_cannot_leave_a_required_one_unplayed() -> None:
    state = lobby(3)
    engine.assign(state, MINI, "p0", None, "boss")
    assert refused("roles_unfilled", engine.start, state, MINI, random.Random(1)) == {"groups": ["第 1 组"]}
    engine.assign(state, MINI, "p0", None, "mole")
    engine.start(state, MINI, random.Random(1))
    assert sorted(p["role"] for p in state["players"].values()) == ["mole", "op", "wife"]


def test_a_late_joiner_in_a_search_act_gets_its_action_points() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "attic")
    engine.join(state, MINI, "late", "迟到")
    assert state["ap"]["late"] == 2 and state["ap"]["o"] == 1


def test_the_host_cannot_give_one_role_twice_in_a_group() -> None:
    state = lobby(2)
    engine.assign(state, MINI, "p0", None, "op")
    refused("role_taken", engine.assign, state, MINI, "p1", None, "op")
    refused("bad_role", engine.assign, state, MINI, "p1", None, "nobody")
    refused("bad_group", engine.assign, state, MINI, "p1", 3, None)


def test_a_late_joiner_takes_an_open_optional_role_or_waits() -> None:
    state = playing(TRIO)
    assert engine.join(state, MINI, "late1", "迟到1")["role"] == "boss"
    assert engine.join(state, MINI, "late2", "迟到2")["role"] == "kid"
    waiting = engine.join(state, MINI, "late3", "迟到3")
    assert (waiting["group"], waiting["role"]) == (None, None)
    assert engine.player_view(state, MINI, "late3")["phase"] == "playing"
    assert "role" not in engine.player_view(state, MINI, "late3")
    refused("no_role", engine.search, state, MINI, "late3", "attic")


def test_a_late_joiner_gets_the_clues_of_the_acts_so_far() -> None:
    state = playing(TRIO, act=2)
    engine.join(state, MINI, "late", "迟到")
    assert state["players"]["late"]["role"] == "boss"
    assert "c-open" in clue_ids(state, "late")


# -- acts -------------------------------------------------------------------------------------------


def test_acts_advance_go_back_and_stop_at_the_last() -> None:
    state = playing(TRIO)
    assert state["act"] == 0 and state["timer"]["deadline_ms"] == NOW + 300_000
    engine.next_act(state, MINI, NOW, random.Random(1))
    assert state["act"] == 1 and state["timer"]["deadline_ms"] is None
    engine.previous_act(state, MINI, NOW + 5)
    assert state["act"] == 0 and state["timer"]["deadline_ms"] == NOW + 5 + 300_000
    refused("wrong_phase", engine.previous_act, state, MINI, NOW)
    for _ in range(4):
        engine.next_act(state, MINI, NOW, random.Random(1))
    assert MINI.acts[state["act"]].type == "reveal"
    refused("wrong_phase", engine.next_act, state, MINI, NOW, random.Random(1))


def test_pause_keeps_the_remaining_time_and_resume_restores_it() -> None:
    state = playing(TRIO)
    engine.pause(state, NOW + 100_000)
    assert state["timer"] == {"deadline_ms": None, "remaining_ms": 200_000, "paused": True}
    refused("wrong_phase", engine.pause, state, NOW)
    engine.resume(state, NOW + 500_000)
    assert state["timer"] == {"deadline_ms": NOW + 700_000, "remaining_ms": None, "paused": False}
    refused("wrong_phase", engine.resume, state, NOW)


def test_going_back_to_a_search_act_deals_no_new_action_points() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "attic")
    engine.next_act(state, MINI, NOW, random.Random(1))
    engine.previous_act(state, MINI, NOW)
    assert state["ap"]["o"] == 1


def test_an_ended_run_refuses_everything() -> None:
    state = playing(TRIO, act=1)
    engine.end(state)
    refused("run_over", engine.search, state, MINI, "o", "attic")
    refused("run_over", engine.join, state, MINI, "x", "x")
    refused("run_over", engine.end, state)


# -- unlock paths -------------------------------------------------------------------------------------


def test_act_clues_open_for_the_group_and_role_clues_for_their_role() -> None:
    state = playing(TRIO)
    assert clue_ids(state, "o") == ["c-open", "c-op-private"]
    assert clue_ids(state, "w") == ["c-open"]
    engine.next_act(state, MINI, NOW, random.Random(1))
    engine.next_act(state, MINI, NOW, random.Random(1))  # act3 hands op its memory
    assert clue_ids(state, "o") == ["c-open", "c-op-private", "c-op-memory"]
    assert clue_ids(state, "m") == ["c-open"]


def test_search_finds_a_places_clues_in_order_and_costs_one_point_each() -> None:
    state = playing(TRIO, act=1)
    assert engine.search(state, MINI, "o", "attic") == "c-attic-1"
    assert engine.search(state, MINI, "w", "attic") == "c-attic-2"
    assert state["ap"] == {"o": 1, "w": 1, "m": 2}
    refused("nothing_left", engine.search, state, MINI, "o", "attic")
    assert state["ap"]["o"] == 1  # nothing found, nothing spent
    assert engine.search(state, MINI, "o", "shop") == "c-shop-1"
    refused("no_action_points", engine.search, state, MINI, "o", "shop")


def test_search_checks_the_act_the_place_and_the_barred_roles() -> None:
    state = playing(TRIO)
    refused("wrong_phase", engine.search, state, MINI, "o", "attic")
    engine.next_act(state, MINI, NOW, random.Random(1))
    refused("place_barred", engine.search, state, MINI, "m", "shop")
    refused("bad_place", engine.search, state, MINI, "o", "cellar")
    refused("not_joined", engine.search, state, MINI, "ghost", "attic")


def test_a_deep_clue_is_found_only_after_its_parent() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "shop")
    refused("nothing_left", engine.search, state, MINI, "w", "shop")  # c-deep waits for c-prop
    assert engine.scan(state, MINI, "w", "c-prop", None) == "c-prop"
    assert engine.search(state, MINI, "w", "shop") == "c-deep"


def test_scanning_a_prop_checks_group_and_repeats() -> None:
    state = lobby(0, groups=2)
    for pid, role, group in (("a1", "op", 0), ("a2", "wife", 0), ("a3", "mole", 0)):
        engine.join(state, MINI, pid, pid)
        engine.assign(state, MINI, pid, group, role)
    for pid, role in (("b1", "op"), ("b2", "wife"), ("b3", "mole")):
        engine.join(state, MINI, pid, pid)
        engine.assign(state, MINI, pid, 1, role)
    engine.next_act(state, MINI, NOW, random.Random(1))
    assert refused("wrong_group", engine.scan, state, MINI, "a1", "c-prop", 1) == {"group": "第 2 组"}
    assert engine.scan(state, MINI, "a1", "c-prop", 0) == "c-prop"
    refused("already_found", engine.scan, state, MINI, "a2", "c-prop", 0)
    assert "c-prop" in clue_ids(state, "a3") and "c-prop" not in clue_ids(state, "b1")


def test_a_deep_prop_needs_its_parent() -> None:
    scenario = _variant(
        lambda data: data["clues"].append(
            {
                "id": "c-prop2",
                "title": "夹层",
                "text": "信封夹层里的字条。",
                "unlock": "prop",
                "parent": "c-prop",
            }
        )
    )
    state = engine.new_state(scenario, ["第 1 组"])
    for pid, role in TRIO.items():
        engine.join(state, scenario, pid, pid)
        engine.assign(state, scenario, pid, None, role)
    engine.next_act(state, scenario, NOW, random.Random(1))
    assert refused("parent_missing", engine.scan, state, scenario, "o", "c-prop2", None) == {"parent": "信封"}


def test_a_right_checkpoint_answer_opens_its_clue_once() -> None:
    state = playing(TRIO, act=2)
    assert engine.answer(state, MINI, "w", "k1", [0]) is False
    assert "c-k1" not in clue_ids(state, "w")
    assert engine.answer(state, MINI, "o", "k1", [1]) is True
    assert engine.answer(state, MINI, "m", "k1", [1]) is True
    assert state["found"]["0"]["c-k1"]["by"] == "o"
    refused("duplicate_answer", engine.answer, state, MINI, "o", "k1", [1])
    assert engine.answer(state, MINI, "o", "k2", [0]) is True  # judge: 对
    refused("not_open", engine.answer, state, MINI, "o", "k9", [0])


def test_checkpoints_are_answered_only_in_their_act() -> None:
    state = playing(TRIO, act=1)
    refused("not_open", engine.answer, state, MINI, "o", "k1", [1])


def test_the_host_releases_a_clue_to_one_group_or_all() -> None:
    state = lobby(6, groups=2)
    engine.start(state, MINI, random.Random(3))
    engine.enter_act(state, MINI, 0, NOW)
    assert engine.release(state, MINI, "c-host", 1) == [1]
    assert engine.release(state, MINI, "c-host", None) == [0]
    assert engine.release(state, MINI, "c-host", None) == []
    refused("bad_clue", engine.release, state, MINI, "c-none", None)


# -- visibility -----------------------------------------------------------------------------------------


def test_a_finder_clue_is_seen_by_its_finder_until_shared() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "attic")
    engine.search(state, MINI, "o", "attic")  # c-attic-2 is visibility: finder
    assert "c-attic-2" in clue_ids(state, "o") and "c-attic-2" not in clue_ids(state, "w")
    refused("bad_clue", engine.share, state, MINI, "w", "c-attic-2")
    engine.share(state, MINI, "o", "c-attic-2")
    assert "c-attic-2" in clue_ids(state, "w")


def test_no_view_holds_what_its_reader_may_not_see() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "attic")
    engine.search(state, MINI, "o", "attic")
    wife = json.dumps(engine.player_view(state, MINI, "w"), ensure_ascii=False)
    for secret in ("密码本第三页", "陌生的烟头", "你被特务收买了", "你知道电台藏在阁楼", "不被发现"):
        assert secret not in wife
    screen = json.dumps(engine.screen_view(state, MINI), ensure_ascii=False)
    for secret in ("阁楼里的电台", "你被特务收买了", "mole", "邻居被收买"):
        assert secret not in screen


def test_the_answer_appears_only_at_the_reveal() -> None:
    state = playing(TRIO, act=3)
    for pid in TRIO:
        assert "reveal" not in engine.player_view(state, MINI, pid)
    assert "reveal" not in engine.screen_view(state, MINI)
    engine.next_act(state, MINI, NOW, random.Random(1))
    assert engine.screen_view(state, MINI)["reveal"]["answer_text"] == "邻居"
    assert engine.player_view(state, MINI, "m")["reveal"]["ending"] == "你被组织识破。"
    assert engine.player_view(state, MINI, "o")["reveal"]["ending"] == "你守住了电台。"


def test_a_checkpoint_explanation_is_sent_only_after_answering() -> None:
    state = playing(TRIO, act=2)
    engine.answer(state, MINI, "o", "k1", [1])
    items = {pid: engine.player_view(state, MINI, pid)["checkpoints"][0] for pid in ("o", "w")}
    assert items["o"]["explanation"] == "1949年5月27日上海解放。" and items["o"]["correct"] is True
    assert "explanation" not in items["w"] and "key" not in json.dumps(items["w"])


# -- the vote -----------------------------------------------------------------------------------------


def test_votes_tally_per_group_and_a_tie_decides_nothing() -> None:
    state = playing({**TRIO, "b": "boss"}, act=3)
    engine.vote(state, MINI, "o", "mole")
    engine.vote(state, MINI, "w", "mole")
    engine.vote(state, MINI, "m", "boss")
    engine.vote(state, MINI, "b", "boss")
    assert engine.decision(state, MINI, 0) == {
        "tally": {"mole": 2, "boss": 2},
        "choice": None,
        "correct": False,
    }
    engine.vote(state, MINI, "b", "mole")  # a vote may change until the reveal
    assert engine.decision(state, MINI, 0) == {
        "tally": {"mole": 3, "boss": 1},
        "choice": "mole",
        "correct": True,
    }
    refused("bad_choice", engine.vote, state, MINI, "o", "nobody")


def test_voting_outside_the_vote_act_is_refused() -> None:
    state = playing(TRIO, act=2)
    refused("not_open", engine.vote, state, MINI, "o", "mole")


# -- replacing a player, results ------------------------------------------------------------------------


def test_a_replacement_inherits_role_clues_and_answers() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "attic")
    engine.search(state, MINI, "o", "attic")
    engine.join(state, MINI, "b", "b")
    engine.join(state, MINI, "k", "k")
    engine.join(state, MINI, "new", "新手机")  # no role left: waits
    refused("bad_replace", engine.replace, state, MINI, "new", "o")
    engine.replace(state, MINI, "o", "new")
    assert state["players"]["new"]["role"] == "op" and state["ap"]["new"] == 0
    assert clue_ids(state, "new") == ["c-open", "c-op-private", "c-attic-1", "c-attic-2"]
    assert engine.player_view(state, MINI, "o")["phase"] == "replaced"
    refused("replaced", engine.search, state, MINI, "o", "attic")


def test_results_count_each_players_own_finds_answers_and_the_groups_decision() -> None:
    state = playing(TRIO, act=1)
    engine.search(state, MINI, "o", "attic")
    engine.search(state, MINI, "w", "shop")
    engine.next_act(state, MINI, NOW, random.Random(1))
    engine.answer(state, MINI, "o", "k1", [1])
    engine.answer(state, MINI, "o", "k2", [1])
    engine.next_act(state, MINI, NOW, random.Random(1))
    for pid in TRIO:
        engine.vote(state, MINI, pid, "mole" if pid != "m" else "wife")
    engine.end(state)
    rows = {row["player_id"]: row for row in engine.results(state, MINI)}
    assert {
        pid: (r["clues_found"], r["checkpoints_correct"], r["checkpoints_answered"])
        for pid, r in rows.items()
    } == {
        "o": (2, 1, 2),  # c-attic-1 and c-k1
        "w": (1, 0, 0),
        "m": (0, 0, 0),
    }
    assert all(row["deduction_correct"] for row in rows.values())
    assert rows["m"]["vote"] == "wife"


def _variant(change: Any) -> Scenario:
    import yaml

    data = yaml.safe_load((Path(__file__).parent / "data" / "mini.yaml").read_text(encoding="utf-8"))
    change(data)
    return parse_scenario(yaml.safe_dump(data, allow_unicode=True))
