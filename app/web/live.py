"""Pages of the live quiz: contests (organizer), the host's big screen, the phone, results,
and the organizer API that starts a game."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import func, select

from app.audit import user_actor
from app.extensions import database, db_session
from app.live import protocol
from app.live.contests import ContestError, ContestSettings, save_contest, start_game
from app.live.results import by_rank, question_accuracy, results_xlsx
from app.models import Contest, Game, Member, PointEntry, QuestionBank
from app.netinfo import base_urls
from app.points.service import points
from app.realtime import live_games
from app.web.auth import host_required, login_required
from app.web.hosting import given, not_given

bp = Blueprint("live", __name__)


def wall_config() -> dict[str, Any]:
    """The danmaku wall's event names and colours, for the pages that carry its widgets."""
    from app.danmaku import protocol as wall_protocol

    return {"wall_events": wall_protocol.EVENTS, "wall_colors": wall_protocol.COLORS}


def join_url(pin: str | None = None) -> str:
    """The address phones open: ARENA_PUBLIC_URL, else the LAN address the host can see."""
    settings = current_app.config["ARENA"]
    if settings.public_url:
        base = settings.public_url
    else:
        host = request.host.split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            base = base_urls("", "0.0.0.0", int(request.host.split(":")[1]) if ":" in request.host else 80)[1]
        else:
            base = request.host_url.rstrip("/")
    return f"{base}/play/{pin}" if pin else f"{base}/play"


def _start(contest: Contest) -> dict[str, str]:
    pin, token = start_game(db_session(), live_games(current_app).store, contest)
    return {
        "pin": pin,
        "host_token": token,
        "host_url": url_for("live.host", pin=pin, _external=True) + f"#token={token}",
        "join_url": join_url(pin),
    }


# -- organizer: contests ---------------------------------------------------------------


@bp.get("/admin/contests")
@login_required
def contests() -> Any:
    session = db_session()
    return render_template(
        "live/contests.html",
        contests=list(session.scalars(select(Contest).order_by(Contest.id.desc()))),
        banks=list(session.scalars(select(QuestionBank).order_by(QuestionBank.name))),
        games=list(session.scalars(select(Game).order_by(Game.id.desc()).limit(20))),
        defaults=ContestSettings(),
        error=None,
    )


@bp.post("/admin/contests")
@login_required
def create_contest() -> Any:
    form = request.form
    data: dict[str, Any] = {
        key: form.get(key) for key in form if key not in ("csrf_token", "bank_ids", "types")
    }
    data["bank_ids"] = form.getlist("bank_ids")
    data["types"] = form.getlist("types")
    data["scoring"] = {key: form[key] for key in ("base", "speed", "multiple", "team") if key in form}
    data["scoring"]["speed"] = "speed" in form
    for name in ("shuffle_options", "use_bank_time_limit", "late_join"):
        data[name] = name in form
    try:
        settings = ContestSettings.parse(data)
        with database().transaction() as session:
            save_contest(session, settings, created_by=g.user.username)
    except ContestError as error:
        session = db_session()
        return render_template(
            "live/contests.html",
            error=error,
            defaults=ContestSettings(),
            contests=list(session.scalars(select(Contest).order_by(Contest.id.desc()))),
            banks=list(session.scalars(select(QuestionBank).order_by(QuestionBank.name))),
            games=list(session.scalars(select(Game).order_by(Game.id.desc()).limit(20))),
        ), 400
    return redirect(url_for("live.contests"))


@bp.post("/admin/contests/<int:contest_id>/start")
@host_required
def start_contest(contest_id: int) -> Any:
    contest = db_session().get(Contest, contest_id) or abort(404)
    if not given(contest):
        return not_given()
    try:
        started = _start(contest)
    except ContestError as error:
        return render_template("error.html", status=400, code=error.code, message=error.message), 400
    return redirect(started["host_url"])


