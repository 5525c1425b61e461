"""Scenario runs over the wire: a real ``arena serve`` process (tests/live/conftest.py), an
in-process app on the same database and Redis that loads mini.yaml and opens the runs, and
Socket.IO clients that record every payload they receive, acknowledgements included."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.extensions import database, redis_connection
from app.models import Branch, Member
from app.scenario.results import load_scenario
from tests.conftest import make_test_app
from tests.live.conftest import Phone, live_env, server  # noqa: F401  (fixtures reused)

MINI = Path(__file__).parent / "data" / "mini.yaml"
MEMBERS = {"S001": "张红", "S002": "李明", "S003": "王芳", "S004": "赵军", "S005": "钱进"}


class Recorder(Phone):
    """A phone (or host, or screen) that also records what it sent and every ack, in order:
    ``("sent:<event>", data)`` before the emit, ``("ack:<event>", ack)`` after it."""

    def call(self, event: str, data: Any) -> dict[str, Any]:
        with self.lock:
            self.events.append((f"sent:{event}", data))
        ack = self.client.call(event, data, timeout=10)  # data None: an event without a payload
        with self.lock:
            self.events.append((f"ack:{event}", ack))
        return ack  # type: ignore[no-any-return]

    def wait_from(self, start: int, event: str, where: Callable[[Any], bool], timeout: float = 10) -> Any:
        """The first ``event`` received after mark ``start`` that satisfies ``where``."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for name, data in self.events[start:]:
                    if name == event and where(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.name}: no {event} after mark {start} within {timeout}s")
                self.lock.wait(remaining)

    def mark(self) -> int:
        with self.lock:
            return len(self.events)

    def payloads(self, start: int = 0, end: int | None = None) -> list[tuple[str, Any]]:
        """What this client received (events and acks) between two marks."""
        with self.lock:
            return [(n, d) for n, d in self.events[start:end] if not n.startswith("sent:")]


@pytest.fixture(scope="module")
def scenario_app(live_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:  # noqa: F811
    """The app in this process, on the server's database and Redis, with mini.yaml loaded
    and a small roster (one branch, the members of MEMBERS)."""
    made = make_test_app(
        tmp_path_factory.mktemp("scenario-app"),
        live_env["database_url"],
        live_env["redis_url"],
        secret_key="live-test-secret",
    )
    with database(made).transaction() as session:
        load_scenario(session, MINI.read_bytes(), loaded_by="test")
        branch = Branch(name="剧本杀测试支部")
        session.add(branch)
        session.flush()
        for number, name in MEMBERS.items():
            session.add(Member(name=name, member_no=number, branch_id=branch.id))
    yield made
    database(made).engine.dispose()
    redis_connection(made).close()


@pytest.fixture
def clients() -> Iterator[Callable[..., Recorder]]:
    made: list[Recorder] = []

    def make(url: str, name: str = "") -> Recorder:
        client = Recorder(url, name)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
