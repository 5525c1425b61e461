"""Durable truth (DESIGN §3): SQLAlchemy 2.0 typed models. Schema changes go through the
Alembic migrations in ``app/migrations``; a test checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from question_bank import Question as BankQuestion


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Branch(Base):
    """A party branch (党支部): the team members play for and the unit of assessment."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="branch")


class Member(Base):
    """A person on the roster, identified across activities by ``member_no`` (工号)."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    member_no: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    # 正式党员 / 预备党员 / 入党积极分子 / 群众: assessments count them differently.
    member_type: Mapped[str] = mapped_column(String(12), default="正式党员", server_default="正式党员")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A member logs in (我的盲盒) with member_no and a login code the organizer issued,
    # used once to set a password of their own (docs/BLINDBOX.md). Both stored hashed.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    login_code_hash: Mapped[str | None] = mapped_column(String(255))
    login_code_expires: Mapped[dt.datetime | None]

    branch: Mapped[Branch] = relationship(back_populates="members")


class QuestionBank(Base):
    __tablename__ = "question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="bank", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(Base):
    """One question of a bank, in the canonical shape of DESIGN §6."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("bank_id", "fingerprint", name="uq_question_bank_fingerprint"),
        Index("ix_question_bank_position", "bank_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id", ondelete="CASCADE"))
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[Any] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int | None]
    time_limit: Mapped[int | None]
    difficulty: Mapped[int | None]
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "|党章|总纲|": lets a tag be searched with LIKE on SQLite and PostgreSQL alike.
    tag_index: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str] = mapped_column(String(64), default="")
    fingerprint: Mapped[str] = mapped_column(String(64))
    origin_file: Mapped[str] = mapped_column(String(255), default="")
    origin_row: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")

    @classmethod
    def from_bank_question(cls, question: BankQuestion, *, position: int) -> Question:
        origin = question.origin
        return cls(
            position=position,
            type=question.type,
            stem=question.stem,
            options=list(question.options),
            answer=question.answer,
            explanation=question.explanation,
            points=question.points,
            time_limit=question.time_limit,
            difficulty=question.difficulty,
            tags=list(question.tags),
            tag_index="".join(f"|{tag}" for tag in question.tags) + "|",
            source=question.source,
            media=question.media,
            external_id=question.id,
            fingerprint=question.fingerprint,
            origin_file=origin.file if origin else "",
            origin_row=origin.row if origin else None,
        )

    def to_bank_question(self) -> BankQuestion:
        return BankQuestion(
            type=self.type,
            stem=self.stem,
            options=list(self.options),
            answer=self.answer,
            explanation=self.explanation,
            points=self.points,
            time_limit=self.time_limit,
            difficulty=self.difficulty,
            tags=list(self.tags),
            source=self.source,
            media=self.media,
            id=self.external_id,
        )


class User(Base):
    """A staff account: organizer, host or branch secretary (docs/SECURITY.md)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="organizer")  # or "host", "secretary"
    # A branch secretary (支部书记) sees and exports only this branch.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Contest(Base):
    """An organizer's prepared quiz: which questions, and how the game is played and scored."""

    __tablename__ = "contest"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(40), default="")
    # The host account the contest is given to: they may start it (docs/SECURITY.md).
    host_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    games: Mapped[list[Game]] = relationship(back_populates="contest")
    host: Mapped[User | None] = relationship()


class Game(Base):
    """A finished live game, written in one transaction when it ends (survives a Redis flush)."""

    __tablename__ = "game"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<pin>:<created_ms>": a PIN is reused over time, this pair never is; finishing twice
    # finds the row and writes nothing.
    live_key: Mapped[str] = mapped_column(String(40), unique=True)
    pin: Mapped[str] = mapped_column(String(6))
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contest.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    teams: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    questions_played: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    contest: Mapped[Contest | None] = relationship(back_populates="games")
    players: Mapped[list[GamePlayer]] = relationship(
        back_populates="game", order_by="GamePlayer.rank", cascade="all, delete-orphan"
    )
    answers: Mapped[list[GameAnswer]] = relationship(back_populates="game", cascade="all, delete-orphan")


