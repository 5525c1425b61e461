"""The scoring rules of DESIGN §5 (app/live/scoring.py): exact points, streaks, partial
credit, fill-in comparison, team scores and tie-breaks."""

from __future__ import annotations

import pytest

from app.live.scoring import (
    AnswerScore,
    ScoringRules,
    Standing,
    correctness,
    fold_text,
    leaderboard_value,
    rank,
    rank_teams,
    score_answer,
    speed_points,
    streak_bonus,
    team_score,
)

RULES = ScoringRules()


# -- speed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "limit", "points"),
    [
        (0, 10_000, 1000),  # at once
        (10_000, 10_000, 500),  # at the buzzer
        (5_000, 10_000, 750),  # half the limit
        (2_500, 10_000, 875),
        (7_500, 10_000, 625),
        (3_333, 10_000, 833),  # round(1000 * (1 - 0.3333 / 2)) = round(833.35)
        (6_667, 10_000, 667),  # round(666.65)
        (1, 20_000, 1000),  # round(999.975)
        (19_999, 20_000, 500),  # round(500.025)
        (12_345, 30_000, 794),  # round(794.25)
        (29_000, 30_000, 517),  # round(516.67)
    ],
)
def test_speed_points_follow_the_design_formula(elapsed: int, limit: int, points: int) -> None:
    assert speed_points(RULES, 1.0, elapsed, limit) == points


def test_elapsed_beyond_the_limit_clamps_to_the_buzzer_value() -> None:
    assert speed_points(RULES, 1.0, 10_001, 10_000) == 500
    assert speed_points(RULES, 1.0, 999_999, 10_000) == 500
    assert speed_points(RULES, 1.0, -250, 10_000) == 1000  # a negative time counts as at once


def test_a_wrong_answer_earns_nothing_however_fast() -> None:
    assert speed_points(RULES, 0.0, 0, 10_000) == 0
    assert score_answer(RULES, fraction=0.0, elapsed_ms=0, limit_ms=10_000, streak_before=4) == AnswerScore(
        correct=False, fraction=0.0, points=0, streak=0
    )


def test_speed_off_gives_the_full_base_at_any_time() -> None:
    rules = ScoringRules(speed=False)
    assert speed_points(rules, 1.0, 0, 10_000) == 1000
    assert speed_points(rules, 1.0, 9_999, 10_000) == 1000
    assert speed_points(rules, 1.0, 50_000, 10_000) == 1000
    assert speed_points(rules, 0.5, 9_000, 10_000) == 500


def test_another_base_scales_the_points() -> None:
    rules = ScoringRules(base=2000)
    assert speed_points(rules, 1.0, 0, 10_000) == 2000
    assert speed_points(rules, 1.0, 5_000, 10_000) == 1500
    assert speed_points(rules, 1.0, 10_000, 10_000) == 1000


# -- streaks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("streak", "bonus"),
    [(0, 0), (1, 0), (2, 100), (3, 200), (4, 300), (5, 400), (6, 500), (7, 500), (50, 500)],
)
def test_streak_bonus_is_100_per_consecutive_correct_after_the_first_capped_at_500(
    streak: int, bonus: int
) -> None:
    assert streak_bonus(RULES, streak) == bonus


def test_streak_grows_with_correct_answers_and_a_wrong_answer_resets_it() -> None:
    # Answers of one player over nine questions, all 2 s into a 10 s limit (900 points each).
    sequence = [True, True, True, False, True, True, True, True, True]
    streak = 0
    got = []
    for right in sequence:
        outcome = score_answer(
            RULES, fraction=1.0 if right else 0.0, elapsed_ms=2_000, limit_ms=10_000, streak_before=streak
        )
        streak = outcome.streak
        got.append((outcome.correct, outcome.points, outcome.streak))
    assert got == [
        (True, 900, 1),
        (True, 1000, 2),
        (True, 1100, 3),
        (False, 0, 0),
        (True, 900, 1),
        (True, 1000, 2),
        (True, 1100, 3),
        (True, 1200, 4),
        (True, 1300, 5),
    ]
    # The cap: a 6th, 7th and 8th correct answer in a row each add +500, no more.
    for expected_streak in (6, 7, 8):
        outcome = score_answer(RULES, fraction=1.0, elapsed_ms=0, limit_ms=10_000, streak_before=streak)
        streak = outcome.streak
        assert (outcome.points, outcome.streak) == (1500, expected_streak)


def test_a_custom_streak_step_and_cap() -> None:
    rules = ScoringRules(streak_step=50, streak_cap=120)
    assert [streak_bonus(rules, s) for s in range(1, 6)] == [0, 50, 100, 120, 120]
    assert score_answer(rules, fraction=1.0, elapsed_ms=0, limit_ms=10_000, streak_before=3).points == 1120


# -- correctness ---------------------------------------------------------------------------