@bp.post("/api/games")
@login_required
def api_new_game() -> Any:
    """The organizer API: JSON settings (as ContestSettings) → {pin, host_token, host_url, join_url}."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(protocol.error("bad_request")), 400
    try:
        settings = ContestSettings.parse(data)
        with database().transaction() as session:
            contest = save_contest(session, settings, created_by=g.user.username)
            contest_id = contest.id
        started = _start(db_session().get(Contest, contest_id))
    except ContestError as error:
        return jsonify(
            {"ok": False, "error": {"code": error.code, "message": error.message, "field": error.field}}
        ), 400
    return jsonify({"ok": True, **started}), 201


# -- results -----------------------------------------------------------------------------


@bp.get("/admin/games/<int:game_id>")
@login_required
def game_results(game_id: int) -> Any:
    game = db_session().get(Game, game_id) or abort(404)
    credited = dict(
        db_session()
        .execute(
            select(PointEntry.member_id, func.sum(PointEntry.points))
            .where(PointEntry.source_type == "quiz", PointEntry.source_id == str(game.id))
            .group_by(PointEntry.member_id)
        )
        .all()
    )
    return render_template(
        "live/results.html",
        game=game,
        players=by_rank(game.players),
        accuracy=question_accuracy(game),
        credited=credited,
    )


@bp.post("/admin/games/<int:game_id>/match")
@login_required
def match_players(game_id: int) -> Any:
    """Match players who gave no 工号 to roster members, then credit the game: players
    credited before are not credited again."""
    service = points(current_app)
    problems = []
    with database().transaction() as session:
        game = session.get(Game, game_id) or abort(404)
        by_id = {str(p.id): p for p in game.players}
        for field_name, value in request.form.items():
            if not field_name.startswith("player_") or not value.strip():
                continue
            player = by_id.get(field_name.removeprefix("player_"))
            if player is None or player.member_id is not None:
                continue
            member_no = unicodedata.normalize("NFKC", value).strip()[:32]
            member = session.scalar(select(Member).where(Member.member_no == member_no))
            if member is None:
                problems.append(f"{player.nickname}：没有工号为“{member_no}”的成员")
                continue
            player.member_id, player.member_no = member.id, member.member_no
        session.flush()
        added = service.credit_game(session, game, user_actor(g.user))
    service.publish(added)
    if problems:
        return render_template(
            "error.html",
            status=400,
            code="member_not_found",
            message="；".join(problems) + "。其余已对应并记分。",
        ), 400
    return redirect(url_for("live.game_results", game_id=game_id))


@bp.get("/admin/games/<int:game_id>/results.xlsx")
@login_required
def game_results_xlsx(game_id: int) -> Any:
    game = db_session().get(Game, game_id) or abort(404)
    return send_file(
        io.BytesIO(results_xlsx(game)),
        as_attachment=True,
        download_name=f"比赛结果-{game.pin}-{game.id}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# -- the host's screen and the phone -----------------------------------------------------


@bp.get("/host/<pin>")
def host(pin: str) -> Any:
    """The big screen. The host token travels in the URL fragment, never to the server log."""
    if not protocol.PIN.match(pin):
        abort(404)
    return render_template(
        "live/host.html", pin=pin, join_url=join_url(pin), events=protocol.EVENTS, **wall_config()
    )


@bp.get("/host/<pin>/qr.svg")
def host_qr(pin: str) -> Any:
    if not protocol.PIN.match(pin):
        abort(404)
    buffer = io.BytesIO()
    segno.make(join_url(pin), error="m").save(
        buffer, kind="svg", scale=10, border=2, dark="#000", light="#fff"
    )
    return current_app.response_class(buffer.getvalue(), mimetype="image/svg+xml")


# A PIN typed into the quiz's join page may name a scenario run or a wall: send the phone there.
OTHER_PAGES = {"scenario": "/scenario/{pin}/play", "wall": "/wall/{pin}"}


@bp.get("/play")
@bp.get("/play/<pin>")
def play(pin: str = "") -> Any:
    if pin and not protocol.PIN.match(pin):
        pin = ""
    kind = live_games(current_app).store.pin_kind(pin) if pin else None
    if kind in OTHER_PAGES:
        return redirect(OTHER_PAGES[kind].format(pin=pin))
    return render_template("live/play.html", pin=pin, events=protocol.EVENTS, **wall_config())


@bp.get("/play/<pin>/teams")
def play_teams(pin: str) -> Any:
    """The teams a phone may pick on the join page (public: the PIN is the key)."""
    if not protocol.PIN.match(pin):
        return jsonify(protocol.error("bad_request")), 400
    store = live_games(current_app).store
    kind = store.pin_kind(pin)
    if kind in OTHER_PAGES:
        return jsonify(
            {**protocol.error("game_not_found"), "redirect": OTHER_PAGES[kind].format(pin=pin)}
        ), 404
    if kind is None:
        return jsonify(protocol.error("game_not_found")), 404
    config = store.config(pin)
    return jsonify({"ok": True, "title": config.get("title", ""), "teams": config.get("teams", [])})
