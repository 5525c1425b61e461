"""Web security (issue 9): what a host may run, login throttling, cookies behind TLS and a
proxy, the headers, and no secret in the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts import ACCOUNT_LIMIT
from app.extensions import database, redis_connection
from app.models import Contest, Scenario, User
from app.realtime import danmaku_walls, live_games, scenario_runs
from tests.conftest import csrf_token, make_test_app
from tests.security.world import PASSWORD, ROOT, build, login, other_host


@pytest.fixture(autouse=True)
def no_throttle(app: Any) -> Any:
    """Failed logins of earlier tests (same names, same address) must not lock these out."""
    client = redis_connection(app).client()
    for key in client.scan_iter("arena:login:*"):
        client.delete(key)
    yield


# -- hosts run what they were given ------------------------------------------------------------


def test_a_host_starts_only_the_contest_given_to_them_and_gets_a_working_host_token(app: Any) -> None:
    world = build(app)
    host = login(app, "host")
    token = csrf_token(host, "/hosting")
    started = host.post(f"/admin/contests/{world.ids['contest_id']}/start", data={"csrf_token": token})
    assert started.status_code == 302
    pin, host_token = re.fullmatch(r".*/host/(\d{6})#token=(.+)", started.headers["Location"]).groups()  # type: ignore[union-attr]
    assert live_games(app).store.check_host(pin, host_token)

    other = other_host(app)
    assert "全体大会" not in other.get("/hosting").get_data(as_text=True)  # host1's wall
    refused = other.post(
        f"/admin/contests/{world.ids['contest_id']}/start", data={"csrf_token": csrf_token(other, "/hosting")}
    )
    assert refused.status_code == 403 and 'data-error-code="not_given"' in refused.get_data(as_text=True)
    scenario = other.post(
        f"/admin/scenarios/{world.ids['slug']}/runs", data={"csrf_token": csrf_token(other, "/hosting")}
    )
    assert scenario.status_code == 403


def test_the_organizer_gives_and_takes_back_a_contest_and_a_scenario(app: Any) -> None:
    world = build(app)
    organizer = login(app, "organizer")
    token = csrf_token(organizer, "/admin/contests")
    contest, slug = world.ids["contest_id"], world.ids["slug"]
    assert (
        organizer.post(
            f"/admin/contests/{contest}/host", data={"csrf_token": token, "host_id": ""}
        ).status_code
        == 302
    )
    assert (
        organizer.post(f"/admin/scenarios/{slug}/host", data={"csrf_token": token, "host_id": ""}).status_code
        == 302
    )
    with database(app).transaction() as session:
        assert session.get(Contest, contest).host_id is None  # type: ignore[union-attr]
        assert session.scalar(select(Scenario.host_id).where(Scenario.slug == slug)) is None
        secretary = session.scalar(select(User.id).where(User.username == "sec1"))
    host = login(app, "host")
    page = host.get("/hosting").get_data(as_text=True)
    assert "没有交给你的比赛" in page and "没有交给你的剧本杀" in page
    refused = host.post(f"/admin/contests/{contest}/start", data={"csrf_token": csrf_token(host, "/hosting")})
    assert refused.status_code == 403
    # Only a host account can be given something: not a secretary, not a made-up id.
    for wrong in (str(secretary), "999", "abc"):
        response = organizer.post(
            f"/admin/contests/{contest}/host", data={"csrf_token": token, "host_id": wrong}
        )
        assert response.status_code == 400
    given = organizer.post(
        f"/admin/contests/{contest}/host", data={"csrf_token": token, "host_id": str(world.ids["host"])}
    )
    assert given.status_code == 302
    assert "没有交给你的比赛" not in host.get("/hosting").get_data(as_text=True)


def test_a_host_runs_a_scenario_given_to_them(app: Any) -> None:
    world = build(app)
    host = login(app, "host")
    started = host.post(
        f"/admin/scenarios/{world.ids['slug']}/runs",
        data={"csrf_token": csrf_token(host, "/hosting"), "groups": "2"},
    )
    pin, token = re.fullmatch(r".*/scenario/(\d{6})/host#token=(.+)", started.headers["Location"]).groups()  # type: ignore[union-attr]
    assert scenario_runs(app).store.check_host(pin, token)
    # A mistake in the form is shown to the host on an error page (the scenario list is the organizer's).
    bad = host.post(
        f"/admin/scenarios/{world.ids['slug']}/runs",
        data={"csrf_token": csrf_token(host, "/hosting"), "groups": "99"},
    )
    assert bad.status_code == 400 and "小组数应在 1 到 30 之间" in bad.get_data(as_text=True)


def test_a_wall_given_to_a_host_opens_with_a_fresh_token_each_time(app: Any) -> None:
    world = build(app)
    store = danmaku_walls(app).store
    pin, organizer_token = world.ids["wall_pin"], world.tokens[world.ids["wall_pin"]]
    host = login(app, "host")
    assert "全体大会" in host.get("/hosting").get_data(as_text=True)

    def open_wall(client: Any) -> str:
        response = client.post(
            f"/hosting/walls/{pin}/open", data={"csrf_token": csrf_token(client, "/hosting")}
        )
        assert response.status_code == 302
        return re.fullmatch(rf".*/wall/{pin}/moderate#token=(.+)", response.headers["Location"]).group(1)  # type: ignore[union-attr]

    first = open_wall(host)
    second = open_wall(host)
    assert (store.check_host(pin, first), store.check_host(pin, second)) == (False, True)
    assert store.check_host(pin, organizer_token)  # the organizer's page keeps working
    # Another host, and a wall of a game (not a standalone wall), are refused.
    other = other_host(app)
    assert (
        other.post(
            f"/hosting/walls/{pin}/open", data={"csrf_token": csrf_token(other, "/hosting")}
        ).status_code
        == 403
    )
    game_wall = host.post(
        f"/hosting/walls/{world.ids['pin']}/open", data={"csrf_token": csrf_token(host, "/hosting")}
    )
    assert game_wall.status_code == 403


def test_arena_admin_create_makes_a_host_account(runner: Any, app: Any) -> None:
    result = runner.invoke(args=["admin", "create", "zhuchi", "--host", "--password", "host-pass-1234"])
    assert result.exit_code == 0 and "已创建主持人账号 zhuchi" in result.output
    both = runner.invoke(
        args=["admin", "create", "x1", "--host", "--branch", "一支部", "--password", "host-pass-1234"]
    )
    assert both.exit_code != 0 and "只能选一个" in both.output
    with database(app).transaction() as session:
        assert session.scalar(select(User.role).where(User.username == "zhuchi")) == "host"
        assert session.scalar(select(func.count(User.id)).where(User.username == "x1")) == 0


# -- login throttling --------------------------------------------------------------------------


def test_failed_logins_lock_the_account_for_a_while_even_with_the_right_password(app: Any) -> None:
    build(app)
    client = app.test_client()
    token = csrf_token(client)
    for _ in range(ACCOUNT_LIMIT):
        wrong = client.post("/login", data={"username": "organizer", "password": "nope", "csrf_token": token})
        assert wrong.status_code == 401
    locked = client.post("/login", data={"username": "organizer", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429 and "登录失败次数过多，请 15 分钟后再试。" in locked.get_data(
        as_text=True
    )
    # Another account from the same address is not locked; a full-width or upper-case name is the same one.
    assert (
        client.post(
            "/login", data={"username": "sec1", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    again = app.test_client()
    full_width = again.post(
        "/login",
        data={"username": "ＯＲＧＡＮＩＺＥＲ", "password": PASSWORD, "csrf_token": csrf_token(again)},
    )
    assert full_width.status_code == 429
    # When the window ends, the right password works again and clears the count.
    client_redis = redis_connection(app).client()
    client_redis.delete("arena:login:user:organizer")
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login", data={"username": "organizer", "password": PASSWORD, "csrf_token": csrf_token(fresh)}
        ).status_code
        == 302
    )


def test_member_logins_are_throttled_too(app: Any) -> None:
    build(app)
    phone = app.test_client()
    token = csrf_token(phone, "/me/login")
    for _ in range(ACCOUNT_LIMIT):
        assert (
            phone.post(
                "/me/login", data={"member_no": "M001", "secret": "guess-1234", "csrf_token": token}
            ).status_code
            == 401
        )
    locked = phone.post("/me/login", data={"member_no": "M001", "secret": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_data(as_text=True)


def test_a_successful_login_clears_the_failures(app: Any) -> None:
    build(app)
    client = app.test_client()
    token = csrf_token(client)
    for _ in range(ACCOUNT_LIMIT - 1):
        client.post("/login", data={"username": "organizer", "password": "nope", "csrf_token": token})
    assert (
        client.post(
            "/login", data={"username": "organizer", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    assert redis_connection(app).client().get("arena:login:user:organizer") is None


# -- cookies, proxies, headers ------------------------------------------------------------------


def _cookie(response: Any) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_tls(
    tmp_path: Any, database_url: str, redis_url: str
) -> None:
    plain = make_test_app(tmp_path / "plain", database_url, redis_url)
    cookie = _cookie(plain.test_client().get("/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    tls = make_test_app(
        tmp_path / "tls", database_url, redis_url, public_url="https://dangjian.example.cn", proxy_hops=1
    )
    client = tls.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
    assert "Secure" in _cookie(response) and "HttpOnly" in _cookie(response)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    for app in (plain, tls):
        database(app).engine.dispose()
        redis_connection(app).close()


def test_behind_a_proxy_the_throttle_counts_the_clients_address(
    tmp_path: Any, database_url: str, redis_url: str
) -> None:
    proxied = make_test_app(tmp_path / "proxy", database_url, redis_url, proxy_hops=1)
    redis_client = redis_connection(proxied).client()
    for key in redis_client.scan_iter("arena:login:*"):
        redis_client.delete(key)
    client = proxied.test_client()
    token = csrf_token(client)
    client.post(
        "/login",
        data={"username": "x", "password": "y", "csrf_token": token},
        headers={"X-Forwarded-For": "10.9.8.7"},
    )
    assert redis_client.get("arena:login:addr:10.9.8.7") == "1"
    # Without a proxy configured, a forged header is ignored.
    direct = make_test_app(tmp_path / "direct", database_url, redis_url)
    client = direct.test_client()
    client.post(
        "/login",
        data={"username": "x", "password": "y", "csrf_token": csrf_token(client)},
        headers={"X-Forwarded-For": "10.6.6.6"},
    )
    assert redis_client.get("arena:login:addr:10.6.6.6") is None
    for app in (proxied, direct):
        database(app).engine.dispose()
        redis_connection(app).close()


def test_every_response_carries_the_security_headers(client: Any) -> None:
    for path in ("/login", "/play", "/static/css/admin.css", "/no-such-page"):
        with client.get(path) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Referrer-Policy"] == "same-origin"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS


def test_passwords_are_stored_with_scrypt(app: Any) -> None:
    build(app)
    with database(app).transaction() as session:
        hashes = set(session.scalars(select(User.password_hash)))
    assert hashes and all(value.startswith("scrypt:") for value in hashes)


def test_a_server_hashes_at_full_cost() -> None:
    """The suite's own apps hash with a smaller N (tests/conftest.py); a server, a process of
    its own, hashes with production's, and its hashes check here as the suite's do there
    (the browser tests log in to servers with accounts the suite made)."""
    from werkzeug.security import check_password_hash

    program = "import sys; from app.accounts import hash_secret; print(hash_secret(sys.argv[1]))"
    command = [sys.executable, "-c", program, "正确的密码-horse"]
    served = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert served.startswith("scrypt:32768:8:1$")
    assert check_password_hash(served, "正确的密码-horse") and not check_password_hash(served, "正确的密码")


# -- no secret in the repository ---------------------------------------------------------------

SECRET_PATTERNS = (
    re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |)PRIVATE KEY-----"),
    re.compile(r"(?i)\b(?:secret_key|password|passwd|token)\s*[:=]\s*['\"][A-Za-z0-9+/_\-]{16,}['\"]"),
    re.compile(r"postgres(?:ql)?(?:\+\w+)?://\w+:[^@${\s]{6,}@"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
)
# Test fixtures' own throwaway credentials for throwaway databases.
ALLOWED = ("tests/",)


def test_no_secret_is_committed() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".env" not in files and "instance/secret_key" not in files
    found = []
    for name in files:
        if name.startswith(ALLOWED) or name.endswith((".png", ".jpg", ".xlsx", ".ico", ".woff2")):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}: {m.group(0)[:40]}" for pattern in SECRET_PATTERNS for m in pattern.finditer(text)]
    assert found == []
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "/instance/" in ignored
