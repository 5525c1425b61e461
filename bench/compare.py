"""Our server against the floor, in alternating pairs of runs, compared by medians.

On this 2-core machine one run's percentiles move more between two runs of the same server
than the 1.5x allowed between ours and the floor: on one afternoon the floor's own ack p50
was 1.1-1.7 ms and its p99 70-230 ms, run after run. A verdict from one run of each is the
machine's as much as the server's. So ``compare`` runs the two in ``pairs`` alternating
pairs (ours first, then the floor first, and so on, so that a drift of the machine falls on
both), and compares each figure's median over the runs of each side. Every run is saved and
listed, so that the spread stays visible beside the medians.

    python -m bench compare --players 2000 --pairs 3 [--async-mode gevent] [--floor-store]
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from typing import Any

from bench.loadgen import Settings

LIMIT = 1.5  # the allowance: our percentiles within 1.5x of the floor's
# The figures both servers have: answer acknowledgement and every fan-out the floor also
# sends (it sends no per-player result).
FIGURES = (
    "answer_ack_ms",
    "question_fanout_ms",
    "reveal_fanout_ms",
    "leaderboard_fanout_ms",
    "podium_fanout_ms",
)
PERCENTILES = ("p50", "p95", "p99", "max")


def pair_settings(settings: Settings, pairs: int) -> list[Settings]:
    """The runs of ``pairs`` pairs, alternating which side goes first."""
    runs = []
    for index in range(pairs):
        order = ("game", "floor") if index % 2 == 0 else ("floor", "game")
        for server in order:
            side = "floor-store" if server == "floor" and settings.floor_store else server
            label = f"{side}-{settings.players}-{settings.async_mode}-{index + 1}"
            runs.append(dataclasses.replace(settings, server=server, label=label))
    return runs


def summarise(settings: Settings, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs of each side, and their ratio (ours ÷ floor)."""
    sides = {side: [r for r in results if r["settings"]["server"] == side] for side in ("game", "floor")}
    figures: dict[str, dict[str, Any]] = {}
    for figure in FIGURES:
        figures[figure] = {}
        for percentile in PERCENTILES:
            runs = {side: [r[figure][percentile] for r in sides[side]] for side in sides}
            game, floor = (statistics.median(runs[side]) for side in ("game", "floor"))
            ratio = round(game / floor, 2) if floor else None
            figures[figure][percentile] = {
                "game": game,
                "floor": floor,
                "ratio": ratio,
                "within": ratio is not None and ratio <= LIMIT,
                "game_runs": runs["game"],
                "floor_runs": runs["floor"],
            }
    name = f"compare-{settings.players}-{settings.async_mode}" + ("-store" if settings.floor_store else "")
    return {
        "name": name,
        "settings": dataclasses.asdict(settings),
        "pairs": len(sides["game"]),
        "limit": LIMIT,
        "runs": [r["name"] for r in results],
        "figures": figures,
    }


def compare(
    settings: Settings, pairs: int, run: Callable[[Settings], dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the pairs with ``run`` (which also saves each run); the summary and the runs."""
    results = [run(each) for each in pair_settings(settings, pairs)]
    return summarise(settings, results), results


def compare_table(summary: dict[str, Any]) -> str:
    """One line per figure and percentile: the two medians, the ratio, and every run."""
    within = f"within {summary['limit']}x"
    head = f"{'figure':<24}{'ours':>9}{'floor':>9}{'ratio':>8}  {within:<12}  ours / floor runs"
    lines = [f"{summary['name']}: medians of {summary['pairs']} runs each", head, "-" * len(head)]
    for figure, by_percentile in summary["figures"].items():
        for percentile, cell in by_percentile.items():
            runs = "/".join(f"{v:g}" for v in cell["game_runs"]) + "  vs  "
            runs += "/".join(f"{v:g}" for v in cell["floor_runs"])
            ratio = f"{cell['ratio']:.2f}" if cell["ratio"] is not None else "-"
            name = f"{figure.removesuffix('_ms')} {percentile}"
            lines.append(
                f"{name:<24}{cell['game']:>9.1f}{cell['floor']:>9.1f}{ratio:>8}"
                f"  {'yes' if cell['within'] else 'NO':<12}  {runs}"
            )
    return "\n".join(lines)
