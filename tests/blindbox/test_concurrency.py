"""Two taps, or two phones of one member, drawing at the same moment get one draw: the
draw locks the member's row first, so the second request waits and then finds the first's
draw. Run on SQLite and, where DATABASE_URL names it (CI), on PostgreSQL, through the real
request path (the Flask app, its sessions and CSRF), eight requests released together."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import database, redis_connection
from app.models import TaskDraw
from tests.blindbox.conftest import DECK, api_token, draw_api, load, make_people, member_client
from tests.conftest import make_test_app

REQUESTS = 8


@pytest.fixture
def race_app(tmp_path: Path, each_database_url: str, redis_url: str) -> Iterator[Any]:
    made = make_test_app(tmp_path, each_database_url, redis_url)
    yield made
    database(made).engine.dispose()
    redis_connection(made).close()


def _race(app: Any, deck_id: int) -> list[tuple[int, dict[str, Any]]]:
    # Two devices of the same member, each sending four taps.
    devices = [member_client(app, "M001"), member_client(app, "M001")]
    tokens = [api_token(device) for device in devices]
    start = threading.Barrier(REQUESTS)
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def tap(index: int) -> None:
        device, token = devices[index % 2], tokens[index % 2]
        start.wait()
        reply = draw_api(device, deck_id, token)
        with lock:
            results.append((reply.status_code, reply.get_json()))

    threads = [threading.Thread(target=tap, args=(index,)) for index in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == REQUESTS
    return results


def _draws(app: Any) -> int:
    with database(app).transaction() as session:
        return int(session.scalar(select(func.count(TaskDraw.id))) or 0)


def test_eight_simultaneous_draws_at_the_daily_limit_make_one(race_app: Any) -> None:
    make_people(race_app)
    deck_id = load(race_app, DECK.replace("per_day: 2", "per_day: 1"))
    results = _race(race_app, deck_id)
    assert Counter(status for status, _body in results) == {200: 1, 429: REQUESTS - 1}
    assert {body["error"]["code"] for status, body in results if status == 429} == {"limit_day"}
    assert _draws(race_app) == 1


def test_simultaneous_draws_of_a_three_card_offer_return_the_one_offer(race_app: Any) -> None:
    make_people(race_app)
    deck_id = load(race_app, DECK.replace("offer: 1", "offer: 3"))
    results = _race(race_app, deck_id)
    assert [status for status, _body in results] == [200] * REQUESTS
    assert Counter(body["new"] for _status, body in results) == {True: 1, False: REQUESTS - 1}
    assert len({body["draw"]["id"] for _status, body in results}) == 1
    assert len({tuple(card["id"] for card in body["draw"]["offered"]) for _s, body in results}) == 1
    assert _draws(race_app) == 1
