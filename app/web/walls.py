"""Pages of the danmaku wall: the organizer's walls, word list and export; the phone page
of a standalone wall, the full-screen wall, the moderation page and their QR codes."""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from openpyxl import Workbook
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app import audit
from app.danmaku import protocol
from app.danmaku.wordfilter import normalise
from app.extensions import database, db_session
from app.live import protocol as live_protocol
from app.models import FilterWord, ModerationEntry, WallMessage, WallQuestion
from app.realtime import danmaku_walls
from app.web.auth import login_required
from app.web.hosting import host_id_from_form
from app.web.scenario import _public_base
from question_bank.errors import BankFileError
from question_bank.normalize import neutralise
from question_bank.readers import decode_text

bp = Blueprint("walls", __name__)

MAX_WORDS = 5000
MAX_WORD = 40
MAX_LIST_BYTES = 512 * 1024
STATUS_NAMES = {
    "shown": "已上墙",
    "approved": "审核通过",
    "removed": "已撤下",
    "rejected": "审核拒绝",
    "blocked": "敏感词拦截",
    "pending": "待审核",
}


def _pin(pin: str) -> str:
    if not live_protocol.PIN.match(pin):
        abort(404)
    return pin


def _qr(url: str) -> Any:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=2, dark="#000", light="#fff")
    return current_app.response_class(buffer.getvalue(), mimetype="image/svg+xml")


def _log(session: Session, action: str, target: str, added: list[str], removed: list[str]) -> None:
    """A word list change in the moderation log and the audit log, in the change's transaction."""
    session.add(ModerationEntry(wall_key="", pin="", action=action, target=target, actor=g.user.username))
    audit.record_words(session, audit.user_actor(g.user), added, removed)


# -- organizer: walls, the word list, exports ----------------------------------------------------------


def _page(message: str = "", problem: str = "", status: int = 200) -> Any:
    session = db_session()
    words = list(session.scalars(select(FilterWord).order_by(FilterWord.word)))
    walls = session.execute(
        select(WallMessage.wall_key, WallMessage.pin, func.count(), func.min(WallMessage.created_at))
        .group_by(WallMessage.wall_key, WallMessage.pin)
        .order_by(func.min(WallMessage.created_at).desc())
        .limit(50)
    ).all()
    return render_template(
        "walls/admin.html", words=words, walls=walls, message=message, problem=problem, modes=protocol.MODES
    ), status


@bp.get("/admin/walls")
@login_required
def admin() -> Any:
    return _page()


@bp.post("/admin/walls")
@login_required
def create_wall() -> Any:
    title = " ".join(str(request.form.get("title", "")).split())[:40] or "弹幕墙"
    mode = request.form.get("mode", "auto")
    if mode not in protocol.MODES:
        return _page(problem="请选择审核方式。", status=400)
    host_user = host_id_from_form(request.form.get("host_id"))
    pin, token = danmaku_walls(current_app).store.create_standalone(title, mode, host_user)
    return redirect(url_for("walls.moderate", pin=pin) + f"#token={token}")


def _add_words(words: list[str]) -> tuple[int, list[str]]:
    """Add new words (existing ones and blanks skipped); returns (added, refused)."""
    refused = [word for word in words if len(word) > MAX_WORD or not normalise(word)]
    wanted = {word: normalise(word) for word in words if word not in refused}
    with database().transaction() as session:
        known = {normalise(word) for word in session.scalars(select(FilterWord.word))}
        if len(known) + len(wanted) > MAX_WORDS:
            raise ValueError(f"词表最多 {MAX_WORDS} 个词。")
        added = []
        for word, key in wanted.items():
            if key in known:
                continue
            known.add(key)
            session.add(FilterWord(word=word, added_by=g.user.username))
            added.append(word)
        if added:
            _log(session, "word_add", f"{len(added)} 个词", added, [])
    if added:
        danmaku_walls(current_app).words_changed()
    return len(added), refused


def _split(text: str) -> list[str]:
    return [
        " ".join(part.split())
        for part in text.replace("，", ",").replace(",", "\n").splitlines()
        if part.strip()
    ]


@bp.post("/admin/walls/words")
@login_required
def add_words() -> Any:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_LIST_BYTES + 1)
        if len(data) > MAX_LIST_BYTES:
            return _page(problem=f"词表文件超过 {MAX_LIST_BYTES // 1024} KB。", status=400)
        try:
            text = decode_text(data)
        except BankFileError:
            return _page(problem="词表文件应为 UTF-8 或 GBK 编码的文本，每行一个词。", status=400)
    else:
        text = str(request.form.get("words", ""))
    words = _split(text)
    if not words:
        return _page(problem="请填写要屏蔽的词（每行一个，或用逗号分隔）。", status=400)
    try:
        added, refused = _add_words(words)
    except ValueError as error:
        return _page(problem=str(error), status=400)
    note = f"已加入 {added} 个词。" + (f"{len(refused)} 个词过长或没有文字，未加入。" if refused else "")
    return _page(message=note)


