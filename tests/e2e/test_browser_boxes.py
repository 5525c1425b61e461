"""党建盲盒 in real Chromium against a real server: a member opens a box on a phone, gets
three cards to choose from (a reload shows the same three), takes one and hands in proof;
the other branch's secretary can neither see nor open the task, the own branch's secretary
approves it with adjusted points (one ledger entry); the host draws for a branch on the big
screen. What the pages show is compared with the rows in the server's database.
Screenshots go to tests/e2e/artifacts/ (boxes-*.png)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.accounts import set_member_password, set_user
from app.blindbox.tasks import draw, load_deck
from app.extensions import database
from app.models import Member, PointEntry, TaskDraw, utcnow
from tests.e2e.conftest import watch
from tests.live.conftest import Server
from tests.points.factories import branch, member

pytestmark = pytest.mark.e2e

PHONE_SIZE = {"width": 390, "height": 844}
SCREEN_SIZE = {"width": 1920, "height": 1080}
LAPTOP_SIZE = {"width": 1366, "height": 900}
PASSWORD = "member-pass-123"
STAFF_PASSWORD = "staff-pass-1234"

# Five cards, three offered per draw. Three of them are text-proof cards with a range
# (10 points, 8-15): any three of the five include at least one, so the test can always
# take such a card, whatever the server's random draw offers.
RANGED = {"study", "essay", "visit"}
DECK = """
key: e2e-box
title: 端到端盲盒
description: 每次三选一，完成后提交凭证。
rules: {offer: 3, per_day: 5, per_week: 10, due_days: 7}
cards:
  - {id: study, title: 学习一篇重要讲话, category: 学习, points: 10, points_min: 8, points_max: 15,
     proof: text}
  - {id: essay, title: 写一篇学习心得, category: 学习, points: 10, points_min: 8, points_max: 15, proof: text,
     rarity: 稀有, description: 不少于三百字，结合本职工作谈体会。}
  - {id: visit, title: 走访一户困难群众, category: 服务, points: 10, points_min: 8, points_max: 15,
     proof: text}
  - {id: share, title: 转发一篇党建文章, category: 宣传, points: 2, proof: none}
  - {id: photo, title: 参加一次志愿活动, category: 服务, points: 6, proof: photo, rarity: 隐藏}
"""
CARD_IDS = {"study", "essay", "visit", "share", "photo"}


def seed(app: Any) -> dict[str, int]:
    """Two branches, 张三 (M001) and 王五 (M003), a secretary for each branch, an organizer
    and the deck, in the server's database."""
    with database(app).transaction() as session:
        first, second = branch(session, "第一党支部"), branch(session, "第二党支部")
        zhang = member(session, "张三", "M001", first)
        wang = member(session, "王五", "M003", second)
        for one in (zhang, wang):
            set_member_password(one, PASSWORD)
        for name, title, of in (("sec1", "一支部书记", first), ("sec2", "二支部书记", second)):
            set_user(session, name, STAFF_PASSWORD, display_name=title, role="secretary", branch_id=of.id)
        set_user(session, "host", STAFF_PASSWORD, display_name="组织委员")
        deck, _replaced = load_deck(session, DECK.encode(), "deck.yaml", loaded_by="test", now=utcnow())
        return {"first": first.id, "second": second.id, "zhang": zhang.id, "wang": wang.id, "deck": deck.id}


def draws(app: Any) -> list[TaskDraw]:
    with database(app).transaction() as session:
        rows = list(session.scalars(select(TaskDraw).order_by(TaskDraw.id)))
        session.expunge_all()
        return rows


def shown_cards(page: Page) -> list[str]:
    return page.locator("#offer .card").evaluate_all("(cards) => cards.map((c) => c.dataset.cardId)")


def settle(page: Page) -> None:
    """Wait for the box and card animations to finish (before comparing or screenshotting)."""
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")


