"""The scenario-run service: applies the pure engine to the Redis store and says what to send.

Like the live quiz's service, every method returns what the socket layer should
acknowledge and the ``Emit`` list (event, payload, room); nothing here talks to Socket.IO.
Rooms: ``scenario:<pin>:screen`` (big screens), ``scenario:<pin>:host`` (host consoles),
``scenario:<pin>:player:<id>`` (one player's phones). A phone is only ever sent its own
view (``engine.player_view``), so private content reaches no other phone.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import secrets
from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from app.live.games import Emit
from app.live.protocol import ProtocolError, validate_choice
from app.scenario import engine
from app.scenario import protocol as p
from app.scenario.engine import Refused
from app.scenario.schema import Scenario, parse_scenario
from app.scenario.store import ScenarioStore

log = logging.getLogger(__name__)

NOT_WRITTEN = "本场已结束，但结果暂时没有写入数据库；请稍后再点一次“结束”，不会重复计分。"


def screen_room(pin: str) -> str:
    return f"scenario:{pin}:screen"


def host_room(pin: str) -> str:
    return f"scenario:{pin}:host"


def player_room(pin: str, player_id: str) -> str:
    return f"scenario:{pin}:player:{player_id}"


@functools.lru_cache(maxsize=32)
def _parsed(digest: str, text: str) -> Scenario:
    return parse_scenario(text)


def prop_cards(scenario: Scenario, groups: int, per_group: bool) -> list[tuple[str, int | None]]:
    """The printed cards of a run: one per prop clue, or one per prop clue and group."""
    props = [clue.id for clue in scenario.clues if clue.unlock == "prop"]
    if per_group:
        return [(clue, group) for clue in props for group in range(groups)]
    return [(clue, None) for clue in props]


class ScenarioRuns:
    def __init__(
        self, store: ScenarioStore, secret_key: str, finish: Callable[[str], int | None] | None = None
    ) -> None:
        self.store = store
        self.tokens = URLSafeSerializer(secret_key, salt="arena.scenario.rejoin")
        self.finish_run = finish  # writes a finished run to SQL and credits its points

    def scenario(self, pin: str) -> Scenario:
        text = self.store.scenario_text(pin)
        if text is None:
            raise Refused("run_not_found")
        return _parsed(hashlib.sha256(text.encode()).hexdigest(), text)

    def create(
        self, scenario: Scenario, text: str, groups: list[str], run_id: int, props_per_group: bool
    ) -> tuple[str, str]:
        if not scenario.approved:
            raise Refused("scenario_not_approved")
        state = engine.new_state(scenario, groups)
        pin, token, _codes = self.store.create_run(
            text, state, run_id, prop_cards(scenario, len(groups), props_per_group)
        )
        return pin, token

    # -- what to send ------------------------------------------------------------------------------

    def _screens(self, pin: str, scenario: Scenario, state: dict[str, Any]) -> list[Emit]:
        return [
            Emit(p.SCREEN, engine.screen_view(state, scenario), screen_room(pin)),
            Emit(p.HOST, engine.host_view(state, scenario, self.store.online(pin)), host_room(pin)),
        ]

    def _views(self, pin: str, scenario: Scenario, state: dict[str, Any], players: list[str]) -> list[Emit]:
        return [
            Emit(p.VIEW, engine.player_view(state, scenario, pid), player_room(pin, pid))
            for pid in players
            if pid in state["players"]
        ]

    def _everyone(self, pin: str, scenario: Scenario, state: dict[str, Any]) -> list[Emit]:
        return self._screens(pin, scenario, state) + self._views(pin, scenario, state, list(state["players"]))

    def _group(self, pin: str, scenario: Scenario, state: dict[str, Any], pid: str) -> list[Emit]:
        group = state["players"][pid]["group"]
        mates = list(engine.seated(state, group)) if group is not None else [pid]
        return self._screens(pin, scenario, state) + self._views(pin, scenario, state, mates)

    # -- host --------------------------------------------------------------------------------------

    def _check_host(self, pin: str, token: str) -> None:
        if not self.store.exists(pin):
            raise Refused("run_not_found")
        if not self.store.check_host(pin, token):
            raise ProtocolError("bad_host_token")

    def host_join(self, pin: str, token: str) -> dict[str, Any]:
        self._check_host(pin, token)
        scenario = self.scenario(pin)
        state = self.store.state(pin) or {}
        return {"host": engine.host_view(state, scenario, self.store.online(pin))}

    def screen_join(self, pin: str, token: str) -> dict[str, Any]:
        self._check_host(pin, token)
        return {"screen": engine.screen_view(self.store.state(pin) or {}, self.scenario(pin))}

    def host_command(self, pin: str, name: str, command: p.Command) -> tuple[dict[str, Any], list[Emit]]:
        """next, previous, pause, resume, assign, release, note, replace, end."""
        scenario = self.scenario(pin)
        now = self.store.now_ms()

        def change(state: dict[str, Any]) -> Any:
            if name == "next":
                return engine.next_act(state, scenario, now, random.Random(secrets.randbits(64)))
            if name == "previous":
                return engine.previous_act(state, scenario, now)
            if name == "pause":
                return engine.pause(state, now)
            if name == "resume":
                return engine.resume(state, now)
            if name == "assign":
                return engine.assign(state, scenario, command["player_id"], command["group"], command["role"])
            if name == "release":
                return engine.release(state, scenario, command["clue"], command["group"])
            if name == "note":
                return engine.note(state, command["player_id"], command["text"])
            if name == "replace":
                return engine.replace(state, scenario, command["player_id"], command["new_player_id"])
            return engine.end(state)

        try:
            _outcome, state = self.store.transact(pin, change)
        except Refused as refused:
            if name != "end" or refused.code != "run_over":
                raise
            # Ending again writes what an earlier end could not (the database was down).
            state = self.store.state(pin) or {}
        emits = self._everyone(pin, scenario, state)
        if name == "replace":
            emits.append(
                Emit(p.REPLACED, {"message": p.ERRORS["replaced"]}, player_room(pin, command["player_id"]))
            )
        ack: dict[str, Any] = {"host": engine.host_view(state, scenario, self.store.online(pin))}
        if name == "end" and self.finish_run is not None:
            try:
                self.finish_run(pin)
                ack["written"] = True
            except Exception:
                # The run stays ended in Redis (for RUN_TTL); 结束 again writes it.
                log.exception("writing scenario run %s failed; ending it again retries", pin)
                ack.update(written=False, message=NOT_WRITTEN)
        return ack, emits

    # -- players ------------------------------------------------------------------------------------

    def rejoin_token(self, pin: str, player_id: str) -> str:
        return self.tokens.dumps({"pin": pin, "player": player_id})

    def _from_token(self, pin: str, token: str) -> str | None:
        try:
            data = self.tokens.loads(token)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("pin") != pin:
            return None
        return str(data.get("player"))

    def join(
        self, pin: str, nickname: str, member_no: str, rejoin_token: str
    ) -> tuple[dict[str, Any], list[Emit]]:
        """A phone joins, or comes back to its seat by its rejoin token (role and clues kept)."""
        scenario = self.scenario(pin)
        known = self._from_token(pin, rejoin_token) if rejoin_token else None
        state = self.store.state(pin)
        if state is None:
            raise Refused("run_not_found")
        if known is not None and known in state["players"]:
            player_id = known
            if state["players"][player_id].get("replaced_by"):
                raise Refused("replaced")
            self.store.connect(pin, player_id)
            return self._joined(pin, scenario, state, player_id), self._screens(pin, scenario, state)
        if not nickname:
            raise ProtocolError("bad_request", field="nickname")
        player_id = secrets.token_hex(6)
        _player, state = self.store.transact(
            pin, lambda s: engine.join(s, scenario, player_id, nickname, member_no)
        )
        self.store.connect(pin, player_id)
        return self._joined(pin, scenario, state, player_id), self._group(pin, scenario, state, player_id)

    def _joined(self, pin: str, scenario: Scenario, state: dict[str, Any], player_id: str) -> dict[str, Any]:
        return {
            "player_id": player_id,
            "rejoin_token": self.rejoin_token(pin, player_id),
            "view": engine.player_view(state, scenario, player_id),
        }

    def disconnect(self, pin: str, player_id: str) -> list[Emit]:
        self.store.disconnect(pin, player_id)
        state = self.store.state(pin)
        if state is None:
            return []
        scenario = self.scenario(pin)
        return [Emit(p.HOST, engine.host_view(state, scenario, self.store.online(pin)), host_room(pin))]

    def act(
        self, pin: str, player_id: str, event: str, command: p.Command
    ) -> tuple[dict[str, Any], list[Emit]]:
        """search, scan, answer, vote, share: the group's phones and the screens hear of it."""
        scenario = self.scenario(pin)
        if event == p.PLAYER_ANSWER:
            question = (
                engine.checkpoint_question(scenario, command["checkpoint"])
                if any(item.id == command["checkpoint"] for item in scenario.checkpoints)
                else None
            )
            if question is None:
                raise Refused("not_open")
            choice = validate_choice(question, command["choice"])
            outcome, state = self.store.transact(
                pin, lambda s: engine.answer(s, scenario, player_id, command["checkpoint"], choice)
            )
            return {"correct": outcome}, self._group(pin, scenario, state, player_id)
        if event == p.PLAYER_SCAN:
            card = self.store.prop(pin, command["code"])
            outcome, state = self.store.transact(
                pin, lambda s: engine.scan(s, scenario, player_id, card["clue"], card["group"])
            )
            return {"clue": outcome, "title": scenario.clue(outcome).title}, self._group(
                pin, scenario, state, player_id
            )
        if event == p.PLAYER_SEARCH:
            outcome, state = self.store.transact(
                pin, lambda s: engine.search(s, scenario, player_id, command["place"])
            )
            return {"clue": outcome, "title": scenario.clue(outcome).title}, self._group(
                pin, scenario, state, player_id
            )
        if event == p.PLAYER_SHARE:
            _outcome, state = self.store.transact(
                pin, lambda s: engine.share(s, scenario, player_id, command["clue"])
            )
            return {}, self._group(pin, scenario, state, player_id)
        _outcome, state = self.store.transact(
            pin, lambda s: engine.vote(s, scenario, player_id, command["option"])
        )
        return {}, self._screens(pin, scenario, state) + self._views(pin, scenario, state, [player_id])