@bp.post("/admin/walls/words/<int:word_id>/delete")
@login_required
def remove_word(word_id: int) -> Any:
    with database().transaction() as session:
        word = session.get(FilterWord, word_id)
        if word is None:
            abort(404)
        text = word.word
        session.execute(delete(FilterWord).where(FilterWord.id == word_id))
        _log(session, "word_remove", text, [], [text])
    danmaku_walls(current_app).words_changed()
    return redirect(url_for("walls.admin"))


@bp.get("/admin/walls/export.xlsx")
@login_required
def export() -> Any:
    wall_key = str(request.args.get("wall", ""))
    session = db_session()
    messages = list(
        session.scalars(select(WallMessage).where(WallMessage.wall_key == wall_key).order_by(WallMessage.id))
    )
    if not messages and not session.scalar(select(func.count()).where(WallQuestion.wall_key == wall_key)):
        abort(404)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "弹幕"
    sheet.append(["编号", "时间（UTC）", "昵称", "内容", "颜色", "状态"])
    for message in messages:
        if message.status in ("shown", "approved", "removed"):
            sheet.append(
                [
                    int(message.message_id),
                    message.created_at,
                    neutralise(message.nickname),
                    neutralise(message.text),
                    message.color,
                    STATUS_NAMES[message.status],
                ]
            )
    questions = workbook.create_sheet("提问")
    questions.append(["编号", "时间（UTC）", "昵称", "问题", "点赞", "状态"])
    for question in session.scalars(
        select(WallQuestion)
        .where(WallQuestion.wall_key == wall_key)
        .order_by(WallQuestion.votes.desc(), WallQuestion.id)
    ):
        questions.append(
            [
                int(question.question_id),
                question.created_at,
                neutralise(question.nickname),
                neutralise(question.text),
                question.votes,
                {"open": "待回答", "answered": "已回答", "hidden": "已隐藏"}[question.state],
            ]
        )
    log = workbook.create_sheet("审核记录")
    log.append(["时间（UTC）", "操作", "对象", "内容", "操作人"])
    for entry in session.scalars(
        select(ModerationEntry).where(ModerationEntry.wall_key == wall_key).order_by(ModerationEntry.id)
    ):
        log.append([entry.at, entry.action, entry.target, neutralise(entry.detail), entry.actor])
    blocked = workbook.create_sheet("拦截与拒绝")
    blocked.append(["编号", "时间（UTC）", "昵称", "内容", "状态"])
    for message in messages:
        if message.status in ("blocked", "rejected", "pending"):
            blocked.append(
                [
                    int(message.message_id),
                    message.created_at,
                    neutralise(message.nickname),
                    neutralise(message.text),
                    STATUS_NAMES[message.status],
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    pin = wall_key.split(":")[0]
    return send_file(
        buffer,
        as_attachment=True,
        download_name=f"弹幕墙-{pin}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# -- phones, the screen, moderators ------------------------------------------------------------------------


def _live_page(template: str, pin: str, **context: Any) -> Any:
    return render_template(template, pin=_pin(pin), events=protocol.EVENTS, colors=protocol.COLORS, **context)


@bp.get("/wall/<pin>")
def phone(pin: str) -> Any:
    return _live_page("walls/phone.html", pin)


@bp.get("/wall/<pin>/screen")
def screen(pin: str) -> Any:
    return _live_page("walls/screen.html", pin, join_url=f"{_public_base()}/wall/{pin}")


@bp.get("/wall/<pin>/moderate")
def moderate(pin: str) -> Any:
    return _live_page("walls/moderate.html", pin, join_url=f"{_public_base()}/wall/{pin}")


@bp.get("/wall/<pin>/qr.svg")
def join_qr(pin: str) -> Any:
    return _qr(f"{_public_base()}/wall/{_pin(pin)}")


@bp.get("/wall/<pin>/moderator-qr.svg")
def moderator_qr(pin: str) -> Any:
    """The moderation page's QR code, for a moderator's phone; only for a valid moderator token."""
    token = str(request.args.get("token", ""))
    if danmaku_walls(current_app).role_of(_pin(pin), token) != "moderator":
        abort(404)
    return _qr(f"{_public_base()}/wall/{pin}/moderate#token={token}")
