"""Organizer pages: question banks (upload with report, list, search, export), the import
template, and the member roster. Views gather data from the services and render it.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, send_file

from app import banks as bank_service
from app import roster as roster_service
from app.audit import user_actor
from app.extensions import database, db_session
from app.models import QuestionBank
from app.web.auth import login_required
from question_bank import TYPE_LABELS, template_xlsx, to_csv, to_json, to_xlsx, to_yaml

bp = Blueprint("admin", __name__, url_prefix="/admin")

EXPORTS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "yaml": "application/x-yaml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
PER_PAGE = 50


@bp.app_template_filter("type_label")
def type_label(value: str) -> str:
    return TYPE_LABELS.get(value, value)


@bp.app_template_filter("answer_label")
def answer_label(question: Any) -> str:
    return question.to_bank_question().answer_text().replace("|", " | ")


def _upload() -> tuple[bytes, str] | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    return upload.read(), upload.filename


def _max_bytes() -> int:
    return current_app.config["ARENA"].max_upload_bytes  # type: ignore[no-any-return]


@bp.get("/")
@bp.get("/banks")
@login_required
def banks() -> Any:
    return render_template("admin/banks.html", banks=bank_service.list_banks(db_session()))


@bp.post("/banks/upload")
@login_required
def upload_bank() -> Any:
    bank_name = request.form.get("bank", "")
    upload = _upload()
    if upload is None:
        outcome = bank_service.ImportOutcome(
            None, bank_name, error_code="file_required", error_message="请选择要上传的题库文件。"
        )
    else:
        data, filename = upload
        outcome = bank_service.import_file(
            database(), data, filename, bank_name, max_bytes=_max_bytes(), actor=user_actor(g.user)
        )
    bank = bank_service.find_bank(db_session(), outcome.bank_name) if outcome.bank_name else None
    status = 200 if outcome.ok else (500 if outcome.error_code == "import_failed" else 400)
    return render_template("admin/import_report.html", outcome=outcome, bank=bank), status


@bp.get("/banks/<int:bank_id>")
@login_required
def bank(bank_id: int) -> Any:
    session = db_session()
    found = session.get(QuestionBank, bank_id) or abort(404)
    text = request.args.get("q", "")[:100]
    tag = request.args.get("tag", "")[:40]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    questions, total = bank_service.search_questions(
        session, bank_id, text=text, tag=tag, page=page, per_page=PER_PAGE
    )
    return render_template(
        "admin/bank.html",
        bank=found,
        questions=questions,
        total=total,
        text=text,
        tag=tag,
        tags=bank_service.bank_tags(session, bank_id),
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
    )


@bp.get("/banks/<int:bank_id>/export.<fmt>")
@login_required
def export_bank(bank_id: int, fmt: str) -> Any:
    if fmt not in EXPORTS:
        abort(404)
    session = db_session()
    found = session.get(QuestionBank, bank_id) or abort(404)
    questions = bank_service.bank_questions(session, found)
    writers = {
        "xlsx": lambda: to_xlsx(questions),
        "csv": lambda: to_csv(questions),
        "yaml": lambda: to_yaml(questions, name=found.name, description=found.description),
        "json": lambda: to_json(questions, name=found.name, description=found.description),
    }
    stamp = dt.date.today().strftime("%Y%m%d")
    return send_file(
        BytesIO(writers[fmt]()),
        mimetype=EXPORTS[fmt],
        as_attachment=True,
        download_name=f"{found.name}-{stamp}.{fmt}",
    )


@bp.get("/template.xlsx")
@login_required
def template() -> Any:
    return send_file(
        BytesIO(template_xlsx()),
        mimetype=EXPORTS["xlsx"],
        as_attachment=True,
        download_name="题库导入模板.xlsx",
    )


@bp.route("/roster", methods=["GET", "POST"])
@login_required
def roster_page() -> Any:
    outcome = None
    status = 200
    if request.method == "POST":
        upload = _upload()
        if upload is None:
            outcome = roster_service.RosterOutcome(
                None, error_code="file_required", error_message="请选择要上传的花名册文件。"
            )
        else:
            outcome = roster_service.load_roster(
                database(), *upload, max_bytes=_max_bytes(), actor=user_actor(g.user)
            )
        status = 200 if outcome.ok else (500 if outcome.error_code == "import_failed" else 400)
    return render_template(
        "admin/roster.html", outcome=outcome, branches=roster_service.branch_summary(db_session())
    ), status
