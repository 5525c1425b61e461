"""Real servers for the danmaku wall tests: two ``arena serve`` processes sharing one Redis
and one database (the quiz's helpers from tests/live/conftest.py), python-socketio clients
that record every event, and the wall service of an in-process app on the same Redis and
database (to create walls and edit the word list as the organizer's pages do)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import pytest

from tests.live.conftest import Phone, Server, start_server, stop_server


@pytest.fixture(scope="module")
def live_env(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The database and Redis the servers of this module share."""
    from tests.conftest import POSTGRES_URL, _empty_tables

    url = request.getfixturevalue("postgres_url" if POSTGRES_URL else "sqlite_url")
    _empty_tables(url)
    return {
        "database_url": url,
        "redis_url": request.getfixturevalue("redis_url"),
        "instance": tmp_path_factory.mktemp("wall"),
    }


@pytest.fixture(scope="module")
def servers(live_env: dict[str, Any]) -> Iterator[tuple[Server, Server]]:
    """Process A and process B: one Redis (state and message queue), one database. Started
    and stopped side by side (each takes seconds)."""
    args = (live_env["instance"], live_env["database_url"], live_env["redis_url"])
    with ThreadPoolExecutor(max_workers=2) as pool:
        starting = [pool.submit(start_server, *args) for _ in range(2)]
        wait(starting)
        started = [future.result() for future in starting if future.exception() is None]
        if len(started) < 2:
            list(pool.map(stop_server, started))
            for future in starting:
                future.result()  # the failure of the one that did not start
    first, second = started
    yield first, second
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(stop_server, (first, second)))


@pytest.fixture
def phones() -> Iterator[Callable[..., Phone]]:
    made: list[Phone] = []

    def make(url: str, name: str = "") -> Phone:
        phone = Phone(url, name)
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.close()


@pytest.fixture
def walls(app: Any) -> Iterator[Any]:
    """The wall service of an in-process app. The tables were just emptied (the ``app``
    fixture), so the word list's version is bumped: the module's servers drop any filter
    they built from an earlier test's words. The walls made here (and the games whose PINs a
    test adds to ``made_pins``) are deleted afterwards."""
    from app.danmaku.store import WallStore
    from app.live.store import LiveStore
    from app.realtime import danmaku_walls

    service = danmaku_walls(app)
    service.words_changed()
    made: list[str] = []
    create = service.store.create_standalone

    def create_standalone(title: str, mode: str) -> tuple[str, str]:
        pin, token = create(title, mode)
        made.append(pin)
        return pin, token

    service.store.create_standalone = create_standalone
    service.made_pins = made
    yield service
    redis = service.store.redis
    for pin in made:  # this test's walls and games only: nothing is flushed globally
        keys = [*redis.scan_iter(match=f"{WallStore.wall_key(pin)}*")]
        keys += [*redis.scan_iter(match=f"{LiveStore.game_key(pin)}*")]
        if keys:
            redis.delete(*keys)
        redis.zrem(LiveStore.DEADLINES, pin)
    service.words_changed()
