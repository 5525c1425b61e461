"""Every Redis key, TTL and Lua script of danmaku walls and Q&A, in one class (docs/REDIS.md).

Keys (``<pin>`` is the wall's: a game's, a scenario run's or a standalone wall's PIN; all
expire ``WALL_TTL`` after the wall's last change):
- ``arena:wall:<pin>``: hash: ``mode``, ``paused``, ``overlay``, ``title``, ``kind``, ``created``,
  ``host_token`` (standalone walls), ``host_user`` and ``host_token_given`` (a wall given to a
  host account: the account's id and the hash of the token it last opened the wall with),
  ``seq``, ``pinned``;
- ``arena:host:<user id>:walls``: sorted set: the standalone walls given to a host, by creation;
- ``arena:wall:<pin>:players``: hash: wall player id → nickname (standalone walls);
- ``arena:wall:<pin>:mutes``: hash: player → muted until (ms);
- ``arena:wall:<pin>:bucket:<kind>:<player>``: hash: the player's rate-limit bucket for messages
  (``wall``) or questions (``qa``): tokens and time;
- ``arena:wall:<pin>:recent:<kind>:<player>:<digest>``: a text sent in the last 10 s (repeats);
- ``arena:wall:<pin>:pending``: hash: message id → JSON, waiting for a moderator;
- ``arena:wall:<pin>:shown``: list: the last messages on screen, JSON (for removal, reloads);
- ``arena:wall:<pin>:qa``: hash: question id → JSON; ``…:qa:votes`` sorted set; ``…:qa:voters:<id>`` set;
- ``arena:words:version``: the organizer's word list's version (every process reloads on change).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import redis

from app.live.store import PIN_ATTEMPTS, PREFIX, LiveStore

WALL_TTL = 12 * 3600
SHOWN_KEEP = 200
REPEAT_MS = 10_000
BURST = 3
REFILL_MS = 3_000

# The gate every message passes, in one step: muted? rate limit (a token bucket: BURST
# messages at once, one more every REFILL_MS)? the same text within REPEAT_MS?
# KEYS: mutes, bucket, recent. ARGV: player, burst, refill ms, repeat ms, ttl.
# Returns {'ok'} or {'muted', until} or {'rate_limited', wait} or {'repeat'}.
_GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if until_ms > now then return {'muted', tostring(until_ms)} end
local burst, refill = tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(redis.call('HGET', KEYS[2], 'tokens') or ARGV[2])
local last = tonumber(redis.call('HGET', KEYS[2], 'at') or tostring(now))
tokens = math.min(burst, tokens + (now - last) / refill)
if tokens < 1 then return {'rate_limited', tostring(math.ceil((1 - tokens) * refill))} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {'repeat'} end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[2], burst * refill)
return {'ok'}
"""

