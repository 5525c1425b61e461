"""党建盲盒 pages: a member's "我的盲盒" (login, draw, tasks, proof), the branch review
queue (secretary: own branch only), and the organizer's decks, statistics, login codes and
live draw. The rules live in ``app/blindbox``; these views parse, call and render.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

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
    session,
    url_for,
)
from openpyxl import Workbook
from sqlalchemy import case, func, select

from app import audit
from app.accounts import (
    AccountError,
    LoginThrottle,
    authenticate_member,
    issue_login_code,
    set_member_password,
)
from app.blindbox.deck import DeckError, deck_template_xlsx
from app.blindbox.proof import ProofError, photo_path, store_photo
from app.blindbox.tasks import (
    OPEN,
    STATUS_NAMES,
    TaskError,
    allowance,
    can_submit,
    card_points,
    card_snapshot,
    choose,
    deck_of,
    draw,
    expire_overdue,
    load_deck,
    may_draw,
    may_review,
    review,
    submit,
)
from app.extensions import database, db_session
from app.factory import beijing
from app.models import Branch, Member, TaskDeck, TaskDraw, utcnow
from app.points.service import points
from app.web.auth import login_required, login_throttle, staff_required

bp = Blueprint("boxes", __name__)
F = TypeVar("F", bound=Callable[..., Any])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _uploads() -> Any:
    return current_app.config["ARENA"].uploads_path


# -- the member's session ----------------------------------------------------------------


@bp.before_app_request
def load_member() -> None:
    member_id = session.get("member_id")
    g.member = None
    if member_id is not None:
        g.member = db_session().scalar(select(Member).where(Member.id == member_id, Member.active.is_(True)))


def member_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.member is None:
            if request.is_json or request.path.startswith("/me/api/"):
                return _refusal(TaskError("login_required", "请先登录。", 401))
            return redirect(url_for("boxes.member_login", next=request.path))
        if session.get("must_set_password") and request.endpoint != "boxes.member_password":
            return redirect(url_for("boxes.member_password"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _refusal(problem: TaskError | ProofError) -> Any:
    status = getattr(problem, "status", 400)
    return jsonify(ok=False, error={"code": problem.code, "message": problem.message}), status


@bp.route("/me/login", methods=["GET", "POST"])
def member_login() -> Any:
    error, status = None, 200
    if request.method == "POST":
        number = request.form.get("member_no", "")[:32]

        def check() -> tuple[int, bool] | None:
            with database().transaction() as tx:
                member, used_code = authenticate_member(
                    tx, number, request.form.get("secret", "")[:200], utcnow()
                )
                return (member.id, used_code) if member is not None else None

        signed_in, wait = login_throttle().attempt("member", number, request.remote_addr or "", check)
        if wait:
            error, status = LoginThrottle.message(wait), 429
        elif signed_in is None:
            error, status = "工号或密码（登录码）不正确，或登录码已过期。", 401
        else:
            member_id, used_code = signed_in
            keep = {key: session[key] for key in ("user_id",) if key in session}
            session.clear()
            session.update(keep)
            session["member_id"] = member_id
            if used_code:
                session["must_set_password"] = True
                return redirect(url_for("boxes.member_password"))
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/me/") else url_for("boxes.mine"))
    return render_template("boxes/login.html", error=error), status


@bp.route("/me/password", methods=["GET", "POST"])
@member_required
def member_password() -> Any:
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        try:
            if password != request.form.get("confirm", ""):
                raise AccountError("password_mismatch", "两次输入的密码不一致。")
            with database().transaction() as tx:
                member = tx.get(Member, g.member.id)
                assert member is not None
                set_member_password(member, password)
        except AccountError as problem:
            error = problem
        else:
            session.pop("must_set_password", None)
            return redirect(url_for("boxes.mine"))
    return render_template("boxes/password.html", error=error), (400 if error else 200)


@bp.post("/me/logout")
def member_logout() -> Any:
    session.pop("member_id", None)
    session.pop("must_set_password", None)
    return redirect(url_for("boxes.member_login"))


# -- 我的盲盒 ------------------------------------------------------------------------------


def _rules() -> Any:
    """The points rules, read once per request: a page of cards asks for them per card, and
    each read parses the rules file."""
    if "box_rules" not in g:
        g.box_rules = points(current_app).rules()
    return g.box_rules


def card_view(card: dict[str, Any] | None) -> dict[str, Any]:
    """What a phone may see of a card: everything but the weights of the deck."""
    if card is None:
        return {}
    standard, low, high = card_points(card, _rules())
    return {
        "id": card["id"],
        "title": card["title"],
        "description": card.get("description", ""),
        "category": card.get("category", ""),
        "rarity": card.get("rarity", "普通"),
        "proof": card.get("proof", "text"),
        "points": standard,
        "points_text": f"{standard} 分" if low == high else f"{low}-{high} 分",
    }


def draw_view(row: TaskDraw) -> dict[str, Any]:
    deck = deck_of(row.deck)
    offered = []
    for card_id in row.offered:
        try:
            card = row.card if row.card_id == card_id else card_snapshot(deck.card(card_id), deck)
            offered.append(card_view(card))
        except KeyError:
            continue  # the deck was reloaded without this card; it can no longer be chosen
    return {
        "id": row.id,
        "status": row.status,
        "status_text": STATUS_NAMES.get(row.status, row.status),
        "offered": offered,
        "card": card_view(row.card),
        "due_at": row.due_at.isoformat() + "Z" if row.due_at else None,
        "task_url": url_for("boxes.task", draw_id=row.id) if row.card_id else None,
    }


@bp.get("/me/boxes")
@member_required
def mine() -> Any:
    tx = db_session()
    now = utcnow()
    if expire_overdue(tx, now):
        tx.commit()
    member: Member = g.member
    decks = []
    for row in tx.scalars(select(TaskDeck).where(TaskDeck.active.is_(True)).order_by(TaskDeck.id)):
        deck = deck_of(row)
        try:
            may_draw(row, deck, member.branch)
        except TaskError:
            continue
        decks.append((row, deck, allowance(tx, deck, row.id, member, now)))
    mine_or_branch = (TaskDraw.member_id == member.id) | (
        TaskDraw.member_id.is_(None) & (TaskDraw.branch_id == member.branch_id)
    )
    draws = list(tx.scalars(select(TaskDraw).where(mine_or_branch).order_by(TaskDraw.id.desc()).limit(200)))
    return render_template(
        "boxes/mine.html",
        member=member,
        decks=decks,
        offers=[d for d in draws if d.status == "offered"],
        current=[d for d in draws if d.status in (*OPEN, "submitted")],
        history=[d for d in draws if d.status in ("approved", "expired")],
        card_view=card_view,
        draw_view=draw_view,
        statuses=STATUS_NAMES,
    )


@bp.post("/me/api/decks/<int:deck_id>/draw")
@member_required
def member_draw(deck_id: int) -> Any:
    try:
        with database().transaction() as tx:
            deck_row = tx.get(TaskDeck, deck_id)
            member = tx.get(Member, g.member.id)
            if deck_row is None or member is None:
                raise TaskError("not_found", "盲盒不存在。", 404)
            now = utcnow()
            row, new = draw(tx, deck_row, member=member, now=now)
            payload = draw_view(row)
            left = allowance(tx, deck_of(deck_row), deck_row.id, member, now)
    except TaskError as problem:
        return _refusal(problem)
    return jsonify(ok=True, new=new, draw=payload, allowance={"today": left.today, "week": left.week})


@bp.post("/me/api/draws/<int:draw_id>/choose")
@member_required
def member_choose(draw_id: int) -> Any:
    data = request.get_json(silent=True)
    card_id = str(data.get("card_id", "") if isinstance(data, dict) else "")[:40]  # JSON of any shape
    try:
        with database().transaction() as tx:
            row = tx.get(TaskDraw, draw_id)
            if row is None or row.member_id != g.member.id:
                raise TaskError("not_found", "这次抽取不存在。", 404)
            payload = draw_view(choose(tx, row, card_id, utcnow()))
    except TaskError as problem:
        return _refusal(problem)
    return jsonify(ok=True, draw=payload)


def _own_task(tx: Any, draw_id: int) -> TaskDraw:
    row = tx.get(TaskDraw, draw_id)
    if row is None or row.card_id is None or not can_submit(row, g.member):
        abort(404)
    return row  # type: ignore[no-any-return]


@bp.route("/me/tasks/<int:draw_id>", methods=["GET", "POST"])
@member_required
def task(draw_id: int) -> Any:
    error = None
    if request.method == "POST":
        try:
            upload = request.files.get("photo")
            image = ""
            if upload is not None and upload.filename:
                image = store_photo(upload.read(5 * 1024 * 1024 + 1), _uploads())
            participants = [int(v) for v in request.form.getlist("participants") if v.isdigit()]
            with database().transaction() as tx:
                row = _own_task(tx, draw_id)
                submit(
                    tx,
                    row,
                    g.member,
                    text=request.form.get("text", "")[:2000],
                    image=image,
                    participants=participants,
                    now=utcnow(),
                )
        except (TaskError, ProofError) as problem:
            error = problem
        else:
            return redirect(url_for("boxes.task", draw_id=draw_id, sent=1))
    tx = db_session()
    row = _own_task(tx, draw_id)
    branch_members = []
    if row.member_id is None:
        branch_members = list(
            tx.scalars(
                select(Member)
                .where(Member.branch_id == row.branch_id, Member.active.is_(True))
                .order_by(Member.member_no)
            )
        )
    return render_template(
        "boxes/task.html",
        row=row,
        card=card_view(row.card),
        error=error,
        sent=request.args.get("sent") == "1",
        statuses=STATUS_NAMES,
        branch_members=branch_members,
        editable=row.status in OPEN,
    ), (getattr(error, "status", 400) if error else 200)


# -- proof photos ------------------------------------------------------------------------


@bp.get("/proof/<int:draw_id>/<name>")
def proof_photo(draw_id: int, name: str) -> Any:
    """A proof photo, for its holder, the own branch's secretary and organizers only."""
    row = db_session().get(TaskDraw, draw_id)
    if row is None:
        abort(404)
    names = {row.proof_image, *(r.proof_image for r in row.reviews)}
    allowed = (g.user is not None and may_review(g.user, row)) or (
        g.member is not None and can_submit(row, g.member)
    )
    path = photo_path(_uploads(), name) if name in names else None
    if not allowed or path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the branch's review queue -----------------------------------------------------------


