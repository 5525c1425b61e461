"""The rules of a scenario run (红色剧本杀) as a pure state machine: no Redis, no sockets.

A run's state is one JSON-able dict; every command is a function ``(state, scenario, …)``
that changes the given state or raises ``Refused`` with a stable code, leaving it as it
was (the store applies commands to a copy inside an optimistic transaction). The views at
the end compute what each screen and each phone may see; they are the only way private
content leaves the state, so the visibility rules live in one place.

Visibility (docs/FORMATS.md §9): a clue found by a group is seen by the whole group
(``group``), by the player holding ``role`` (``role``), or by the player who found it
(``finder``; one released by an act or the host has no finder and is seen like ``group``).
A finder may share a finder-only clue with the group.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

from app.live.contests import ContestSettings, game_question
from app.live.games import fold_nickname, public_question
from app.live.scoring import correctness
from app.scenario.schema import Clue, Scenario

MAX_NOTES = 20
# How a player finds a clue by their own doing (a role's hand-out is given, not found).
FOUND_BY_PLAYER = ("search", "prop", "checkpoint")


class Refused(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def new_state(scenario: Scenario, groups: list[str]) -> dict[str, Any]:
    return {
        "phase": "lobby",  # lobby → playing → ended
        "act": -1,
        "entered": [],  # acts entered at least once: action points are dealt only then
        "groups": list(groups),
        "players": {},  # player id → {nickname, member_no, group, role, replaced_by}
        "found": {str(g): {} for g in range(len(groups))},  # group → clue id → {by, how, shared}
        "ap": {},  # player id → action points left in the current search act
        "answers": {},  # checkpoint id → player id → {choice, correct}
        "votes": {},  # player id → option id
        "notes": {},  # player id → the host's private notes
        "timer": {"deadline_ms": None, "remaining_ms": None, "paused": False},
    }


def copy_state(state: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(state)


# -- who is where ------------------------------------------------------------------------------


def seated(state: dict[str, Any], group: int) -> dict[str, dict[str, Any]]:
    """The players of a group still in it (not replaced), by id."""
    return {
        pid: player
        for pid, player in state["players"].items()
        if player["group"] == group and not player.get("replaced_by")
    }


def _player(state: dict[str, Any], pid: str) -> dict[str, Any]:
    player = state["players"].get(pid)
    if player is None:
        raise Refused("not_joined")
    if player.get("replaced_by"):
        raise Refused("replaced")
    return player


def _playing(state: dict[str, Any], pid: str) -> dict[str, Any]:
    """A player with a seat in a running game."""
    if state["phase"] == "ended":
        raise Refused("run_over")
    player = _player(state, pid)
    if state["phase"] != "playing":
        raise Refused("wrong_phase")
    if player["role"] is None:
        raise Refused("no_role")
    return player


def _act(state: dict[str, Any], scenario: Scenario) -> Any:
    return scenario.acts[state["act"]] if state["act"] >= 0 else None


def open_roles(state: dict[str, Any], scenario: Scenario, group: int) -> list[str]:
    """Roles nobody in the group holds, required first, in file order."""
    taken = {player["role"] for player in seated(state, group).values()}
    free = [role for role in scenario.roles if role.id not in taken]
    return [role.id for role in sorted(free, key=lambda role: not role.required)]


def join(
    state: dict[str, Any], scenario: Scenario, pid: str, nickname: str, member_no: str = ""
) -> dict[str, Any]:
    """Seat a new player: in the lobby, in the smallest group; once the run has started, in
    an open role of the smallest group that has one, or waiting for the host."""
    if state["phase"] == "ended":
        raise Refused("run_over")
    if pid in state["players"]:
        return state["players"][pid]
    folded = fold_nickname(nickname)
    if any(
        fold_nickname(p["nickname"]) == folded for p in state["players"].values() if not p.get("replaced_by")
    ):
        raise Refused("nickname_taken")
    sizes = [(len(seated(state, g)), g) for g in range(len(state["groups"]))]
    group: int | None = None
    role: str | None = None
    if state["phase"] == "lobby":
        size, group = min(sizes)
        if size >= scenario.players.max:
            raise Refused("run_full")
    else:
        for _size, g in sorted(sizes):
            free = open_roles(state, scenario, g)
            if free and seated(state, g):  # a group that did not start stays empty
                group, role = g, free[0]
                break
    player = {"nickname": nickname, "member_no": member_no, "group": group, "role": role, "replaced_by": None}
    state["players"][pid] = player
    if role is not None:
        _seat_late(state, scenario, pid)
    return player


def _seat_late(state: dict[str, Any], scenario: Scenario, pid: str) -> None:
    """A player seated after the start: the hand-outs so far, and the current search act's
    action points (the others got theirs when it began)."""
    _deal(state, scenario, pid)
    act = _act(state, scenario)
    if act is not None and act.type == "search":
        state["ap"].setdefault(pid, act.action_points)


def assign(state: dict[str, Any], scenario: Scenario, pid: str, group: int | None, role: str | None) -> None:
    """The host places a player: a group (in the lobby) and/or a role (in the lobby, or an open
    role for a waiting player once the run has started)."""
    if state["phase"] == "ended":
        raise Refused("run_over")
    player = _player(state, pid)
    if group is not None and not 0 <= group < len(state["groups"]):
        raise Refused("bad_group")
    target = player["group"] if group is None else group
    if state["phase"] == "playing":
        if player["role"] is not None:
            raise Refused("wrong_phase")  # a seated player's role is fixed once the acts begin
        if role is None or target is None:
            raise Refused("bad_request", field="role")
    if role is not None:
        if role not in {r.id for r in scenario.roles}:
            raise Refused("bad_role")
        holders = [p for p, other in seated(state, target).items() if other["role"] == role and p != pid]
        if holders:
            raise Refused("role_taken")
    if group is not None and group != player["group"]:
        if len(seated(state, group)) >= scenario.players.max:
            raise Refused("group_full")
        player["group"] = group
        if role is None:
            player["role"] = None  # a role chosen for another group does not travel
    if role is not None:
        player["role"] = role
        if state["phase"] == "playing":
            _seat_late(state, scenario, pid)


def start(state: dict[str, Any], scenario: Scenario, rng: random.Random) -> None:
    """Deal the remaining roles at random and open the first act. Every group with players
    must be able to fill its required roles; a group without players sits out."""
    if state["phase"] != "lobby":
        raise Refused("wrong_phase")
    short = []
    for g, name in enumerate(state["groups"]):
        players = seated(state, g)
        if not players:
            continue
        unseated = sum(player["role"] is None for player in players.values())
        required_open = sum(scenario.role(r).required for r in open_roles(state, scenario, g))
        # Too few players, or the host gave optional roles to players a required role needs.
        if len(players) < scenario.players.min or unseated < required_open:
            short.append(name)
    if short:
        raise Refused("roles_unfilled", groups=short)
    if not any(seated(state, g) for g in range(len(state["groups"]))):
        raise Refused("no_players")
    for g in range(len(state["groups"])):
        players = seated(state, g)
        required = [r for r in open_roles(state, scenario, g) if scenario.role(r).required]
        optional = [r for r in open_roles(state, scenario, g) if not scenario.role(r).required]
        rng.shuffle(required)
        rng.shuffle(optional)
        free = required + optional
        waiting = sorted(pid for pid, player in players.items() if player["role"] is None)
        rng.shuffle(waiting)
        for pid in waiting:
            players[pid]["role"] = free.pop(0)
    state["phase"] = "playing"


def enter_act(state: dict[str, Any], scenario: Scenario, index: int, now_ms: int) -> None:
    """Open act ``index``: its clues and the roles' handed clues (once), its action points (the
    first time only, so going back and forth deals none twice), its time box."""
    act = scenario.acts[index]
    state["act"] = index
    first_time = index not in state["entered"]
    if first_time:
        state["entered"].append(index)
    for g in range(len(state["groups"])):
        players = seated(state, g)
        if not players:
            continue
        for clue in scenario.clues:
            if clue.unlock == "act" and clue.act == act.id:
                _find(state, g, clue, None, "act")
        for pid in players:
            _deal(state, scenario, pid, only_act=index)
        if act.type == "search" and first_time:
            for pid in players:
                state["ap"][pid] = act.action_points
    timer = state["timer"]
    timer["deadline_ms"] = now_ms + act.time_box * 1000 if act.time_box else None
    timer["remaining_ms"] = None
    timer["paused"] = False


def _deal(state: dict[str, Any], scenario: Scenario, pid: str, only_act: int | None = None) -> None:
    """Hand a player the clues their role receives in the acts reached so far (or one act)."""
    player = state["players"][pid]
    if player["role"] is None or state["act"] < 0:
        return
    role = scenario.role(player["role"])
    acts = [only_act] if only_act is not None else range(state["act"] + 1)
    for index in acts:
        role_act = role.acts.get(scenario.acts[index].id)
        for clue_id in role_act.clues if role_act else []:
            _find(state, player["group"], scenario.clue(clue_id), pid, "role")


def next_act(state: dict[str, Any], scenario: Scenario, now_ms: int, rng: random.Random) -> None:
    """From the lobby: deal the roles and open the first act; then one act on."""
    if state["phase"] == "lobby":
        start(state, scenario, rng)
        enter_act(state, scenario, 0, now_ms)
        return
    if state["phase"] != "playing" or state["act"] + 1 >= len(scenario.acts):
        raise Refused("wrong_phase")
    enter_act(state, scenario, state["act"] + 1, now_ms)


def previous_act(state: dict[str, Any], scenario: Scenario, now_ms: int) -> None:
    """Back one act (a slip of the host's finger): what was found stays found."""
    if state["phase"] != "playing" or state["act"] <= 0:
        raise Refused("wrong_phase")
    enter_act(state, scenario, state["act"] - 1, now_ms)


def pause(state: dict[str, Any], now_ms: int) -> None:
    timer = state["timer"]
    if state["phase"] != "playing" or timer["paused"] or timer["deadline_ms"] is None:
        raise Refused("wrong_phase")
    timer["remaining_ms"] = max(0, timer["deadline_ms"] - now_ms)
    timer["deadline_ms"] = None
    timer["paused"] = True


def resume(state: dict[str, Any], now_ms: int) -> None:
    timer = state["timer"]
    if state["phase"] != "playing" or not timer["paused"]:
        raise Refused("wrong_phase")
    timer["deadline_ms"] = now_ms + timer["remaining_ms"]
    timer["remaining_ms"] = None
    timer["paused"] = False


def end(state: dict[str, Any]) -> None:
    if state["phase"] == "ended":
        raise Refused("run_over")
    state["phase"] = "ended"
    state["timer"] = {"deadline_ms": None, "remaining_ms": None, "paused": False}


# -- finding clues -------------------------------------------------------------------------------


def _find(state: dict[str, Any], group: int, clue: Clue, by: str | None, how: str) -> bool:
    found = state["found"][str(group)]
    if clue.id in found:
        return False
    found[clue.id] = {"by": by, "how": how, "shared": False}
    return True


def _parent_found(state: dict[str, Any], group: int, clue: Clue) -> bool:
    return clue.parent is None or clue.parent in state["found"][str(group)]


def search(state: dict[str, Any], scenario: Scenario, pid: str, place_id: str) -> str:
    """Spend one action point at a place: the place's next clue the group has not found (a
    deep clue once its parent is found). Nothing left there costs nothing."""
    player = _playing(state, pid)
    act = _act(state, scenario)
    if act is None or act.type != "search":
        raise Refused("wrong_phase")
    place = next((item for item in scenario.places if item.id == place_id), None)
    if place is None:
        raise Refused("bad_place")
    if player["role"] in place.barred:
        raise Refused("place_barred")
    if state["ap"].get(pid, 0) <= 0:
        raise Refused("no_action_points")
    group = player["group"]
    for clue in scenario.clues:
        if (
            clue.unlock == "search"
            and clue.place == place_id
            and clue.id not in state["found"][str(group)]
            and _parent_found(state, group, clue)
        ):
            state["ap"][pid] -= 1
            _find(state, group, clue, pid, "search")
            return clue.id
    raise Refused("nothing_left")


def scan(state: dict[str, Any], scenario: Scenario, pid: str, clue_id: str, card_group: int | None) -> str:
    """A printed prop card scanned by a player's phone (the store has checked the code is this
    run's): the clue opens for the phone's group."""
    player = _playing(state, pid)
    group = player["group"]
    if card_group is not None and card_group != group:
        raise Refused("wrong_group", group=state["groups"][card_group])
    clue = scenario.clue(clue_id)
    if clue.id in state["found"][str(group)]:
        raise Refused("already_found")
    if not _parent_found(state, group, clue):
        raise Refused("parent_missing", parent=scenario.clue(clue.parent or "").title)
    _find(state, group, clue, pid, "prop")
    return clue.id


def share(state: dict[str, Any], scenario: Scenario, pid: str, clue_id: str) -> None:
    """The finder of a finder-only clue shows it to the group."""
    player = _playing(state, pid)
    entry = state["found"][str(player["group"])].get(clue_id)
    if entry is None or entry["by"] != pid or scenario.clue(clue_id).visibility != "finder":
        raise Refused("bad_clue")
    entry["shared"] = True


def release(state: dict[str, Any], scenario: Scenario, clue_id: str, group: int | None) -> list[int]:
    """The host gives a clue to one group or to every group playing; returns the groups that
    got it new."""
    if state["phase"] != "playing":
        raise Refused("wrong_phase")
    if clue_id not in {clue.id for clue in scenario.clues}:
        raise Refused("bad_clue")
    if group is not None and not 0 <= group < len(state["groups"]):
        raise Refused("bad_group")
    targets = [group] if group is not None else [g for g in range(len(state["groups"])) if seated(state, g)]
    return [g for g in targets if _find(state, g, scenario.clue(clue_id), None, "host")]


# -- checkpoints and the vote --------------------------------------------------------------------


def checkpoint_question(scenario: Scenario, checkpoint_id: str) -> dict[str, Any]:
    """The checkpoint in the live quiz's game form (option indices as the key), unshuffled."""
    question = scenario.checkpoint_question(checkpoint_id)
    return game_question(question, ContestSettings(shuffle_options=False), random.Random(0))  # type: ignore[arg-type]


def answer(state: dict[str, Any], scenario: Scenario, pid: str, checkpoint_id: str, choice: Any) -> bool:
    """One answer per player and checkpoint, in an act that opens it; a right answer opens
    the checkpoint's clues for the group. ``choice`` is already in canonical form."""
    player = _playing(state, pid)
    act = _act(state, scenario)
    if act is None or act.type != "checkpoint" or checkpoint_id not in act.checkpoints:
        raise Refused("not_open")
    answers = state["answers"].setdefault(checkpoint_id, {})
    if pid in answers:
        raise Refused("duplicate_answer")
    question = checkpoint_question(scenario, checkpoint_id)
    right = correctness(question["type"], question["key"], choice) == 1.0
    answers[pid] = {"choice": choice, "correct": right}
    if right:
        for clue in scenario.clues:
            if clue.unlock == "checkpoint" and clue.checkpoint == checkpoint_id:
                _find(state, player["group"], clue, pid, "checkpoint")
    return right


def vote(state: dict[str, Any], scenario: Scenario, pid: str, option: str) -> None:
    """A player's vote, which they may change until the reveal."""
    _playing(state, pid)
    act = _act(state, scenario)
    if act is None or act.type != "vote":
        raise Refused("not_open")
    if option not in {item.id for item in scenario.final_options()}:
        raise Refused("bad_choice")
    state["votes"][pid] = option


def decision(state: dict[str, Any], scenario: Scenario, group: int) -> dict[str, Any]:
    """The group's tally, its choice (the single most voted option; a tie decides nothing)
    and whether that choice is the answer."""
    tally = Counter(state["votes"][pid] for pid in seated(state, group) if pid in state["votes"])
    ranked = tally.most_common()
    choice = ranked[0][0] if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]) else None
    return {"tally": dict(tally), "choice": choice, "correct": choice == scenario.final.answer}


