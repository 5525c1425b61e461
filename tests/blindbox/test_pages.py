"""The 党建盲盒 pages: member login (login codes, passwords), who may open what, the
organizer's decks and statistics, the live draw API, and refusals with stable codes."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.blindbox.deck import deck_template_xlsx
from app.extensions import database
from app.models import Member, TaskDeck, TaskDraw
from tests.blindbox.conftest import DECK, People, api_token, draw_api, load, member_client, staff_client
from tests.conftest import csrf_token


def _login(client: Any, member_no: str, secret: str) -> Any:
    token = csrf_token(client, "/me/login")
    return client.post("/me/login", data={"member_no": member_no, "secret": secret, "csrf_token": token})


def _issue_one(organizer: Any, member_no: str) -> str:
    token = csrf_token(organizer, "/admin/boxes/codes")
    page = organizer.post("/admin/boxes/codes", data={"member_no": member_no, "csrf_token": token})
    assert page.status_code == 200
    match = re.search(r'data-testid="issued-code">([2-9A-Z]{8})<', page.get_data(as_text=True))
    assert match
    return match.group(1)


# -- member login ------------------------------------------------------------------------------


def test_a_login_code_works_once_and_leads_to_setting_a_password(
    app: Any, organizer: Any, people: People
) -> None:
    code = _issue_one(organizer, "M003")
    phone = app.test_client()
    # Typed on a phone: lower case, full-width, with a space — the same code.
    typed = code[:4].lower() + " " + "".join(chr(ord(ch) + 0xFEE0) for ch in code[4:])
    entered = _login(phone, "Ｍ003", typed)
    assert entered.status_code == 302 and entered.headers["Location"].endswith("/me/password")
    # Until a password is set, every member page leads back to the password form.
    assert phone.get("/me/boxes").headers["Location"].endswith("/me/password")
    token = csrf_token(phone, "/me/password")
    short = phone.post("/me/password", data={"password": "short", "confirm": "short", "csrf_token": token})
    assert short.status_code == 400 and 'data-error-code="weak_password"' in short.get_data(as_text=True)
    mismatch = phone.post(
        "/me/password", data={"password": "abcdefgh1", "confirm": "abcdefgh2", "csrf_token": token}
    )
    assert 'data-error-code="password_mismatch"' in mismatch.get_data(as_text=True)
    saved = phone.post(
        "/me/password",
        data={"password": "王五的新密码2026", "confirm": "王五的新密码2026", "csrf_token": token},
    )
    assert saved.status_code == 302 and phone.get("/me/boxes").status_code == 200

    again = app.test_client()
    assert _login(again, "M003", code).status_code == 401  # spent
    assert _login(again, "M003", "王五的新密码2026").headers["Location"].endswith("/me/boxes")


def test_a_new_code_replaces_the_old_one_and_codes_expire(app: Any, organizer: Any, people: People) -> None:
    first = _issue_one(organizer, "M003")
    second = _issue_one(organizer, "M003")
    assert _login(app.test_client(), "M003", first).status_code == 401
    with database(app).transaction() as session:
        member = session.scalar(select(Member).where(Member.member_no == "M003"))
        assert member is not None and member.login_code_expires is not None
        member.login_code_expires = member.login_code_expires.replace(year=2020)
    refused = _login(app.test_client(), "M003", second)
    assert refused.status_code == 401 and 'data-error-code="bad_login"' in refused.get_data(as_text=True)


def test_wrong_secrets_and_unknown_members_get_the_same_answer(app: Any, people: People) -> None:
    for member_no, secret in (("M001", "wrong-password"), ("NOBODY", "member-pass-123"), ("", "")):
        refused = _login(app.test_client(), member_no, secret)
        assert refused.status_code == 401
        assert "工号或密码（登录码）不正确，或登录码已过期。" in refused.get_data(as_text=True)


def test_a_branch_xlsx_of_codes_skips_members_with_a_password(
    app: Any, organizer: Any, people: People
) -> None:
    with database(app).transaction() as session:
        li = session.get(Member, people.li)
        assert li is not None
        li.password_hash = None
    token = csrf_token(organizer, "/admin/boxes/codes")
    sheet = organizer.post("/admin/boxes/codes", data={"branch": str(people.first), "csrf_token": token})
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.values)
    assert rows[0] == ("工号", "姓名", "支部", "登录码", "有效期至（北京时间）")
    assert [row[:3] for row in rows[1:]] == [("M002", "李四", "第一党支部")]
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", rows[1][3])
    assert _login(app.test_client(), "M002", rows[1][3]).status_code == 302


def test_member_pages_need_a_member_login(app: Any, people: People, deck_id: int) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/me/boxes").headers["Location"].startswith("/me/login")
    token = csrf_token(anonymous, "/me/login")
    refused = anonymous.post(f"/me/api/decks/{deck_id}/draw", json={}, headers={"X-CSRFToken": token})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "login_required"
    # An organizer's login is not a member's.
    assert staff_client(app, "sec1").get("/me/boxes").status_code == 302


def test_the_draw_api_needs_its_csrf_token_and_answers_in_json(
    app: Any, people: People, deck_id: int
) -> None:
    phone = member_client(app, "M001")
    refused = phone.post(f"/me/api/decks/{deck_id}/draw", json={})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    missing = draw_api(phone, 999_999, api_token(phone))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    with database(app).transaction() as session:
        assert session.scalar(select(TaskDraw.id)) is None


# -- who may see what --------------------------------------------------------------------------


def _submitted(app: Any, deck_id: int) -> int:
    phone = member_client(app, "M001")
    drawn = draw_api(phone, deck_id, api_token(phone)).get_json()["draw"]
    url = drawn["task_url"]
    form = {"text": "完成了", "csrf_token": csrf_token(phone, url)}
    if drawn["card"]["proof"] == "photo":
        from tests.blindbox.test_proof import jpeg_bytes

        form["photo"] = (io.BytesIO(jpeg_bytes()), "p.jpg")
    assert phone.post(url, data=form, content_type="multipart/form-data").status_code == 302
    return int(drawn["id"])


def test_a_secretary_cannot_see_or_approve_another_branchs_submission(
    app: Any, people: People, deck_id: int
) -> None:
    draw_id = _submitted(app, deck_id)
    other = staff_client(app, "sec2")
    assert f'data-draw-id="{draw_id}"' not in other.get("/admin/boxes/review").get_data(as_text=True)
    assert other.get(f"/admin/boxes/review/{draw_id}").status_code == 404
    token = csrf_token(other, "/admin/boxes/review")
    approve = {"decision": "approve", "points": "", "comment": "", "csrf_token": token}
    assert other.post(f"/admin/boxes/review/{draw_id}", data=approve).status_code == 404
    # Organizer pages are not a secretary's.
    assert other.get("/admin/boxes").status_code == 403
    assert other.get(f"/admin/boxes/{deck_id}").status_code == 403
    own = staff_client(app, "sec1")
    assert f'data-draw-id="{draw_id}"' in own.get("/admin/boxes/review").get_data(as_text=True)
    assert own.get(f"/admin/boxes/review/{draw_id}").status_code == 200
    with database(app).transaction() as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None and row.status == "submitted"


def test_a_member_cannot_open_someone_elses_task(app: Any, people: People, deck_id: int) -> None:
    draw_id = _submitted(app, deck_id)
    assert member_client(app, "M002").get(f"/me/tasks/{draw_id}").status_code == 404
    assert member_client(app, "M001").get(f"/me/tasks/{draw_id}").status_code == 200


def test_review_refusals_show_their_code_and_change_nothing(app: Any, people: People) -> None:
    deck_id = load(app, DECK.replace("offer: 1", "offer: 1").replace("per_day: 2", "per_day: 0"))
    draw_id = _submitted(app, deck_id)
    own = staff_client(app, "sec1")
    url = f"/admin/boxes/review/{draw_id}"
    token = csrf_token(own, url)
    for form, code in (
        ({"decision": "approve", "points": "9999"}, "points_out_of_range"),
        ({"decision": "approve", "points": "abc"}, "points_out_of_range"),
        ({"decision": "reject", "comment": "  "}, "comment_required"),
        ({"decision": "reject", "comment": "字" * 201}, "comment_too_long"),
    ):
        refused = own.post(url, data={**form, "csrf_token": token})
        assert refused.status_code == 400 and f'data-error-code="{code}"' in refused.get_data(as_text=True)
    with database(app).transaction() as session:
        row = session.get(TaskDraw, draw_id)
        assert row is not None and (row.status, row.reviews) == ("submitted", [])


# -- the organizer's pages ---------------------------------------------------------------------


def test_uploading_decks_yaml_xlsx_and_a_broken_one(app: Any, organizer: Any, people: People) -> None:
    def upload(data: bytes, name: str) -> Any:
        token = csrf_token(organizer, "/admin/boxes")
        form = {"file": (io.BytesIO(data), name), "csrf_token": token}
        return organizer.post("/admin/boxes", data=form, content_type="multipart/form-data")

    good = upload(DECK.encode(), "盲盒.yaml")
    assert good.status_code == 200 and "已载入“测试盲盒”，共 4 张卡片。" in good.get_data(as_text=True)
    template = upload(deck_template_xlsx(), "模板.xlsx")
    assert "已载入“党建盲盒”，共 4 张卡片。" in template.get_data(as_text=True)
    broken = upload(
        DECK.replace("key: test-box", "key: test-box\nsurprise: 1")
        .replace("points: 5", "points: 五")
        .encode(),
        "x.yaml",
    )
    text = broken.get_data(as_text=True)
    assert broken.status_code == 400 and 'data-error-code="bad_deck"' in text
    assert (
        "<code>cards[0].points</code>: 应为整数" in text and "<code>surprise</code>: 不认识的设置项" in text
    )
    with database(app).transaction() as session:
        assert [(row.key, row.title) for row in session.scalars(select(TaskDeck).order_by(TaskDeck.id))] == [
            ("test-box", "测试盲盒"),
            ("my-box", "党建盲盒"),
        ]
    book = Workbook()
    book.active.title = "卡片"
    problems = upload(_saved(book), "b.xlsx").get_data(as_text=True)
    assert "<code>卡片</code>: 前 20 行中没有找到表头" in problems and "工作簿里没有“规则”工作表" in problems
    assert organizer.get("/admin/boxes/template.xlsx").data[:2] == b"PK"


def _saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_statistics_by_branch_and_by_card(app: Any, organizer: Any, people: People) -> None:
    one = (
        "key: one\ntitle: 一张卡\nrules: {per_day: 0, per_week: 0}\ncards: [{id: only, title: 读, points: 5}]"
    )
    deck_id = load(app, one)
    # 张三: approved; 李四: submitted; 王五 (second branch): assigned, then expired.
    done = _submitted(app, deck_id)
    own = staff_client(app, "sec1")
    url = f"/admin/boxes/review/{done}"
    own.post(url, data={"decision": "approve", "points": "", "csrf_token": csrf_token(own, url)})
    li = member_client(app, "M002")
    waiting = draw_api(li, deck_id, api_token(li)).get_json()["draw"]
    li.post(waiting["task_url"], data={"text": "好了", "csrf_token": csrf_token(li, waiting["task_url"])})
    wang = member_client(app, "M003")
    lapsed = draw_api(wang, deck_id, api_token(wang)).get_json()["draw"]["id"]
    with database(app).transaction() as session:
        row = session.get(TaskDraw, lapsed)
        assert row is not None and row.due_at is not None
        row.due_at = row.due_at.replace(year=2020)
    page = organizer.get(f"/admin/boxes/{deck_id}").get_data(as_text=True)
    assert "抽取 3 次，领取任务 3 个，审核通过 1 个，完成率 33.3%" in page
    rows = re.findall(r"<tr><td>(第.党支部)</td>(.*?)</tr>", page, re.S)
    cells = {name: re.findall(r'class="num">([^<]*)<', rest) for name, rest in rows}
    assert cells == {
        "第一党支部": ["2", "2", "2", "1", "0", "50.0%"],
        "第二党支部": ["1", "1", "0", "0", "1", "0.0%"],
    }
    card_row = re.search(r"<code>only</code>.*?</tr>", page, re.S)
    assert card_row and re.findall(r'class="num">([^<]*)<', card_row.group(0)) == [
        "10",
        "5",
        "3",
        "1",
        "33.3%",
    ]


def test_pausing_a_deck_stops_member_draws(app: Any, organizer: Any, people: People, deck_id: int) -> None:
    token = csrf_token(organizer, f"/admin/boxes/{deck_id}")
    organizer.post(f"/admin/boxes/{deck_id}/active", data={"active": "0", "csrf_token": token})
    phone = member_client(app, "M001")
    assert f'data-deck-id="{deck_id}"' not in phone.get("/me/boxes").get_data(as_text=True)
    refused = draw_api(phone, deck_id, api_token(phone))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "deck_closed"


def test_the_live_draw_api(app: Any, organizer: Any, people: People, deck_id: int) -> None:
    page = organizer.get(f"/admin/boxes/{deck_id}/live").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    url = f"/admin/api/boxes/{deck_id}/live-draw"

    def live(body: dict[str, Any]) -> Any:
        return organizer.post(url, json=body, headers={"X-CSRFToken": token})

    branch = live({"branch_id": people.first}).get_json()
    assert branch["ok"] and branch["draw"]["holder"] == "第一党支部（全支部）"
    assert branch["draw"]["status"] == "assigned" and branch["draw"]["card"]["id"] in {
        "read",
        "photo",
        "easy",
        "rare",
    }
    member = live({"member_no": "Ｍ003"}).get_json()  # full-width, as typed
    assert member["draw"]["holder"] == "王五" and member["draw"]["branch"] == "第二党支部"
    assert live({"member_no": "M999"}).get_json()["error"]["code"] == "member_not_found"
    assert live({}).get_json()["error"]["code"] == "bad_request"
    assert live({"branch_id": "x"}).status_code == 400
    with database(app).transaction() as session:
        rows = list(session.scalars(select(TaskDraw).order_by(TaskDraw.id)))
        assert [(r.member_id, r.branch_id, r.live, r.drawn_by) for r in rows] == [
            (None, people.first, True, "组织委员"),
            (people.wang, people.second, True, "组织委员"),
        ]
    page = organizer.get(f"/admin/boxes/{deck_id}/live").get_data(as_text=True)
    last = json.loads(html.unescape(re.search(r'data-last="([^"]+)"', page).group(1)))  # type: ignore[union-attr]
    assert last["holder"] == "王五"  # the last live draw is shown again after a reload