def _reviewable(tx: Any, draw_id: int) -> TaskDraw:
    row = tx.get(TaskDraw, draw_id)
    if row is None or row.card_id is None or not may_review(g.user, row):
        abort(404)  # another branch's task does not exist for a secretary
    return row  # type: ignore[no-any-return]


@bp.get("/admin/boxes/review")
@staff_required
def review_queue() -> Any:
    tx = db_session()
    if expire_overdue(tx, utcnow()):
        tx.commit()
    query = select(TaskDraw).where(TaskDraw.status == "submitted").order_by(TaskDraw.submitted_at)
    recent = select(TaskDraw).where(TaskDraw.status.in_(("approved", "rejected")))
    if g.user.role == "secretary":
        query = query.where(TaskDraw.branch_id == g.user.branch_id)
        recent = recent.where(TaskDraw.branch_id == g.user.branch_id)
    return render_template(
        "boxes/review_queue.html",
        waiting=list(tx.scalars(query)),
        recent=list(tx.scalars(recent.order_by(TaskDraw.id.desc()).limit(30))),
        statuses=STATUS_NAMES,
        card_view=card_view,
    )


@bp.route("/admin/boxes/review/<int:draw_id>", methods=["GET", "POST"])
@staff_required
def review_task(draw_id: int) -> Any:
    error = None
    service = points(current_app)
    if request.method == "POST":
        text = request.form.get("points", "").strip()
        try:
            amount = (
                int(text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))) if text else None
            )
        except ValueError:
            amount = -1  # not a number: out of every card's range
        try:
            with database().transaction() as tx:
                row = _reviewable(tx, draw_id)
                added = review(
                    tx,
                    row,
                    g.user,
                    approve=request.form.get("decision") == "approve",
                    points=amount,
                    comment=request.form.get("comment", "")[:1000],
                    rules=_rules(),
                    now=utcnow(),
                )
                audit.record_review(tx, audit.user_actor(g.user), row, added)
        except TaskError as problem:
            error = problem
        else:
            service.publish(added)
            return redirect(url_for("boxes.review_queue", done=draw_id))
    row = _reviewable(db_session(), draw_id)
    members = {}
    if row.participants:
        members = {
            m.id: m for m in db_session().scalars(select(Member).where(Member.id.in_(row.participants)))
        }
    return render_template(
        "boxes/review.html",
        row=row,
        card=card_view(row.card),
        range=card_points(row.card or {}, _rules()),
        participants=[members[i] for i in row.participants if i in members],
        error=error,
        statuses=STATUS_NAMES,
    ), (getattr(error, "status", 400) if error else 200)


