"""A host account in a real browser (issue 9): the organizer gives a contest to a host on
the contests page; the host signs in, finds it under 我的活动, starts it, and the big screen
opens its lobby with the host token it got; the host cannot open the organizer's pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.accounts import set_user
from app.banks import import_file
from app.extensions import database
from app.live.contests import ContestSettings, save_contest
from app.models import Contest, QuestionBank
from tests.e2e.test_browser_boxes import LAPTOP_SIZE, STAFF_PASSWORD, staff_login
from tests.live.conftest import Server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_the_organizer_gives_a_contest_to_a_host_who_starts_it(
    browser: Any, server: Server, app: Any
) -> None:
    db = database(app)
    sample = (ROOT / "question_bank" / "samples" / "dangzhang.yaml").read_bytes()
    assert import_file(db, sample, "dangzhang.yaml", "党章", max_bytes=10 * 1024 * 1024).ok
    with db.transaction() as session:
        set_user(session, "org", STAFF_PASSWORD, display_name="组织委员")
        host, _created = set_user(session, "zhuchi", STAFF_PASSWORD, display_name="主持人小王", role="host")
        bank_id = session.query(QuestionBank.id).scalar()
        contest = save_contest(
            session, ContestSettings.parse({"name": "七一知识竞赛", "bank_ids": [bank_id], "count": 3})
        )
        contest_id, host_id = contest.id, host.id

    organizer = staff_login(browser, server, "org", LAPTOP_SIZE, "/admin/contests")
    row = organizer.locator("tr", has_text="七一知识竞赛")
    row.locator("select[name=host_id]").select_option(label="主持人小王")
    row.get_by_role("button", name="指派").click()
    expect(organizer.locator("tr", has_text="七一知识竞赛").locator("select[name=host_id]")).to_have_value(
        str(host_id)
    )
    with db.transaction() as session:
        assert session.get(Contest, contest_id).host_id == host_id  # type: ignore[union-attr]

    page = staff_login(browser, server, "zhuchi", LAPTOP_SIZE)
    expect(page).to_have_url(re.compile(r"/hosting$"))
    expect(page.locator(".topbar nav a")).to_have_text(["我的活动"])
    page.locator("tr", has_text="七一知识竞赛").get_by_role("button", name="开始一场").click()
    # The screen opens with the token in the fragment, and its script at once moves it to
    # sessionStorage (so the URL may already be without it when this looks).
    expect(page).to_have_url(re.compile(r"/host/\d{6}(#token=.+)?$"))
    expect(page.get_by_test_id("lobby")).to_be_visible()  # the token got the screen into its game
    expect(page.get_by_test_id("lobby-count")).to_have_text("0")
    expect(page).to_have_url(re.compile(r"/host/\d{6}$"))  # the token out of the address bar

    page.goto(f"{server.url}/admin/banks")
    expect(page.locator("[data-error-code=forbidden]")).to_be_visible()
