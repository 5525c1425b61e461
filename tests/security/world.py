"""One of everything a route or an event can name, and a client logged in as each role:
the roles tests walk every route and event against this world (docs/SECURITY.md)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.accounts import set_member_password, set_user
from app.banks import import_file
from app.extensions import database
from app.live.contests import ContestSettings, save_contest, start_game
from app.models import Contest, FilterWord, Game, QuestionBank, TaskDraw, WallMessage, utcnow
from app.realtime import danmaku_walls, live_games, scenario_runs
from app.scenario.results import load_scenario, open_run
from tests.blindbox.conftest import load
from tests.blindbox.test_proof import jpeg_bytes
from tests.conftest import csrf_token
from tests.points.factories import branch, member

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "role-walk-pass-123"
ROLES = ("anonymous", "member", "secretary", "host", "organizer")
# One card, with a photo proof: the proof photo's route needs a photo to serve.
PHOTO_DECK = """
key: role-box
title: 角色测试盲盒
rules: {offer: 1, per_day: 5, per_week: 10, due_days: 7}
cards:
  - {id: photo, title: 拍一张照片, category: 服务, points: 10, proof: photo}
"""


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)  # what a route's <parts> are filled with
    tokens: dict[str, str] = field(default_factory=dict)  # host tokens by PIN


def build(app: Any) -> World:
    world = World()
    db = database(app)
    with db.transaction() as session:
        first = branch(session, "第一党支部")
        zhang = member(session, "张三", "M001", first)
        set_member_password(zhang, PASSWORD)
        set_user(session, "organizer", PASSWORD, role="organizer")
        set_user(session, "sec1", PASSWORD, role="secretary", branch_id=first.id)
        host, _created = set_user(session, "host1", PASSWORD, role="host")
        session.add(FilterWord(word="示例词", added_by="organizer"))
        session.flush()
        world.ids.update(member_id=zhang.id, word_id=session.query(FilterWord.id).scalar(), host=host.id)
    sample = (ROOT / "question_bank" / "samples" / "dangzhang.yaml").read_bytes()
    assert import_file(db, sample, "dangzhang.yaml", "党章", max_bytes=10 * 1024 * 1024).ok
    with db.transaction() as session:
        world.ids["bank_id"] = session.scalar(select(QuestionBank.id))
        contest = save_contest(
            session, ContestSettings.parse({"bank_ids": [world.ids["bank_id"]], "count": 2})
        )
        contest.host_id = world.ids["host"]
        world.ids["contest_id"] = contest.id
        session.add(
            Game(
                live_key="123456:1",
                pin="123456",
                contest_id=contest.id,
                started_at=utcnow(),
                questions_played=0,
            )
        )
        row = load_scenario(session, (ROOT / "tests" / "scenario" / "data" / "mini.yaml").read_bytes())[0]
        row.host_id = world.ids["host"]
        world.ids["slug"] = row.slug
    with db.transaction() as session:
        world.ids["game_id"] = session.query(Game.id).scalar()
        pin, token = start_game(session, live_games(app).store, session.get(Contest, world.ids["contest_id"]))
        world.ids["pin"] = pin
        world.tokens[pin] = token
    run, token = open_run(db, scenario_runs(app), world.ids["slug"], 1, False)
    world.ids.update(run_id=run.id, scenario_pin=run.pin)
    world.tokens[run.pin] = token
    world.ids["code"] = next(iter(scenario_runs(app).store.codes(run.pin)))
    walls = danmaku_walls(app)
    wall_pin, token = walls.store.create_standalone("全体大会", "auto", world.ids["host"])
    world.ids["wall_pin"] = wall_pin
    world.tokens[wall_pin] = token
    world.ids["moderator_token"] = walls.moderator_token(wall_pin)
    world.ids["wall_key"] = walls.store.record_key(wall_pin)
    with db.transaction() as session:  # a message, so the wall has something to export
        session.add(
            WallMessage(
                wall_key=world.ids["wall_key"],
                pin=wall_pin,
                message_id="1",
                player_key="w1",
                text="好",
                status="shown",
            )
        )
    world.ids["deck_id"] = load(app, PHOTO_DECK)
    world.ids["draw_id"], world.ids["photo"] = _submitted_photo_task(app, world.ids["deck_id"])
    return world


def _submitted_photo_task(app: Any, deck_id: int) -> tuple[int, str]:
    """张三 draws the photo card and submits a photo for review."""
    phone = login(app, "member")
    token = re.search(r'data-csrf="([^"]+)"', phone.get("/me/boxes").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    drawn = phone.post(f"/me/api/decks/{deck_id}/draw", json={}, headers={"X-CSRFToken": token}).get_json()
    draw = drawn["draw"]
    url = draw["task_url"]
    form: dict[str, Any] = {"text": "完成了", "csrf_token": csrf_token(phone, url)}
    form["photo"] = (io.BytesIO(jpeg_bytes()), "p.jpg")
    assert phone.post(url, data=form, content_type="multipart/form-data").status_code == 302
    with database(app).transaction() as session:
        row = session.get(TaskDraw, int(draw["id"]))
        assert row is not None
        return row.id, row.proof_image


def login(app: Any, role: str, username: str = "") -> Any:
    """A test client signed in as ``role`` (anonymous: signed in as nobody), as the world's
    account of that role or as ``username``."""
    client = app.test_client()
    if role == "member":
        form = {"member_no": "M001", "secret": PASSWORD, "csrf_token": csrf_token(client, "/me/login")}
        assert client.post("/me/login", data=form).status_code == 302
    elif role != "anonymous":
        username = username or {"secretary": "sec1", "host": "host1", "organizer": "organizer"}[role]
        form = {"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)}
        assert client.post("/login", data=form).status_code == 302
    return client


def other_host(app: Any) -> Any:
    """A second host account, given nothing, signed in."""
    with database(app).transaction() as session:
        set_user(session, "host2", PASSWORD, role="host")
    return login(app, "host", "host2")