# -- the organizer's decks ---------------------------------------------------------------


@bp.route("/admin/boxes", methods=["GET", "POST"])
@login_required
def decks() -> Any:
    problems: list[tuple[str, str]] = []
    loaded = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems = [("", "请选择一个 YAML 或 Excel 盲盒文件。")]
        else:
            try:
                with database().transaction() as tx:
                    row, _replaced = load_deck(
                        tx,
                        upload.read(),
                        upload.filename,
                        loaded_by=g.user.display_name or g.user.username,
                        now=utcnow(),
                        actor=audit.user_actor(g.user),
                    )
                    loaded = deck_of(row)
            except DeckError as problem:
                problems = problem.problems
    rows = list(db_session().scalars(select(TaskDeck).order_by(TaskDeck.id)))
    return render_template(
        "boxes/decks.html", decks=rows, problems=problems, loaded=loaded, deck_of=deck_of
    ), (400 if problems else 200)


@bp.get("/admin/boxes/template.xlsx")
@login_required
def deck_template() -> Any:
    return send_file(
        io.BytesIO(deck_template_xlsx()), as_attachment=True, download_name="党建盲盒模板.xlsx", mimetype=XLSX
    )


def _statistics(tx: Any, deck_id: int) -> dict[str, Any]:
    """Draws and completion by branch and by card (completion: approved of the tasks taken)."""
    approved = func.sum(case((TaskDraw.status == "approved", 1), else_=0))
    submitted = func.sum(case((TaskDraw.status.in_(("submitted", "approved", "rejected")), 1), else_=0))
    expired = func.sum(case((TaskDraw.status == "expired", 1), else_=0))
    tasks = func.count(TaskDraw.card_id)
    base = select(TaskDraw).where(TaskDraw.deck_id == deck_id).subquery()

    def rate(done: int, total: int) -> float:
        return round(done / total, 4) if total else 0.0

    by_branch = []
    for name, draws, taken, sent, done, lapsed in tx.execute(
        select(Branch.name, func.count(TaskDraw.id), tasks, submitted, approved, expired)
        .join(TaskDraw, TaskDraw.branch_id == Branch.id)
        .where(TaskDraw.deck_id == deck_id)
        .group_by(Branch.name)
        .order_by(Branch.name)
    ):
        by_branch.append(
            {
                "branch": name,
                "draws": draws,
                "tasks": taken,
                "submitted": int(sent or 0),
                "approved": int(done or 0),
                "expired": int(lapsed or 0),
                "rate": rate(int(done or 0), taken),
            }
        )
    by_card = {}
    for card_id, taken, done in tx.execute(
        select(TaskDraw.card_id, func.count(TaskDraw.id), approved)
        .where(TaskDraw.deck_id == deck_id, TaskDraw.card_id.is_not(None))
        .group_by(TaskDraw.card_id)
    ):
        by_card[card_id] = {"tasks": taken, "approved": int(done or 0), "rate": rate(int(done or 0), taken)}
    total_draws, total_tasks, total_done = tx.execute(
        select(
            func.count(base.c.id),
            func.count(base.c.card_id),
            func.sum(case((base.c.status == "approved", 1), else_=0)),
        )
    ).one()
    return {
        "draws": total_draws,
        "tasks": total_tasks,
        "approved": int(total_done or 0),
        "rate": rate(int(total_done or 0), total_tasks),
        "by_branch": by_branch,
        "by_card": by_card,
    }


