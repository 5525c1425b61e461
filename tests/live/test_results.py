"""A finished game in SQL: written once, matched to the roster, shown and exported."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from sqlalchemy import func, select

from app.extensions import database
from app.live import protocol
from app.live.games import WRITE_AFTER_PER_PLAYER, LiveGames, settled
from app.live.results import finish_game
from app.models import Game, GameAnswer, GamePlayer
from app.realtime import live_games
from app.roster import load_roster
from tests.live.conftest import new_game, single


def play(app: Any) -> tuple[LiveGames, str, dict[str, str]]:
    """A two-question game played through the service: 张三 right twice, =SUM(A1) right once."""
    store = live_games(app).store
    games = LiveGames(store, "k", finish=lambda pin: finish_game(database(app), store, pin))
    pin, _token = new_game(store, [single("第一题", ["甲", "乙"], 0), single("第二题", ["甲", "乙"], 1)])
    seats = {}
    for nickname, team, member_no in (
        ("张三", "红队", "D001"),
        ("=SUM(A1)", "蓝队", ""),
        ("王五", "蓝队", "X9"),
    ):
        join = protocol.JoinRequest(pin, nickname, team, member_no, "")
        seats[nickname] = games.player_join(join, sid=f"sid-{nickname}")["player_id"]
    games.advance(pin, "start")
    games.answer(pin, seats["张三"], 0, [0])
    games.answer(pin, seats["=SUM(A1)"], 0, [0])
    settled(games.answer(pin, seats["王五"], 0, [1])[1])
    for _step in ("leaderboard", "question 2"):
        games.advance(pin, "next")
    games.answer(pin, seats["张三"], 1, [1])
    games.answer(pin, seats["=SUM(A1)"], 1, [0])
    games.advance(pin, "next")  # close question 2 (王五 never answered)
    games.advance(pin, "next")  # leaderboard
    settled(games.advance(pin, "next")[1])  # podium: the game is written here
    return games, pin, seats


def test_the_podium_is_sent_before_the_game_is_written(app: Any) -> None:
    """Writing a hall of 2,000 players took seconds; the podium must not wait for it."""
    store = live_games(app).store
    games = LiveGames(store, "k", finish=lambda pin: finish_game(database(app), store, pin))
    pin, _token = new_game(store, [single("第一题", ["甲", "乙"], 0)])
    player = games.player_join(protocol.JoinRequest(pin, "张三", "红队", "", ""), sid="s1")["player_id"]
    games.advance(pin, "start")
    settled(games.answer(pin, player, 0, [0])[1])
    games.advance(pin, "next")  # leaderboard
    _state, emits = games.advance(pin, "next")  # the podium, unsettled, as the host handler gets it
    assert [getattr(e, "event", "Then") for e in emits] == [protocol.GAME_OVER, protocol.GAME_STATE, "Then"]
    assert emits[0].payload["podium"][0]["player_id"] == player  # type: ignore[union-attr]
    # The writing gives the podium's frames time to leave first: 0.25 ms per seated player.
    assert emits[2].after == WRITE_AFTER_PER_PLAYER * 1  # type: ignore[union-attr]

    def written() -> int:
        with database(app).sessions() as session:
            return session.scalar(select(func.count(Game.id)).where(Game.pin == pin)) or 0

    # Listed for writing before the podium goes: a process that dies now leaves it to the retry.
    assert written() == 0 and store.unwritten(store.now_ms() + 1) == [pin]
    assert settled(emits[2:]) == []  # the writing sends nothing
    assert written() == 1 and store.unwritten(store.now_ms() + 1) == []
    assert store.redis.hget(store.game_key(pin), "game_id") is not None


def test_finishing_writes_everything_once_and_matches_the_roster(app: Any) -> None:
    roster = "姓名,工号,支部\n张三,D001,第一党支部\n".encode()
    load_roster(database(app), roster, "r.csv", max_bytes=10**6)
    games, pin, seats = play(app)
    with database(app).sessions() as session:
        game = session.scalar(select(Game).where(Game.pin == pin))
        players = {p.nickname: p for p in game.players}
        assert players["张三"].member_id is not None and players["张三"].member_no == "D001"
        assert players["王五"].member_id is None and players["王五"].member_no == "X9"  # unmatched, kept
        assert [
            (n, players[n].correct_count, players[n].answered_count, players[n].rank)
            for n in ("张三", "=SUM(A1)", "王五")
        ] == [("张三", 2, 2, 1), ("=SUM(A1)", 1, 2, 2), ("王五", 0, 1, 3)]
        scores = games.store.scores(pin)
        assert players["张三"].score == scores[seats["张三"]]["score"]
        assert session.scalar(select(func.count(GameAnswer.id)).where(GameAnswer.game_id == game.id)) == 5
        # Each answer carries its own result: right or wrong, and the points it earned.
        nickname = {pid: name for name, pid in seats.items()}
        written = {
            (nickname[a.player_key], a.question_index): (a.correct, a.points)
            for a in session.scalars(select(GameAnswer).where(GameAnswer.game_id == game.id))
        }
        assert {key: correct for key, (correct, _points) in written.items()} == {
            ("张三", 0): True,
            ("张三", 1): True,
            ("=SUM(A1)", 0): True,
            ("=SUM(A1)", 1): False,
            ("王五", 0): False,
        }
        for (name, q), (_correct, earned) in written.items():
            assert earned == games.store.result(pin, q, seats[name])["points"]  # type: ignore[index]
        assert written[("=SUM(A1)", 1)][1] == written[("王五", 0)][1] == 0 < written[("张三", 0)][1]
        game_id = game.id
    again = finish_game(database(app), games.store, pin)  # the podium, then "ended", then a retry
    games.advance(pin, "next")
    assert again == game_id
    with database(app).sessions() as session:
        assert session.scalar(select(func.count(Game.id)).where(Game.pin == pin)) == 1
        assert session.scalar(select(func.count(GamePlayer.id)).where(GamePlayer.game_id == game_id)) == 3
    assert games.store.redis.zscore(games.store.DEADLINES, pin) is None


def test_results_page_and_xlsx(app: Any, organizer: Any) -> None:
    _games, pin, _seats = play(app)
    with database(app).sessions() as session:
        game_id = session.scalar(select(Game.id).where(Game.pin == pin))
    page = organizer.get(f"/admin/games/{game_id}")
    assert page.status_code == 200 and "张三" in page.get_data(as_text=True)
    response = organizer.get(f"/admin/games/{game_id}/results.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["选手", "队伍", "逐题正确率"]
    players = list(workbook["选手"].values)
    assert players[0][:6] == ("名次", "昵称", "队伍", "工号", "得分", "答对题数")
    assert [row[:4] for row in players[1:]] == [
        (1, "张三", "红队", "D001"),
        (2, "'=SUM(A1)", "蓝队", None),
        (3, "王五", "蓝队", "X9"),
    ]
    accuracy = list(workbook["逐题正确率"].values)
    assert [row[:6] for row in accuracy[1:]] == [
        (1, "single", "第一题", 3, 2, 0.667),
        (2, "single", "第二题", 2, 1, 0.333),
    ]
    teams = list(workbook["队伍"].values)
    assert [row[1] for row in teams[1:]] == ["红队", "蓝队"] and [row[3] for row in teams[1:]] == [1, 2]
    assert organizer.get("/admin/games/99999").status_code == 404
