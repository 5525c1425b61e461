"""``arena serve`` as a real process: eventlet server, banner, embedded Redis stopped on exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[str], seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early: {process.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server did not answer {url} within {seconds}s")


def test_serve_prints_the_addresses_and_stops_its_embedded_redis(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ARENA_INSTANCE": str(tmp_path),
        "DATABASE_URL": database_url,
        "ARENA_PUBLIC_URL": "http://192.0.2.10:8000",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/login", process) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"管理后台（组织者）：http://127.0.0.1:{port}/admin/" in out
    assert "手机加入地址：      http://192.0.2.10:8000/play" in out
    assert "手机扫码加入：" in out and ("█" in out or "▀" in out)  # the terminal QR code
    socket_path = next(line for line in out.splitlines() if line.startswith("内置 Redis 已启动：unix://"))
    socket_file = socket_path.split("unix://", 1)[1]
    assert not Path(socket_file).exists(), "the embedded Redis must stop with the server"
    assert "Traceback" not in err


def test_lan_addresses_exclude_loopback() -> None:
    from app.netinfo import base_urls, lan_addresses

    assert all(not address.startswith("127.") for address in lan_addresses())
    assert base_urls("", "127.0.0.1", 5000) == ("http://127.0.0.1:5000", "http://127.0.0.1:5000")
    assert base_urls("https://dangjian.example.cn", "0.0.0.0", 5000) == (
        "http://127.0.0.1:5000",
        "https://dangjian.example.cn",
    )


# A green thread that swallows everything, as a socket handler's wrapper does, receives
# SIGTERM (or SIGINT) while it runs; the main greenlet meanwhile waits 20 s. The process must
# run its cleanup (which stops the embedded Redis) and end at once with code 0.
SIGNAL_IN_A_HANDLER = """
import os, signal, sys
{patch}
from app.entry import stop_on_signals
stop_on_signals({spawn}, lambda: print("cleanup ran", flush=True))

def handler():
    try:
        os.kill(os.getpid(), signal.{signal})
        sum(range(10_000_000))  # the signal is handled here, in this greenlet
    except BaseException as caught:
        print("the handler swallowed", type(caught).__name__, flush=True)

{spawn}(handler)
{sleep}(20)
print("still running", flush=True)
"""


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize(
    "patch, spawn, sleep",
    [
        ("import eventlet; eventlet.monkey_patch()", "eventlet.spawn", "eventlet.sleep"),
        ("from gevent import monkey; monkey.patch_all(); import gevent", "gevent.spawn", "gevent.sleep"),
    ],
    ids=["eventlet", "gevent"],
)
def test_a_signal_in_any_greenlet_stops_the_server(
    patch: str, spawn: str, sleep: str, signal_name: str
) -> None:
    script = SIGNAL_IN_A_HANDLER.format(patch=patch, spawn=spawn, sleep=sleep, signal=signal_name)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["cleanup ran"]
    assert time.monotonic() - started < 10


QUERY_BESIDE_A_HEARTBEAT = """
from app.entry import make_green
make_green({mode!r})
import time
import psycopg
import psycopg.waiting
import {mode}

gaps = []
def beat():
    last = time.monotonic()
    while last < started + 0.9:
        {mode}.sleep(0.01)
        gaps.append(time.monotonic() - last)
        last = time.monotonic()

started = time.monotonic()
beating = {mode}.spawn(beat)
{mode}.sleep(0)
with psycopg.connect({url!r}) as connection:
    connection.execute("SELECT pg_sleep(0.5)")
beating.{join}()
print(psycopg.waiting.wait.__name__, round(max(gaps) * 1000))
"""


@pytest.mark.parametrize(
    "mode, join, wait", [("eventlet", "wait", "wait_select"), ("gevent", "join", "wait_poll")]
)
def test_a_postgresql_query_does_not_hold_the_other_greenlets(
    postgres_url: str, mode: str, join: str, wait: str
) -> None:
    """A query waits for PostgreSQL through the patched standard library: psycopg's C wait
    held every phone of an eventlet server for as long as the query ran (app/entry.py)."""
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    script = QUERY_BESIDE_A_HEARTBEAT.format(mode=mode, url=url, join=join)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    used, longest_gap_ms = done.stdout.split()
    # A 10 ms heartbeat beside a 500 ms query: held, its longest gap is the whole query.
    assert used == wait and int(longest_gap_ms) < 250, done.stdout


def test_serve_refuses_a_bad_setting_in_one_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "ARENA_INSTANCE": str(tmp_path), "ARENA_PING_INTERVAL": "二十五"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "配置错误：ARENA_PING_INTERVAL 应为整数，现在是 '二十五'"
    assert "Traceback" not in done.stderr