class GamePlayer(Base):
    __tablename__ = "game_player"
    __table_args__ = (UniqueConstraint("game_id", "player_key", name="uq_game_player"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    player_key: Mapped[str] = mapped_column(String(64))
    nickname: Mapped[str] = mapped_column(String(40))
    team: Mapped[str] = mapped_column(String(60))
    member_no: Mapped[str] = mapped_column(String(32), default="")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    score: Mapped[int] = mapped_column(default=0)
    correct_count: Mapped[int] = mapped_column(default=0)
    correct_time_ms: Mapped[int] = mapped_column(default=0)
    answered_count: Mapped[int] = mapped_column(default=0)
    rank: Mapped[int | None]
    kicked: Mapped[bool] = mapped_column(default=False)

    game: Mapped[Game] = relationship(back_populates="players")
    member: Mapped[Member | None] = relationship()


class GameAnswer(Base):
    __tablename__ = "game_answer"
    __table_args__ = (UniqueConstraint("game_id", "player_key", "question_index", name="uq_game_answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    player_key: Mapped[str] = mapped_column(String(64))
    question_index: Mapped[int]
    choice: Mapped[Any] = mapped_column(JSON)
    correct: Mapped[bool]
    points: Mapped[int]
    elapsed_ms: Mapped[int]

    game: Mapped[Game] = relationship(back_populates="answers")


class PointEntry(Base):
    """One line of the append-only points ledger (积分). Never updated or deleted: a
    correction is a new entry that names the one it corrects.

    ``idempotency_key`` is ``source_type:source_id:member_id:rule``: crediting the same game,
    task or form twice finds the key and adds nothing.
    """

    __tablename__ = "point_entry"
    __table_args__ = (Index("ix_point_entry_member_time", "member_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)  # at the time
    member_type: Mapped[str] = mapped_column(String(12))  # at the time
    kind: Mapped[str] = mapped_column(String(12))  # base 基础分 | award 加分 | deduction 扣分
    category: Mapped[str] = mapped_column(String(20))
    source_type: Mapped[str] = mapped_column(String(20))  # quiz | scenario | task | manual | base
    source_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(40))
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)  # UTC
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(40), default="")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("point_entry.id"))

    member: Mapped[Member] = relationship()
    branch: Mapped[Branch] = relationship()


class Scenario(Base):
    """A role-play scenario file (红色剧本杀) as loaded and checked; a later load of the same
    ``slug`` replaces the text, runs keep what they were started with."""

    __tablename__ = "scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(Text)
    review_status: Mapped[str] = mapped_column(String(10))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(40), default="")
    # The host account the scenario is given to: they may open runs of it.
    host_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    runs: Mapped[list[ScenarioRun]] = relationship(back_populates="scenario", order_by="ScenarioRun.id")


class ScenarioRun(Base):
    """One play of a scenario by N groups: created when the host opens it, completed when it
    ends (the text it ran with is kept, so a later edit of the file changes no past run)."""

    __tablename__ = "scenario_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario.id"), index=True)
    pin: Mapped[str] = mapped_column(String(6), default="")
    title: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(Text)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    props_per_group: Mapped[bool] = mapped_column(default=False)
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(40), default="")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]

    scenario: Mapped[Scenario] = relationship(back_populates="runs")
    players: Mapped[list[ScenarioPlayer]] = relationship(
        back_populates="run", order_by="ScenarioPlayer.id", cascade="all, delete-orphan"
    )
    answers: Mapped[list[ScenarioAnswer]] = relationship(back_populates="run", cascade="all, delete-orphan")


