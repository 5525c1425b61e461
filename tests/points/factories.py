"""Factories for the points tests: branches, members, finished games, ledger read-back."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Branch, Game, GamePlayer, Member, PointEntry

_numbers = itertools.count(1)


def branch(session: Session, name: str) -> Branch:
    made = Branch(name=name)
    session.add(made)
    session.flush()
    return made


def member(
    session: Session,
    name: str,
    member_no: str,
    of: Branch,
    member_type: str = "正式党员",
    *,
    active: bool = True,
) -> Member:
    made = Member(name=name, member_no=member_no, branch_id=of.id, member_type=member_type, active=active)
    session.add(made)
    session.flush()
    return made


@dataclass(frozen=True)
class Player:
    """One seat of a finished game: ``who`` is the roster member, or None for a guest."""

    who: Member | None
    team: str
    answered: int
    correct: int
    rank: int | None
    kicked: bool = False
    nickname: str = ""


def finished_game(
    session: Session,
    title: str,
    ended_at: dt.datetime,
    players: list[Player],
    *,
    teams: list[str] | None = None,
    team_mode: str = "branches",
) -> Game:
    """A game as finish_game writes it; ``teams`` are in finishing order (first is rank 1)."""
    number = next(_numbers)
    order = teams if teams is not None else list(dict.fromkeys(p.team for p in players))
    game = Game(
        live_key=f"{100000 + number}:{number}",
        pin=str(100000 + number),
        title=title,
        settings={"title": title, "team_mode": team_mode},
        questions=[],
        teams=[
            {"team": name, "score": 1000 - place, "members": 1, "rank": place}
            for place, name in enumerate(order, start=1)
        ],
        questions_played=max([p.answered for p in players] or [0]),
        started_at=ended_at - dt.timedelta(minutes=20),
        ended_at=ended_at,
    )
    session.add(game)
    session.flush()
    for index, player in enumerate(players):
        session.add(
            GamePlayer(
                game_id=game.id,
                player_key=f"p{index}",
                nickname=player.nickname or (player.who.name if player.who else f"来宾{index}"),
                team=player.team,
                member_no=player.who.member_no if player.who else "",
                member_id=player.who.id if player.who else None,
                score=100 * player.correct,
                correct_count=player.correct,
                answered_count=player.answered,
                rank=player.rank,
                kicked=player.kicked,
            )
        )
    session.flush()
    session.expire(game, ["players"])
    return game


def ledger_rows(session: Session) -> list[tuple[str, str, int, str]]:
    """(member, rule, points, reason) of every entry, by member, rule, then id."""
    rows = session.scalars(select(PointEntry).order_by(PointEntry.member_id, PointEntry.rule, PointEntry.id))
    return [(e.member.name, e.rule, e.points, e.reason) for e in rows]


def beijing(*parts: int) -> dt.datetime:
    """The naive UTC moment of a Beijing wall-clock time (Beijing is UTC+8, no DST)."""
    return dt.datetime(*parts) - dt.timedelta(hours=8)  # type: ignore[arg-type]
