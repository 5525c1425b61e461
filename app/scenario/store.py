"""Every Redis key and TTL of scenario runs, in one class (STYLE §2; docs/REDIS.md).

A run's whole live state is one JSON document changed by optimistic transactions (WATCH,
apply the pure engine to a copy, MULTI/EXEC; retried when another process moved first),
so any process can serve any event and no change is half-applied. Groups of a few players
act at human speed, so one document per run is far from contention.

Keys (all expire ``RUN_TTL`` after the last change):
- ``arena:game:<pin>``: the PIN's claim, shared with the live quiz so the two never collide
  (``kind`` = ``scenario``);
- ``arena:scenario:<pin>``: hash: ``scenario`` (the file's text), ``state`` (JSON), ``host_token``
  (its SHA-256), ``run_id`` (the SQL row), ``props_per_group``;
- ``arena:scenario:<pin>:codes``: hash: prop code → ``{clue, group}``;
- ``arena:scenario-code:<code>``: the PIN a prop code belongs to (tells another run's card from a forged one);
- ``arena:scenario:<pin>:online``: hash: player id → open connections.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from app.live.store import PIN_ATTEMPTS, PREFIX, LiveStore
from app.scenario.engine import Refused, copy_state

RUN_TTL = 12 * 3600
TRANSACTION_ATTEMPTS = 50
T = TypeVar("T")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ScenarioStore:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    @staticmethod
    def run_key(pin: str) -> str:
        return f"{PREFIX}scenario:{pin}"

    def key(self, pin: str, part: str) -> str:
        return f"{self.run_key(pin)}:{part}"

    @staticmethod
    def code_key(code: str) -> str:
        return f"{PREFIX}scenario-code:{code}"

    def now_ms(self) -> int:
        seconds, micros = self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    # -- runs ----------------------------------------------------------------------------------

    def create_run(
        self, scenario_text: str, state: dict[str, Any], run_id: int, props: list[tuple[str, int | None]]
    ) -> tuple[str, str, dict[str, dict[str, Any]]]:
        """Claim a PIN, store the run and mint one unguessable code per prop card.

        Returns (pin, host_token, codes); only the token's hash is kept.
        """
        host_token = secrets.token_urlsafe(24)
        for _attempt in range(PIN_ATTEMPTS):
            pin = f"{secrets.randbelow(900_000) + 100_000}"
            if not self.redis.hsetnx(LiveStore.game_key(pin), "pin", pin):
                continue
            codes = {secrets.token_urlsafe(12): {"clue": clue, "group": group} for clue, group in props}
            pipe = self.redis.pipeline(transaction=True)
            pipe.hset(LiveStore.game_key(pin), "kind", "scenario")
            pipe.hset(
                self.run_key(pin),
                mapping={
                    "scenario": scenario_text,
                    "state": json.dumps(state, ensure_ascii=False),
                    "host_token": _hash(host_token),
                    "run_id": str(run_id),
                },
            )
            if codes:
                pipe.hset(self.key(pin, "codes"), mapping={c: json.dumps(v) for c, v in codes.items()})
            for code in codes:
                pipe.set(self.code_key(code), pin, ex=RUN_TTL)
            for key in (LiveStore.game_key(pin), self.run_key(pin), self.key(pin, "codes")):
                pipe.expire(key, RUN_TTL)
            pipe.execute()
            return pin, host_token, codes
        raise RuntimeError("no free PIN")

    def exists(self, pin: str) -> bool:
        return bool(self.redis.hexists(self.run_key(pin), "state"))

    def check_host(self, pin: str, token: str) -> bool:
        stored = self.redis.hget(self.run_key(pin), "host_token")
        return bool(stored) and secrets.compare_digest(stored, _hash(token or ""))

    def scenario_text(self, pin: str) -> str | None:
        return self.redis.hget(self.run_key(pin), "scenario")  # type: ignore[no-any-return]

    def run_id(self, pin: str) -> int:
        return int(self.redis.hget(self.run_key(pin), "run_id") or 0)

    def state(self, pin: str) -> dict[str, Any] | None:
        text = self.redis.hget(self.run_key(pin), "state")
        return json.loads(text) if text else None

    def transact(self, pin: str, change: Callable[[dict[str, Any]], T]) -> tuple[T, dict[str, Any]]:
        """Apply ``change`` to a copy of the run's state and store it atomically.

        ``change`` may raise ``Refused``: nothing is stored. Another process writing between
        the read and the write makes Redis drop ours; then it runs again on the new state.
        """
        key = self.run_key(pin)
        for _attempt in range(TRANSACTION_ATTEMPTS):
            with self.redis.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    text = pipe.hget(key, "state")
                    if not text:
                        raise Refused("run_not_found")
                    state = copy_state(json.loads(text))
                    outcome = change(state)
                    pipe.multi()
                    pipe.hset(key, "state", json.dumps(state, ensure_ascii=False))
                    for part in (
                        key,
                        LiveStore.game_key(pin),
                        self.key(pin, "codes"),
                        self.key(pin, "online"),
                    ):
                        pipe.expire(part, RUN_TTL)
                    pipe.execute()
                    return outcome, state
                except redis.WatchError:
                    continue
        raise Refused("unavailable")

    # -- prop codes -------------------------------------------------------------------------------

    def codes(self, pin: str) -> dict[str, dict[str, Any]]:
        return {code: json.loads(value) for code, value in self.redis.hgetall(self.key(pin, "codes")).items()}

    def prop(self, pin: str, code: str) -> dict[str, Any]:
        """The card a code stands for in this run; refuses another run's code and a forged one."""
        value = self.redis.hget(self.key(pin, "codes"), code)
        if value is not None:
            return json.loads(value)  # type: ignore[no-any-return]
        owner = self.redis.get(self.code_key(code))
        raise Refused("wrong_run" if owner and owner != pin else "bad_code")

    def code_pin(self, code: str) -> str | None:
        """The run a scanned code belongs to (the scan page finds its run this way)."""
        return self.redis.get(self.code_key(code))  # type: ignore[no-any-return]

    # -- connections -------------------------------------------------------------------------------

    def connect(self, pin: str, player_id: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(self.key(pin, "online"), player_id, 1)
        pipe.expire(self.key(pin, "online"), RUN_TTL)
        pipe.execute()

    def disconnect(self, pin: str, player_id: str) -> None:
        if self.redis.hincrby(self.key(pin, "online"), player_id, -1) <= 0:
            self.redis.hdel(self.key(pin, "online"), player_id)

    def online(self, pin: str) -> set[str]:
        return set(self.redis.hkeys(self.key(pin, "online")))
