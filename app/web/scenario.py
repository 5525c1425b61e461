"""Pages of scenario runs (红色剧本杀): the organizer's scenarios and runs, the host's
console, the big screen, the phone, the printable prop cards and the scan landing page."""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.audit import user_actor
from app.extensions import database, db_session
from app.factory import error_page
from app.live import protocol as live_protocol
from app.models import Scenario as ScenarioRow
from app.models import ScenarioRun
from app.realtime import scenario_runs
from app.scenario import protocol
from app.scenario.engine import Refused
from app.scenario.results import load_scenario, open_run
from app.scenario.schema import MAX_SCENARIO_BYTES, ScenarioError, parse_scenario
from app.web.auth import host_required, login_required
from app.web.hosting import given, not_given
from app.web.live import join_url, wall_config

bp = Blueprint("scenario", __name__)

MAX_GROUPS = 30


def _public_base() -> str:
    return join_url().rsplit("/play", 1)[0]


def scenario_join_url(pin: str) -> str:
    return f"{_public_base()}/scenario/{pin}/play"


def _pin(pin: str) -> str:
    if not live_protocol.PIN.match(pin):
        abort(404)
    return pin


# -- organizer ---------------------------------------------------------------------------------------


def _list_page(problems: list[tuple[str, str]] | None = None, message: str = "", status: int = 200) -> Any:
    session = db_session()
    scenarios = list(session.scalars(select(ScenarioRow).order_by(ScenarioRow.title)))
    runs = list(session.scalars(select(ScenarioRun).order_by(ScenarioRun.id.desc()).limit(30)))
    return render_template(
        "scenario/list.html", scenarios=scenarios, runs=runs, problems=problems, message=message
    ), status


@bp.get("/admin/scenarios")
@login_required
def scenarios() -> Any:
    return _list_page()


@bp.post("/admin/scenarios")
@login_required
def upload_scenario() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _list_page([("", "请选择一个剧本文件（.yaml）。")], status=400)
    data = upload.read(MAX_SCENARIO_BYTES + 1)
    try:
        with database().transaction() as session:
            row, replaced = load_scenario(session, data, loaded_by=g.user.username, actor=user_actor(g.user))
            title = row.title
    except ScenarioError as error:
        return _list_page(error.problems, status=400)
    return _list_page(message=f"已{'更新' if replaced else '导入'}剧本《{title}》。")


@bp.post("/admin/scenarios/<slug>/runs")
@host_required
def start_run(slug: str) -> Any:
    scenario = db_session().scalar(select(ScenarioRow).where(ScenarioRow.slug == slug)) or abort(404)
    if not given(scenario):
        return not_given()
    try:
        groups = int(request.form.get("groups", "1"))
    except ValueError:
        groups = 0
    if not 1 <= groups <= MAX_GROUPS:
        return _start_refused("groups", f"小组数应在 1 到 {MAX_GROUPS} 之间。")
    try:
        run, token = open_run(
            database(),
            scenario_runs(current_app),
            slug,
            groups,
            "props_per_group" in request.form,
            g.user.username,
        )
    except LookupError:
        abort(404)
    except Refused as refused:
        return _start_refused("", protocol.ERRORS[refused.code], refused.code)
    return redirect(url_for("scenario.host", pin=run.pin) + f"#token={token}")


def _start_refused(field: str, message: str, code: str = "bad_request") -> Any:
    """The organizer sees the problem on the scenario list; a host, who may not open that
    list, on an error page."""
    if g.user.role == "host":
        return error_page(400, code, message)
    return _list_page([(field, message)], status=400)


@bp.get("/admin/scenario-runs/<int:run_id>")
@login_required
def run_results(run_id: int) -> Any:
    run = db_session().get(ScenarioRun, run_id) or abort(404)
    scenario = parse_scenario(run.source)
    roles = {role.id: role.name for role in scenario.roles}
    options = {option.id: option.text for option in scenario.final_options()}
    return render_template("scenario/run.html", run=run, roles=roles, options=options)


@bp.get("/admin/scenario-runs/<int:run_id>/props")
@host_required
def props(run_id: int) -> Any:
    """The printable sheet of prop cards: one QR code per card, bound to this run."""
    run = db_session().get(ScenarioRun, run_id) or abort(404)
    if not given(run.scenario):
        return not_given()
    store = scenario_runs(current_app).store
    if not run.pin or not store.exists(run.pin):
        return render_template(
            "error.html",
            status=410,
            code="run_not_found",
            message="这场剧本杀已经结束或已过期，道具卡不再有效。",
        ), 410
    scenario = parse_scenario(run.source)
    cards = []
    for code, card in sorted(
        store.codes(run.pin).items(), key=lambda item: (item[1]["clue"], item[1]["group"] or 0)
    ):
        url = f"{_public_base()}/s/{code}"
        cards.append(
            {
                "title": scenario.clue(card["clue"]).title,
                "group": run.groups[card["group"]] if card["group"] is not None else "全场通用",
                "url": url,
                "svg": segno.make(url, error="m").svg_inline(scale=4, border=2),
            }
        )
    return render_template("scenario/props.html", run=run, cards=cards)


# -- host, screen, phone --------------------------------------------------------------------------------


def _live_page(template: str, pin: str, **context: Any) -> Any:
    return render_template(template, pin=_pin(pin), events=protocol.EVENTS, **wall_config(), **context)


@bp.get("/scenario/<pin>/host")
def host(pin: str) -> Any:
    """The host's console (a laptop or phone, not the projector: it shows who plays what).
    The host token travels in the URL fragment, never to the server log."""
    return _live_page("scenario/host.html", pin, join_url=scenario_join_url(pin))


@bp.get("/scenario/<pin>/screen")
def screen(pin: str) -> Any:
    return _live_page("scenario/screen.html", pin, join_url=scenario_join_url(pin))


@bp.get("/scenario/<pin>/qr.svg")
def join_qr(pin: str) -> Any:
    buffer = io.BytesIO()
    segno.make(scenario_join_url(_pin(pin)), error="m").save(
        buffer, kind="svg", scale=10, border=2, dark="#000", light="#fff"
    )
    return current_app.response_class(buffer.getvalue(), mimetype="image/svg+xml")


@bp.get("/scenario/<pin>/play")
def play(pin: str) -> Any:
    return _live_page("scenario/play.html", pin, scan_code="")


@bp.get("/s/<code>")
def scan(code: str) -> Any:
    """A prop card's QR code: the phone page of the card's run, which sends the scan once the
    phone is back in its seat. A code no run knows gets a plain page saying so."""
    pin = scenario_runs(current_app).store.code_pin(code) if len(code) <= protocol.CODE_LIMIT else None
    if pin is None:
        return render_template(
            "error.html", status=404, code="bad_code", message=protocol.ERRORS["bad_code"]
        ), 404
    return _live_page("scenario/play.html", pin, scan_code=code)