def open_phone(browser: Any, url: str) -> Page:
    context = browser.new_context(viewport=PHONE_SIZE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = watch(context.new_page())
    page.goto(url)
    return page


def staff_login(browser: Any, server: Server, username: str, size: dict[str, int], target: str = "") -> Page:
    """An organizer's or secretary's own browser, logged in at /login."""
    page = watch(browser.new_context(viewport=size).new_page())
    page.goto(f"{server.url}/login" + (f"?next={target}" if target else ""))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    return page


def open_queue(page: Page) -> None:
    """A secretary lands on the points pages and goes to the review queue from the menu."""
    page.locator(".topbar nav").get_by_role("link", name="任务审核").click()
    expect(page.locator("h1")).to_have_text("盲盒任务审核 · 本支部")


def test_a_member_draws_a_task_the_branch_reviews_it_and_the_host_draws_live(
    browser: Any, server: Server, app: Any, artifacts: Path
) -> None:
    ids = seed(app)
    deck_id = ids["deck"]

    # -- the phone: log in as 张三 and open the box -------------------------------------------
    phone = open_phone(browser, f"{server.url}/me/login")
    phone.get_by_test_id("member-no").fill("M001")
    phone.get_by_test_id("secret").fill(PASSWORD)
    phone.get_by_test_id("login").tap()
    expect(phone).to_have_url(f"{server.url}/me/boxes")
    expect(phone.get_by_test_id("me")).to_have_text("张三 · 第一党支部")
    expect(phone.locator(f".deck[data-deck-id='{deck_id}'] h2")).to_have_text("端到端盲盒")
    expect(phone.get_by_test_id(f"allowance-{deck_id}")).to_have_text(
        "今天还可以抽 5 次，本周还可以抽 10 次；每次三选一。"
    )
    draw_button = phone.get_by_test_id(f"draw-{deck_id}")
    expect(draw_button).to_have_text("打开盲盒")
    expect(draw_button).to_be_enabled()  # its script listens now (the page renders it disabled)
    draw_button.tap()
    expect(phone.get_by_test_id("stage")).to_be_visible()
    expect(phone.locator("#box-lid")).to_have_class(re.compile(r"\bopen\b"))  # the box opens
    expect(phone.locator("#offer .card")).to_have_count(3)
    settle(phone)
    first_offer = shown_cards(phone)
    assert len(set(first_offer)) == 3 and set(first_offer) <= CARD_IDS, first_offer
    [row] = draws(app)  # recorded before it was shown
    assert (row.member_id, row.branch_id, row.live) == (ids["zhang"], ids["first"], False)
    assert row.status == "offered"
    assert row.offered == first_offer
    expect(phone.get_by_test_id("stage")).to_contain_text("三选一")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]
    phone.screenshot(path=artifacts / "boxes-phone-offer.png", full_page=True)

    # A reload before choosing shows the same three cards again, and so does the button.
    phone.reload()
    expect(phone.locator(".waiting h2")).to_have_text("上次抽到的卡片还没选")
    expect(phone.locator("#offer .card")).to_have_count(3)
    settle(phone)
    assert shown_cards(phone) == first_offer
    expect(phone.get_by_test_id(f"allowance-{deck_id}")).to_have_text(
        "今天还可以抽 4 次，本周还可以抽 9 次；每次三选一。"
    )
    with phone.expect_response(re.compile(rf"/me/api/decks/{deck_id}/draw$")) as again:
        phone.get_by_test_id(f"draw-{deck_id}").tap()
    reply = again.value.json()
    assert reply["ok"] and reply["new"] is False and reply["draw"]["id"] == row.id, reply
    expect(phone.locator("#offer .card")).to_have_count(0)  # the box opens again (0.9 s) ...
    expect(phone.locator("#offer .card")).to_have_count(3)  # ... on the same three cards
    settle(phone)
    assert shown_cards(phone) == first_offer
    [row] = draws(app)  # still the one draw: nothing re-rolled
    assert row.offered == first_offer and row.status == "offered"

    # Choose a card with a range: the task page.
    chosen = next(card_id for card_id in first_offer if card_id in RANGED)
    phone.locator(f"#offer .card[data-card-id='{chosen}']").tap()
    expect(phone).to_have_url(re.compile(rf"/me/tasks/{row.id}$"))
    task_url = phone.url
    expect(phone.locator(f".card[data-card-id='{chosen}'] .card-foot")).to_contain_text("8-15 分")
    expect(phone.get_by_test_id("task-status")).to_have_text("进行中")
    [row] = draws(app)
    assert (row.status, row.card_id, row.card["low"], row.card["high"]) == ("assigned", chosen, 8, 15)

    # Hand in the proof text.
    proof = "已在支部学习会上领学，并与三位同志交流了体会。"
    phone.get_by_test_id("proof-text").fill(proof)
    phone.get_by_test_id("submit-proof").tap()
    expect(phone).to_have_url(f"{task_url}?sent=1")
    expect(phone.get_by_test_id("sent")).to_have_text("已提交，等待支部书记审核。")
    expect(phone.get_by_test_id("task-status")).to_have_text("待审核")
    expect(phone.locator(".proof-text")).to_have_text(proof)
    expect(phone.get_by_test_id("proof-form")).to_have_count(0)
    [row] = draws(app)
    assert (row.status, row.proof_text, row.submitted_by) == ("submitted", proof, ids["zhang"])
    settle(phone)
    phone.screenshot(path=artifacts / "boxes-phone-task-submitted.png", full_page=True)

    # -- the other branch's secretary: the task does not exist for them ----------------------
    other = staff_login(browser, server, "sec2", LAPTOP_SIZE)
    open_queue(other)
    expect(other.get_by_test_id("review-queue").locator("tbody tr")).to_have_text(["没有待审核的提交。"])
    expect(other.locator(f"tr[data-draw-id='{row.id}']")).to_have_count(0)
    # Checked through the context's request client (same cookies, not watched): the 404 is expected.
    review_url = f"{server.url}/admin/boxes/review/{row.id}"
    assert other.context.request.get(review_url).status == 404
    token = other.locator(".topbar input[name=csrf_token]").input_value()  # a valid form post ...
    approval = {"csrf_token": token, "decision": "approve", "points": "12"}
    refused = other.context.request.post(review_url, form=approval, headers={"Referer": other.url})
    assert refused.status == 404  # ... is refused as well
    assert draws(app)[0].status == "submitted"

    # -- the own branch's secretary approves with adjusted points ----------------------------
    secretary = staff_login(browser, server, "sec1", LAPTOP_SIZE)
    open_queue(secretary)
    line = secretary.locator(f"tr[data-draw-id='{row.id}']")
    expect(line.locator("td").nth(1)).to_have_text("第一党支部")
    expect(line.locator("td").nth(2)).to_have_text("张三")
    expect(line.locator("td").nth(4)).to_have_text("8-15 分")
    line.get_by_test_id(f"review-{row.id}").click()
    expect(secretary.get_by_test_id("review-status")).to_have_text("待审核")
    expect(secretary.get_by_test_id("proof-text")).to_have_text(proof)
    points_input = secretary.get_by_test_id("review-points")
    expect(points_input).to_have_value("10")
    expect(points_input).to_have_attribute("min", "8")
    expect(points_input).to_have_attribute("max", "15")
    points_input.fill("12")
    secretary.get_by_test_id("review-comment").fill("完成得很好。")
    secretary.get_by_test_id("approve").click()
    expect(secretary).to_have_url(f"{server.url}/admin/boxes/review?done={row.id}")
    expect(secretary.locator(".ok[role=status]")).to_have_text("已审核。")
    expect(secretary.locator(f"tr[data-draw-id='{row.id}']")).to_have_count(0)
    expect(secretary.get_by_test_id("review-queue").locator("tbody tr")).to_have_text(["没有待审核的提交。"])

    phone.goto(task_url)
    expect(phone.get_by_test_id("task-status")).to_have_text("已通过")
    expect(phone.locator(".task-state")).to_contain_text("已记 12 分")
    expect(phone.locator(".review-line.review-approved")).to_contain_text("一支部书记")
    expect(phone.locator(".review-line.review-approved")).to_contain_text("完成得很好。")
    settle(phone)
    phone.screenshot(path=artifacts / "boxes-phone-task-approved.png", full_page=True)
    with database(app).transaction() as session:
        entries = list(session.scalars(select(PointEntry).where(PointEntry.source_type == "task")))
        assert [(e.member_id, e.points, e.source_id, e.kind) for e in entries] == [
            (ids["zhang"], 12, str(row.id), "award")
        ]
    [row] = draws(app)
    assert (row.status, row.points_awarded) == ("approved", 12)

    # -- the host's live draw for branch 1 on the big screen ---------------------------------
    host = staff_login(browser, server, "host", SCREEN_SIZE, f"/admin/boxes/{deck_id}/live")
    expect(host).to_have_url(f"{server.url}/admin/boxes/{deck_id}/live")
    expect(host.locator(".bar .brand")).to_have_text("党建盲盒 · 端到端盲盒")
    expect(host.locator("#reveal .card")).to_have_count(0)
    host.get_by_test_id("live-branch").select_option(str(ids["first"]))
    host.get_by_test_id("live-draw").click()
    expect(host.locator("#box-lid")).to_have_class(re.compile(r"\bopen\b"))
    expect(host.locator("#reveal .card")).to_have_count(1)
    expect(host.get_by_test_id("live-holder")).to_have_text("第一党支部（全支部） 抽到了")
    settle(host)
    revealed = host.locator("#reveal .card").get_attribute("data-card-id")
    live_rows = [d for d in draws(app) if d.live]
    assert len(live_rows) == 1
    live = live_rows[0]
    assert (live.member_id, live.branch_id, live.card_id, live.status, live.drawn_by) == (
        None,
        ids["first"],
        revealed,
        "assigned",
        "组织委员",
    )
    assert live.offered == [revealed]
    host.screenshot(path=artifacts / "boxes-live-reveal.png")


