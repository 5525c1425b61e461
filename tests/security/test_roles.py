"""Every route with every role, against the table in docs/SECURITY.md (issue 9): a route
missing from the table, or a role getting more or less than the table says, fails."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import csrf_token
from tests.security.world import ROLES, ROOT, World, build, login

SECURITY = ROOT / "docs" / "SECURITY.md"
COLUMNS = ("匿名", "成员", "支部书记", "主持人", "组织者")  # the table's names of ROLES
LOGIN_PAGES = {"/login", "/me/login"}
# What a route needs besides its path to answer at all (without it: 404 for everyone).
QUERIES = {
    "/admin/walls/export.xlsx": "?wall={wall_key}",
    "/wall/<pin>/moderator-qr.svg": "?token={moderator_token}",
}


def table(name: str) -> list[list[str]]:
    text = SECURITY.read_text(encoding="utf-8")
    body = text.split(f"<!-- {name}:begin -->")[1].split(f"<!-- {name}:end -->")[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")] for line in body.strip().splitlines()
    ]
    assert rows[0][-len(COLUMNS) :] == list(COLUMNS) or name != "routes"
    return rows[2:]


def route_table() -> dict[tuple[str, str], dict[str, str]]:
    allowed: dict[tuple[str, str], dict[str, str]] = {}
    for methods, path, *cells in table("routes"):
        assert len(cells) == len(ROLES), path
        for method in methods.split():
            assert (method, path) not in allowed, f"{method} {path} twice in docs/SECURITY.md"
            allowed[(method, path)] = dict(zip(ROLES, cells, strict=True))
    return allowed


def app_routes(app: Any) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_of_the_app_is_in_the_table_and_nothing_else(app: Any) -> None:
    documented = set(route_table())
    routes = app_routes(app)
    assert routes - documented == set(), "routes missing from docs/SECURITY.md"
    assert documented - routes == set(), "docs/SECURITY.md names routes the app does not have"


def url(rule: str, world: World) -> str:
    ids = world.ids
    pins = (("/scenario/", "scenario_pin"), ("/wall/", "wall_pin"), ("/hosting/walls/", "wall_pin"))
    pin = next((ids[key] for prefix, key in pins if rule.startswith(prefix)), ids["pin"])
    values = {**ids, "pin": pin, "fmt": "xlsx", "name": ids["photo"]}
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)
    return path + QUERIES.get(rule, "").format(**ids)


def outcome(response: Any) -> str:
    """The table's word for what a role got."""
    status = response.status_code
    if status in (301, 302, 303) and urlsplit(response.headers["Location"]).path in LOGIN_PAGES:
        return "登录"
    if (
        status == 401
        and (response.get_json(silent=True) or {}).get("error", {}).get("code") == "login_required"
    ):
        return "登录"
    if status in (403, 404):
        return "✗"
    if status >= 500:
        return f"server error {status}"
    return "✓"


INLINE = (
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"), "inline script"),
    (re.compile(r"<[^>]+\sstyle="), "style attribute"),
    (re.compile(r"<style"), "style element"),
    (re.compile(r"<[^>]+\son[a-z]+="), "event handler attribute"),
    (re.compile(r"javascript:"), "javascript: URL"),
)


def csp_problems(response: Any) -> list[str]:
    """What in an HTML page the Content-Security-Policy would block: none of ours may need it."""
    policy = response.headers.get("Content-Security-Policy", "")
    if "script-src 'self'" not in policy or "style-src 'self'" not in policy:
        return [f"no strict policy: {policy!r}"]
    page = response.get_data(as_text=True)
    return [name for pattern, name in INLINE if pattern.search(page)]


def last(key: tuple[str, str]) -> tuple[bool, str, str]:
    """Logging out goes last: every other row needs the session."""
    return ("logout" in key[1], key[1], key[0])


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says(app: Any, role: str) -> None:
    world = build(app)
    client = login(app, role)
    token = csrf_token(client, "/login")
    wrong = []
    for method, rule in sorted(route_table(), key=last):
        expected = route_table()[(method, rule)][role]
        path = url(rule, world)
        if method == "GET":
            response = client.get(path)
        elif "/api/" in rule:
            response = client.post(path, json={}, headers={"X-CSRFToken": token})
        else:
            response = client.post(path, data={"csrf_token": token})
        got = outcome(response)
        if response.mimetype == "text/html":
            wrong += [f"{method} {path}: {problem}" for problem in csp_problems(response)]
        response.close()  # a file download holds its file open until closed
        if rule.endswith("/logout") and got == "登录":
            got = "✓"  # logging out ends on the login page: that is its work, not a refusal
        if got != expected:
            wrong.append(f"{method} {path}: expected {expected}, got {got} ({response.status_code})")
    assert "\n".join(wrong) == ""


def test_every_state_changing_route_refuses_a_request_without_its_csrf_token(app: Any) -> None:
    """Forms and the JSON API alike: a page of another site cannot act for a signed-in user."""
    world = build(app)
    for role in ("organizer", "member"):
        client = login(app, role)
        for method, rule in sorted(route_table(), key=last):
            if method != "POST":
                continue
            response = client.post(url(rule, world), data={})
            text = response.get_data(as_text=True)
            assert response.status_code == 400, (role, rule)
            assert '"code":"csrf_failed"' in text.replace(" ", "") or 'data-error-code="csrf_failed"' in text