# -- the host's hands ---------------------------------------------------------------------------------


def note(state: dict[str, Any], pid: str, text: str) -> None:
    _player(state, pid)
    notes = state["notes"].setdefault(pid, [])
    notes.append(text)
    del notes[:-MAX_NOTES]


def replace(state: dict[str, Any], scenario: Scenario, old: str, new: str) -> None:
    """A new phone takes over the seat of a player who left: role, group, found clues,
    action points, answers and vote move to it; the old seat is closed."""
    if state["phase"] == "ended":
        raise Refused("run_over")
    leaving = _player(state, old)
    coming = _player(state, new)
    if old == new or coming["role"] is not None or leaving["role"] is None:
        raise Refused("bad_replace")
    coming["group"], coming["role"] = leaving["group"], leaving["role"]
    leaving["replaced_by"] = new
    for found in state["found"].values():
        for entry in found.values():
            if entry["by"] == old:
                entry["by"] = new
    for per_player in (state["ap"], state["votes"], state["notes"]):
        if old in per_player:
            per_player[new] = per_player.pop(old)
    for answers in state["answers"].values():
        if old in answers:
            answers[new] = answers.pop(old)


# -- views: the only way content leaves the state ----------------------------------------------


def visible(state: dict[str, Any], scenario: Scenario, pid: str, clue_id: str) -> bool:
    player = state["players"][pid]
    entry = state["found"][str(player["group"])].get(clue_id) if player["group"] is not None else None
    if entry is None or player["role"] is None:
        return False
    clue = scenario.clue(clue_id)
    if clue.visibility == "role":
        return bool(player["role"] == clue.role)
    if clue.visibility == "finder" and entry["by"] is not None:
        return bool(entry["by"] == pid or entry["shared"])
    return True