# One draw a day, the card given at once: a deck 张三 has used up for today.
DAILY = """
key: e2e-daily
title: 每日一抽
rules: {offer: 1, per_day: 1, per_week: 7, due_days: 7}
cards:
  - {id: read, title: 读一篇党史故事, category: 学习, points: 2, proof: none}
"""


def test_the_draw_buttons_wait_for_their_script_and_a_used_up_deck_stays_closed(
    browser: Any, server: Server, app: Any
) -> None:
    """A button the page shows before its script listens would swallow a tap: each is
    rendered disabled and enabled by the script, except where today's draws are used up."""
    ids = seed(app)
    with database(app).transaction() as session:
        daily, _replaced = load_deck(session, DAILY.encode(), "daily.yaml", loaded_by="test", now=utcnow())
        draw(session, daily, member=session.get(Member, ids["zhang"]), now=utcnow())
        daily_id = daily.id

    phone = open_phone(browser, f"{server.url}/me/login")
    phone.get_by_test_id("member-no").fill("M001")
    phone.get_by_test_id("secret").fill(PASSWORD)
    phone.get_by_test_id("login").tap()
    expect(phone).to_have_url(f"{server.url}/me/boxes")
    expect(phone.get_by_test_id(f"allowance-{daily_id}")).to_have_text(
        "今天还可以抽 0 次，本周还可以抽 6 次。"
    )
    expect(phone.get_by_test_id(f"draw-{ids['deck']}")).to_be_enabled()  # the script has run ...
    expect(phone.get_by_test_id(f"draw-{daily_id}")).to_be_disabled()  # ... and left this one closed
    assert len(draws(app)) == 1
