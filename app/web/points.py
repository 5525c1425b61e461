"""Points pages: overview and export (organizer and branch secretary), a member's ledger
with manual entries, the rules editor, and the big-screen season board (``/board``).

A branch secretary (role ``secretary``) sees only the own branch: the branch filter is
forced, and members of other branches are 404 to them.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from sqlalchemy import func, select

from app import audit
from app.extensions import database, db_session
from app.models import Branch, Member, PointEntry, utcnow
from app.points.export import ColumnsError, apply_columns, assessment, to_csv, to_xlsx
from app.points.ledger import LedgerError, manual_entry, member_ledger
from app.points.periods import SCOPE_NAMES, PeriodError, parse_period, period_of
from app.points.rules import RulesError
from app.points.service import points
from app.web.auth import login_required, staff_required

bp = Blueprint("points", __name__)
MAX_COLUMNS_FILE = 64 * 1024


def _own_branch() -> int | None:
    """The branch a secretary is limited to (None for an organizer: every branch)."""
    return g.user.branch_id if g.user.role == "secretary" else None


def _period_arg(default_scope: str = "month") -> Any:
    text = (request.values.get("period") or "").strip()
    return parse_period(text) if text else period_of(default_scope, utcnow())


@bp.get("/admin/points")
@staff_required
def overview() -> Any:
    session = db_session()
    error = None
    try:
        period = _period_arg()
    except PeriodError as problem:
        error, period = problem, period_of("month", utcnow())
    branch_id = _own_branch()
    if branch_id is None and request.args.get("branch", "").isdigit():
        branch_id = int(request.args["branch"])
    report = assessment(session, points(current_app).rules(), period, branch_id)
    return render_template(
        "points/overview.html",
        period=period,
        report=report,
        error=error,
        branch_id=branch_id,
        branches=list(session.scalars(select(Branch).order_by(Branch.name))),
        members={m.member_no: m.id for m in session.scalars(select(Member))},
        secretary=_own_branch() is not None,
    ), (400 if error else 200)


@bp.post("/admin/points/export")
@staff_required
def export() -> Any:
    try:
        period = _period_arg()
    except PeriodError as problem:
        return render_template("error.html", status=400, code=problem.code, message=problem.message), 400
    branch_id = _own_branch()
    if branch_id is None and request.form.get("branch", "").isdigit():
        branch_id = int(request.form["branch"])
    report = assessment(db_session(), points(current_app).rules(), period, branch_id)
    upload = request.files.get("columns")
    if upload is not None and upload.filename:
        data = upload.read(MAX_COLUMNS_FILE + 1)
        try:
            if len(data) > MAX_COLUMNS_FILE:
                raise ColumnsError("列设置文件超过 64 KB。")
            report = apply_columns(report, data)
        except ColumnsError as problem:
            return render_template("error.html", status=400, code=problem.code, message=problem.message), 400
    branch = db_session().get(Branch, branch_id) if branch_id else None
    name = f"积分考核-{period.key}{'-' + branch.name if branch else ''}"
    if request.form.get("format") == "csv":
        body, mimetype, name = to_csv(report), "text/csv; charset=utf-8", name + ".csv"
    else:
        body = to_xlsx(report)
        mimetype, name = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx"
    import io

    return send_file(io.BytesIO(body), as_attachment=True, download_name=name, mimetype=mimetype)


def _member_or_404(member_id: int) -> Member:
    member = db_session().get(Member, member_id)
    own = _own_branch()
    if member is None or (own is not None and member.branch_id != own):
        abort(404)
    return member


@bp.get("/admin/points/members/<int:member_id>")
@staff_required
def member(member_id: int, error: LedgerError | None = None, status: int = 200) -> Any:
    person = _member_or_404(member_id)
    period = None
    if request.args.get("period"):
        try:
            period = parse_period(request.args["period"])
        except PeriodError:
            period = None
    lines = member_ledger(db_session(), person.id, period)
    return render_template(
        "points/member.html",
        member=person,
        lines=lines,
        period=period,
        rules=points(current_app).rules(),
        request_id=secrets.token_hex(8),
        error=error,
        corrects=request.args.get("corrects", ""),
        can_edit=_own_branch() is None,
    ), status


@bp.post("/admin/points/members/<int:member_id>")
@login_required
def add_entry(member_id: int) -> Any:
    """A manual award, deduction or correction; the form's request id makes a double
    submission count once."""
    form = request.form
    try:
        amount = int(str(form.get("points", "")).strip().replace("＋", "+").replace("－", "-"))
    except ValueError:
        amount = 0
    request_id = "".join(ch for ch in form.get("request_id", "") if ch.isalnum())[:32]
    try:
        if not request_id:
            raise LedgerError("bad_request", "表单已失效，请刷新页面后重试。")
        with database().transaction() as session:
            person = session.get(Member, member_id) or abort(404)
            corrects = None
            if form.get("corrects", "").isdigit():
                corrects = session.get(PointEntry, int(form["corrects"]))
                if corrects is None or corrects.member_id != person.id:
                    raise LedgerError("bad_request", "要更正的积分记录不存在。", "corrects")
            entry = manual_entry(
                session,
                person,
                points=amount,
                category=form.get("category", ""),
                reason=form.get("reason", ""),
                created_by=g.user.display_name or g.user.username,
                request_id=request_id,
                rules=points(current_app).rules(),
                corrects=corrects,
            )
            if entry is not None:
                audit.record_manual(session, audit.user_actor(g.user), entry, person)
    except LedgerError as problem:
        return member(member_id, error=problem, status=400)
    if entry is not None:
        points(current_app).publish([entry])
    return redirect(url_for("points.member", member_id=member_id))


@bp.route("/admin/points/rules", methods=["GET", "POST"])
@login_required
def rules() -> Any:
    service = points(current_app)
    error, saved, text = None, False, service.rules_text()
    if request.method == "POST":
        before, text = text, request.form.get("rules", "")
        try:
            with database().transaction() as session:
                if text != before:
                    audit.record_rules(session, audit.user_actor(g.user), before, text)
                    session.flush()  # a failing audit write fails here, before the file is replaced
                service.save_rules(text)
            saved = True
        except RulesError as problem:
            error = problem
    return render_template("points/rules.html", text=text, error=error, saved=saved), (400 if error else 200)


@bp.get("/board")
@staff_required
def board() -> Any:
    """The season board for a big screen: top members and every branch, by average points
    per member and by participation rate (members counted as in the export)."""
    scope = request.args.get("scope", "month")
    if scope not in ("week", "month", "quarter", "year"):
        scope = "month"
    period = period_of(scope, utcnow())
    service = points(current_app)
    rules = service.rules()
    session = db_session()
    store = service.store
    top = store.top_members(period.key, 10)
    people = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_([m for m, _ in top])))}
    totals = store.branch_totals(period.key)
    participants = store.participants(period.key)
    counts = dict(
        session.execute(
            select(Member.branch_id, func.count(Member.id))
            .where(Member.active.is_(True), Member.member_type.in_(rules.assessed))
            .group_by(Member.branch_id)
        ).all()
    )
    assessed = {
        m.id: m.branch_id
        for m in session.scalars(
            select(Member).where(Member.active.is_(True), Member.member_type.in_(rules.assessed))
        )
    }
    rows = []
    for branch in session.scalars(select(Branch).order_by(Branch.name)):
        members = counts.get(branch.id, 0)
        joined = sum(1 for member_id in participants if assessed.get(member_id) == branch.id)
        rows.append(
            {
                "name": branch.name,
                "members": members,
                "total": totals.get(branch.id, 0),
                "average": round(totals.get(branch.id, 0) / members, 1) if members else 0.0,
                "rate": joined / members if members else 0.0,
            }
        )
    return render_template(
        "points/board.html",
        period=period,
        scope=scope,
        scopes=SCOPE_NAMES,
        top=[(people[m], score) for m, score in top if m in people],
        by_average=sorted(rows, key=lambda r: (-r["average"], r["name"])),
        by_rate=sorted(rows, key=lambda r: (-r["rate"], r["name"])),
    )
