"""The whole path through the web pages with the sample deck (decks/dangjian_box.yaml,
three cards to choose from): a member logs in, draws, chooses, hands in proof; the branch
secretary approves; the ledger holds exactly the card's points, once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.blindbox.deck import parse_deck
from app.extensions import database
from app.models import PointEntry, TaskDraw, TaskReview
from app.points.rules import load_rules
from tests.blindbox.conftest import People, api_token, draw_api, load, member_client, staff_client
from tests.blindbox.test_proof import jpeg_bytes
from tests.conftest import csrf_token

SAMPLE = Path(__file__).parents[2] / "decks" / "dangjian_box.yaml"


def _status(app: Any, draw_id: int) -> str:
    with database(app).transaction() as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None
        return row.status


def test_draw_choose_submit_approve_credits_the_card_once(app: Any, people: People) -> None:
    sample = parse_deck(SAMPLE.read_bytes(), SAMPLE.name)
    deck_id = load(app, SAMPLE.read_text(encoding="utf-8"))
    phone = member_client(app, "M001")
    token = api_token(phone)
    reply = draw_api(phone, deck_id, token).get_json()
    assert reply["allowance"] == {"today": 0, "week": 2}  # the sample deck: 1 a day, 3 a week
    drawn = reply["draw"]
    offered = [card["id"] for card in drawn["offered"]]
    assert drawn["status"] == "offered" and len(set(offered)) == 3
    assert set(offered) <= {card.id for card in sample.cards}

    # A reload, or a second tap, shows the same offer: the draw was stored before it was shown.
    assert draw_api(phone, deck_id, token).get_json()["draw"]["offered"] == drawn["offered"]
    page = phone.get("/me/boxes").get_data(as_text=True)
    assert "上次抽到的卡片还没选" in page and "今天还可以抽 0 次" in page

    chosen = sample.card(offered[2])
    picked = phone.post(
        f"/me/api/draws/{drawn['id']}/choose", json={"card_id": chosen.id}, headers={"X-CSRFToken": token}
    ).get_json()["draw"]
    assert (picked["status"], picked["card"]["id"]) == ("assigned", chosen.id)

    url = picked["task_url"]
    form: dict[str, Any] = {"text": "学习了《党章》第一章。", "csrf_token": csrf_token(phone, url)}
    if chosen.proof == "photo":
        form["photo"] = (io.BytesIO(jpeg_bytes()), "proof.jpg")
    assert phone.post(url, data=form, content_type="multipart/form-data").status_code == 302
    assert _status(app, drawn["id"]) == "submitted"

    secretary = staff_client(app, "sec1")
    queue = secretary.get("/admin/boxes/review").get_data(as_text=True)
    assert f'data-draw-id="{drawn["id"]}"' in queue and "张三" in queue
    review = f"/admin/boxes/review/{drawn['id']}"
    decision = {
        "decision": "approve",
        "points": "",
        "comment": "",
        "csrf_token": csrf_token(secretary, review),
    }
    assert secretary.post(review, data=decision).status_code == 302
    # The second click (a double tap, or the back button and again) credits nothing more.
    again = secretary.post(review, data=decision)
    assert again.status_code == 409 and 'data-error-code="already_reviewed"' in again.get_data(as_text=True)

    expected = chosen.points if chosen.points is not None else load_rules(None).activities.task.completed
    with database(app).transaction() as session:
        entries = session.scalars(select(PointEntry).where(PointEntry.source_type == "task"))
        assert [(e.member_id, e.points, e.source_id, e.rule) for e in entries] == [
            (people.zhang, expected, str(drawn["id"]), "task.completed")
        ]
        reviews = session.scalars(select(TaskReview))
        assert [(r.decision, r.points, r.reviewer) for r in reviews] == [("approved", expected, "一支部书记")]
    assert _status(app, drawn["id"]) == "approved"
    assert f"已记 {expected} 分" in phone.get(url).get_data(as_text=True)
