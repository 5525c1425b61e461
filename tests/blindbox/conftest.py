"""Fixtures for the 党建盲盒 tests: two branches with members who can log in, a secretary
per branch, a deck loaded from YAML, and clients logged in as each of them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest

from app.accounts import set_member_password, set_user
from app.blindbox.tasks import load_deck
from app.extensions import database
from app.models import utcnow
from tests.conftest import csrf_token
from tests.points.factories import branch, member

PASSWORD = "member-pass-123"
STAFF_PASSWORD = "secretary-pass-123"

# Four cards: every proof kind, a range, a hidden card with a per-member limit.
DECK = """
key: test-box
title: 测试盲盒
rules: {offer: 1, per_day: 2, per_week: 5, due_days: 7}
cards:
  - {id: read, title: 读一篇文章, category: 学习, points: 5, proof: text}
  - {id: photo, title: 拍一张照片, category: 服务, points: 10, points_min: 8, points_max: 15,
     proof: photo, rarity: 稀有}
  - {id: easy, title: 点个赞, category: 互助, points: 2, proof: none}
  - {id: rare, title: 看望老党员, category: 服务, points: 20, proof: text, rarity: 隐藏, limit: 1}
"""


@dataclass
class People:
    first: int  # branch ids
    second: int
    zhang: int  # member ids: 张三 and 李四 in the first branch, 王五 in the second
    li: int
    wang: int


@pytest.fixture
def people(app: Any) -> People:
    return make_people(app)


def make_people(app: Any) -> People:
    with database(app).transaction() as session:
        first, second = branch(session, "第一党支部"), branch(session, "第二党支部")
        made = [
            member(session, "张三", "M001", first),
            member(session, "李四", "M002", first),
            member(session, "王五", "M003", second),
        ]
        for one in made:
            set_member_password(one, PASSWORD)
        set_user(
            session, "sec1", STAFF_PASSWORD, display_name="一支部书记", role="secretary", branch_id=first.id
        )
        set_user(
            session, "sec2", STAFF_PASSWORD, display_name="二支部书记", role="secretary", branch_id=second.id
        )
        return People(first.id, second.id, *(one.id for one in made))


def load(app: Any, text: str = DECK, name: str = "deck.yaml") -> int:
    with database(app).transaction() as session:
        row, _replaced = load_deck(session, text.encode(), name, loaded_by="test", now=utcnow())
        return row.id


@pytest.fixture
def deck_id(app: Any, people: People) -> int:
    return load(app)


def member_client(app: Any, member_no: str, secret: str = PASSWORD) -> Any:
    client = app.test_client()
    token = csrf_token(client, "/me/login")
    response = client.post("/me/login", data={"member_no": member_no, "secret": secret, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def staff_client(app: Any, username: str) -> Any:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


_PAGE_TOKEN = re.compile(r'data-csrf="([^"]+)"')


def api_token(client: Any) -> str:
    """The CSRF token 我的盲盒 hands its script (sent as X-CSRFToken)."""
    match = _PAGE_TOKEN.search(client.get("/me/boxes").get_data(as_text=True))
    assert match
    return match.group(1)


def draw_api(client: Any, deck: int, token: str) -> Any:
    return client.post(f"/me/api/decks/{deck}/draw", json={}, headers={"X-CSRFToken": token})


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)
