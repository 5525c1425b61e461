"""The live quiz service: applies the pure rules to the Redis store and says what to send.

Every method returns what the socket layer should acknowledge and emit (``Emit``: event,
payload, room; ``Then``: work whose emits follow once those before it are sent); it never
talks to Socket.IO itself, so the whole game can be tested without a network. Rooms:
``game:<pin>`` (everyone), ``host:<pin>`` (host screens), ``player:<pin>:<id>`` (one player's
phones).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from redis.exceptions import RedisError
from sqlalchemy import exc as sql

from app.live import protocol, quiz, scoring
from app.live.protocol import ProtocolError
from app.live.quiz import Effect, QuizState
from app.live.store import LiveStore, Standings

log = logging.getLogger(__name__)

LEADERBOARD_SIZE = 10
PODIUM_SIZE = 3
QUESTION_CACHE = 512  # questions of live games kept per process
UNWRITTEN_RETRY_MS = 3000  # how often a finished game the database refused is tried again
# The database itself is away (refused, dropped, out of connections): no game can be written,
# so a retry stops at the first. Any other error is the one game's own.
DATABASE_AWAY = (sql.OperationalError, sql.InterfaceError, sql.DisconnectionError, sql.TimeoutError)


@dataclass(frozen=True)
class Emit:
    event: str
    payload: dict[str, Any]
    to: str


@dataclass(frozen=True)
class Then:
    """Work whose emits follow the ones before it, once those are sent. A closing question's
    reveal goes out at once; scoring every player (tens of milliseconds for 2,000) comes
    after it, so the hall sees the answer without waiting for the arithmetic."""

    work: Callable[[], list[Emit | Then]]
    # Seconds the sender gives the writers before the work, beyond one turn of the hub.
    after: float = 0.0


# The finished game's writing holds the process (SQLite's calls, and the rows' Python, are
# not green), and the podium's frames reach the phones only as each phone's writer runs:
# 2,000 phones took 70-190 ms (the floor's p99), and a writing that started one hub turn
# after the podium held them behind it (stalls of 127-503 ms right after host:end,
# bench/README.md). So the writing waits this long per seated player, at most
# WRITE_AFTER_MAX seconds.
WRITE_AFTER_PER_PLAYER = 0.00025  # 0.5 s for 2,000 phones
WRITE_AFTER_MAX = 1.0


def settled(items: list[Emit | Then]) -> list[Emit]:
    """Everything ``items`` sends, with every ``Then`` done in its place (tests and tools
    that want the whole outcome; the socket layer sends each part as it is ready)."""
    out: list[Emit] = []
    for item in items:
        out += settled(item.work()) if isinstance(item, Then) else [item]
    return out


def game_room(pin: str) -> str:
    return f"game:{pin}"


def host_room(pin: str) -> str:
    return f"host:{pin}"


def player_room(pin: str, player_id: str) -> str:
    return f"player:{pin}:{player_id}"


def public_question(question: dict[str, Any], q: int) -> dict[str, Any]:
    """What phones and the screen may see before the reveal: never the key."""
    shown = {
        "index": q,
        "type": question["type"],
        "stem": question["stem"],
        "options": list(question.get("options") or []),
        "time_limit": question["time_limit"],
    }
    if question["type"] == "fill":
        shown["blanks"] = len(question["key"])
    if question.get("media"):
        shown["media"] = question["media"]
    return shown


def fold_nickname(nickname: str) -> str:
    return scoring.fold_text(nickname) or nickname.casefold()


def team_standings(store: LiveStore, pin: str) -> list[dict[str, Any]]:
    """Every team's score (mean or sum of its players', kicked players left out) and rank:
    as the last scoring wrote them, unless the hall has changed since. Working them out
    reads every player and every score: at 2,000 phones, 20-35 ms before the leaderboard's
    and the podium's first frame."""
    written = store.standings(pin)
    if written is not None:
        return written
    rules = scoring.ScoringRules.from_dict(store.config(pin).get("scoring") or {})
    kicked = store.kicked(pin)
    scores = store.scores(pin)
    members: dict[str, list[int]] = defaultdict(list)
    for player_id, player in store.players(pin).items():
        if player_id not in kicked:
            members[player["team"]].append(int(scores.get(player_id, {}).get("score", 0)))
    return scoring.rank_teams(rules, members)


