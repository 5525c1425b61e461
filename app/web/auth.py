"""Staff login and logout, and the role guards of every staff page (docs/SECURITY.md).

Roles: ``organizer`` (everything), ``host`` (runs the contests, scenarios and walls given to
them), ``secretary`` (the own branch's points, reviews and exports). Members log in on
their own pages (app/web/boxes.py); phones in a game are known by their seat, not a login.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from app.accounts import LoginThrottle, authenticate
from app.extensions import db_session, redis_connection
from app.factory import error_page
from app.models import User

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


@bp.before_app_request
def load_user() -> None:
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        user = db_session().scalar(select(User).where(User.id == user_id, User.active.is_(True)))
        g.user = user


def _guard(view: F, roles: tuple[str, ...]) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            if "/api/" in request.path:
                return error_page(401, "login_required", "请先登录。")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if g.user.role not in roles:
            return error_page(403, "forbidden", "你的账号没有权限打开这个页面。")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def login_required(view: F) -> F:
    """Organizer pages: every other account is refused (403)."""
    return _guard(view, ("organizer",))


def host_required(view: F) -> F:
    """Pages a host may open too; the view limits them to what was given to them."""
    return _guard(view, ("organizer", "host"))


def staff_required(view: F) -> F:
    """Pages a branch secretary may open too; the view limits them to their own branch."""
    return _guard(view, ("organizer", "secretary"))


def _home(user: User | None) -> str:
    """Where an account lands: a secretary has the points pages, a host their activities."""
    if user is not None and user.role == "secretary":
        return url_for("points.overview")
    if user is not None and user.role == "host":
        return url_for("hosting.mine")
    return url_for("admin.banks")


def _safe_next(target: str | None, user: User | None = None) -> str:
    """Only same-site paths: a login link must not bounce the organizer elsewhere."""
    if not target:
        return _home(user)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return _home(user)
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status = None, 200
    if request.method == "POST":
        username = request.form.get("username", "")[:40]
        password = request.form.get("password", "")[:200]
        user, wait = login_throttle().attempt(
            "user",
            username,
            request.remote_addr or "",
            lambda: authenticate(db_session(), username, password),
        )
        if wait:
            error, status = LoginThrottle.message(wait), 429
        elif user is None:
            error, status = "用户名或密码不正确。", 401
        else:
            session.clear()
            session["user_id"] = user.id
            return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/login.html", error=error), status


def login_throttle() -> LoginThrottle:
    return LoginThrottle(redis_connection().client())


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
def index() -> Any:
    return redirect(_home(g.user))
