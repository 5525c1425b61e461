"""Our server against the floor in alternating pairs (bench/compare.py), and the cost
curve's picture of several runs at one count: the arithmetic on runs made up here, and one
real pair of small runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import _options
from bench.__main__ import main as bench_main
from bench.compare import FIGURES, PERCENTILES, compare, compare_table, pair_settings, summarise
from bench.loadgen import Settings, run
from bench.plot import median, plot
from tests.bench.test_loadgen import SMALL, _clean, bench_redis  # noqa: F401


def made_up(server: str, ack_p50: float, scale: float = 1.0, players: int = 2000) -> dict[str, Any]:
    """A run's result with ``ack_p50`` and every other percentile ``scale`` times a fixed value."""
    figures = {
        figure: {"n": 10, "p50": 10.0 * scale, "p95": 20.0 * scale, "p99": 40.0 * scale, "max": 80.0 * scale}
        for figure in FIGURES
    }
    figures["answer_ack_ms"]["p50"] = ack_p50
    return {
        "name": f"{server}-{ack_p50}",
        "settings": {"server": server, "players": players, "async_mode": "eventlet"},
        "server": {"cpu_total_s": 10.0 * scale, "cpu_join_s": 3.0 * scale, "peak_rss_mb": [100.0, 50.0]},
        "result_fanout_ms": figures["reveal_fanout_ms"],
        **figures,
    }


def test_the_pairs_alternate_which_side_goes_first() -> None:
    runs = pair_settings(Settings(players=2000, async_mode="gevent", teams=20), 3)
    assert [(s.server, s.label) for s in runs] == [
        ("game", "game-2000-gevent-1"),
        ("floor", "floor-2000-gevent-1"),
        ("floor", "floor-2000-gevent-2"),
        ("game", "game-2000-gevent-2"),
        ("game", "game-2000-gevent-3"),
        ("floor", "floor-2000-gevent-3"),
    ]
    assert {(s.players, s.teams, s.async_mode) for s in runs} == {(2000, 20, "gevent")}


def test_a_floor_that_stores_its_answers_is_named_so() -> None:
    runs = pair_settings(Settings(players=500, floor_store=True), 1)
    assert [(s.server, s.floor_store, s.label) for s in runs] == [
        ("game", True, "game-500-eventlet-1"),  # ours stores its answers whatever the switch
        ("floor", True, "floor-store-500-eventlet-1"),
    ]


def test_the_switch_is_read_from_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    _options(parser)
    assert parser.parse_args([]).floor_store is False
    assert parser.parse_args(["--floor-store"]).floor_store is True
    assert parser.parse_args(["--floor-store", "--no-floor-store"]).floor_store is False
    assert parser.parse_args(["--players", "37"]).players == 37


def test_each_figure_is_compared_by_its_medians() -> None:
    results = [
        made_up("game", 3.2, scale=1.4),
        made_up("floor", 1.7),
        made_up("floor", 1.1),
        made_up("game", 1.7, scale=1.6),
        made_up("game", 2.8, scale=1.2),
        made_up("floor", 1.3),
    ]
    summary = summarise(Settings(players=2000), results)
    assert summary["name"] == "compare-2000-eventlet" and summary["pairs"] == 3 and summary["limit"] == 1.5
    assert summary["runs"] == [r["name"] for r in results]
    ack = summary["figures"]["answer_ack_ms"]["p50"]
    assert ack == {
        "game": 2.8,
        "floor": 1.3,
        "ratio": 2.15,
        "within": False,
        "game_runs": [3.2, 1.7, 2.8],
        "floor_runs": [1.7, 1.1, 1.3],
    }
    reveal = summary["figures"]["reveal_fanout_ms"]["p99"]  # ours 56, 64, 48 ms; the floor's 40
    assert (reveal["game"], reveal["floor"], reveal["ratio"], reveal["within"]) == (56.0, 40.0, 1.4, True)
    assert set(summary["figures"]) == set(FIGURES)
    assert all(set(cells) == set(PERCENTILES) for cells in summary["figures"].values())


def test_a_floor_of_zero_has_no_ratio() -> None:
    floor = made_up("floor", 0.0)
    summary = summarise(Settings(players=2000), [made_up("game", 1.0), floor])
    assert summary["figures"]["answer_ack_ms"]["p50"]["ratio"] is None
    assert summary["figures"]["answer_ack_ms"]["p50"]["within"] is False


def test_the_table_shows_the_medians_the_verdict_and_every_run() -> None:
    results = [made_up("game", 3.0), made_up("floor", 2.0), made_up("floor", 1.0), made_up("game", 1.5)]
    lines = compare_table(summarise(Settings(players=2000), results)).splitlines()
    assert lines[0] == "compare-2000-eventlet: medians of 2 runs each"
    assert lines[3].split() == ["answer_ack", "p50", "2.2", "1.5", "1.50", "yes", "3/1.5", "vs", "2/1"]
    assert len(lines) == 3 + len(FIGURES) * len(PERCENTILES)


def test_a_real_pair_of_small_runs(bench_redis: str) -> None:  # noqa: F811
    saved: list[str] = []

    def saving_run(settings: Settings) -> dict[str, Any]:
        saved.append(settings.label)
        return run(settings)

    summary, runs = compare(Settings(**SMALL), 1, saving_run)
    assert saved == ["game-24-eventlet-1", "floor-24-eventlet-1"]
    assert [r["settings"]["server"] for r in runs] == ["game", "floor"]
    for result in runs:
        _clean(result, 24, 2)
    game, floor = runs
    for figure in FIGURES:
        cell = summary["figures"][figure]["p99"]
        assert (cell["game"], cell["floor"]) == (game[figure]["p99"], floor[figure]["p99"])
        assert cell["ratio"] == round(game[figure]["p99"] / floor[figure]["p99"], 2)


def test_the_cost_curve_draws_several_runs_at_one_count_as_their_median(tmp_path: Path) -> None:
    results = [
        made_up("game", 2.0, scale=0.2, players=100),
        made_up("game", 3.0, scale=1.0),
        made_up("floor", 1.0),
        made_up("game", 5.0, scale=3.0),
        made_up("game", 4.0, scale=2.0),
    ]
    at_2000 = results[1:2] + results[3:]
    assert median(at_2000, "answer_ack_ms", "p50") == 4.0
    assert median(at_2000, "server", "cpu_total_s") == 20.0
    assert median(at_2000, "server", "peak_rss_mb") == 150.0  # the processes' sum
    picture = plot(results, tmp_path / "curve.png")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_refuses_fewer_than_one_pair(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        bench_main(["compare", "--players", "24", "--pairs", "0"])
    assert exited.value.code == 2
    assert "至少为 1" in capsys.readouterr().err
