"""Every Redis key, TTL and Lua script of the live quiz, in one class (STYLE §2).

All live game state is here, none in process memory, so any server process can serve any
event. Each change of shared state is one Lua script or one MULTI transaction. Keys are
documented in docs/REDIS.md; every key of a game expires ``GAME_TTL`` seconds after the
game's last change.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, NamedTuple

import redis

from app.live.quiz import QuizState

GAME_TTL = 6 * 3600
PIN_ATTEMPTS = 50
PREFIX = "arena:"

# Applies a transition only if the game is still at the version it was read at, keeps
# the deadline index in step, and renews the TTL of every key of the game.
# KEYS: game hash, deadline index, the game's other keys. ARGV: version, pin, field/value…
_APPLY = """
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return -1 end
if tonumber(version) ~= tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
local ttl = tonumber(redis.call('HGET', KEYS[1], 'ttl'))
redis.call('EXPIRE', KEYS[1], ttl)
for i = 3, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
if redis.call('HGET', KEYS[1], 'phase') == 'question' then
  redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'deadline_ms'), ARGV[2])
else
  redis.call('ZREM', KEYS[2], ARGV[2])
end
redis.call('EXPIRE', KEYS[2], ttl)
return 1
"""

# Records one answer: phase, question, time window, seat and first-answer checks in one step.
_SUBMIT = """
local game = KEYS[1]
local phase = redis.call('HGET', game, 'phase')
if not phase then return {'game_not_found'} end
local seat = redis.call('HGET', KEYS[4], ARGV[1])
if not seat then return {'not_joined'} end
if redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 1 then return {'kicked'} end
-- A late joiner plays from the question after the one open when it joined.
if tonumber(cjson.decode(seat)['joined_q']) >= tonumber(ARGV[2]) then return {'not_open'} end
if phase ~= 'question' or tonumber(redis.call('HGET', game, 'q')) ~= tonumber(ARGV[2]) then
  return {'not_open'}