class LiveGames:
    def __init__(
        self, store: LiveStore, secret_key: str, finish: Callable[[str], int | None] | None = None
    ) -> None:
        self.store = store
        self.tokens = URLSafeSerializer(secret_key, salt="arena.rejoin")
        self.finish_game = finish  # writes a finished game to SQL; returns its id
        self._next_retry = 0.0  # monotonic time of this process's next look at unwritten games
        # (pin, q) → (question, the game's created_ms): a question never changes during a
        # game, and every answer needs it to check the choice; the answer's own script
        # refuses it (``stale``) if the PIN has since been given to another game.
        self._questions: OrderedDict[tuple[str, int], tuple[dict[str, Any], str]] = OrderedDict()

    # -- helpers -----------------------------------------------------------------------

    def _state(self, pin: str) -> QuizState:
        state = self.store.state(pin)
        if state is None:
            raise ProtocolError("game_not_found")
        return state

    def state_payload(self, pin: str, state: QuizState | None = None) -> dict[str, Any]:
        state = state or self._state(pin)
        payload: dict[str, Any] = {
            "pin": pin,
            "phase": state.phase,
            "q": state.q,
            "total": state.total,
            "players": self.store.seated_count(pin),  # not the whole roster: this runs on every join
            "server_ms": self.store.now_ms(),
            "answered": self.store.answered_count(pin, state.q) if state.q >= 0 else 0,
        }
        if state.phase == "question":
            question = self.store.question(pin, state.q)
            if question is not None:
                payload["question"] = public_question(question, state.q)
            payload.update(shown_ms=state.shown_ms, open_ms=state.open_ms, deadline_ms=state.deadline_ms)
        return payload

    def roster_payload(self, pin: str) -> dict[str, Any]:
        """Who is in the lobby, grouped by team, for the host screen."""
        kicked = self.store.kicked(pin)
        teams: dict[str, list[dict[str, str]]] = defaultdict(list)
        for player_id, player in sorted(self.store.players(pin).items(), key=lambda item: item[1]["seq"]):
            if player_id not in kicked:
                teams[player["team"]].append({"player_id": player_id, "nickname": player["nickname"]})
        return {
            "count": sum(len(members) for members in teams.values()),
            "teams": [{"team": team, "players": members} for team, members in sorted(teams.items())],
        }

    def _timing(self, pin: str, state: QuizState, q: int) -> dict[str, int]:
        config = self.store.config(pin)
        question = self.store.question(pin, q) or {}
        return {
            "now_ms": self.store.now_ms(),
            "read_ms": int(config.get("read_time", 0)) * 1000,
            "limit_ms": int(question.get("time_limit", config.get("time_limit", 20))) * 1000,
        }

    # -- host --------------------------------------------------------------------------

    def host_join(self, pin: str, token: str) -> dict[str, Any]:
        if not self.store.exists(pin):
            raise ProtocolError("game_not_found")
        if not self.store.check_host(pin, token):
            raise ProtocolError("bad_host_token")
        state = self._state(pin)
        return {
            "state": self.state_payload(pin, state),
            "roster": self.roster_payload(pin),
            **self.screen_payload(pin, state),
        }

    def screen_payload(self, pin: str, state: QuizState) -> dict[str, Any]:
        """What a reloaded host screen needs to draw the current phase again."""
        if state.phase == "reveal":
            question = self.store.question(pin, state.q)
            if question is not None:
                return {
                    "question": public_question(question, state.q),
                    "reveal": self.reveal_payload(pin, state.q, question),
                }
        if state.phase == "leaderboard":
            return {"leaderboard": self.leaderboard(pin)}
        if state.phase in ("podium", "ended"):
            return {"podium": self.podium(pin)}
        return {}

    def advance(self, pin: str, command: str) -> tuple[dict[str, Any], list[Emit | Then]]:
        """The host's start / next / end. Retries once if another process moved first."""
        for _attempt in range(3):
            state = self._state(pin)
            try:
                if command == "start":
                    new, effects = quiz.start(state, **self._timing(pin, state, 0))
                elif command == "next":
                    following = state.q + 1 if state.phase == "leaderboard" else max(state.q, 0)
                    new, effects = quiz.next_step(state, **self._timing(pin, state, following))
                else:
                    new, effects = quiz.end(state)
            except quiz.Refused as refused:
                raise ProtocolError(refused.code) from None
            if self.store.apply(pin, state.version, new):
                return self.state_payload(pin, new), self._effects(pin, state, new, effects)
        raise ProtocolError("wrong_phase")

    def close_if_due(self, pin: str, q: int | None = None) -> list[Emit | Then]:
        """Close the open question (deadline, everyone answered); only one caller wins."""
        state = self.store.state(pin)
        if state is None:
            self.store.forget_deadline(pin)  # its keys expired while a question was open
            return []
        if state.phase != "question" or (q is not None and state.q != q):
            return []
        try:
            new, effects = quiz.close(state, state.q)
        except quiz.Refused:
            return []
        if not self.store.apply(pin, state.version, new):
            return []
        return self._effects(pin, state, new, effects)

    def kick(self, pin: str, player_id: str) -> list[Emit]:
        if not self.store.kick(pin, player_id):
            raise ProtocolError("player_not_found")
        return [
            Emit(
                protocol.PLAYER_KICKED,
                {"pin": pin, "message": protocol.ERRORS["kicked"]},
                player_room(pin, player_id),
            ),
            Emit(protocol.GAME_PLAYERS, self.roster_payload(pin), host_room(pin)),
        ]

    # -- effects -----------------------------------------------------------------------

    def _effects(
        self, pin: str, old: QuizState, new: QuizState, effects: tuple[Effect, ...]
    ) -> list[Emit | Then]:
        out: list[Emit | Then] = []
        if old.phase in ("question", "reveal") and new.phase != "reveal":
            # The leaderboard, the podium and the written game read this question's scores.
            # A close scores right after sending the reveal; if that has not happened yet (a
            # quick host, a process that died, or a game ended mid-question), it is scored
            # here, once, and the results go first.
            out += self.score_question(pin, old.q)
        state = Emit(protocol.GAME_STATE, self.state_payload(pin, new), game_room(pin))
        out.append(state)
        for effect in effects:
            if effect is Effect.CLOSE_QUESTION:
                reveal = self.reveal_payload(pin, old.q, self.store.question(pin, old.q) or {})
                out.append(Emit(protocol.GAME_REVEAL, reveal, game_room(pin)))
                out.append(Then(lambda: self.score_question(pin, old.q)))
            elif effect is Effect.SHOW_LEADERBOARD:
                # The big screen shows it; a phone shows "请看大屏排行榜" from the state and
                # never reads it, and sending it to 2,000 phones doubled the phase's fan-out.
                out.append(Emit(protocol.GAME_LEADERBOARD, self.leaderboard(pin), host_room(pin)))
            elif effect is Effect.SHOW_PODIUM:
                # Before the state: a phone shows the end on either, and otherwise each phone's
                # podium waited behind the state's frame to every phone (bench/README.md); the
                # big screen draws the podium and then takes the state. Ended mid-question,
                # after the reveal: the big screen must end on the podium.
                over = Emit(protocol.GAME_OVER, self.podium(pin), game_room(pin))
                out.insert(len(out) if Effect.CLOSE_QUESTION in effects else out.index(state), over)
            elif effect is Effect.FINISH:
                # Listed for writing now, written once the podium is sent: writing a hall of
                # 2,000 players holds the process 0.4-0.7 s. A process that dies meanwhile
                # leaves it listed.
                if self.finish_game is not None:
                    self.store.mark_unwritten(pin)
                seated = state.payload["players"]  # the state's own count: no second read
                after = min(WRITE_AFTER_MAX, WRITE_AFTER_PER_PLAYER * seated)
                out.append(Then(lambda: self._finish(pin), after=after))
        return out

    def _finish(self, pin: str) -> list[Emit | Then]:
        """Write the listed game to SQL; nothing to send. A database that refuses must not
        take the podium from the hall: the game stays listed in Redis and the ticker writes it
        when the database is back (``retry_unwritten``)."""
        if self.finish_game is not None:
            self._write(pin)
        state = self.store.state(pin)
        if state is not None and state.phase == "ended":
            self.store.forget_deadline(pin)
        return []

    def _write(self, pin: str) -> bool:
        """One attempt to write a finished game; False when the database is away. A game not
        written stays listed, its keys kept. finish_game is one transaction, idempotent by the
        game's live key: a later attempt writes all of it, or finds it written, and credits
        points once."""
        finish = self.finish_game
        if finish is None:
            return True
        try:
            game_id = finish(pin)
        except RedisError:
            raise  # the host's `unavailable`, or the ticker's warning
        except DATABASE_AWAY as error:
            log.warning("game %s not written to the database (%s); retrying", pin, type(error).__name__)
            self.store.keep_unwritten(pin)
            return False
        except Exception:
            # This game's own fault (an integrity error in its rows, say): kept for a mended
            # release, and the games listed after it are still written.
            log.exception("writing game %s failed; retrying", pin)
            self.store.keep_unwritten(pin)
            return True
        if game_id is None:
            log.warning("game %s ended but its keys are gone from Redis; nothing to write", pin)
            self.store.forget_unwritten(pin)
        else:
            self.store.set_finished(pin, game_id)
        return True

    def retry_unwritten(self) -> None:
        """Write the finished games the database refused: every ``UNWRITTEN_RETRY_MS``, by
        one process at a time. A game is retried only once its first attempt is that old, so
        the retry does not race the host's own attempt."""
        if self.finish_game is None or time.monotonic() < self._next_retry:
            return
        self._next_retry = time.monotonic() + UNWRITTEN_RETRY_MS / 1000
        pins = self.store.unwritten(self.store.now_ms() - UNWRITTEN_RETRY_MS)
        # The claim ends a little before this process looks again, so that it is free then.
        if pins and self.store.claim_unwritten(UNWRITTEN_RETRY_MS * 9 // 10):
            for pin in pins:
                if not self._write(pin):
                    break  # the database is still down: the others wait for the next window

    def score_question(self, pin: str, q: int) -> list[Emit]:
        """Score question ``q`` once: each player's result, or nothing when it is already
        scored (by this call's rival in another process, or earlier)."""
        if self.store.scored(pin) >= q:
            return []
        config, question, answers, players, kicked, scores = self.store.scoring_inputs(pin, q)
        rules = scoring.ScoringRules.from_dict(config.get("scoring") or {})
        limit_ms = int(question.get("time_limit", 20)) * 1000
        updated: dict[str, dict[str, Any]] = {}
        outcomes: dict[str, scoring.AnswerScore] = {}
        for player_id in players:
            before = scores.get(player_id, {"score": 0, "correct": 0, "streak": 0, "time": 0})
            answer = answers.get(player_id)
            if answer is None:
                outcome = scoring.AnswerScore(correct=False, fraction=0.0, points=0, streak=0)
            else:
                fraction = scoring.correctness(
                    question["type"], question["key"], answer["c"], multiple=rules.multiple
                )
                outcome = scoring.score_answer(
                    rules,
                    fraction=fraction,
                    elapsed_ms=int(answer["e"]),
                    limit_ms=limit_ms,
                    streak_before=int(before["streak"]),
                )
            outcomes[player_id] = outcome
            updated[player_id] = {
                "score": int(before["score"]) + outcome.points,
                "correct": int(before["correct"]) + (1 if outcome.correct else 0),
                "streak": outcome.streak,
                "time": int(before["time"]) + (int(answer["e"]) if answer and outcome.correct else 0),
            }
        active = {pid: s for pid, s in updated.items() if pid not in kicked}
        standings = [
            scoring.Standing(pid, s["score"], s["time"], int(players[pid]["seq"]))
            for pid, s in active.items()
        ]
        ranks = {standing.player_id: place for place, standing in scoring.rank(standings)}
        board = {pid: scoring.leaderboard_value(s["score"], s["time"]) for pid, s in active.items()}
        results = {
            pid: {
                "q": q,
                "correct": outcomes[pid].correct,
                "fraction": outcomes[pid].fraction,
                "points": outcomes[pid].points,
                "score": updated[pid]["score"],
                "rank": ranks.get(pid),
                "streak": updated[pid]["streak"],
                "answered": pid in answers,
            }
            for pid in updated
        }
        team_members: dict[str, list[int]] = defaultdict(list)
        for pid, s in active.items():
            team_members[players[pid]["team"]].append(s["score"])
        by_team = Standings(scoring.rank_teams(rules, team_members), len(players), len(kicked))
        if not self.store.record_scores(pin, q, updated, board, results, by_team):
            return []
        return [Emit(protocol.PLAYER_RESULT, value, player_room(pin, pid)) for pid, value in results.items()]

    def reveal_payload(self, pin: str, q: int, question: dict[str, Any]) -> dict[str, Any]:
        counts = self.store.counts(pin, q)
        qtype = question["type"]
        if qtype in ("single", "multiple", "judge"):
            distribution = [counts.get(str(i), 0) for i in range(len(question["options"]))]
        else:
            answers = self.store.answers(pin, q)
            right = sum(
                1 for a in answers.values() if scoring.correctness(qtype, question["key"], a["c"]) >= 1.0
            )
            distribution = [right, len(answers) - right]
        return {
            "q": q,
            "type": qtype,
            "correct": question["key"],
            "distribution": distribution,
            "answered": counts.get("n", 0),
            "explanation": question.get("explanation", ""),
            "source": question.get("source", ""),
        }

    # -- leaderboards ------------------------------------------------------------------

    def leaderboard(self, pin: str, size: int = LEADERBOARD_SIZE) -> dict[str, Any]:
        ranked = self.store.ranking(pin, size)
        top = []
        for place, (player_id, (player, score)) in enumerate(
            zip(ranked, self.store.standing(pin, ranked), strict=True), start=1
        ):
            top.append(
                {
                    "player_id": player_id,
                    "nickname": player.get("nickname", ""),
                    "team": player.get("team", ""),
                    "score": score.get("score", 0),
                    "correct": score.get("correct", 0),
                    "rank": place,
                }
            )
        return {"players": top, "teams": self.team_standings(pin)}

    def team_standings(self, pin: str) -> list[dict[str, Any]]:
        return team_standings(self.store, pin)

    def podium(self, pin: str) -> dict[str, Any]:
        board = self.leaderboard(pin, PODIUM_SIZE)
        return {
            "podium": board["players"],
            "teams": board["teams"][:PODIUM_SIZE],
            "all_teams": board["teams"],
        }

    # -- players -----------------------------------------------------------------------

    def rejoin_token(self, pin: str, player_id: str) -> str:
        return self.tokens.dumps({"pin": pin, "player": player_id})

    def _from_token(self, pin: str, token: str) -> str | None:
        try:
            data = self.tokens.loads(token)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("pin") != pin:
            return None
        return str(data.get("player") or "") or None

    def player_join(
        self, request: protocol.JoinRequest, sid: str, teams: list[str] | None = None
    ) -> dict[str, Any]:
        """Seat a phone: back into its seat by rejoin token, or as a new player."""
        pin = request.pin
        state = self._state(pin)
        player_id = self._from_token(pin, request.rejoin_token) if request.rejoin_token else None
        if player_id and self.store.player(pin, player_id) is not None:
            if self.store.is_kicked(pin, player_id):
                raise ProtocolError("kicked")
        else:
            if not request.nickname:
                raise ProtocolError("bad_request", field="nickname")
            config = self.store.config(pin)
            if state.phase == "ended":
                raise ProtocolError("game_over")
            if state.phase != "lobby" and not config.get("late_join", True):
                raise ProtocolError("late_join_closed")
            team = request.team or ""
            allowed = config.get("teams") or []
            if allowed and team not in allowed:
                raise ProtocolError("bad_team")
            player = {
                "nickname": request.nickname,
                "team": team or "个人",
                "member_no": request.member_no,
                "joined_q": state.q if state.phase != "lobby" else -1,
            }
            code, player_id = self.store.join(
                pin, fold_nickname(request.nickname), player, int(config.get("max_players", 2000))
            )
            if code != "ok":
                raise ProtocolError(code)
            if state.phase == "question":
                self.store.count_late_joiner(pin, state.q)
        self.store.connect(pin, player_id, sid)
        return self.player_snapshot(pin, player_id)

    def player_snapshot(self, pin: str, player_id: str) -> dict[str, Any]:
        """Everything a (re)connecting phone needs: seat, phase, whether it answered, its result."""
        state = self._state(pin)
        player = self.store.player(pin, player_id) or {}
        score = self.store.score(pin, player_id) or {"score": 0, "correct": 0, "streak": 0}
        snapshot: dict[str, Any] = {
            "player_id": player_id,
            "rejoin_token": self.rejoin_token(pin, player_id),
            "nickname": player.get("nickname"),
            "team": player.get("team"),
            "score": score["score"],
            "streak": score["streak"],
            "state": self.state_payload(pin, state),
        }
        if state.q >= 0:
            snapshot["answered"] = self.store.has_answered(pin, state.q, player_id)
            if state.phase != "question":
                snapshot["result"] = self.store.result(pin, state.q, player_id)
        return snapshot

    def _question(self, pin: str, q: int, fresh: bool = False) -> tuple[dict[str, Any], str]:
        cached = None if fresh else self._questions.get((pin, q))
        if cached is None:
            question, created = self.store.game_question(pin, q)
            if question is None:
                raise ProtocolError("not_open" if self.store.exists(pin) else "game_not_found")
            cached = self._questions[(pin, q)] = (question, created)
            while len(self._questions) > QUESTION_CACHE:
                self._questions.popitem(last=False)
        return cached

    def answer(
        self, pin: str, player_id: str, q: int, choice: Any
    ) -> tuple[dict[str, Any], list[Emit | Then]]:
        """Store the answer and, if it was the last one, close the question: the
        acknowledgement and what to send."""
        ack, may_be_last = self.submit_answer(pin, player_id, q, choice)
        return ack, (self.close_if_all_answered(pin, q) if may_be_last else [])

    def close_if_all_answered(self, pin: str, q: int) -> list[Emit | Then]:
        if self.store.all_online_answered(pin, q):
            return self.close_if_due(pin, q)  # everyone connected has answered: close early
        return []

    def submit_answer(self, pin: str, player_id: str, q: int, choice: Any) -> tuple[dict[str, Any], bool]:
        """Store the answer: the acknowledgement, and whether everyone may now have answered
        (then ``close_if_all_answered`` decides). One round trip to Redis for 2,000 phones
        answering within seconds; the question comes from this process's cache."""
        for fresh in (False, True):
            question, created = self._question(pin, q, fresh)
            try:
                checked = protocol.validate_choice(question, choice)
            except ProtocolError:
                if fresh:
                    raise
                continue  # wrong for the cached question: it may be an earlier game's
            counted = checked if question["type"] in ("single", "multiple", "judge") else []
            submitted = self.store.submit(pin, player_id, q, checked, counted, created)
            if submitted.code != "stale":
                break
        if submitted.code != "ok":
            raise ProtocolError("not_open" if submitted.code == "stale" else submitted.code)
        # The counts are a cheap first check; the per-player check only runs when it passes.
        return {"accepted": True, "elapsed_ms": submitted.elapsed}, submitted.may_be_last

    def disconnect(self, pin: str, player_id: str, sid: str) -> list[Emit | Then]:
        """A phone left; if everyone still connected has answered, the question closes."""
        if not self.store.disconnect(pin, player_id, sid):
            return []
        state = self.store.state(pin)
        if state and state.phase == "question" and self.store.all_online_answered(pin, state.q):
            return self.close_if_due(pin, state.q)
        return []

    # -- the ticker --------------------------------------------------------------------

    def tick(self, answered_window_ms: int = 250) -> list[Emit | Then]:
        """Run by every process a few times a second: close due questions (once across all
        processes), send each open game's answered count to its host screen, and now and
        then write the finished games the database refused."""
        self.retry_unwritten()  # first: a Redis error there must not lose a closed question's emits
        now = self.store.now_ms()
        emits: list[Emit | Then] = []
        for pin in self.store.due_games(now):
            emits += self.close_if_due(pin)
        for pin in self.store.due_games(now + 24 * 3600 * 1000):
            state = self.store.state(pin)
            if state and state.phase == "question" and self.store.claim_tick(pin, answered_window_ms):
                payload = {
                    "q": state.q,
                    "answered": self.store.answered_count(pin, state.q),
                    "players": self.store.online_count(pin),
                }
                # The host screen shows it; phones do not, and 2,000 of them at four a second
                # would be 8,000 frames a second for nothing.
                emits.append(Emit(protocol.GAME_ANSWERED, payload, host_room(pin)))
        return emits
