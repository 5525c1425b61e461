"""The live quiz as a pure state machine: a state and a command in, a new state and the
effects to carry out back. No Flask, Redis or Socket.IO here (DESIGN §2, STYLE §3).

Phases: lobby → question → reveal → leaderboard → question … → podium → ended.
The store applies a transition only if the game is still at the version it was read at,
so two hosts' clicks, or a deadline and a click, cannot both advance the game.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

PHASES = ("lobby", "question", "reveal", "leaderboard", "podium", "ended")


class Effect(StrEnum):
    OPEN_QUESTION = "open_question"  # send the question (never its answer) to the room
    CLOSE_QUESTION = "close_question"  # score the answers, send the reveal and each result
    SHOW_LEADERBOARD = "show_leaderboard"
    SHOW_PODIUM = "show_podium"
    FINISH = "finish"  # write the game to SQL (idempotent)


class Refused(Exception):
    """A command that does not fit the game's phase; ``code`` is a protocol error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class QuizState:
    phase: str = "lobby"
    q: int = -1  # index of the current question; -1 before the first
    total: int = 0
    version: int = 0
    shown_ms: int = 0  # server time the current question was sent
    open_ms: int = 0  # when answers open (after the read time)
    deadline_ms: int = 0  # when answers close

    @property
    def is_last(self) -> bool:
        return self.q >= self.total - 1

    def advanced(self, **changes: object) -> QuizState:
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]


Transition = tuple[QuizState, tuple[Effect, ...]]


def open_question(state: QuizState, q: int, *, now_ms: int, read_ms: int, limit_ms: int) -> Transition:
    opens = now_ms + read_ms
    new = state.advanced(phase="question", q=q, shown_ms=now_ms, open_ms=opens, deadline_ms=opens + limit_ms)
    return new, (Effect.OPEN_QUESTION,)


def start(state: QuizState, *, now_ms: int, read_ms: int, limit_ms: int) -> Transition:
    if state.phase == "ended":
        raise Refused("game_over")
    if state.phase != "lobby":
        raise Refused("wrong_phase")
    if state.total <= 0:
        raise Refused("no_questions")
    return open_question(state, 0, now_ms=now_ms, read_ms=read_ms, limit_ms=limit_ms)


def close(state: QuizState, q: int) -> Transition:
    """The deadline passed, every player answered, or the host skipped: close question ``q``."""
    if state.phase == "ended":
        raise Refused("game_over")
    if state.phase != "question" or state.q != q:
        raise Refused("not_open")
    return state.advanced(phase="reveal"), (Effect.CLOSE_QUESTION,)


def next_step(state: QuizState, *, now_ms: int, read_ms: int, limit_ms: int) -> Transition:
    """The host's "next": whatever comes after the current phase."""
    if state.phase == "lobby":
        return start(state, now_ms=now_ms, read_ms=read_ms, limit_ms=limit_ms)
    if state.phase == "question":
        return close(state, state.q)
    if state.phase == "reveal":
        return state.advanced(phase="leaderboard"), (Effect.SHOW_LEADERBOARD,)
    if state.phase == "leaderboard":
        if state.is_last:
            return state.advanced(phase="podium"), (Effect.SHOW_PODIUM, Effect.FINISH)
        return open_question(state, state.q + 1, now_ms=now_ms, read_ms=read_ms, limit_ms=limit_ms)
    if state.phase == "podium":
        return state.advanced(phase="ended"), (Effect.FINISH,)
    raise Refused("game_over")


def end(state: QuizState) -> Transition:
    """The host ends the game early: an open question is closed and scored first."""
    if state.phase == "ended":
        raise Refused("game_over")
    effects: tuple[Effect, ...] = (Effect.CLOSE_QUESTION,) if state.phase == "question" else ()
    return state.advanced(phase="ended"), (*effects, Effect.SHOW_PODIUM, Effect.FINISH)


def accepts_answers(state: QuizState, q: int, now_ms: int) -> str | None:
    """Why an answer to ``q`` at ``now_ms`` is refused, or None (the store re-checks atomically)."""
    if state.phase != "question" or state.q != q:
        return "not_open"
    if now_ms < state.open_ms:
        return "not_open"
    if now_ms > state.deadline_ms:
        return "late"
    return None
