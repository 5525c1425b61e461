"""``python -m bench`` (``make bench``, ``arena bench``): one run, or the whole suite.

    python -m bench run --players 2000 --teams 20 --questions 5 --window 3
    python -m bench suite            # the cost curve, the floor, 2 processes, gevent
    python -m bench reads --players 2000   # the reveal's reads, in-process

Each run writes bench/results/<time>-<name>.json; the suite also writes
bench/results/<time>-suite.json (every run, in the same machine state), a PNG of the cost
curve, and prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from typing import Any

from bench.loadgen import RESULTS, Settings, run, save, table

# The suite: the cost curve on one process, the floor in the same run, 5,000 on two
# processes (two generator processes), and gevent beside eventlet at 2,000.
SUITE = [
    Settings(players=2000, server="floor"),
    Settings(players=100),
    Settings(players=500),
    Settings(players=1000),
    Settings(players=2000),
    Settings(players=2000, async_mode="gevent"),
    Settings(players=2000, server="floor", async_mode="gevent"),
    Settings(players=5000, processes=2, workers=2),
]


def _options(parser: argparse.ArgumentParser) -> None:
    for item in fields(Settings):
        default = item.default
        kind = type(default)
        parser.add_argument(f"--{item.name.replace('_', '-')}", type=kind, default=default)


def suite(scale: list[int] | None, teams: int, questions: int) -> tuple[list[dict[str, Any]], list[str]]:
    results = []
    failed: list[str] = []
    for settings in SUITE:
        if scale and settings.players not in scale:
            continue
        settings.teams, settings.questions = teams, questions
        settings.workers = max(settings.workers, settings.players // 2500 + 1)
        print(f"… {settings.name}", file=sys.stderr, flush=True)
        try:
            result = run(settings)
        except Exception as error:  # one failed run is reported, the others still run
            print(f"   {settings.name} failed: {error!r}", file=sys.stderr, flush=True)
            failed.append(settings.name)
            continue
        save(result)
        results.append(result)
    if failed:
        print(f"failed runs: {', '.join(failed)}", file=sys.stderr)
    return results, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description="党建竞赛平台负载测试")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run", help="一次运行")
    _options(one)
    many = commands.add_parser("suite", help="整套：成本曲线、基线、两进程、gevent")
    many.add_argument("--only", type=int, nargs="*", help="只跑这些人数，例如 --only 100 2000")
    many.add_argument("--teams", type=int, default=20)
    many.add_argument("--questions", type=int, default=5)
    timing = commands.add_parser("reads", help="揭晓时读取全场数据的耗时（进程内，真实 Redis）")
    timing.add_argument("--players", type=int, default=2000)
    timing.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args(argv)
    if options.command == "reads":
        from bench.reads import reads

        result = reads(options.players, repeat=options.repeat)
        path = save(result)
        for name, figure in result["reads"].items():
            print(f"{name:<44}{figure['median_ms']:>9.2f} ms (min {figure['min_ms']:.2f})")
        print(f"parser: {result['parser']}\n{path}")
        return 0
    if options.command == "run":
        settings = Settings(**{item.name: getattr(options, item.name) for item in fields(Settings)})
        result = run(settings)
        path = save(result)
        print(table([result]))
        print(f"\n{path}")
        return 0 if not result["check"].get("problems") and not result["join"]["errors"] else 1
    results, failed = suite(options.only, options.teams, options.questions)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    summary = RESULTS / f"{stamp}-suite.json"
    summary.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    from bench.plot import plot

    picture = plot(results, RESULTS / f"{stamp}-cost-curve.png")
    print(table(results))
    print(f"\n{summary}\n{picture}")
    clean = all(not r["check"].get("problems") and not r["join"]["errors"] for r in results)
    return 0 if clean and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
