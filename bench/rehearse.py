"""``arena rehearse``: the load generator against an organizer's own deployment before an
event, with a verdict in plain Chinese.

The organizer opens a game for the rehearsal (``arena game new … --json`` on the server, or
开始一场 in the browser, whose host address carries the token after ``#token=``) and runs
``arena rehearse --players 500 --url https://… --pin 123456 --host-token …``. The simulated
phones join, answer ``--questions`` questions, and the game is ended; it stays in the results
list as a game of 压测 players.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from app.entry import raise_file_limit
from bench.loadgen import Settings, play

# What "holds" means: the targets the platform is built for (docs/OPERATIONS.md).
ACK_P99_MS = 300
FANOUT_P99_MS = 500


def rehearse(url: str, pin: str, host_token: str, settings: Settings) -> dict[str, Any]:
    raise_file_limit()
    with urllib.request.urlopen(f"{url.rstrip('/')}/play/{pin}/teams", timeout=15) as response:
        teams = json.load(response).get("teams") or [""]
    settings.server = "remote"
    return asyncio.run(play(settings, [], [url.rstrip("/")], pin, host_token, teams, {}))


def verdict(result: dict[str, Any]) -> list[str]:
    """The report an organizer reads: what was tried, what happened, can it hold the hall."""
    players = result["settings"]["players"]
    join, ack, fanout = result["join"], result["answer_ack_ms"], result["question_fanout_ms"]
    missed = sum(result["missed_events"].values())
    answer_errors = sum(result["answers"]["errors"].values())
    lines = [
        f"模拟手机 {players} 台，{result['settings']['questions']} 道题，"
        f"每题 {result['settings']['window']:g} 秒内全部作答。",
        f"加入：{join['seconds'] or 0:.1f} 秒内完成，失败 {join['errors']} 台。",
        f"答题确认延迟：中位数 {ack['p50'] or 0:.0f} 毫秒，99% 在 {ack['p99'] or 0:.0f} 毫秒以内。",
        f"题目推送到全部手机：99% 在 {fanout['p99'] or 0:.0f} 毫秒以内。",
    ]
    if join["errors"] or answer_errors or missed:
        lines.append(
            f"结论：这台服务器现在不能稳定承载 {players} 台手机（加入失败 {join['errors']} 台，"
            f"答题失败 {answer_errors} 次，漏收消息 {missed} 条）。"
            "请减少人数、增加服务进程，或检查网络与配置后再试。"
        )
    elif (ack["p99"] or 0) <= ACK_P99_MS and (fanout["p99"] or 0) <= FANOUT_P99_MS:
        lines.append(f"结论：可以承载 {players} 台手机，答题和推送都很及时。")
    else:
        lines.append(
            f"结论：可以承载 {players} 台手机，没有丢失答案，但延迟偏高（答题确认 99% 超过 {ACK_P99_MS} 毫秒"
            f"或推送超过 {FANOUT_P99_MS} 毫秒）；人数再多时建议增加服务进程。"
        )
    return lines
