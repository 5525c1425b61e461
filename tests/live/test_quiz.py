"""The live quiz state machine (app/live/quiz.py): every legal transition with its exact
effects, the version counter, deadlines, and every refused command with its code."""

from __future__ import annotations

import dataclasses

import pytest

from app.live import quiz
from app.live.quiz import Effect, QuizState, Refused


def timing(now_ms: int, read_ms: int = 0, limit_ms: int = 10_000) -> dict[str, int]:
    return {"now_ms": now_ms, "read_ms": read_ms, "limit_ms": limit_ms}


def test_a_new_state_is_an_empty_lobby() -> None:
    state = QuizState(total=3)
    assert (state.phase, state.q, state.total, state.version) == ("lobby", -1, 3, 0)
    assert (state.shown_ms, state.open_ms, state.deadline_ms) == (0, 0, 0)
    assert quiz.PHASES == ("lobby", "question", "reveal", "leaderboard", "podium", "ended")


def test_a_whole_game_of_two_questions() -> None:
    lobby = QuizState(total=2)

    first, effects = quiz.start(lobby, **timing(1_000, read_ms=2_000, limit_ms=10_000))
    assert first == QuizState("question", 0, 2, 1, shown_ms=1_000, open_ms=3_000, deadline_ms=13_000)
    assert effects == (Effect.OPEN_QUESTION,)

    reveal, effects = quiz.close(first, 0)
    assert reveal == dataclasses.replace(first, phase="reveal", version=2)  # times kept for the record
    assert effects == (Effect.CLOSE_QUESTION,)

    board, effects = quiz.next_step(reveal, **timing(20_000))
    assert board == dataclasses.replace(reveal, phase="leaderboard", version=3)
    assert effects == (Effect.SHOW_LEADERBOARD,)

    second, effects = quiz.next_step(board, **timing(50_000, read_ms=0, limit_ms=5_000))
    assert second == QuizState("question", 1, 2, 4, shown_ms=50_000, open_ms=50_000, deadline_ms=55_000)
    assert effects == (Effect.OPEN_QUESTION,)
    assert second.is_last

    reveal2, effects = quiz.next_step(second, **timing(52_000))  # the host skips: closes the question
    assert reveal2 == dataclasses.replace(second, phase="reveal", version=5)
    assert effects == (Effect.CLOSE_QUESTION,)

    board2, effects = quiz.next_step(reveal2, **timing(53_000))
    assert (board2.phase, board2.q, board2.version, effects) == (
        "leaderboard",
        1,
        6,
        (Effect.SHOW_LEADERBOARD,),
    )

    podium, effects = quiz.next_step(board2, **timing(54_000))
    assert (podium.phase, podium.q, podium.version) == ("podium", 1, 7)
    assert effects == (Effect.SHOW_PODIUM, Effect.FINISH)

    ended, effects = quiz.next_step(podium, **timing(55_000))
    assert (ended.phase, ended.q, ended.version) == ("ended", 1, 8)
    assert effects == (Effect.FINISH,)

    # The inputs were never changed: each transition made a new state.
    assert lobby == QuizState(total=2) and first.phase == "question" and podium.phase == "podium"


def test_next_from_the_lobby_is_start() -> None:
    assert quiz.next_step(QuizState(total=1), **timing(7, read_ms=3, limit_ms=20)) == quiz.start(
        QuizState(total=1), **timing(7, read_ms=3, limit_ms=20)
    )


def test_the_version_increases_by_exactly_one_per_transition() -> None:
    state = QuizState(total=3)
    versions = [state.version]
    phases = [state.phase]
    while state.phase != "ended":
        state, _effects = quiz.next_step(state, **timing(len(versions) * 1_000))
        versions.append(state.version)
        phases.append(state.phase)
    assert versions == list(range(len(versions)))
    assert phases == [
        "lobby",
        *["question", "reveal", "leaderboard"] * 3,
        "podium",
        "ended",
    ]


@pytest.mark.parametrize(
    ("now", "read", "limit"), [(0, 0, 1_000), (1_700_000_000_000, 5_000, 30_000), (10, 3, 7)]
)
def test_deadlines_are_server_time_plus_read_time_plus_limit(now: int, read: int, limit: int) -> None:
    state, _ = quiz.start(QuizState(total=1), **timing(now, read_ms=read, limit_ms=limit))
    assert state.shown_ms == now
    assert state.open_ms == now + read
    assert state.deadline_ms == now + read + limit


def test_each_question_gets_its_own_deadline() -> None:
    state, _ = quiz.start(QuizState(total=2), **timing(1_000, read_ms=1_000, limit_ms=10_000))
    state, _ = quiz.close(state, 0)
    state, _ = quiz.next_step(state, **timing(0))
    state, _ = quiz.next_step(state, **timing(90_000, read_ms=4_000, limit_ms=20_000))
    assert (state.q, state.shown_ms, state.open_ms, state.deadline_ms) == (1, 90_000, 94_000, 114_000)