def _timer(state: dict[str, Any]) -> dict[str, Any]:
    return dict(state["timer"])


def _act_view(state: dict[str, Any], scenario: Scenario) -> dict[str, Any] | None:
    act = _act(state, scenario)
    if act is None:
        return None
    return {
        "index": state["act"],
        "id": act.id,
        "type": act.type,
        "title": act.title,
        "screen": act.screen,
        "time_box": act.time_box,
    }


def _at_reveal(state: dict[str, Any], scenario: Scenario) -> bool:
    act = _act(state, scenario)
    return state["phase"] == "ended" or (act is not None and act.type == "reveal")


def _reveal(scenario: Scenario) -> dict[str, Any]:
    answer_text = next(o.text for o in scenario.final_options() if o.id == scenario.final.answer)
    return {
        "answer": scenario.final.answer,
        "answer_text": answer_text,
        "text": scenario.reveal.text,
        "history": scenario.reveal.history,
        "sources": list(scenario.reveal.sources),
        "lesson": scenario.reveal.lesson,
        "fiction": scenario.fiction,
    }


def player_view(state: dict[str, Any], scenario: Scenario, pid: str) -> dict[str, Any]:
    """Everything one phone may see, and nothing more."""
    player = state["players"][pid]
    view: dict[str, Any] = {
        "phase": state["phase"],
        "title": scenario.title,
        "me": {"player_id": pid, "nickname": player["nickname"]},
        "act": _act_view(state, scenario),
        "total_acts": len(scenario.acts),
        "timer": _timer(state),
        "notes": list(state["notes"].get(pid, [])),
    }
    if player.get("replaced_by"):
        view["phase"] = "replaced"
        return view
    group = player["group"]
    if group is not None:
        view["me"]["group"] = state["groups"][group]
        view["group"] = [
            {"nickname": other["nickname"], **_public_role(scenario, other["role"])}
            for other_pid, other in sorted(seated(state, group).items())
            if other_pid != pid
        ]
    if player["role"] is None or state["phase"] == "lobby":
        return view
    role = scenario.role(player["role"])
    view["role"] = {
        "id": role.id,
        "name": role.name,
        "intro": role.intro,
        "background": role.background,
        "objective": role.objective,
    }
    view["scripts"] = [
        {"act": scenario.acts[i].title, "text": role.acts[scenario.acts[i].id].script}
        for i in range(state["act"] + 1)
        if scenario.acts[i].id in role.acts and role.acts[scenario.acts[i].id].script
    ]
    found = state["found"][str(group)]
    view["clues"] = [
        {
            "id": clue.id,
            "title": clue.title,
            "text": clue.text,
            "image": clue.image,
            "how": found[clue.id]["how"],
            "mine": found[clue.id]["by"] == pid,
            "shareable": clue.visibility == "finder"
            and found[clue.id]["by"] == pid
            and not found[clue.id]["shared"],
        }
        for clue in scenario.clues
        if clue.id in found and visible(state, scenario, pid, clue.id)
    ]
    act = _act(state, scenario)
    if act is not None and act.type == "search":
        view["search"] = {
            "action_points": state["ap"].get(pid, 0),
            "places": [
                {"id": place.id, "name": place.name, "barred": role.id in place.barred}
                for place in scenario.places
            ],
        }
    if act is not None and act.type == "checkpoint":
        view["checkpoints"] = []
        for checkpoint_id in act.checkpoints:
            question = checkpoint_question(scenario, checkpoint_id)
            item = {"id": checkpoint_id, "question": public_question(question, 0)}
            mine = state["answers"].get(checkpoint_id, {}).get(pid)
            if mine is not None:  # answered: the explanation is no longer a secret for this phone
                item.update(answered=True, correct=mine["correct"], explanation=question["explanation"])
            view["checkpoints"].append(item)
    if act is not None and act.type == "vote":
        view["vote"] = {
            "prompt": scenario.final.prompt,
            "options": [{"id": o.id, "text": o.text} for o in scenario.final_options()],
            "mine": state["votes"].get(pid),
        }
    if _at_reveal(state, scenario):
        view["reveal"] = {
            **_reveal(scenario),
            "options": [{"id": o.id, "text": o.text} for o in scenario.final_options()],
            "decision": decision(state, scenario, group),
            "ending": scenario.final.endings.get(role.id) or role.ending,
        }
    return view


