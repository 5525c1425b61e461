"""Finished games: written to SQL in one transaction, shown and exported as XLSX."""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

from sqlalchemy import insert, select

from app.extensions import Database
from app.live.games import team_standings
from app.live.store import LiveStore
from app.models import Game, GameAnswer, GamePlayer, Member
from app.points.service import Points
from question_bank.normalize import neutralise

log = logging.getLogger(__name__)


def finish_game(db: Database, store: LiveStore, pin: str, points: Points | None = None) -> int | None:
    """Write the game, its players and every answer to SQL; idempotent per live game.

    Called when the podium shows and again when the game ends, and by the ticker while the
    database refused it; a later call finds the row by its live key and writes nothing.
    With ``points``, the matched players are credited in the same transaction (so a game is
    credited once or not at all) and the season boards updated after it commits. A game
    written late keeps the time it ended, so its points fall in the period it was played.
    """
    state = store.state(pin)
    if state is None:
        return None
    created_ms, _game_id = store.meta(pin)
    live_key = f"{pin}:{created_ms}"
    config = store.config(pin)
    questions = store.questions(pin)
    players = store.players(pin)
    kicked = store.kicked(pin)
    scores = store.scores(pin)
    ranking = {pid: place for place, pid in enumerate(store.ranking(pin), start=1)}
    played = state.q + 1
    answers = {q: store.answers(pin, q) for q in range(played)}
    # One read per question: a read per answer was 10,000 round trips for 2,000 players and
    # five questions, most of the time the podium waited for.
    results = {q: store.results(pin, q) for q in range(played)}
    teams = team_standings(store, pin)
    ended_ms = store.ended_ms(pin)
    with db.transaction() as session:
        existing = session.scalar(select(Game.id).where(Game.live_key == live_key))
        if existing is not None:
            return existing
        numbers = [p["member_no"] for p in players.values() if p.get("member_no")]
        members = (
            {m.member_no: m.id for m in session.scalars(select(Member).where(Member.member_no.in_(numbers)))}
            if numbers
            else {}
        )
        game = Game(
            live_key=live_key,
            pin=pin,
            contest_id=config.get("contest_id"),
            title=config.get("title", ""),
            settings=config,
            questions=questions[:played],
            teams=teams,
            questions_played=played,
            started_at=_utc(int(created_ms)),
        )
        if ended_ms is not None:
            game.ended_at = _utc(ended_ms)
        session.add(game)
        session.flush()
        # Rows as plain dicts in two executemany INSERTs: one ORM object per player and per
        # answer (12,000 for 2,000 players and five questions) cost 1.2-2.2 s of CPU, which
        # under eventlet held every phone of the process; this costs a fraction of it.
        player_rows = []
        for pid, player in players.items():
            score = scores.get(pid, {})
            player_rows.append(
                {
                    "game_id": game.id,
                    "player_key": pid,
                    "nickname": player["nickname"],
                    "team": player["team"],
                    "member_no": player.get("member_no", ""),
                    "member_id": members.get(player.get("member_no", "")),
                    "score": int(score.get("score", 0)),
                    "correct_count": int(score.get("correct", 0)),
                    "correct_time_ms": int(score.get("time", 0)),
                    "answered_count": sum(1 for q in answers if pid in answers[q]),
                    "rank": ranking.get(pid),
                    "kicked": pid in kicked,
                }
            )
        answer_rows = []
        for q, by_player in answers.items():
            for pid, answer in by_player.items():
                result = results[q].get(pid) or {}
                answer_rows.append(
                    {
                        "game_id": game.id,
                        "player_key": pid,
                        "question_index": q,
                        "choice": answer["c"],
                        "correct": bool(result.get("correct", False)),
                        "points": int(result.get("points", 0)),
                        "elapsed_ms": int(answer["e"]),
                    }
                )
        for model, rows in ((GamePlayer, player_rows), (GameAnswer, answer_rows)):
            if rows:
                session.execute(insert(model), rows)
        session.flush()
        credited = points.credit_game(session, game) if points is not None else []
        game_id = game.id
    if points is not None:
        points.publish(credited)
    return game_id


def _utc(ms: int) -> dt.datetime:
    """A server time in ms as the naive UTC datetime the models store."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(tzinfo=None)


def question_accuracy(game: Game) -> list[dict[str, Any]]:
    players = sum(1 for p in game.players if not p.kicked)
    rows = []
    for index, question in enumerate(game.questions):
        answers = [a for a in game.answers if a.question_index == index]
        correct = sum(1 for a in answers if a.correct)
        rows.append(
            {
                "index": index + 1,
                "stem": question["stem"],
                "type": question["type"],
                "answered": len(answers),
                "correct": correct,
                "accuracy": round(correct / players, 3) if players else 0.0,
                "mean_ms": round(sum(a.elapsed_ms for a in answers) / len(answers)) if answers else None,
            }
        )
    return rows


def results_xlsx(game: Game) -> bytes:
    """选手 / 队伍 / 逐题正确率 sheets; text cells neutralised against formula injection."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = {
        "选手": (
            ["名次", "昵称", "队伍", "工号", "得分", "答对题数", "作答题数", "答对用时（毫秒）", "已移出"],
            [
                [
                    p.rank,
                    p.nickname,
                    p.team,
                    p.member_no,
                    p.score,
                    p.correct_count,
                    p.answered_count,
                    p.correct_time_ms,
                    "是" if p.kicked else "",
                ]
                for p in by_rank(game.players)
            ],
        ),
        "队伍": (
            ["名次", "队伍", "得分", "人数"],
            [[t["rank"], t["team"], t["score"], t["members"]] for t in game.teams],
        ),
        "逐题正确率": (
            ["题号", "题型", "题干", "作答人数", "答对人数", "正确率", "平均用时（毫秒）"],
            [
                [r["index"], r["type"], r["stem"], r["answered"], r["correct"], r["accuracy"], r["mean_ms"]]
                for r in question_accuracy(game)
            ],
        ),
    }
    first = True
    for title, (header, rows) in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([neutralise(v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def by_rank(players: list[GamePlayer]) -> list[GamePlayer]:
    return sorted(players, key=lambda p: (p.kicked, p.rank if p.rank is not None else 10**9, p.nickname))
