"""Fixtures for the audit log tests: a small roster, a secretary, and the log read back."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts import set_user
from app.extensions import database
from app.models import AuditEntry
from tests.conftest import csrf_token
from tests.points.factories import branch, member

SECRETARY = ("sec1", "secretary-pass-123")
CLI_ACTOR = f"cli:{getpass.getuser()}"


@dataclass(frozen=True)
class Roster:
    first: int  # branch ids
    second: int
    zhang: int  # member ids: 张三 (A001) and 李四 (A002) in the first branch, 王五 (A003) in the second
    li: int
    wang: int


@pytest.fixture
def roster(app: Any) -> Roster:
    with database(app).transaction() as session:
        first, second = branch(session, "第一党支部"), branch(session, "第二党支部")
        people = [
            member(session, "张三", "A001", first),
            member(session, "李四", "A002", first),
            member(session, "王五", "A003", second),
        ]
        return Roster(first.id, second.id, *(one.id for one in people))


@pytest.fixture
def secretary(app: Any, roster: Roster) -> Any:
    """A logged-in branch secretary of the first branch (its own client)."""
    with database(app).transaction() as session:
        set_user(session, *SECRETARY, display_name="一支部书记", role="secretary", branch_id=roster.first)
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": SECRETARY[0], "password": SECRETARY[1], "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    return client


def log(app: Any) -> list[AuditEntry]:
    """Every line of the audit log, oldest first (detached, safe to read)."""
    with database(app).sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def brief(app: Any) -> list[tuple[str, str, str, str, str]]:
    """(actor, actor_role, action, target_type, target_id) of every line, oldest first."""
    return [(e.actor, e.actor_role, e.action, e.target_type, e.target_id) for e in log(app)]
