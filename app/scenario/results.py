"""Scenarios in SQL: loading a file, opening a run, and writing a finished run (its groups'
decisions, every seat, every checkpoint answer) in one transaction with its points."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import SYSTEM, Actor, record, record_credit
from app.extensions import Database
from app.models import Member, PointEntry, ScenarioAnswer, ScenarioPlayer, ScenarioRun, utcnow
from app.models import Scenario as ScenarioRow
from app.points.ledger import credit
from app.points.rules import Rules, ScenarioResult, scenario_awards
from app.scenario import engine
from app.scenario.schema import Scenario, parse_scenario

if TYPE_CHECKING:
    from app.points.service import Points
    from app.scenario.runs import ScenarioRuns

log = logging.getLogger(__name__)


def load_scenario(
    session: Session, data: bytes, loaded_by: str = "", actor: Actor = SYSTEM
) -> tuple[ScenarioRow, bool]:
    """Check and store a scenario file (ScenarioError when it has any problem). A file with an
    id already stored replaces that one's text; ``actor`` goes to the audit log. Returns
    (row, replaced)."""
    scenario = parse_scenario(data)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    row = session.scalar(select(ScenarioRow).where(ScenarioRow.slug == scenario.id))
    replaced = row is not None
    if row is None:
        row = ScenarioRow(slug=scenario.id)
        session.add(row)
    row.title = scenario.title
    row.source = text
    row.review_status = scenario.review.status
    row.loaded_by = loaded_by
    row.loaded_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "scenario.load",
        summary=f"{'更新' if replaced else '导入'}剧本《{row.title}》（{row.slug}）",
        target_type="scenario",
        target_id=row.id,
        detail={"slug": row.slug, "replaced": replaced},
    )
    return row, replaced


def open_run(
    db: Database, runs: ScenarioRuns, slug: str, groups: int, props_per_group: bool, created_by: str = ""
) -> tuple[ScenarioRun, str]:
    """Create the run's SQL row and its live state; returns (run, host_token)."""
    with db.transaction() as session:
        row = session.scalar(select(ScenarioRow).where(ScenarioRow.slug == slug))
        if row is None:
            raise LookupError(slug)
        scenario = parse_scenario(row.source)
        names = [f"第 {n} 组" for n in range(1, groups + 1)]
        run = ScenarioRun(
            scenario_id=row.id,
            title=scenario.title,
            source=row.source,
            groups=names,
            props_per_group=props_per_group,
            created_by=created_by,
        )
        session.add(run)
        session.flush()
        pin, token = runs.create(scenario, row.source, names, run.id, props_per_group)
        run.pin = pin
    return run, token


def finish_run(db: Database, runs: ScenarioRuns, pin: str, points: Points | None = None) -> int | None:
    """Write the ended run to SQL and credit its players; a second call writes nothing."""
    state = runs.store.state(pin)
    run_id = runs.store.run_id(pin)
    if state is None or not run_id:
        return None
    scenario = runs.scenario(pin)
    rows = engine.results(state, scenario)
    added: list[PointEntry] = []
    with db.transaction() as session:
        run = session.get(ScenarioRun, run_id)
        if run is None or run.ended_at is not None:
            return run_id if run is not None else None
        numbers = [row["member_no"] for row in rows if row["member_no"]]
        members = (
            {m.member_no: m for m in session.scalars(select(Member).where(Member.member_no.in_(numbers)))}
            if numbers
            else {}
        )
        run.ended_at = utcnow()
        run.decisions = [
            {"group": state["groups"][g], **engine.decision(state, scenario, g)}
            for g in range(len(state["groups"]))
            if engine.seated(state, g)
        ]
        for row in rows:
            member = members.get(row["member_no"])
            session.add(
                ScenarioPlayer(
                    run_id=run.id,
                    player_key=row["player_id"],
                    nickname=row["nickname"],
                    member_no=row["member_no"],
                    member_id=member.id if member else None,
                    group_index=row["group"],
                    group_name=row["group_name"],
                    role=row["role"],
                    clues_found=row["clues_found"],
                    checkpoints_answered=row["checkpoints_answered"],
                    checkpoints_correct=row["checkpoints_correct"],
                    vote=row["vote"],
                    deduction_correct=row["deduction_correct"],
                )
            )
            for checkpoint, answer in row["answers"].items():
                session.add(
                    ScenarioAnswer(
                        run_id=run.id,
                        player_key=row["player_id"],
                        checkpoint=checkpoint,
                        choice=answer["choice"],
                        correct=answer["correct"],
                    )
                )
        session.flush()
        if points is not None:
            try:  # a crediting fault must not lose the run: it is logged, the run is kept
                with session.begin_nested():
                    added = credit_run(session, points.rules(), run, scenario)
                    record_credit(
                        session, SYSTEM, "points.credit_scenario", added,
                        what=f"剧本杀“{run.title}”", target_type="scenario_run", target_id=run.id,
                    )  # fmt: skip
            except Exception:
                log.exception("crediting scenario run %s failed", run.id)
                added = []
    if points is not None:
        points.publish(added)
    return run_id


def credit_run(session: Session, rules: Rules, run: ScenarioRun, scenario: Scenario) -> list[PointEntry]:
    """Credit every seat matched to a roster member; idempotent (the ledger's keys)."""
    overrides = scenario.points.model_dump()
    added: list[PointEntry] = []
    for player in sorted(run.players, key=lambda p: p.member_id or 0):  # one lock order
        if player.member_id is None:
            continue
        member = session.get(Member, player.member_id)
        if member is None:
            continue
        result = ScenarioResult(player.checkpoints_correct, player.clues_found, player.deduction_correct)
        added += credit(
            session,
            rules,
            member,
            scenario_awards(rules, result, run.title, overrides),
            source_type="scenario",
            source_id=str(run.id),
            occurred_at=run.ended_at or utcnow(),
            created_by="系统",
        )
    return added
