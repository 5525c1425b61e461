"""The cost curve as a picture: latency, CPU and memory against players (matplotlib, a
bench-only dependency)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any


def median(group: list[dict[str, Any]], *path: str) -> float:
    """The median over ``group`` of the figure at ``path`` (a list of figures, one per
    process, counts as their sum)."""
    values = []
    for figure in group:
        for part in path:
            figure = figure[part]
        values.append(sum(figure) if isinstance(figure, list) else figure)
    return statistics.median(values)


def plot(results: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Several runs at one count (the comparison's pairs at 2,000) are drawn as their median.
    by_players: dict[int, list[dict[str, Any]]] = {}
    floor = []
    for r in results:
        if r["settings"]["async_mode"] != "eventlet":
            continue
        if r["settings"]["server"] == "game":
            by_players.setdefault(r["settings"]["players"], []).append(r)
        elif r["settings"]["server"] == "floor":
            floor.append(r)
    players = sorted(by_players)
    runs = [by_players[count] for count in players]
    figure, (latency, cpu, memory) = plt.subplots(1, 3, figsize=(16, 4.8))
    for key, label, style in (
        ("answer_ack_ms", "answer ack", "o-"),
        ("question_fanout_ms", "question fan-out", "s-"),
        ("reveal_fanout_ms", "reveal fan-out", "^-"),
        ("result_fanout_ms", "result fan-out", "v-"),
    ):
        for percentile, alpha in (("p99", 1.0), ("p50", 0.4)):
            values = [median(group, key, percentile) for group in runs]
            latency.plot(players, values, style, alpha=alpha, label=f"{label} {percentile}")
    floor_lines = (("answer_ack_ms", "grey", "ack"), ("question_fanout_ms", "black", "fan-out"))
    for key, color, label in floor_lines if floor else ():
        line = median(floor, key, "p99")
        latency.axhline(line, color=color, linestyle=":", label=f"floor {label} p99 (2,000)")
    latency.set(xlabel="players", ylabel="ms", title="latency (1 process; 5,000 on 2)")
    latency.legend(fontsize=7)
    for key, style, label in (("cpu_total_s", "o-", "whole run"), ("cpu_join_s", "s-", "join storm")):
        cpu.plot(players, [median(group, "server", key) for group in runs], style, label=label)
    cpu.set(xlabel="players", ylabel="server CPU seconds", title="server CPU")
    cpu.legend(fontsize=7)
    peaks = [median(group, "server", "peak_rss_mb") for group in runs]
    memory.plot(players, peaks, "o-", label="peak RSS (all processes)")
    memory.set(xlabel="players", ylabel="MB", title="server memory")
    memory.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
