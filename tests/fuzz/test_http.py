"""Every JSON API endpoint and every form that changes something gets random fields, random
files, wrong content types and missing CSRF tokens, from the role that may use it: never a
500; the JSON API answers JSON (``ok: false`` with a code and a zh-CN message when it
refuses); a refused form answers 4xx with the error page or its problem list; and a refused
request leaves the row count of every table as it was.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.fuzz.conftest import MINI, ROOT, row_counts
from tests.fuzz.strategies import NASTY_TEXT, examples, json_values

CHINESE = re.compile(r"[\u4e00-\u9fff]")
EXAMPLES_PER_ENDPOINT = 30


@dataclass
class Site:
    """An organizer's client, a member's client, and one of each thing the forms act on."""

    app: Any
    organizer: Any
    member: Any
    anonymous: Any
    ids: dict[str, Any] = field(default_factory=dict)

    def token(self, client: Any) -> str:
        return client.fuzz_token  # type: ignore[no-any-return]


def forget_logins(app: Any) -> None:
    """The failed logins counted in the session's Redis (the login throttle): the fuzzing
    fails many, and the next test's logins must not be refused for them."""
    from app.extensions import redis_connection

    redis = redis_connection(app).client()
    keys = list(redis.scan_iter(match="arena:login:*"))
    if keys:
        redis.delete(*keys)


@pytest.fixture
def site(app: Any, organizer: Any) -> Iterator[Site]:
    from app.banks import find_bank, import_file
    from app.extensions import database
    from app.models import Contest, FilterWord
    from app.scenario.results import load_scenario
    from tests.blindbox.conftest import api_token, load, make_people, member_client
    from tests.points.factories import Player, finished_game

    people = make_people(app)
    deck_id = load(app)
    sample = (ROOT / "question_bank" / "samples" / "dangjian.yaml").read_bytes()
    assert import_file(database(app), sample, "dangjian.yaml", "党建题库", max_bytes=1 << 20).stored
    member = member_client(app, "M001")
    member.fuzz_token = api_token(member)
    organizer.fuzz_token = csrf_token(organizer, "/admin/banks")
    anonymous = app.test_client()
    anonymous.fuzz_token = csrf_token(anonymous, "/login")
    headers = {"X-CSRFToken": member.fuzz_token}
    first = member.post(f"/me/api/decks/{deck_id}/draw", json={}, headers=headers).get_json()["draw"]
    card = first["offered"][0]["id"]
    member.post(f"/me/api/draws/{first['id']}/choose", json={"card_id": card}, headers=headers)
    second = member.post(f"/me/api/decks/{deck_id}/draw", json={}, headers=headers).get_json()["draw"]
    with database(app).transaction() as session:
        bank_id = find_bank(session, "党建题库").id
    game = organizer.post(
        "/api/games",
        json={"bank_ids": [bank_id], "team_mode": "free", "free_teams": ["红队"]},
        headers={"X-CSRFToken": organizer.fuzz_token},
    ).get_json()
    assert game["ok"], game
    with database(app).transaction() as session:
        load_scenario(session, MINI.read_bytes(), loaded_by="fuzz")
        word = FilterWord(word="脏话", added_by="fuzz")
        session.add(word)
        ended = finished_game(
            session,
            "已结束的比赛",
            dt.datetime(2026, 11, 1, 12),
            [Player(None, "红队", 1, 1, 1, nickname="来宾")],
        )
        session.flush()
        ids = {
            "deck": deck_id,
            "draw": second["id"],
            "task": first["id"],
            "bank": bank_id,
            "contest": session.scalars(select(Contest.id)).one(),
            "game": ended.id,
            "player": ended.players[0].id,
            "member": people.zhang,
            "branch": people.first,
            "word": word.id,
            "pin": game["pin"],
        }
    yield Site(app, organizer, member, anonymous, ids)
    forget_logins(app)


# -- what is thrown --------------------------------------------------------------------------------

texts = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40))
file_bodies = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([b"", b"\x00" * 100, b"PK\x03\x04junk", "题型,题干\n单选题,?".encode("gbk")]),
)
file_names = st.sampled_from(
    [
        "题库.xlsx",
        "题库.csv",
        "a.yaml",
        "b.yml",
        "c.json",
        "d.txt",
        "x.exe",
        "",
        "../../etc/passwd",
        "照片.jpg",
    ]
)
content_types = st.sampled_from(
    ["application/octet-stream", "image/jpeg", "text/plain", "application/json", "", "multipart/form-data"]
)


