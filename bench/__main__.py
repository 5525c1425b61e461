"""``python -m bench`` (``make bench``, ``arena bench``): one run, or the whole suite.

    python -m bench run --players 2000 --teams 20 --questions 5 --window 3
    python -m bench suite            # the cost curve, the floor, 2 processes, gevent
    python -m bench compare --players 2000 --pairs 3   # ours against the floor, alternating
    python -m bench reads --players 2000   # the reveal's reads, in-process

Each run writes bench/results/<time>-<name>.json; a comparison also writes
<time>-compare-<players>-<mode>.json (the medians, bench/compare.py); the suite writes
bench/results/<time>-suite.json (every run and both comparisons, in the same machine
state), a PNG of the cost curve, and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields, replace
from typing import Any

from bench.compare import compare, compare_table
from bench.loadgen import RESULTS, Settings, run, save, table

# The suite: 2,000 phones against the floor in alternating pairs (eventlet, then gevent),
# the cost curve on one process, and 5,000 on two processes (two generator processes).
# The comparisons' runs of our server at 2,000 are the curve's 2,000 point.
SUITE_PAIRS = 3
COMPARISONS = [Settings(players=2000), Settings(players=2000, async_mode="gevent")]
SUITE = [
    Settings(players=100),
    Settings(players=500),
    Settings(players=1000),
    Settings(players=5000, processes=2, workers=2),
]


def _options(parser: argparse.ArgumentParser) -> None:
    for item in fields(Settings):
        default = item.default
        flag = f"--{item.name.replace('_', '-')}"
        if isinstance(default, bool):  # a switch: bool("False") would be True
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)


def saved_run(settings: Settings) -> dict[str, Any]:
    print(f"… {settings.name}", file=sys.stderr, flush=True)
    result = run(settings)
    save(result)
    return result


def at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"至少为 1：{text}")
    return number


def settings_of(options: argparse.Namespace) -> Settings:
    return Settings(**{item.name: getattr(options, item.name) for item in fields(Settings)})


def suite(
    scale: list[int] | None, teams: int, questions: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Every run and every comparison of the suite, and the names of those that failed."""
    results: list[dict[str, Any]] = []
    comparisons: list[dict[str, Any]] = []
    failed: list[str] = []
    planned = [(each, True) for each in COMPARISONS] + [(each, False) for each in SUITE]
    for planned_settings, paired in planned:
        if scale and planned_settings.players not in scale:
            continue
        workers = max(planned_settings.workers, planned_settings.players // 2500 + 1)
        settings = replace(planned_settings, teams=teams, questions=questions, workers=workers)
        try:  # one failed run is reported, the others still run
            if paired:
                summary, runs = compare(settings, SUITE_PAIRS, saved_run)
                comparisons.append(summary)
                results += runs
            else:
                results.append(saved_run(settings))
        except Exception as error:
            print(f"   {settings.name} failed: {error!r}", file=sys.stderr, flush=True)
            failed.append(settings.name)
    if failed:
        print(f"failed runs: {', '.join(failed)}", file=sys.stderr)
    return results, comparisons, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description="党建竞赛平台负载测试")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run", help="一次运行")
    _options(one)
    many = commands.add_parser("suite", help="整套：成本曲线、基线、两进程、gevent")
    many.add_argument("--only", type=int, nargs="*", help="只跑这些人数，例如 --only 100 2000")
    many.add_argument("--teams", type=int, default=20)
    many.add_argument("--questions", type=int, default=5)
    pairs = commands.add_parser("compare", help="与基线服务器交替成对运行，按中位数比较")
    _options(pairs)
    pairs.add_argument("--pairs", type=at_least_one, default=3)
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
    if options.command == "compare":
        summary, runs = compare(settings_of(options), options.pairs, saved_run)
        path = save(summary)
        print(table(runs))
        print(f"\n{compare_table(summary)}\n\n{path}")
        return 0 if all(clean(r) for r in runs) else 1
    if options.command == "run":
        result = run(settings_of(options))
        path = save(result)
        print(table([result]))
        print(f"\n{path}")
        return 0 if clean(result) else 1
    results, comparisons, failed = suite(options.only, options.teams, options.questions)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{stamp}-suite.json"
    document = {"runs": results, "comparisons": comparisons}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    from bench.plot import plot

    picture = plot(results, RESULTS / f"{stamp}-cost-curve.png")
    print(table(results))
    for summary in comparisons:
        print(f"\n{compare_table(summary)}")
    print(f"\n{path}\n{picture}")
    return 0 if all(clean(r) for r in results) and not failed else 1


def clean(result: dict[str, Any]) -> bool:
    """The run's own check found nothing wrong and every phone joined."""
    return not result["check"].get("problems") and not result["join"]["errors"]


if __name__ == "__main__":
    sys.exit(main())