def test_single_and_judge_are_exact() -> None:
    assert correctness("single", [2], [2]) == 1.0
    assert correctness("single", [2], [1]) == 0.0
    assert correctness("single", [2], None) == 0.0
    assert correctness("judge", [0], [0]) == 1.0
    assert correctness("judge", [0], [1]) == 0.0
    assert correctness("judge", [1], [1]) == 1.0


def test_multiple_is_all_or_nothing_by_default() -> None:
    key = [0, 2, 3]
    assert correctness("multiple", key, [0, 2, 3]) == 1.0
    assert correctness("multiple", key, [3, 0, 2]) == 1.0  # order does not matter
    assert correctness("multiple", key, [0, 2]) == 0.0  # a subset earns nothing
    assert correctness("multiple", key, [0, 1, 2, 3]) == 0.0  # a superset earns nothing
    assert correctness("multiple", key, [1]) == 0.0
    assert correctness("multiple", key, []) == 0.0


def test_multiple_partial_credit_is_the_fraction_of_a_clean_subset() -> None:
    key = [0, 2, 3]
    assert correctness("multiple", key, [0, 2, 3], multiple="partial") == 1.0
    assert correctness("multiple", key, [0, 2], multiple="partial") == pytest.approx(2 / 3)
    assert correctness("multiple", key, [3], multiple="partial") == pytest.approx(1 / 3)
    assert correctness("multiple", [1, 3], [3], multiple="partial") == 0.5
    # Any wrong option loses everything, even with every right one chosen.
    assert correctness("multiple", key, [0, 1], multiple="partial") == 0.0
    assert correctness("multiple", key, [0, 1, 2, 3], multiple="partial") == 0.0
    assert correctness("multiple", key, [], multiple="partial") == 0.0


def test_partial_credit_points_scale_with_the_fraction_and_break_the_streak() -> None:
    rules = ScoringRules(multiple="partial")
    fraction = correctness("multiple", [1, 3], [1], multiple="partial")
    outcome = score_answer(rules, fraction=fraction, elapsed_ms=5_000, limit_ms=10_000, streak_before=3)
    # round(1000 * 0.5 * (1 - 0.25)) = 375, no streak bonus: only a full answer continues a streak.
    assert outcome == AnswerScore(correct=False, fraction=0.5, points=375, streak=0)
    third = score_answer(rules, fraction=1 / 3, elapsed_ms=0, limit_ms=10_000, streak_before=0)
    assert third.points == 333 and third.correct is False


def test_order_must_match_exactly() -> None:
    key = [2, 0, 3, 1]
    assert correctness("order", key, [2, 0, 3, 1]) == 1.0
    assert correctness("order", key, [2, 0, 1, 3]) == 0.0
    assert correctness("order", key, [0, 1, 2, 3]) == 0.0
    assert correctness("order", key, [2, 0, 3]) == 0.0


@pytest.mark.parametrize(
    "typed",
    [
        "中国共产党",
        " 中国 共产党 ",
        "中国共产党。",
        "“中国共产党”",
        "中国　共产党",  # ideographic space
        "中共",  # an accepted alternative
        "中共！",
    ],
)
def test_fill_folds_spaces_and_punctuation(typed: str) -> None:
    assert correctness("fill", [["中国共产党", "中共"]], [typed]) == 1.0


def test_fill_folds_full_width_and_case() -> None:
    key = [["WTO"], ["1921"]]
    assert correctness("fill", key, ["ｗｔｏ", "１９２１"]) == 1.0
    assert correctness("fill", key, ["w.t.o", "19 21"]) == 1.0
    assert correctness("fill", key, ["Wto", "1921年"]) == 0.0  # 年 is a character, not punctuation
    assert correctness("fill", [["马克思"]], ["马克斯"]) == 0.0
    assert fold_text("Ａｂ，Ｃ　ｄ！") == "abcd"


def test_fill_with_several_blanks_needs_every_blank() -> None:
    key = [["实事求是"], ["群众路线", "群众 路线"], ["独立自主"]]
    assert correctness("fill", key, ["实事求是", "群众路线", "独立自主"]) == 1.0
    assert correctness("fill", key, ["实事求是", "群众路线", "自力更生"]) == 0.0
    assert correctness("fill", key, ["群众路线", "实事求是", "独立自主"]) == 0.0  # blanks in order


def test_fill_with_the_wrong_number_of_blanks_is_wrong() -> None:
    key = [["实事求是"], ["群众路线"]]
    assert correctness("fill", key, ["实事求是"]) == 0.0
    assert correctness("fill", key, ["实事求是", "群众路线", "群众路线"]) == 0.0
    assert correctness("fill", key, "实事求是") == 0.0
    assert correctness("fill", [["实事求是"]], "实事求是") == 1.0  # a single blank may be a bare string