def field_value(right: list[str]) -> st.SearchStrategy[str]:
    """A form field's value: mostly a right one when there is one, else hostile text."""
    if not right:
        return texts
    return st.sampled_from([True, True, False]).flatmap(lambda use: st.sampled_from(right) if use else texts)


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: Callable[[Site], str]
    who: str  # organizer, member, anonymous
    json: bool = False
    fields: dict[str, Callable[[Site], list[str]]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    method: str = "POST"


def none(_site: Site) -> list[str]:
    return []


def fixed(*values: str) -> Callable[[Site], list[str]]:
    return lambda _site: list(values)


def ident(name: str) -> Callable[[Site], list[str]]:
    return lambda site: [str(site.ids[name])]


ENDPOINTS = [
    # The JSON API.
    Endpoint("new game", lambda s: "/api/games", "organizer", json=True),
    Endpoint("draw", lambda s: f"/me/api/decks/{s.ids['deck']}/draw", "member", json=True),
    Endpoint("choose", lambda s: f"/me/api/draws/{s.ids['draw']}/choose", "member", json=True),
    Endpoint("live draw", lambda s: f"/admin/api/boxes/{s.ids['deck']}/live-draw", "organizer", json=True),
    Endpoint("teams", lambda s: f"/play/{s.ids['pin']}/teams", "anonymous", json=True, method="GET"),
    # The organizer's forms.
    Endpoint(
        "bank upload",
        lambda s: "/admin/banks/upload",
        "organizer",
        fields={"bank": fixed("新题库")},
        files=("file",),
    ),
    Endpoint("roster", lambda s: "/admin/roster", "organizer", files=("file",)),
    Endpoint(
        "contest",
        lambda s: "/admin/contests",
        "organizer",
        fields={
            "name": fixed("知识竞赛"),
            "bank_ids": ident("bank"),
            "types": fixed("single", "judge", "bogus"),
            "count": fixed("5", "0", "-1", "１０"),
            "order": fixed("fixed", "shuffled"),
            "time_limit": fixed("20", "9999"),
            "team_mode": fixed("free", "branches"),
            "free_teams": fixed("红队\n蓝队"),
            "max_players": fixed("10", "0"),
            "base": fixed("1000", "-5"),
            "multiple": fixed("all", "partial"),
            "team": fixed("mean", "sum"),
        },
    ),
    Endpoint("contest start", lambda s: f"/admin/contests/{s.ids['contest']}/start", "organizer"),
    Endpoint(
        "match",
        lambda s: f"/admin/games/{s.ids['game']}/match",
        "organizer",
        fields={"player_x": fixed("M001"), "player_{player}": fixed("M001", "M404")},
    ),
    Endpoint(
        "points entry",
        lambda s: f"/admin/points/members/{s.ids['member']}",
        "organizer",
        fields={
            "points": fixed("5", "-5", "＋3", "99999999999999999999"),
            "category": fixed("学习", "任务"),
            "reason": fixed("参加活动"),
            "request_id": fixed("abc123"),
            "corrects": fixed("1", "999"),
        },
    ),
    Endpoint("rules", lambda s: "/admin/points/rules", "organizer", fields={"rules": fixed("base: 10\n")}),
    Endpoint(
        "export",
        lambda s: "/admin/points/export",
        "organizer",
        fields={
            "period": fixed("2026-11", "2026-Q4", "2026"),
            "branch": ident("branch"),
            "format": fixed("csv", "xlsx"),
        },
        files=("columns",),
    ),
    Endpoint(
        "wall",
        lambda s: "/admin/walls",
        "organizer",
        fields={"title": fixed("会议"), "mode": fixed("auto", "manual")},
    ),
    Endpoint(
        "words", lambda s: "/admin/walls/words", "organizer", fields={"words": fixed("坏词")}, files=("file",)
    ),
    Endpoint("word delete", lambda s: f"/admin/walls/words/{s.ids['word']}/delete", "organizer"),
    Endpoint("scenario upload", lambda s: "/admin/scenarios", "organizer", files=("file",)),
    Endpoint(
        "scenario run",
        lambda s: "/admin/scenarios/mini-radio/runs",
        "organizer",
        fields={"groups": fixed("1", "2", "0", "99")},
    ),
    Endpoint("deck upload", lambda s: "/admin/boxes", "organizer", files=("file",)),
    Endpoint(
        "deck active",
        lambda s: f"/admin/boxes/{s.ids['deck']}/active",
        "organizer",
        fields={"active": fixed("1", "0")},
    ),
    Endpoint(
        "login codes",
        lambda s: "/admin/boxes/codes",
        "organizer",
        fields={"member_no": fixed("M001", "M404"), "branch": ident("branch"), "all": fixed("1")},
    ),
    # A member's and everyone's forms.
    Endpoint(
        "member login",
        lambda s: "/me/login",
        "anonymous",
        fields={"member_no": fixed("M001"), "secret": fixed("x")},
    ),
    Endpoint(
        "member password",
        lambda s: "/me/password",
        "member",
        fields={"password": fixed("short", "a-long-password-1"), "confirm": fixed("a-long-password-1")},
    ),
    Endpoint(
        "task proof",
        lambda s: f"/me/tasks/{s.ids['task']}",
        "member",
        fields={"text": fixed("已完成学习"), "participants": fixed("1", "x")},
        files=("photo",),
    ),
    Endpoint(
        "login",
        lambda s: "/login",
        "anonymous",
        fields={"username": fixed("organizer"), "password": fixed("x")},
    ),
]


def json_bodies(site: Site) -> st.SearchStrategy[tuple[bytes, str]]:
    """(body, content type): JSON of any shape, right-looking keys, or raw bytes."""
    keyed = st.fixed_dictionaries(
        {},
        optional={
            key: st.one_of(json_values(), st.sampled_from(right))
            for key, right in {
                "card_id": ["read", "photo", "easy", "nope"],
                "member_no": ["M001", "M404", "Ｍ001"],
                "branch_id": [site.ids["branch"], str(site.ids["branch"]), "١", -1],
                "bank_ids": [[site.ids["bank"]], [str(site.ids["bank"])], [], [10**30]],
                "count": [3, 0, -1],
                "team_mode": ["free", "branches"],
                "free_teams": [["红队"], []],
            }.items()
        },
    )
    as_json = st.one_of(json_values(), keyed).map(
        lambda value: json.dumps(value, ensure_ascii=False).encode()
    )
    body = st.one_of(as_json, st.binary(max_size=500), st.sampled_from([b"", b"{", b"null", b"[]"]))
    kind = st.sampled_from(
        ["application/json", "application/json", "text/plain", "application/x-www-form-urlencoded"]
    )
    return st.tuples(body, kind)


def form_data(endpoint: Endpoint, site: Site) -> st.SearchStrategy[dict[str, Any]]:
    fields = {  # a name may hold an id: player_{player}
        name.format(**site.ids): st.lists(field_value(right(site)), min_size=0, max_size=2)
        for name, right in endpoint.fields.items()
    }
    extra = st.dictionaries(texts, texts, max_size=2)
    files = {
        name: st.one_of(st.none(), st.tuples(file_bodies, file_names, content_types))
        for name in endpoint.files
    }
    return st.fixed_dictionaries({**fields, **files, "_extra": extra})


def request(site: Site, endpoint: Endpoint, drawn: dict[str, Any], with_token: bool) -> Any:
    client = getattr(site, endpoint.who)
    token = site.token(client) if with_token else None
    if endpoint.json:
        body, kind = drawn["json"]
        headers = {"X-CSRFToken": token} if token else {}
        return client.open(
            endpoint.path(site), method=endpoint.method, data=body, content_type=kind, headers=headers
        )
    data: dict[str, Any] = dict(drawn["form"].pop("_extra"))
    for name, value in drawn["form"].items():
        if name in endpoint.files:
            if value is not None:
                body, filename, kind = value
                data[name] = (io.BytesIO(body), filename, kind or "application/octet-stream")
        elif value:
            data[name] = value if len(value) > 1 else value[0]
    if token:
        data["csrf_token"] = token
    return client.post(endpoint.path(site), data=data, content_type="multipart/form-data")


def check_response(endpoint: Endpoint, response: Any, with_token: bool) -> bool:
    """True when the request was refused (4xx)."""
    status = response.status_code
    assert status < 500, (endpoint.name, status, response.get_data(as_text=True)[:500])
    refused = status >= 400
    if endpoint.json:
        assert response.is_json, (endpoint.name, status, response.get_data()[:200])
        body = response.get_json()
        assert body["ok"] is (not refused), body
        if refused:
            assert re.fullmatch(r"[a-z_]+", body["error"]["code"]) and CHINESE.search(
                body["error"]["message"]
            ), body
    elif refused:
        assert response.mimetype == "text/html" and CHINESE.search(response.get_data(as_text=True))
    if not with_token and endpoint.method == "POST":
        assert status == 400, (endpoint.name, status)
        text = response.get_data(as_text=True)
        # bad_request: a part whose name breaks the multipart headers comes before the check
        assert "csrf_failed" in text or "bad_request" in text, text[:300]
    return refused


# One site per group (setting one up takes about a second): the JSON API, the organizer's forms,
# the member's and the public forms.
GROUPS = {
    "api": [e for e in ENDPOINTS if e.json],
    "organizer forms": [e for e in ENDPOINTS if not e.json and e.who == "organizer"],
    "member and public forms": [e for e in ENDPOINTS if not e.json and e.who != "organizer"],
}


def test_every_endpoint_is_in_a_group() -> None:
    assert sum(len(group) for group in GROUPS.values()) == len(ENDPOINTS) == 25


@pytest.mark.parametrize("group", list(GROUPS))
def test_endpoints_refuse_cleanly(site: Site, group: str, caplog: pytest.LogCaptureFixture) -> None:
    for endpoint in GROUPS[group]:
        fuzz_endpoint(site, endpoint, caplog)


def fuzz_endpoint(site: Site, endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    @examples(EXAMPLES_PER_ENDPOINT)
    @given(
        drawn=st.fixed_dictionaries({"json": json_bodies(site), "form": form_data(endpoint, site)}),
        with_token=st.sampled_from([True, True, True, True, False]),
    )
    def throw(drawn: dict[str, Any], with_token: bool) -> None:
        before = row_counts(site.app)
        response = request(site, endpoint, drawn, with_token)
        if check_response(endpoint, response, with_token):
            assert row_counts(site.app) == before, (endpoint.name, response.status_code)
        assert not [r.getMessage() for r in caplog.records if r.levelname == "ERROR"], endpoint.name

    throw()


def test_a_field_without_a_name_is_a_bad_request(site: Site) -> None:
    """Regression: a multipart part whose name holds a line break reached Flask as a field
    named None; without a CSRF token the CSRF check called None.endswith (a 500), and the
    contest form put None among its settings. Found by test_endpoints_refuse_cleanly."""
    before = row_counts(site.app)
    for data in ({"\n\r\t": ""}, {"\n": "x", "csrf_token": site.organizer.fuzz_token, "name": "竞赛"}):
        response = site.organizer.post("/admin/contests", data=data, content_type="multipart/form-data")
        assert response.status_code == 400
        assert 'data-error-code="bad_request"' in response.get_data(as_text=True)
    assert row_counts(site.app) == before


@pytest.mark.parametrize("body", [b"true", b"[1]", b"7", b'"card"'])
def test_json_that_is_not_an_object_is_refused(site: Site, body: bytes) -> None:
    """Regression: choosing a card and the live draw read ``(get_json() or {}).get(…)``, so a
    JSON body that is a list, a number or true was a 500 (AttributeError). Found by
    test_endpoints_refuse_cleanly[api] with the body ``true``."""
    before = row_counts(site.app)
    for client, path, status, code in (
        (site.member, f"/me/api/draws/{site.ids['draw']}/choose", 409, "already_chosen"),  # offer: 1
        (site.organizer, f"/admin/api/boxes/{site.ids['deck']}/live-draw", 400, "bad_request"),
    ):
        response = client.post(
            path, data=body, content_type="application/json", headers={"X-CSRFToken": site.token(client)}
        )
        assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert row_counts(site.app) == before
