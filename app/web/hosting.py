"""What is given to host accounts: the organizer gives a contest, a scenario or a standalone
wall to a host; the host's page (我的活动) lists them, and the host starts or opens them.

A host token is still what the socket layer checks (docs/PROTOCOL.md): a host gets one by
starting a game or run given to them, or by opening a wall given to them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.extensions import database, db_session
from app.factory import error_page
from app.live import protocol as live_protocol
from app.models import Contest, Scenario, User
from app.realtime import danmaku_walls
from app.web.auth import host_required, login_required

bp = Blueprint("hosting", __name__)


def given(row: Contest | Scenario) -> bool:
    """May the signed-in account run this contest or scenario? Organizers may run anything."""
    return bool(g.user.role == "organizer" or (g.user.role == "host" and row.host_id == g.user.id))


def not_given() -> Any:
    return error_page(403, "not_given", "这个活动没有交给你主持，请联系组织者。")


def host_accounts() -> list[User]:
    return list(
        db_session().scalars(
            select(User).where(User.role == "host", User.active.is_(True)).order_by(User.username)
        )
    )


@bp.app_context_processor
def _templates() -> dict[str, Any]:
    # A function, so the accounts are read only by the pages that offer to give something.
    return {"host_accounts": host_accounts}


def host_id_from_form(form_value: str | None) -> int | None:
    """The host chosen in a form: a real, active host account, or none ("" = take it back)."""
    if not form_value:
        return None
    if not form_value.isdigit() or int(form_value) not in {user.id for user in host_accounts()}:
        abort(400)
    return int(form_value)


@bp.get("/hosting")
@host_required
def mine() -> Any:
    session = db_session()
    contests = select(Contest).order_by(Contest.id.desc())
    scenarios = select(Scenario).where(Scenario.review_status == "approved").order_by(Scenario.title)
    if g.user.role == "host":
        contests = contests.where(Contest.host_id == g.user.id)
        scenarios = scenarios.where(Scenario.host_id == g.user.id)
    else:  # an organizer sees every activity given to a host
        contests = contests.where(Contest.host_id.is_not(None))
        scenarios = scenarios.where(Scenario.host_id.is_not(None))
    return render_template(
        "hosting/mine.html",
        contests=list(session.scalars(contests)),
        scenarios=list(session.scalars(scenarios)),
        walls=danmaku_walls(current_app).store.host_walls(g.user.id),
    )


@bp.post("/hosting/walls/<pin>/open")
@host_required
def open_wall(pin: str) -> Any:
    """A fresh host token for a wall given to this host, then its moderation page."""
    if not live_protocol.PIN.match(pin):
        abort(404)
    token = danmaku_walls(current_app).store.open_for(pin, g.user.id, g.user.role == "organizer")
    if token is None:
        return not_given()
    return redirect(url_for("walls.moderate", pin=pin) + f"#token={token}")


@bp.post("/admin/contests/<int:contest_id>/host")
@login_required
def give_contest(contest_id: int) -> Any:
    host_id = host_id_from_form(request.form.get("host_id"))
    with database().transaction() as session:
        contest = session.get(Contest, contest_id) or abort(404)
        contest.host_id = host_id
    return redirect(url_for("live.contests"))


@bp.post("/admin/scenarios/<slug>/host")
@login_required
def give_scenario(slug: str) -> Any:
    host_id = host_id_from_form(request.form.get("host_id"))
    with database().transaction() as session:
        scenario = session.scalar(select(Scenario).where(Scenario.slug == slug)) or abort(404)
        scenario.host_id = host_id
    return redirect(url_for("scenario.scenarios"))