# -- refused commands ----------------------------------------------------------------------


def refused(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code


def test_start_twice_is_the_wrong_phase() -> None:
    state, _ = quiz.start(QuizState(total=2), **timing(0))
    assert refused(quiz.start, state, **timing(1)) == "wrong_phase"
    reveal, _ = quiz.close(state, 0)
    assert refused(quiz.start, reveal, **timing(1)) == "wrong_phase"


def test_start_without_questions() -> None:
    assert refused(quiz.start, QuizState(total=0), **timing(0)) == "no_questions"
    assert refused(quiz.next_step, QuizState(total=0), **timing(0)) == "no_questions"


def test_close_of_another_question_or_outside_a_question_is_not_open() -> None:
    lobby = QuizState(total=2)
    assert refused(quiz.close, lobby, 0) == "not_open"
    question, _ = quiz.start(lobby, **timing(0))
    assert refused(quiz.close, question, 1) == "not_open"
    reveal, _ = quiz.close(question, 0)
    assert refused(quiz.close, reveal, 0) == "not_open"  # closed once: a second close is refused
    board, _ = quiz.next_step(reveal, **timing(0))
    assert refused(quiz.close, board, 0) == "not_open"


def test_anything_after_the_end_is_game_over() -> None:
    state, _ = quiz.start(QuizState(total=2), **timing(0))
    ended, _ = quiz.end(state)
    assert ended.phase == "ended"
    assert refused(quiz.next_step, ended, **timing(0)) == "game_over"
    assert refused(quiz.end, ended) == "game_over"
    assert refused(quiz.start, ended, **timing(0)) == "game_over"
    assert refused(quiz.close, ended, ended.q) == "game_over"


def test_a_refusal_carries_its_code() -> None:
    error = Refused("wrong_phase")
    assert error.code == "wrong_phase" and str(error) == "wrong_phase"


# -- ending early --------------------------------------------------------------------------


def test_end_during_a_question_closes_and_scores_it_first() -> None:
    question, _ = quiz.start(QuizState(total=3), **timing(5_000, limit_ms=20_000))
    ended, effects = quiz.end(question)
    assert effects == (Effect.CLOSE_QUESTION, Effect.SHOW_PODIUM, Effect.FINISH)
    assert ended == dataclasses.replace(question, phase="ended", version=question.version + 1)


@pytest.mark.parametrize("steps", [0, 2, 3])  # lobby, reveal, leaderboard
def test_end_outside_a_question_shows_the_podium_and_finishes(steps: int) -> None:
    state = QuizState(total=3)
    for step in range(steps):
        state, _ = quiz.next_step(state, **timing(step))
    ended, effects = quiz.end(state)
    assert effects == (Effect.SHOW_PODIUM, Effect.FINISH)
    assert (ended.phase, ended.q, ended.version) == ("ended", state.q, state.version + 1)


def test_end_from_the_podium_only_finishes_again_idempotently() -> None:
    state = QuizState(total=1)
    for step in range(4):
        state, _ = quiz.next_step(state, **timing(step))
    assert state.phase == "podium"
    ended, effects = quiz.end(state)
    assert ended.phase == "ended" and effects == (Effect.SHOW_PODIUM, Effect.FINISH)


# -- answers -------------------------------------------------------------------------------


def test_accepts_answers_only_inside_the_window_of_the_open_question() -> None:
    state, _ = quiz.start(QuizState(total=2), **timing(10_000, read_ms=3_000, limit_ms=20_000))
    assert (state.open_ms, state.deadline_ms) == (13_000, 33_000)
    assert quiz.accepts_answers(state, 0, 10_000) == "not_open"  # shown, still reading
    assert quiz.accepts_answers(state, 0, 12_999) == "not_open"
    assert quiz.accepts_answers(state, 0, 13_000) is None  # opens
    assert quiz.accepts_answers(state, 0, 20_000) is None
    assert quiz.accepts_answers(state, 0, 33_000) is None  # the deadline itself still counts
    assert quiz.accepts_answers(state, 0, 33_001) == "late"
    assert quiz.accepts_answers(state, 1, 20_000) == "not_open"  # another question
    reveal, _ = quiz.close(state, 0)
    assert quiz.accepts_answers(reveal, 0, 20_000) == "not_open"
    assert quiz.accepts_answers(QuizState(total=2), 0, 20_000) == "not_open"


def test_is_last() -> None:
    assert not QuizState(phase="question", q=0, total=2).is_last
    assert QuizState(phase="question", q=1, total=2).is_last
    assert QuizState(phase="question", q=0, total=1).is_last