class ScenarioPlayer(Base):
    __tablename__ = "scenario_player"
    __table_args__ = (UniqueConstraint("run_id", "player_key", name="uq_scenario_player"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scenario_run.id", ondelete="CASCADE"), index=True)
    player_key: Mapped[str] = mapped_column(String(64))
    nickname: Mapped[str] = mapped_column(String(40))
    member_no: Mapped[str] = mapped_column(String(32), default="")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    group_index: Mapped[int]
    group_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(40))
    clues_found: Mapped[int] = mapped_column(default=0)
    checkpoints_answered: Mapped[int] = mapped_column(default=0)
    checkpoints_correct: Mapped[int] = mapped_column(default=0)
    vote: Mapped[str | None] = mapped_column(String(40))
    deduction_correct: Mapped[bool] = mapped_column(default=False)

    run: Mapped[ScenarioRun] = relationship(back_populates="players")
    member: Mapped[Member | None] = relationship()


class ScenarioAnswer(Base):
    __tablename__ = "scenario_answer"
    __table_args__ = (UniqueConstraint("run_id", "player_key", "checkpoint", name="uq_scenario_answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scenario_run.id", ondelete="CASCADE"), index=True)
    player_key: Mapped[str] = mapped_column(String(64))
    checkpoint: Mapped[str] = mapped_column(String(40))
    choice: Mapped[Any] = mapped_column(JSON)
    correct: Mapped[bool]

    run: Mapped[ScenarioRun] = relationship(back_populates="answers")


class FilterWord(Base):
    """A word of the organizer's danmaku filter list (the app ships only a tiny demo list)."""

    __tablename__ = "filter_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(40), unique=True)
    added_by: Mapped[str] = mapped_column(String(40), default="")
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WallMessage(Base):
    """Every message sent to a wall and what became of it: shown, blocked by the filter,
    pending, approved or rejected by a moderator, removed from the screen."""

    __tablename__ = "wall_message"
    __table_args__ = (UniqueConstraint("wall_key", "message_id", name="uq_wall_message"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wall_key: Mapped[str] = mapped_column(String(40), index=True)  # "<pin>:<wall created ms>"
    pin: Mapped[str] = mapped_column(String(6))
    message_id: Mapped[str] = mapped_column(String(20))
    player_key: Mapped[str] = mapped_column(String(80))
    nickname: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(String(200))
    color: Mapped[str] = mapped_column(String(10), default="#ffffff")
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WallQuestion(Base):
    __tablename__ = "wall_question"
    __table_args__ = (UniqueConstraint("wall_key", "question_id", name="uq_wall_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wall_key: Mapped[str] = mapped_column(String(40), index=True)
    pin: Mapped[str] = mapped_column(String(6))
    question_id: Mapped[str] = mapped_column(String(20))
    player_key: Mapped[str] = mapped_column(String(80))
    nickname: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(String(400))
    votes: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open | answered | hidden
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ModerationEntry(Base):
    """One moderation decision, recorded with who and when (the wall's moderation log)."""

    __tablename__ = "moderation_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    wall_key: Mapped[str] = mapped_column(String(40), index=True)
    pin: Mapped[str] = mapped_column(String(6))
    action: Mapped[str] = mapped_column(String(20))  # approve reject remove mute mode pause qa_pin …
    target: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(String(400), default="")
    actor: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskDeck(Base):
    """A task-card deck (党建盲盒) as loaded and checked (docs/FORMATS.md §10); loading a
    file with the same ``key`` replaces its cards, draws keep the card as it was drawn."""

    __tablename__ = "task_deck"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(60))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # the checked deck, as JSON
    active: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(40), default="")


class TaskDraw(Base):
    """One draw from a deck, for a member or (in a live draw) for a whole branch, recorded
    before it is shown so a reload never re-rolls. It offers one or three cards; the card
    chosen becomes the holder's task, completed with proof and reviewed by the branch.

    status: offered → assigned → submitted → approved, or rejected → submitted again;
    an assigned or rejected task past ``due_at`` is expired.
    """

    __tablename__ = "task_draw"
    __table_args__ = (
        Index("ix_task_draw_member_time", "member_id", "drawn_at"),
        Index("ix_task_draw_branch_status", "branch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("task_deck.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # None: a branch's task
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    offered: Mapped[list[str]] = mapped_column(JSON)  # card ids, in the order shown
    cycle: Mapped[int] = mapped_column(default=0)  # the shuffle bag's round for this holder
    card_id: Mapped[str | None] = mapped_column(String(40))
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the card as it was chosen
    status: Mapped[str] = mapped_column(String(12), default="offered")
    drawn_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(40), default="")  # a host's name for a live draw
    live: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[dt.datetime | None]
    proof_text: Mapped[str] = mapped_column(Text, default="")
    proof_image: Mapped[str] = mapped_column(String(80), default="")  # a file under instance/uploads/
    participants: Mapped[list[int]] = mapped_column(
        JSON, default=list
    )  # members credited for a branch's task
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    submitted_at: Mapped[dt.datetime | None]
    points_awarded: Mapped[int | None]

    deck: Mapped[TaskDeck] = relationship()
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    branch: Mapped[Branch] = relationship()
    reviews: Mapped[list[TaskReview]] = relationship(
        back_populates="draw", order_by="TaskReview.id", cascade="all, delete-orphan"
    )


class TaskReview(Base):
    """Every review decision on a submitted task, with the proof it judged (who, when, what)."""

    __tablename__ = "task_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("task_draw.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # approved | rejected
    points: Mapped[int | None]
    comment: Mapped[str] = mapped_column(String(400), default="")
    proof_text: Mapped[str] = mapped_column(Text, default="")
    proof_image: Mapped[str] = mapped_column(String(80), default="")
    reviewer: Mapped[str] = mapped_column(String(40))
    reviewed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    draw: Mapped[TaskDraw] = relationship(back_populates="reviews")


class AuditEntry(Base):
    """One line of the audit log (审计日志, docs/AUDIT.md): who changed points, banks,
    rosters or moderation, when, and from where. Written in the transaction of the change it
    records; the app never updates or deletes a line."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_category_at", "category", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # UTC
    # An account's username, "cli:<os user>", "system", or a wall moderator's own name.
    actor: Mapped[str] = mapped_column(String(80), index=True)
    actor_role: Mapped[str] = mapped_column(String(20))  # organizer secretary host cli system wall_moderator
    category: Mapped[str] = mapped_column(String(20))  # points bank roster moderation account
    action: Mapped[str] = mapped_column(String(40))  # points.award bank.import wall.approve …
    target_type: Mapped[str] = mapped_column(String(20), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str] = mapped_column(String(45), default="")  # the client's, for a request