@bp.get("/admin/boxes/<int:deck_id>")
@login_required
def deck_page(deck_id: int) -> Any:
    tx = db_session()
    row = tx.get(TaskDeck, deck_id) or abort(404)
    if expire_overdue(tx, utcnow()):
        tx.commit()
    return render_template("boxes/deck.html", row=row, deck=deck_of(row), stats=_statistics(tx, deck_id))


@bp.post("/admin/boxes/<int:deck_id>/active")
@login_required
def deck_active(deck_id: int) -> Any:
    with database().transaction() as tx:
        row = tx.get(TaskDeck, deck_id) or abort(404)
        row.active = request.form.get("active") == "1"
    return redirect(url_for("boxes.deck_page", deck_id=deck_id))


@bp.get("/admin/boxes/<int:deck_id>/live")
@login_required
def live(deck_id: int) -> Any:
    tx = db_session()
    row = tx.get(TaskDeck, deck_id) or abort(404)
    last = tx.scalar(
        select(TaskDraw)
        .where(TaskDraw.deck_id == deck_id, TaskDraw.live.is_(True))
        .order_by(TaskDraw.id.desc())
    )
    return render_template(
        "boxes/live.html",
        row=row,
        branches=list(tx.scalars(select(Branch).order_by(Branch.name))),
        last=_live_view(last) if last is not None else None,
    )