# One upvote per player and question. KEYS: voters, votes. ARGV: player, question id.
_VOTE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('ZINCRBY', KEYS[2], 1, ARGV[2])
"""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WallStore:
    WORDS_VERSION = f"{PREFIX}words:version"

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._gate = client.register_script(_GATE)
        self._vote = client.register_script(_VOTE)

    @staticmethod
    def wall_key(pin: str) -> str:
        return f"{PREFIX}wall:{pin}"

    def key(self, pin: str, part: str) -> str:
        return f"{self.wall_key(pin)}:{part}"

    def _touch(self, pipe: Any, pin: str, *parts: str) -> None:
        pipe.expire(self.wall_key(pin), WALL_TTL)
        for part in parts:
            pipe.expire(self.key(pin, part), WALL_TTL)

    # -- walls ------------------------------------------------------------------------------------

    @staticmethod
    def host_walls_key(user_id: int) -> str:
        return f"{PREFIX}host:{user_id}:walls"

    def create_standalone(self, title: str, mode: str, host_user: int | None = None) -> tuple[str, str]:
        """A wall of its own (a meeting): a PIN from the quiz's pool and a host token.
        ``host_user``: the host account the wall is given to, who may open it later."""
        token = secrets.token_urlsafe(24)
        for _attempt in range(PIN_ATTEMPTS):
            pin = f"{secrets.randbelow(900_000) + 100_000}"
            if not self.redis.hsetnx(LiveStore.game_key(pin), "pin", pin):
                continue
            pipe = self.redis.pipeline(transaction=True)
            pipe.hset(LiveStore.game_key(pin), "kind", "wall")
            pipe.expire(LiveStore.game_key(pin), WALL_TTL)
            pipe.hset(
                self.wall_key(pin),
                mapping={
                    "kind": "standalone",
                    "title": title,
                    "mode": mode,
                    "paused": "0",
                    "overlay": "1",
                    "host_token": _hash(token),
                    "seq": "0",
                    "created": str(self.now_ms()),
                    **({"host_user": str(host_user)} if host_user is not None else {}),
                },
            )
            self._touch(pipe, pin)
            if host_user is not None:
                pipe.zadd(self.host_walls_key(host_user), {pin: self.now_ms()})
                pipe.expire(self.host_walls_key(host_user), WALL_TTL)
            pipe.execute()
            return pin, token
        raise RuntimeError("no free PIN")

    def ensure(self, pin: str, kind: str, title: str) -> None:
        """A game's or a scenario run's wall comes into being with its first use."""
        pipe = self.redis.pipeline(transaction=True)
        defaults = {"kind": kind, "title": title, "mode": "auto", "paused": "0", "overlay": "1", "seq": "0"}
        for field, value in {**defaults, "created": str(self.now_ms())}.items():
            pipe.hsetnx(self.wall_key(pin), field, value)
        self._touch(pipe, pin)
        pipe.execute()

    def record_key(self, pin: str) -> str:
        """The wall's name in SQL: a PIN is reused over time, PIN and creation time never are."""
        return f"{pin}:{self.redis.hget(self.wall_key(pin), 'created') or 0}"

    def wall(self, pin: str) -> dict[str, str]:
        return self.redis.hgetall(self.wall_key(pin))  # type: ignore[no-any-return]

    def check_host(self, pin: str, token: str) -> bool:
        given = _hash(token or "")
        return any(
            stored and secrets.compare_digest(stored, given)
            for stored in self.redis.hmget(self.wall_key(pin), ["host_token", "host_token_given"])
        )

    def host_walls(self, user_id: int) -> list[dict[str, str]]:
        """The standalone walls given to a host that are still open, newest first."""
        pins = self.redis.zrevrange(self.host_walls_key(user_id), 0, 49)
        walls = []
        for pin in pins:
            wall = self.wall(pin)
            if wall.get("host_user") == str(user_id):
                walls.append(
                    {"pin": pin, "title": wall.get("title", ""), "created": wall.get("created", "0")}
                )
            else:  # expired (or the PIN was reused since)
                self.redis.zrem(self.host_walls_key(user_id), pin)
        return walls

    def open_for(self, pin: str, user_id: int, organizer: bool = False) -> str | None:
        """A fresh host token for the host the wall was given to (their earlier one stops
        working, the organizer's stays), or for an organizer (the organizer's earlier one
        stops working); None if the wall is not open or not given to this host."""
        wall = self.wall(pin)
        if wall.get("kind") != "standalone" or not (organizer or wall.get("host_user") == str(user_id)):
            return None
        token = secrets.token_urlsafe(24)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.wall_key(pin), "host_token" if organizer else "host_token_given", _hash(token))
        self._touch(pipe, pin)
        pipe.execute()
        return token

    def settings(self, pin: str, changes: dict[str, Any]) -> dict[str, str]:
        values = {k: ("1" if v else "0") if isinstance(v, bool) else str(v) for k, v in changes.items()}
        if values:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hset(self.wall_key(pin), mapping=values)
            self._touch(pipe, pin)
            pipe.execute()
        return self.wall(pin)

    # -- players of standalone walls --------------------------------------------------------------

    def add_player(self, pin: str, nickname: str) -> str:
        player_id = f"w{secrets.token_hex(6)}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key(pin, "players"), player_id, nickname)
        self._touch(pipe, pin, "players")
        pipe.execute()
        return player_id

    def player_nickname(self, pin: str, player_id: str) -> str | None:
        return self.redis.hget(self.key(pin, "players"), player_id)  # type: ignore[no-any-return]

    # -- messages -----------------------------------------------------------------------------------

    def gate(self, pin: str, player: str, text_key: str, kind: str = "wall") -> tuple[str, int]:
        """(outcome, number): ok; muted (until ms); rate_limited (wait ms); repeat.
        Messages and questions (``kind``) have a bucket each; a mute silences both."""
        digest = hashlib.sha1(text_key.encode()).hexdigest()[:16]
        outcome = self._gate(
            keys=[
                self.key(pin, "mutes"),
                self.key(pin, f"bucket:{kind}:{player}"),
                self.key(pin, f"recent:{kind}:{player}:{digest}"),
            ],
            args=[player, BURST, REFILL_MS, REPEAT_MS, WALL_TTL],
        )
        return str(outcome[0]), int(outcome[1]) if len(outcome) > 1 else 0

    def next_id(self, pin: str) -> str:
        return str(self.redis.hincrby(self.wall_key(pin), "seq", 1))

    def hold(self, pin: str, message: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key(pin, "pending"), message["id"], json.dumps(message, ensure_ascii=False))
        self._touch(pipe, pin, "pending")
        pipe.execute()

    def pending(self, pin: str) -> list[dict[str, Any]]:
        items = [json.loads(v) for v in self.redis.hvals(self.key(pin, "pending"))]
        return sorted(items, key=lambda item: int(item["id"]))

    def take_pending(self, pin: str, message_id: str) -> dict[str, Any] | None:
        """Remove a waiting message and return it; None when another moderator was first."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(self.key(pin, "pending"), message_id)
        pipe.hdel(self.key(pin, "pending"), message_id)
        value, removed = pipe.execute()
        return json.loads(value) if value and removed else None

    def show(self, pin: str, message: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(self.key(pin, "shown"), json.dumps(message, ensure_ascii=False))
        pipe.ltrim(self.key(pin, "shown"), 0, SHOWN_KEEP - 1)
        self._touch(pipe, pin, "shown")
        pipe.execute()

    def shown(self, pin: str) -> list[dict[str, Any]]:
        return [json.loads(v) for v in self.redis.lrange(self.key(pin, "shown"), 0, -1)]

    def unshow(self, pin: str, message_id: str) -> dict[str, Any] | None:
        for value in self.redis.lrange(self.key(pin, "shown"), 0, -1):
            message = json.loads(value)
            if message["id"] == message_id:
                self.redis.lrem(self.key(pin, "shown"), 1, value)
                return message  # type: ignore[no-any-return]
        return None

    def mute(self, pin: str, player: str, until_ms: int) -> None:
        pipe = self.redis.pipeline(transaction=True)
        if until_ms:
            pipe.hset(self.key(pin, "mutes"), player, str(until_ms))
        else:
            pipe.hdel(self.key(pin, "mutes"), player)
        self._touch(pipe, pin, "mutes")
        pipe.execute()

    def now_ms(self) -> int:
        seconds, micros = self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    # -- Q&A -------------------------------------------------------------------------------------------

    def ask(self, pin: str, question: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key(pin, "qa"), question["id"], json.dumps(question, ensure_ascii=False))
        pipe.zadd(self.key(pin, "qa:votes"), {question["id"]: 0})
        self._touch(pipe, pin, "qa", "qa:votes")
        pipe.execute()

    def question(self, pin: str, question_id: str) -> dict[str, Any] | None:
        value = self.redis.hget(self.key(pin, "qa"), question_id)
        return json.loads(value) if value else None

    def update_question(self, pin: str, question: dict[str, Any]) -> None:
        self.redis.hset(self.key(pin, "qa"), question["id"], json.dumps(question, ensure_ascii=False))

    def vote(self, pin: str, question_id: str, player: str) -> int:
        """The question's votes after this one; -1 when this player already voted."""
        voters = self.key(pin, f"qa:voters:{question_id}")
        votes = int(float(self._vote(keys=[voters, self.key(pin, "qa:votes")], args=[player, question_id])))
        self.redis.expire(voters, WALL_TTL)
        return votes

    def questions(self, pin: str) -> list[dict[str, Any]]:
        """Every question with its votes, most votes first (then the earliest)."""
        votes = dict(self.redis.zrange(self.key(pin, "qa:votes"), 0, -1, withscores=True))
        items = [json.loads(v) for v in self.redis.hvals(self.key(pin, "qa"))]
        for item in items:
            item["votes"] = int(votes.get(item["id"], 0))
        return sorted(items, key=lambda item: (-item["votes"], int(item["id"])))

    # -- the word list's version -----------------------------------------------------------------------

    def words_version(self) -> int:
        return int(self.redis.get(self.WORDS_VERSION) or 0)

    def bump_words(self) -> int:
        return int(self.redis.incr(self.WORDS_VERSION))