end
-- The caller checked the choice against a question it cached: of this game, not of an
-- earlier game that had the same PIN.
if ARGV[4] ~= '' and redis.call('HGET', game, 'created_ms') ~= ARGV[4] then return {'stale'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(redis.call('HGET', game, 'open_ms')) then return {'not_open'} end
if now > tonumber(redis.call('HGET', game, 'deadline_ms')) then return {'late'} end
local elapsed = now - tonumber(redis.call('HGET', game, 'open_ms'))
if redis.call('HSETNX', KEYS[2], ARGV[1], cjson.encode({c = cjson.decode(ARGV[3]), e = elapsed})) == 0 then
  return {'duplicate_answer'}
end
for i = 5, #ARGV do redis.call('HINCRBY', KEYS[3], ARGV[i], 1) end
local answered = redis.call('HINCRBY', KEYS[3], 'n', 1)
local ttl = redis.call('HGET', game, 'ttl')
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
-- What the caller needs to know whether everyone may have answered, in the same round trip.
local late = redis.call('HGET', KEYS[3], 'late') or '0'
return {'ok', tostring(elapsed), tostring(answered), late, tostring(redis.call('HLEN', KEYS[6]))}
"""

# Seats a new player: the nickname must be free (case-insensitively) and the game not full.
# The player id starts with 999999 - join order, so that among equal leaderboard values the
# sorted set's reverse order (ZRANGE … REV sorts equal scores by member, descending) puts
# the earlier joiner first, exactly as scoring.rank does.
_JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'game_not_found'} end
local taken = redis.call('HGET', KEYS[3], ARGV[2])
if taken then return {'nickname_taken'} end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return {'game_full'} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local id = string.format('%06d', 999999 - seq) .. ARGV[1]
local player = cjson.decode(ARGV[3])
player['seq'] = seq
redis.call('HSET', KEYS[2], id, cjson.encode(player))
redis.call('HSET', KEYS[3], ARGV[2], id)
local ttl = redis.call('HGET', KEYS[1], 'ttl')
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return {'ok', id}
"""

# 1 when every connected player who may answer question ARGV[1] has answered it, and at
# least one has. In Redis, not in the server: for 2,000 phones, reading and decoding every
# seat in Python took 20-30 ms of the closing process, before the reveal could go out.
# KEYS: sids, players, answers of the question.
_ALL_ANSWERED = """
local answered = 0
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  if redis.call('HEXISTS', KEYS[3], id) == 1 then
    answered = answered + 1
  else
    local seat = redis.call('HGET', KEYS[2], id)
    if seat and tonumber(cjson.decode(seat)['joined_q']) < tonumber(ARGV[1]) then return 0 end
  end
end
if answered > 0 then return 1 end
return 0
"""

# Forgets a connection only if it is still the player's current one (a reload connects
# the new page before the old one's disconnect arrives).
_DISCONNECT = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _by_player(raw: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A hash of JSON values by player id (players, answers, scores, results), decoded."""
    return {player_id: json.loads(value) for player_id, value in raw.items()}


class Submission(NamedTuple):
    """What storing an answer said: ``code`` "ok" or a refusal; for "ok", the elapsed ms, the
    answers so far, the players seated while the question was open, the players online."""

    code: str
    elapsed: int = 0
    answered: int = 0
    late: int = 0
    online: int = 0

    @property
    def may_be_last(self) -> bool:
        """The cheap test before the exact ``all_online_answered``."""
        return self.answered + self.late >= self.online


class ScoringInputs(NamedTuple):
    """Everything scoring a question reads, read together (``LiveStore.scoring_inputs``)."""

    config: dict[str, Any]
    question: dict[str, Any]
    answers: dict[str, dict[str, Any]]
    players: dict[str, dict[str, Any]]
    kicked: set[str]
    scores: dict[str, dict[str, Any]]


class Standings(NamedTuple):
    """The teams' standings as a scoring worked them out, and the players it counted."""

    teams: list[dict[str, Any]]  # scoring.rank_teams rows
    joined: int  # players seated, kicked ones included
    kicked: int


class LiveStore:
    """The live quiz's Redis state. Methods are named for what they do in the game."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._apply = client.register_script(_APPLY)
        self._submit = client.register_script(_SUBMIT)
        self._join = client.register_script(_JOIN)
        self._disconnect = client.register_script(_DISCONNECT)
        self._all_answered = client.register_script(_ALL_ANSWERED)

    # -- keys ------------------------------------------------------------------------

    @staticmethod
    def game_key(pin: str) -> str:
        return f"{PREFIX}game:{pin}"

    @staticmethod
    def key(pin: str, part: str) -> str:
        return f"{PREFIX}game:{pin}:{part}"

    DEADLINES = f"{PREFIX}deadlines"  # sorted set: pin by deadline, for the closing ticker
    # Finished games not yet in SQL (the database was down, or the writing process died):
    # pin by the time the game ended, until one process's ticker has written it.
    UNWRITTEN = f"{PREFIX}unwritten"
    UNWRITTEN_CLAIM = f"{PREFIX}unwritten:claim"  # the one process retrying in this window

    def game_keys(self, pin: str, total: int) -> list[str]:
        parts = ["players", "nicks", "kicked", "sids", "scores", "board", "standings", "scored", "questions"]
        per_question = [f"{kind}:{q}" for q in range(total) for kind in ("answers", "counts", "results")]
        return [self.game_key(pin), *(self.key(pin, part) for part in parts + per_question)]

    # -- time ------------------------------------------------------------------------

    def now_ms(self) -> int:
        """Server time shared by every process: Redis TIME, never a client clock."""
        seconds, micros = self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    # -- games -----------------------------------------------------------------------

    def create_game(self, config: dict[str, Any], questions: list[dict[str, Any]]) -> tuple[str, str]:
        """A new game in the lobby with a 6-digit PIN unique among live games.

        Returns (pin, host_token); only the token's hash is stored.
        """
        host_token = secrets.token_urlsafe(24)
        state = QuizState(total=len(questions))
        fields = {
            **{key: str(value) for key, value in asdict(state).items()},
            "config": json.dumps(config, ensure_ascii=False),
            "host_token": _hash(host_token),
            "created_ms": str(self.now_ms()),
            "seq": "0",
            "ttl": str(GAME_TTL),
        }
        for _attempt in range(PIN_ATTEMPTS):
            pin = f"{secrets.randbelow(900_000) + 100_000}"
            # HSETNX on a marker field claims the PIN atomically; the rest follows.
            if self.redis.hsetnx(self.game_key(pin), "pin", pin):
                pipe = self.redis.pipeline(transaction=True)
                # An earlier game of this PIN may have left keys whose TTL started a moment
                # after its game hash's (the scoring after a reveal nobody moved on from): a
                # stale `scored` would leave this game's questions unscored.
                pipe.delete(*self.game_keys(pin, len(questions))[1:])
                pipe.hset(self.game_key(pin), mapping=fields)
                pipe.rpush(
                    self.key(pin, "questions"), *[json.dumps(q, ensure_ascii=False) for q in questions]
                )
                for key in (self.game_key(pin), self.key(pin, "questions")):
                    pipe.expire(key, GAME_TTL)
                pipe.execute()
                return pin, host_token
        raise RuntimeError("no free PIN")

    def exists(self, pin: str) -> bool:
        return bool(self.redis.exists(self.game_key(pin)))

    def pin_kind(self, pin: str) -> str | None:
        """What a PIN names: "quiz", "scenario" or "wall" (they share one pool), or None."""
        claim = self.redis.hmget(self.game_key(pin), "pin", "kind")
        if claim[0] is None:
            return None
        return claim[1] or "quiz"

    def check_host(self, pin: str, token: str) -> bool:
        stored = self.redis.hget(self.game_key(pin), "host_token")
        return bool(stored) and secrets.compare_digest(stored, _hash(token or ""))

    def state(self, pin: str) -> QuizState | None:
        data = self.redis.hgetall(self.game_key(pin))
        if not data or "version" not in data:
            return None
        return QuizState(
            phase=data["phase"],
            q=int(data["q"]),
            total=int(data["total"]),
            version=int(data["version"]),
            shown_ms=int(data["shown_ms"]),
            open_ms=int(data["open_ms"]),
            deadline_ms=int(data["deadline_ms"]),
        )

    def config(self, pin: str) -> dict[str, Any]:
        raw = self.redis.hget(self.game_key(pin), "config")
        return json.loads(raw) if raw else {}

    def meta(self, pin: str) -> dict[str, str]:
        return self.redis.hmget(self.game_key(pin), "created_ms", "game_id")  # type: ignore[return-value]

    def game_question(self, pin: str, q: int) -> tuple[dict[str, Any] | None, str]:
        """Question ``q`` and the game's ``created_ms``, which names this game among all that
        ever had this PIN."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.lindex(self.key(pin, "questions"), q)
        pipe.hget(self.game_key(pin), "created_ms")
        raw, created = pipe.execute()
        return (json.loads(raw) if raw else None), created or ""

    def question(self, pin: str, q: int) -> dict[str, Any] | None:
        raw = self.redis.lindex(self.key(pin, "questions"), q)
        return json.loads(raw) if raw else None

    def questions(self, pin: str) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.redis.lrange(self.key(pin, "questions"), 0, -1)]

    def apply(self, pin: str, expected_version: int, new: QuizState) -> bool:
        """Store ``new`` if the game is still at ``expected_version``; True if this call won."""
        fields: list[str] = []
        for key, value in asdict(new).items():
            fields += [key, str(value)]
        keys = [self.game_key(pin), self.DEADLINES, *self.game_keys(pin, new.total)[1:]]
        return int(self._apply(keys=keys, args=[expected_version, pin, *fields])) == 1

    def due_games(self, now_ms: int) -> list[str]:
        """Games whose open question's deadline has passed."""
        return list(self.redis.zrangebyscore(self.DEADLINES, "-inf", now_ms))

    def set_finished(self, pin: str, game_id: int) -> None:
        """The game is in SQL as ``game_id``: nothing left to retry."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.game_key(pin), "game_id", str(game_id))
        pipe.zrem(self.UNWRITTEN, pin)
        pipe.execute()

    # -- finished games the database has not taken yet ---------------------------------

    def mark_unwritten(self, pin: str) -> None:
        """List a finished game for writing before trying to write it, so that a database
        that refuses, or a process that dies while writing, leaves it to the retry. The first
        mark's time is kept: it is when the game ended."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(self.UNWRITTEN, {pin: self.now_ms()}, nx=True)
        pipe.expire(self.UNWRITTEN, GAME_TTL)
        pipe.execute()

    def ended_ms(self, pin: str) -> int | None:
        """When a game listed as unwritten ended (server time), or None."""
        score = self.redis.zscore(self.UNWRITTEN, pin)
        return None if score is None else int(score)

    def unwritten(self, ended_before_ms: int) -> list[str]:
        """Finished games still to be written that ended before ``ended_before_ms``."""
        return list(self.redis.zrangebyscore(self.UNWRITTEN, "-inf", ended_before_ms))

    def claim_unwritten(self, window_ms: int) -> bool:
        """True for the one process that may retry the unwritten games in this window."""
        return bool(self.redis.set(self.UNWRITTEN_CLAIM, "1", nx=True, px=window_ms))

    def keep_unwritten(self, pin: str) -> None:
        """Renew the TTL of every key of a game still to be written, and of the list: a
        database down for hours must not lose the game."""
        total = self.redis.hget(self.game_key(pin), "total")
        pipe = self.redis.pipeline(transaction=False)
        for key in self.game_keys(pin, int(total or 0)):
            pipe.expire(key, GAME_TTL)
        pipe.expire(self.UNWRITTEN, GAME_TTL)
        pipe.execute()

    def forget_unwritten(self, pin: str) -> None:
        """Drop a game whose keys are gone (nothing left to write)."""
        self.redis.zrem(self.UNWRITTEN, pin)

    def forget_deadline(self, pin: str) -> None:
        """Drop a game from the ticker's index (it ended, or its keys expired)."""
        self.redis.zrem(self.DEADLINES, pin)

    # -- players ---------------------------------------------------------------------

    def join(self, pin: str, nickname_key: str, player: dict[str, Any], max_players: int) -> tuple[str, str]:
        """Seat a new player: ("ok", player_id) or (protocol error code, "")."""
        keys = [self.game_key(pin), self.key(pin, "players"), self.key(pin, "nicks")]
        suffix = secrets.token_hex(5)
        result = self._join(
            keys=keys, args=[suffix, nickname_key, json.dumps(player, ensure_ascii=False), max_players]
        )
        return (str(result[0]), str(result[1])) if result[0] == "ok" else (str(result[0]), "")

    def player(self, pin: str, player_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self.key(pin, "players"), player_id)
        return json.loads(raw) if raw else None

    def players(self, pin: str) -> dict[str, dict[str, Any]]:
        return _by_player(self.redis.hgetall(self.key(pin, "players")))

    def standing(self, pin: str, player_ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(player, score) of just these players, in one round trip: a leaderboard's top ten
        need not read a hall of 2,000."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(self.key(pin, "players"), player_ids)
        pipe.hmget(self.key(pin, "scores"), player_ids)
        players, scores = pipe.execute() if player_ids else ([], [])
        return [
            (json.loads(player) if player else {}, json.loads(score) if score else {})
            for player, score in zip(players, scores, strict=True)
        ]

    def kick(self, pin: str, player_id: str) -> bool:
        if not self.redis.hexists(self.key(pin, "players"), player_id):
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(self.key(pin, "kicked"), player_id)
        pipe.hdel(self.key(pin, "sids"), player_id)
        pipe.zrem(self.key(pin, "board"), player_id)  # off the leaderboard at once
        pipe.expire(self.key(pin, "kicked"), GAME_TTL)
        pipe.execute()
        return True

    def is_kicked(self, pin: str, player_id: str) -> bool:
        return bool(self.redis.sismember(self.key(pin, "kicked"), player_id))

    def seated_count(self, pin: str) -> int:
        """Players who joined and were not removed (a kicked id is always a player's)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hlen(self.key(pin, "players"))
        pipe.scard(self.key(pin, "kicked"))
        joined, kicked = pipe.execute()
        return int(joined) - int(kicked)

    def kicked(self, pin: str) -> set[str]:
        return set(self.redis.smembers(self.key(pin, "kicked")))

    def connect(self, pin: str, player_id: str, sid: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key(pin, "sids"), player_id, sid)
        pipe.expire(self.key(pin, "sids"), GAME_TTL)
        pipe.execute()

    def disconnect(self, pin: str, player_id: str, sid: str) -> bool:
        return int(self._disconnect(keys=[self.key(pin, "sids")], args=[player_id, sid])) == 1

    def online_count(self, pin: str) -> int:
        return int(self.redis.hlen(self.key(pin, "sids")))

    def all_online_answered(self, pin: str, q: int) -> bool:
        """True when every connected player has answered ``q`` (and someone is connected).

        Compares players, not counts: a player who answered and then lost Wi-Fi must not
        stand in for one who is still thinking. A player who joined while ``q`` was open may
        not answer it (0 points, from the next question on), so it does not hold ``q`` open.
        """
        keys = [self.key(pin, "sids"), self.key(pin, "players"), self.key(pin, f"answers:{q}")]
        return int(self._all_answered(keys=keys, args=[q])) == 1

    # -- answers ---------------------------------------------------------------------

    def submit(
        self,
        pin: str,
        player_id: str,
        q: int,
        choice: Any,
        counted: Iterable[int | str],
        created_ms: str = "",
    ) -> Submission:
        """Record an answer atomically; code "ok" or an error. With ``created_ms`` (the game's,
        from ``game_question``) the answer is refused as ``stale`` if the PIN now names
        another game."""
        keys = [
            self.game_key(pin),
            self.key(pin, f"answers:{q}"),
            self.key(pin, f"counts:{q}"),
            self.key(pin, "players"),
            self.key(pin, "kicked"),
            self.key(pin, "sids"),
        ]
        args = [player_id, q, json.dumps(choice, ensure_ascii=False), created_ms, *[str(c) for c in counted]]
        result = self._submit(keys=keys, args=args)
        if result[0] != "ok":
            return Submission(str(result[0]))
        return Submission("ok", *(int(value) for value in result[1:]))

    def answers(self, pin: str, q: int) -> dict[str, dict[str, Any]]:
        return _by_player(self.redis.hgetall(self.key(pin, f"answers:{q}")))

    def has_answered(self, pin: str, q: int, player_id: str) -> bool:
        return bool(self.redis.hexists(self.key(pin, f"answers:{q}"), player_id))

    def answered_count(self, pin: str, q: int) -> int:
        return int(self.redis.hget(self.key(pin, f"counts:{q}"), "n") or 0)

    def count_late_joiner(self, pin: str, q: int) -> None:
        """Count a player seated while ``q`` is open: it may not answer ``q``."""
        key = self.key(pin, f"counts:{q}")
        pipe = self.redis.pipeline()
        pipe.hincrby(key, "late", 1)
        pipe.expire(key, GAME_TTL)
        pipe.execute()

    def counts(self, pin: str, q: int) -> dict[str, int]:
        return {k: int(v) for k, v in self.redis.hgetall(self.key(pin, f"counts:{q}")).items()}

    # -- scores ----------------------------------------------------------------------

    def score(self, pin: str, player_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self.key(pin, "scores"), player_id)
        return json.loads(raw) if raw else None

    def scores(self, pin: str) -> dict[str, dict[str, Any]]:
        """Per player: score, correct (count), streak, time (ms of correct answers)."""
        return _by_player(self.redis.hgetall(self.key(pin, "scores")))

    def scoring_inputs(self, pin: str, q: int) -> ScoringInputs:
        """What scoring ``q`` reads, in one round trip. The close runs while the reveal is
        being written to 2,000 sockets; every round trip waited for the whole hub to come
        round again, and six of them cost the results tens of milliseconds."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(self.game_key(pin), "config")
        pipe.lindex(self.key(pin, "questions"), q)
        pipe.hgetall(self.key(pin, f"answers:{q}"))
        pipe.hgetall(self.key(pin, "players"))
        pipe.smembers(self.key(pin, "kicked"))
        pipe.hgetall(self.key(pin, "scores"))
        config, question, answers, players, kicked, scores = pipe.execute()
        return ScoringInputs(
            config=json.loads(config) if config else {},
            question=json.loads(question) if question else {},
            answers=_by_player(answers),
            players=_by_player(players),
            kicked=set(kicked),
            scores=_by_player(scores),
        )

    def scored(self, pin: str) -> int:
        """The last question whose scoring is recorded (-1 before the first)."""
        value = self.redis.get(self.key(pin, "scored"))
        return int(value) if value is not None else -1

    def record_scores(
        self,
        pin: str,
        q: int,
        scores: dict[str, dict[str, Any]],
        board: dict[str, float],
        results: dict[str, dict[str, Any]],
        standings: Standings,
    ) -> bool:
        """Write one question's scoring in one transaction, once: False, and nothing written,
        when ``q`` is already scored. The closing process scores right after sending the
        reveal, and the host's next step scores if it has not yet: whichever comes second
        must not add the points again. The caller read the scores before this; a scoring
        written since then is seen here, after the WATCH, or makes the EXEC fail."""
        marker = self.key(pin, "scored")
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.watch(marker)
            done = pipe.get(marker)
            if done is not None and int(done) >= q:
                return False
            pipe.multi()
            if scores:
                pipe.hset(self.key(pin, "scores"), mapping={p: json.dumps(s) for p, s in scores.items()})
            if board:
                pipe.zadd(self.key(pin, "board"), board)
            if results:
                pipe.hset(
                    self.key(pin, f"results:{q}"), mapping={p: json.dumps(r) for p, r in results.items()}
                )
            pipe.set(self.key(pin, "standings"), json.dumps(standings._asdict(), ensure_ascii=False))
            pipe.set(marker, q)
            for part in ("scores", "board", f"results:{q}", "standings", "scored"):
                pipe.expire(self.key(pin, part), GAME_TTL)
            try:
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def standings(self, pin: str) -> list[dict[str, Any]] | None:
        """The teams' standings written with the last scoring, if still true: None before the
        first scoring, or when a player has joined or been kicked since (a team's mean, and
        its members, would differ). Only a scoring changes a score, and the hall grows but
        never shrinks (a kicked player stays listed among the players), so the two counts
        tell. One round trip where working them out reads every player and every score."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.key(pin, "standings"))
        pipe.hlen(self.key(pin, "players"))
        pipe.scard(self.key(pin, "kicked"))
        raw, joined, kicked = pipe.execute()
        if not raw:
            return None
        written = Standings(**json.loads(raw))
        return written.teams if (written.joined, written.kicked) == (joined, kicked) else None

    def ranking(self, pin: str, limit: int = -1) -> list[str]:
        """Player ids best first (ZRANGE … REV; ZREVRANGE is deprecated)."""
        stop = -1 if limit < 0 else limit - 1
        return list(self.redis.execute_command("ZRANGE", self.key(pin, "board"), 0, stop, "REV"))

    def result(self, pin: str, q: int, player_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self.key(pin, f"results:{q}"), player_id)
        return json.loads(raw) if raw else None

    def results(self, pin: str, q: int) -> dict[str, dict[str, Any]]:
        """Every player's result of question ``q``, by player id (the written game's)."""
        return _by_player(self.redis.hgetall(self.key(pin, f"results:{q}")))

    # -- limits ----------------------------------------------------------------------

    def claim_tick(self, pin: str, window_ms: int) -> bool:
        """True for the one process that may send the answered count in this window."""
        return bool(self.redis.set(self.key(pin, "tick"), "1", nx=True, px=window_ms))