def _public_role(scenario: Scenario, role_id: str | None) -> dict[str, str]:
    if role_id is None:
        return {"role": "", "intro": ""}
    role = scenario.role(role_id)
    return {"role": role.name, "intro": role.intro}


def group_progress(state: dict[str, Any], scenario: Scenario, group: int) -> dict[str, Any]:
    players = seated(state, group)
    answered = [a for answers in state["answers"].values() for p, a in answers.items() if p in players]
    progress = {
        "index": group,
        "name": state["groups"][group],
        "players": len(players),
        "clues": len(state["found"][str(group)]),
        "total_clues": len(scenario.clues),
        "answered": len(answered),
        "correct": sum(a["correct"] for a in answered),
        "voted": sum(pid in state["votes"] for pid in players),
    }
    if _at_reveal(state, scenario):
        progress["decision"] = decision(state, scenario, group)
    return progress


def screen_view(state: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The big screen: no role of any player, no clue text, no answer before the reveal."""
    view: dict[str, Any] = {
        "phase": state["phase"],
        "title": scenario.title,
        "era": scenario.era,
        "summary": scenario.summary,
        "act": _act_view(state, scenario),
        "total_acts": len(scenario.acts),
        "timer": _timer(state),
        "groups": [
            group_progress(state, scenario, g) for g in range(len(state["groups"])) if seated(state, g)
        ]
        if state["phase"] != "lobby"
        else [
            {
                "index": g,
                "name": name,
                "players": len(seated(state, g)),
                "nicknames": sorted(p["nickname"] for p in seated(state, g).values()),
            }
            for g, name in enumerate(state["groups"])
        ],
        "waiting": sum(
            1 for p in state["players"].values() if p["group"] is None and not p.get("replaced_by")
        ),
    }
    if _at_reveal(state, scenario):
        view["reveal"] = _reveal(scenario)
        view["options"] = [{"id": o.id, "text": o.text} for o in scenario.final_options()]
    return view


def host_view(state: dict[str, Any], scenario: Scenario, online: set[str] | None = None) -> dict[str, Any]:
    """The host's console (a laptop, not the projector): the screen plus who plays what,
    the act's hint, every clue and who has it."""
    act = _act(state, scenario)
    online = online or set()
    return {
        **screen_view(state, scenario),
        "hint": act.hint if act is not None else "",
        "players": [
            {
                "player_id": pid,
                "nickname": player["nickname"],
                "member_no": player["member_no"],
                "group": player["group"],
                "role": player["role"],
                "role_name": scenario.role(player["role"]).name if player["role"] else "",
                "online": pid in online,
            }
            for pid, player in sorted(state["players"].items(), key=lambda item: item[1]["nickname"])
            if not player.get("replaced_by")
        ],
        "group_names": list(state["groups"]),
        "roles": [{"id": role.id, "name": role.name, "required": role.required} for role in scenario.roles],
        "clues": [
            {
                "id": clue.id,
                "title": clue.title,
                "unlock": clue.unlock,
                "found_by_groups": [int(g) for g, found in state["found"].items() if clue.id in found],
            }
            for clue in scenario.clues
        ],
        "acts": [{"id": a.id, "title": a.title, "type": a.type} for a in scenario.acts],
    }


# -- the result ------------------------------------------------------------------------------------


def results(state: dict[str, Any], scenario: Scenario) -> list[dict[str, Any]]:
    """Per seated player with a role: what they achieved, for SQL and the points ledger."""
    rows = []
    decisions = {g: decision(state, scenario, g) for g in range(len(state["groups"]))}
    for pid, player in sorted(state["players"].items()):
        if player.get("replaced_by") or player["role"] is None:
            continue
        group = player["group"]
        answers = {k: a[pid] for k, a in state["answers"].items() if pid in a}
        rows.append(
            {
                "player_id": pid,
                "nickname": player["nickname"],
                "member_no": player["member_no"],
                "group": group,
                "group_name": state["groups"][group],
                "role": player["role"],
                "clues_found": sum(
                    1
                    for entry in state["found"][str(group)].values()
                    if entry["by"] == pid and entry["how"] in FOUND_BY_PLAYER
                ),
                "checkpoints_answered": len(answers),
                "checkpoints_correct": sum(a["correct"] for a in answers.values()),
                "answers": answers,
                "vote": state["votes"].get(pid),
                "deduction_correct": decisions[group]["correct"],
            }
        )
    return rows