def _live_view(row: TaskDraw) -> dict[str, Any]:
    holder = row.member.name if row.member is not None else f"{row.branch.name}（全支部）"
    return {**draw_view(row), "holder": holder, "branch": row.branch.name}


@bp.post("/admin/api/boxes/<int:deck_id>/live-draw")
@login_required
def live_draw(deck_id: int) -> Any:
    """The host draws for a branch or a member on the big screen: recorded, then revealed."""
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}  # a list, a number, true: no branch, no member
    try:
        with database().transaction() as tx:
            deck_row = tx.get(TaskDeck, deck_id)
            if deck_row is None:
                raise TaskError("not_found", "盲盒不存在。", 404)
            member = branch = None
            number = unicodedata.normalize("NFKC", str(data.get("member_no", ""))).strip()[:32]
            if number:
                member = tx.scalar(select(Member).where(Member.member_no == number, Member.active.is_(True)))
                if member is None:
                    raise TaskError("member_not_found", f"找不到工号为 {number} 的成员。", 404)
            elif str(data.get("branch_id", "")).isdigit():
                branch = tx.get(Branch, int(data["branch_id"]))
            if member is None and branch is None:
                raise TaskError("bad_request", "请选择一个支部，或输入成员工号。")
            row, _new = draw(
                tx,
                deck_row,
                member=member,
                branch=branch,
                now=utcnow(),
                drawn_by=g.user.display_name or g.user.username,
            )
            payload = _live_view(row)
    except TaskError as problem:
        return _refusal(problem)
    return jsonify(ok=True, draw=payload)


# -- members' login codes ----------------------------------------------------------------


@bp.route("/admin/boxes/codes", methods=["GET", "POST"])
@login_required
def login_codes() -> Any:
    """Issue login codes for a branch (an XLSX to print and hand out) or for one member."""
    tx = db_session()
    error = issued = None
    if request.method == "POST":
        number = request.form.get("member_no", "").strip()[:32]
        branch_id = request.form.get("branch", "")
        with database().transaction() as write:
            query = select(Member).where(Member.active.is_(True)).order_by(Member.member_no)
            if number:
                query = query.where(Member.member_no == number)
            elif branch_id.isdigit():
                query = query.where(Member.branch_id == int(branch_id))
                if request.form.get("all") != "1":
                    query = query.where(Member.password_hash.is_(None))
            else:
                query = query.where(False)
            now = utcnow()
            rows = [(m, issue_login_code(m, now)) for m in write.scalars(query)]
            codes = [
                (m.member_no, m.name, m.branch.name, code, beijing(m.login_code_expires)) for m, code in rows
            ]
            audit.record_login_codes(write, audit.user_actor(g.user), [m for m, _code in rows])
        if not codes:
            error = "没有找到需要发放登录码的成员。"
        elif number:
            issued = codes[0]
        else:
            book = Workbook()
            sheet = book.active
            sheet.title = "登录码"
            sheet.append(["工号", "姓名", "支部", "登录码", "有效期至（北京时间）"])
            for line in codes:
                sheet.append(list(line))
            body = io.BytesIO()
            book.save(body)
            body.seek(0)
            return send_file(
                body, as_attachment=True, download_name=f"盲盒登录码-{codes[0][2]}.xlsx", mimetype=XLSX
            )
    return render_template(
        "boxes/codes.html",
        branches=list(tx.scalars(select(Branch).order_by(Branch.name))),
        error=error,
        issued=issued,
    ), (400 if error else 200)
