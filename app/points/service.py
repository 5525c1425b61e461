"""The points service bound to an app: its rules file, its boards, crediting a game."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import redis
from flask import Flask
from sqlalchemy.orm import Session

from app.audit import SYSTEM, Actor, record_game_credit
from app.extensions import redis_connection
from app.models import Game, PointEntry
from app.points.ledger import board_entries, credit_game
from app.points.rules import DEFAULT_RULES, Rules, RulesError, load_rules, parse_rules
from app.points.store import PointsStore

log = logging.getLogger(__name__)


class Points:
    def __init__(self, rules_path: Path, store: PointsStore) -> None:
        self.rules_path = rules_path
        self.store = store

    def rules(self) -> Rules:
        return load_rules(self.rules_path)

    def rules_text(self) -> str:
        source = self.rules_path if self.rules_path.exists() else DEFAULT_RULES
        return source.read_text(encoding="utf-8")

    def save_rules(self, text: str) -> Rules:
        """Validate the whole file, then replace it atomically (never half-written)."""
        rules = parse_rules(text)
        staging = self.rules_path.with_suffix(".tmp")
        staging.write_text(text, encoding="utf-8")
        staging.replace(self.rules_path)
        return rules

    def credit_game(self, session: Session, game: Game, actor: Actor = SYSTEM) -> list[PointEntry]:
        """Credit a finished game inside the caller's transaction, in a savepoint: a
        crediting fault is logged and leaves the game's results stored. ``actor`` is who
        asked (the end of a game credits by itself: the system)."""
        try:
            with session.begin_nested():
                added = credit_game(session, self.rules(), game)
                record_game_credit(session, actor, game, added)
                return added
        except Exception:
            log.exception("crediting game %s failed; it can be credited again from its results page", game.id)
            return []

    def publish(self, entries: Iterable[PointEntry]) -> None:
        """Count committed entries on the boards. Redis down: the ledger is the truth and
        `arena points rebuild` brings the boards back, so log and go on."""
        try:
            self.store.add(board_entries(entries, self.rules().assessed))
        except (redis.RedisError, RulesError):
            log.exception("season boards not updated; run `arena points rebuild`")


def points(app: Flask) -> Points:
    service = app.extensions.get("arena.points")
    if service is None:
        settings = app.config["ARENA"]
        service = Points(
            settings.instance_path / "points_rules.yaml", PointsStore(redis_connection(app).client())
        )
        app.extensions["arena.points"] = service
    return service  # type: ignore[no-any-return]
