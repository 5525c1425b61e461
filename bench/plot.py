"""The cost curve as a picture: latency, CPU and memory against players (matplotlib, a
bench-only dependency)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(results: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = sorted(
        (
            r
            for r in results
            if r["settings"]["server"] == "game" and r["settings"]["async_mode"] == "eventlet"
        ),
        key=lambda r: r["settings"]["players"],
    )
    floor = [
        r for r in results if r["settings"]["server"] == "floor" and r["settings"]["async_mode"] == "eventlet"
    ]
    players = [r["settings"]["players"] for r in curve]
    figure, (latency, cpu, memory) = plt.subplots(1, 3, figsize=(16, 4.8))
    for key, label, style in (
        ("answer_ack_ms", "answer ack", "o-"),
        ("question_fanout_ms", "question fan-out", "s-"),
        ("reveal_fanout_ms", "reveal fan-out", "^-"),
        ("result_fanout_ms", "result fan-out", "v-"),
    ):
        latency.plot(players, [r[key]["p99"] for r in curve], style, label=f"{label} p99")
        latency.plot(players, [r[key]["p50"] for r in curve], style, alpha=0.4, label=f"{label} p50")
    for r in floor:
        latency.axhline(r["answer_ack_ms"]["p99"], color="grey", linestyle=":", label="floor ack p99 (2,000)")
        latency.axhline(
            r["question_fanout_ms"]["p99"], color="black", linestyle=":", label="floor fan-out p99 (2,000)"
        )
    latency.set(xlabel="players", ylabel="ms", title="latency (1 process; 5,000 on 2)")
    latency.legend(fontsize=7)
    cpu.plot(players, [r["server"]["cpu_total_s"] for r in curve], "o-", label="whole run")
    cpu.plot(players, [r["server"]["cpu_join_s"] for r in curve], "s-", label="join storm")
    cpu.set(xlabel="players", ylabel="server CPU seconds", title="server CPU")
    cpu.legend(fontsize=7)
    memory.plot(
        players, [sum(r["server"]["peak_rss_mb"]) for r in curve], "o-", label="peak RSS (all processes)"
    )
    memory.set(xlabel="players", ylabel="MB", title="server memory")
    memory.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