def test_unknown_type_is_an_error() -> None:
    with pytest.raises(ValueError):
        correctness("essay", [0], [0])


# -- teams ---------------------------------------------------------------------------------


def test_team_score_is_the_mean_rounded_to_a_tenth_by_default() -> None:
    assert team_score(RULES, [1000, 500, 0]) == 500.0
    assert team_score(RULES, [1000, 999, 0]) == 666.3  # 666.33…
    assert team_score(RULES, [1000, 1000, 1]) == 667.0  # 667.0
    assert team_score(RULES, [2, 1, 1]) == 1.3  # 1.33…
    assert team_score(RULES, [5, 0, 0]) == 1.7  # 1.66…
    assert team_score(RULES, [875]) == 875.0
    assert team_score(RULES, []) == 0.0


def test_team_score_as_a_sum() -> None:
    rules = ScoringRules(team="sum")
    assert team_score(rules, [1000, 999, 0]) == 1999.0
    assert team_score(rules, [875]) == 875.0
    assert team_score(rules, []) == 0.0


def test_team_ranking_mean_versus_sum() -> None:
    teams = {"一支部": [900, 900], "二支部": [800, 700, 600], "三支部": [1000]}
    mean = rank_teams(RULES, teams)
    assert mean == [
        {"team": "三支部", "score": 1000.0, "members": 1, "rank": 1},
        {"team": "一支部", "score": 900.0, "members": 2, "rank": 2},
        {"team": "二支部", "score": 700.0, "members": 3, "rank": 3},
    ]
    total = rank_teams(ScoringRules(team="sum"), teams)
    assert [(row["team"], row["score"], row["rank"]) for row in total] == [
        ("二支部", 2100.0, 1),
        ("一支部", 1800.0, 2),
        ("三支部", 1000.0, 3),
    ]


def test_team_ties_rank_the_larger_team_first_then_by_name() -> None:
    teams = {"乙": [500], "甲": [500, 500], "丙": [500], "丁": []}
    rows = rank_teams(RULES, teams)
    assert [(row["team"], row["rank"]) for row in rows] == [("甲", 1), ("丙", 2), ("乙", 3), ("丁", 4)]
    assert rows[-1]["score"] == 0.0 and rows[-1]["members"] == 0


# -- players -------------------------------------------------------------------------------


def test_players_rank_by_score_then_correct_answer_time_then_join_order() -> None:
    standings = [
        Standing("a", 1500, 4_000, joined=1),
        Standing("b", 1800, 9_000, joined=2),
        Standing("c", 1500, 3_000, joined=3),  # same score as a, faster: ahead of a
        Standing("d", 1500, 3_000, joined=0),  # same score and time as c, joined earlier: ahead of c
        Standing("e", 0, 0, joined=4),
    ]
    assert [(place, s.player_id) for place, s in rank(standings)] == [
        (1, "b"),
        (2, "d"),
        (3, "c"),
        (4, "a"),
        (5, "e"),
    ]
    assert rank([]) == []


def test_leaderboard_value_orders_by_score_then_less_time() -> None:
    assert leaderboard_value(1000, 0) > leaderboard_value(999, 0)
    assert leaderboard_value(1000, 999_999_999) > leaderboard_value(999, 0)  # score always first
    assert leaderboard_value(1000, 1_000) > leaderboard_value(1000, 1_001)  # then less time
    assert leaderboard_value(0, 0) == 999_999_999
    assert leaderboard_value(1, 0) == 1_999_999_999
    assert leaderboard_value(2500, 12_345) == 2500 * 10**9 + 999_999_999 - 12_345
    # Times beyond 11 days clamp rather than spill into the score.
    assert leaderboard_value(7, 5 * 10**9) == leaderboard_value(7, 999_999_999) == 7 * 10**9
    # Exact in a double up to the documented bounds: neighbours stay distinct.
    top = leaderboard_value(999_999, 0)
    assert float(top) != float(leaderboard_value(999_999, 1))
    assert float(top) == top


def test_leaderboard_value_sorts_like_rank() -> None:
    standings = [
        Standing("a", 1500, 4_000, 1),
        Standing("b", 1800, 9_000, 2),
        Standing("c", 1500, 3_000, 3),
        Standing("e", 0, 0, 4),
    ]
    by_value = sorted(standings, key=lambda s: -leaderboard_value(s.score, s.correct_time_ms))
    assert [s.player_id for s in by_value] == [s.player_id for _place, s in rank(standings)]


def test_rules_round_trip_and_ignore_unknown_settings() -> None:
    rules = ScoringRules(
        base=800, speed=False, streak_step=50, streak_cap=200, multiple="partial", team="sum"
    )
    assert ScoringRules.from_dict(rules.as_dict()) == rules
    assert ScoringRules.from_dict({"base": 500, "colour": "red"}) == ScoringRules(base=500)
    assert ScoringRules.from_dict({}) == ScoringRules()
