"""Organizer login and logout; ``login_required`` guards the organizer pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from app.accounts import authenticate
from app.extensions import db_session
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
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if g.user.role not in roles:
            return render_template(
                "error.html", status=403, code="forbidden", message="你的账号没有权限打开这个页面。"
            ), 403
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def login_required(view: F) -> F:
    """Organizer pages: a branch secretary's account is refused (403)."""
    return _guard(view, ("organizer",))


def staff_required(view: F) -> F:
    """Pages a branch secretary may open too; the view limits them to their own branch."""
    return _guard(view, ("organizer", "secretary"))


def _home(user: User | None) -> str:
    """Where an account lands: a branch secretary has only the points pages."""
    if user is not None and user.role == "secretary":
        return url_for("points.overview")
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
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:40]
        password = request.form.get("password", "")[:200]
        user = authenticate(db_session(), username, password)
        if user is None:
            error = "用户名或密码不正确。"
        else:
            session.clear()
            session["user_id"] = user.id
            return redirect(_safe_next(request.args.get("next"), user))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
def index() -> Any:
    return redirect(_home(g.user))
