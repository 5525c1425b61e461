"""The danmaku wall and Q&A service: the gate (mute, rate, repeat), the word filter,
moderation, and what to send where. Returns ``Emit`` lists like the games' services.

Rooms: ``wall:<pin>:screen`` (big screens and overlays: only shown messages, never the
queue), ``wall:<pin>:moderators`` (moderation pages and host consoles), ``wall:<pin>:phones``
(everyone who sends: the wall's state).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import record_wall, wall_actor
from app.danmaku import protocol as p
from app.danmaku.protocol import WallRefused
from app.danmaku.store import WallStore
from app.danmaku.wordfilter import WordFilter, normalise
from app.extensions import Database
from app.live.games import Emit
from app.models import FilterWord, ModerationEntry, WallMessage, WallQuestion

log = logging.getLogger(__name__)


def screen_room(pin: str) -> str:
    return f"wall:{pin}:screen"


def moderator_room(pin: str) -> str:
    return f"wall:{pin}:moderators"


def phones_room(pin: str) -> str:
    return f"wall:{pin}:phones"


class Walls:
    def __init__(
        self,
        store: WallStore,
        db: Database,
        secret_key: str,
        host_check: Callable[[str, str], bool],
    ) -> None:
        self.store = store
        self.db = db
        self.tokens = URLSafeSerializer(secret_key, salt="arena.wall")
        self.host_check = host_check  # a game's or run's host token, checked by its own store
        self._filter: tuple[int, WordFilter] | None = None

    # -- the word list (SQL), hot-reloaded through its version in Redis -------------------------------

    def word_filter(self) -> WordFilter:
        version = self.store.words_version()
        if self._filter is None or self._filter[0] != version:
            with self.db.sessions() as session:
                words = list(session.scalars(select(FilterWord.word)))
            self._filter = (version, WordFilter(words))
        return self._filter[1]

    def words_changed(self) -> None:
        self.store.bump_words()

    # -- tokens ----------------------------------------------------------------------------------------

    def moderator_token(self, pin: str) -> str:
        return self.tokens.dumps({"moderate": pin, "at": self.store.record_key(pin)})

    def rejoin_token(self, pin: str, player_id: str) -> str:
        return self.tokens.dumps({"wall": pin, "player": player_id})

    def player_from_token(self, pin: str, token: str) -> str | None:
        try:
            data = self.tokens.loads(token)
        except BadSignature:
            return None
        return str(data["player"]) if isinstance(data, dict) and data.get("wall") == pin else None

    def role_of(self, pin: str, token: str) -> str | None:
        """ "host" for the game's, run's or wall's host token, "moderator" for the wall's
        moderator token, None otherwise."""
        if self.store.check_host(pin, token) or self.host_check(pin, token):
            return "host"
        try:
            data = self.tokens.loads(token)
        except BadSignature:
            return None
        if (
            isinstance(data, dict)
            and data.get("moderate") == pin
            and data.get("at") == self.store.record_key(pin)
        ):
            return "moderator"
        return None

    # -- views ----------------------------------------------------------------------------------------

    def state(self, pin: str) -> dict[str, Any]:
        wall = self.store.wall(pin)
        if not wall:
            raise WallRefused("wall_not_found")
        return {
            "pin": pin,
            "title": wall.get("title", ""),
            "mode": wall.get("mode", "auto"),
            "paused": wall.get("paused") == "1",
            "overlay": wall.get("overlay", "1") == "1",
            "colors": list(p.COLORS),
        }

    def questions_payload(self, pin: str, for_screen: bool = False) -> dict[str, Any]:
        questions = self.store.questions(pin)
        pinned = self.store.wall(pin).get("pinned") or None
        if for_screen:
            questions = [q for q in questions if q["state"] != "hidden"]
        shown = [
            {key: q[key] for key in ("id", "text", "nickname", "votes", "state")}
            for q in questions
            if not for_screen or q["state"] == "open"
        ]
        pinned_question = next((q for q in shown if q["id"] == pinned), None)
        return {"questions": shown, "pinned": pinned_question}

    def moderator_view(self, pin: str) -> dict[str, Any]:
        return {
            "state": self.state(pin),
            "pending": self.store.pending(pin),
            "shown": self.store.shown(pin)[:50],
            **self.questions_payload(pin),
        }

    # -- phones -----------------------------------------------------------------------------------------

    def join(self, pin: str, nickname: str, rejoin_token: str) -> dict[str, Any]:
        """A phone on a standalone wall: a nickname, or back with its token."""
        wall = self.store.wall(pin)
        if not wall or wall.get("kind") != "standalone":
            raise WallRefused("wall_not_found")
        player_id = self.player_from_token(pin, rejoin_token) if rejoin_token else None
        if player_id is None or self.store.player_nickname(pin, player_id) is None:
            if not nickname:  # an unknown or foreign token: the phone must join again
                raise WallRefused("bad_request", field="nickname")
            player_id = self.store.add_player(pin, nickname)
        return {
            "player_id": player_id,
            "nickname": self.store.player_nickname(pin, player_id),
            "rejoin_token": self.rejoin_token(pin, player_id),
            "wall": self.state(pin),
        }

    def send(
        self, pin: str, player: str, nickname: str, text: str, color: str
    ) -> tuple[dict[str, Any], list[Emit]]:
        state = self.state(pin)
        if state["mode"] == "off":
            raise WallRefused("wall_off")
        if state["paused"]:
            raise WallRefused("wall_paused")
        self._gate(pin, player, text, "wall")
        message = {
            "id": self.store.next_id(pin),
            "text": text,
            "color": color,
            "player": player,
            "nickname": nickname,
        }
        if self.word_filter().blocks(text):
            self._record(pin, message, "blocked")
            raise WallRefused("blocked")  # a neutral notice: never the list, never the word
        if state["mode"] == "manual":
            self.store.hold(pin, message)
            self._record(pin, message, "pending")
            return {"status": "queued"}, [
                Emit(p.QUEUE, {"pending": self.store.pending(pin)}, moderator_room(pin))
            ]
        return {"status": "shown"}, self._show(pin, message, "shown")

    def _gate(self, pin: str, player: str, text: str, kind: str) -> None:
        outcome, number = self.store.gate(pin, player, normalise(text) or text, kind=kind)
        if outcome == "muted":
            raise WallRefused("muted", until_ms=number)
        if outcome == "rate_limited":
            raise WallRefused("rate_limited", retry_ms=number)
        if outcome == "repeat":
            raise WallRefused("repeat")

    def _show(self, pin: str, message: dict[str, Any], status: str) -> list[Emit]:
        self.store.show(pin, message)
        if status == "shown":
            self._record(pin, message, status)
        on_screen = {"id": message["id"], "text": message["text"], "color": message["color"]}
        return [
            Emit(p.MESSAGE, on_screen, screen_room(pin)),
            Emit(
                p.MESSAGE,
                {**on_screen, "player": message["player"], "nickname": message["nickname"]},
                moderator_room(pin),
            ),
        ]

    def ask(self, pin: str, player: str, nickname: str, text: str) -> tuple[dict[str, Any], list[Emit]]:
        self.state(pin)
        if self.word_filter().blocks(text):
            raise WallRefused("blocked")
        self._gate(pin, player, text, "qa")
        question = {
            "id": self.store.next_id(pin),
            "text": text,
            "player": player,
            "nickname": nickname,
            "state": "open",
        }
        self.store.ask(pin, question)
        with self.db.transaction() as session:
            session.add(
                WallQuestion(
                    wall_key=self.store.record_key(pin),
                    pin=pin,
                    question_id=question["id"],
                    player_key=player,
                    nickname=nickname,
                    text=text,
                )
            )
        return {"question_id": question["id"]}, self._questions(pin)

    def vote(self, pin: str, player: str, question_id: str) -> tuple[dict[str, Any], list[Emit]]:
        if not self._visible_question(pin, question_id):
            raise WallRefused("question_not_found")
        votes = self.store.vote(pin, question_id, player)
        if votes < 0:
            raise WallRefused("already_voted")
        with self.db.transaction() as session:
            session.execute(
                update(WallQuestion)
                .where(
                    WallQuestion.wall_key == self.store.record_key(pin),
                    WallQuestion.question_id == question_id,
                )
                .values(votes=votes)
            )
        return {"votes": votes}, self._questions(pin)

    def _questions(self, pin: str) -> list[Emit]:
        return [
            Emit(p.QUESTIONS, self.questions_payload(pin), moderator_room(pin)),
            Emit(p.QUESTIONS, self.questions_payload(pin, for_screen=True), screen_room(pin)),
            Emit(p.QUESTIONS, self.questions_payload(pin, for_screen=True), phones_room(pin)),
        ]

    # -- moderators ------------------------------------------------------------------------------------

    def moderate(
        self, pin: str, actor: str, event: str, command: p.Command
    ) -> tuple[dict[str, Any], list[Emit]]:
        """approve, reject, remove, mute, settings, qa pin / answered / hide; each logged."""
        emits: list[Emit] = []
        if event in (p.APPROVE, p.REJECT):
            message = self.store.take_pending(pin, command["message_id"])
            if message is None:
                raise WallRefused("message_not_found")
            approved = event == p.APPROVE
            decision = ("approved", "approve") if approved else ("rejected", "reject")
            self._set_status(pin, message, *decision, actor)
            if approved:
                emits += self._show(pin, message, "approved")
            emits.append(Emit(p.QUEUE, {"pending": self.store.pending(pin)}, moderator_room(pin)))
        elif event == p.REMOVE:
            message = self.store.unshow(pin, command["message_id"])
            if message is None:
                raise WallRefused("message_not_found")
            self._set_status(pin, message, "removed", "remove", actor)
            emits += [
                Emit(p.REMOVED, {"id": message["id"]}, room)
                for room in (screen_room(pin), moderator_room(pin))
            ]
        elif event == p.MUTE:
            minutes = command["minutes"]
            until = self.store.now_ms() + minutes * 60_000 if minutes else 0
            self.store.mute(pin, command["player_id"], until)
            self._log(pin, "mute" if minutes else "unmute", command["player_id"], f"{minutes} 分钟", actor)
            return {"until_ms": until}, []
        elif event == p.SETTINGS:
            changes = {k: v for k, v in command.fields.items() if k in ("mode", "paused", "overlay")}
            self.store.settings(pin, changes)
            for key, value in changes.items():
                self._log(pin, key, "", str(value), actor)
            state = self.state(pin)
            emits += [
                Emit(p.STATE, state, room)
                for room in (screen_room(pin), moderator_room(pin), phones_room(pin))
            ]
        else:
            emits += self._question_action(pin, actor, event, command["question_id"])
        return {"moderator": self.moderator_view(pin)}, emits

    def _question_action(self, pin: str, actor: str, event: str, question_id: str | None) -> list[Emit]:
        if event == p.QA_PIN:
            if question_id is not None and not self._visible_question(pin, question_id):
                raise WallRefused("question_not_found")
            self.store.settings(pin, {"pinned": question_id or ""})
            self._log(pin, "qa_pin", question_id or "", "", actor)
            return self._questions(pin)
        question = self.store.question(pin, question_id or "")
        if question is None or question["state"] == "hidden":  # hidden is final
            raise WallRefused("question_not_found")
        question["state"] = "answered" if event == p.QA_ANSWERED else "hidden"
        self.store.update_question(pin, question)
        if self.store.wall(pin).get("pinned") == question_id and question["state"] == "hidden":
            self.store.settings(pin, {"pinned": ""})
        with self.db.transaction() as session:
            session.execute(
                update(WallQuestion)
                .where(
                    WallQuestion.wall_key == self.store.record_key(pin),
                    WallQuestion.question_id == question_id,
                )
                .values(state=question["state"])
            )
            action = f"qa_{question['state']}"
            self._write_log(session, pin, action, question["id"], question["text"], actor)
        return self._questions(pin)

    def _visible_question(self, pin: str, question_id: str) -> bool:
        question = self.store.question(pin, question_id)
        return question is not None and question["state"] != "hidden"

    # -- SQL -------------------------------------------------------------------------------------------

    def _record(self, pin: str, message: dict[str, Any], status: str) -> None:
        with self.db.transaction() as session:
            session.add(
                WallMessage(
                    wall_key=self.store.record_key(pin),
                    pin=pin,
                    message_id=message["id"],
                    player_key=message["player"],
                    nickname=message["nickname"],
                    text=message["text"],
                    color=message["color"],
                    status=status,
                )
            )

    def _set_status(self, pin: str, message: dict[str, Any], status: str, action: str, actor: str) -> None:
        """A message's new status and the decision that set it, in one transaction."""
        with self.db.transaction() as session:
            session.execute(
                update(WallMessage)
                .where(
                    WallMessage.wall_key == self.store.record_key(pin),
                    WallMessage.message_id == message["id"],
                )
                .values(status=status)
            )
            self._write_log(session, pin, action, message["id"], message["text"], actor)

    def _log(self, pin: str, action: str, target: str, detail: str, actor: str) -> None:
        with self.db.transaction() as session:
            self._write_log(session, pin, action, target, detail, actor)

    def _write_log(
        self, session: Session, pin: str, action: str, target: str, detail: str, actor: str
    ) -> None:
        """The wall's moderation log (exported with the wall) and the audit log, together."""
        wall_key = self.store.record_key(pin)
        session.add(
            ModerationEntry(
                wall_key=wall_key, pin=pin, action=action, target=target, detail=detail[:400], actor=actor
            )
        )
        record_wall(session, wall_actor(actor), pin, wall_key, action, target, detail)
