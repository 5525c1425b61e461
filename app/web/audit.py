"""The audit log viewer (审计日志, docs/AUDIT.md): organizers only, newest first, filtered by
category, actor and Beijing dates, 100 lines a page, and the filtered view as Excel.
Read-only: no route changes or deletes a line."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from flask import Blueprint, render_template, request, send_file

from app import audit
from app.extensions import db_session
from app.models import AuditEntry
from app.web.auth import login_required

bp = Blueprint("audit", __name__)
PER_PAGE = 100
MAX_EXPORT = 50_000  # lines in one Excel file, newest first
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/admin/audit")
@login_required
def log() -> Any:
    session = db_session()
    error = None
    try:
        filters = audit.Filters.parse(request.args)
    except audit.FilterError as problem:
        error, filters = problem, audit.Filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entries, total = ([], 0) if error else audit.page_of(session, filters, page, PER_PAGE)
    return render_template(
        "admin/audit.html",
        entries=[(entry, _detail(entry)) for entry in entries],
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        filters=filters,
        args=filters.args(),
        error=error,
        categories=audit.CATEGORIES,
        roles=audit.ROLE_NAMES,
        actors=audit.actors(session),
    ), (400 if error else 200)


@bp.get("/admin/audit/export.xlsx")
@login_required
def export() -> Any:
    try:
        filters = audit.Filters.parse(request.args)
    except audit.FilterError as problem:
        return render_template("error.html", status=400, code=problem.code, message=problem.message), 400
    query = filters.query().order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(MAX_EXPORT)
    body = audit.to_xlsx(db_session().scalars(query))
    return send_file(BytesIO(body), as_attachment=True, download_name="审计日志.xlsx", mimetype=XLSX)


def _detail(entry: AuditEntry) -> str:
    return json.dumps(entry.detail, ensure_ascii=False, indent=1) if entry.detail else ""
