"""Season leaderboards in Redis, kept in step with the SQL ledger (the truth).

Every key of this domain is spelled here and documented in docs/REDIS.md. The boards are a
fast copy: when Redis loses them, ``rebuild`` writes them again exactly from SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from app.points.periods import board_keys

PREFIX = "arena:points:"
# Boards outlive any assessment year; the TTL only stops abandoned keys living forever.
BOARD_TTL = 800 * 24 * 3600
ACTIVITY_SOURCES = ("quiz", "scenario", "task")


@dataclass(frozen=True)
class BoardEntry:
    """What a ledger entry contributes to the boards (the fields the boards need)."""

    member_id: int
    branch_id: int
    points: int
    source_type: str
    occurred_at: object  # datetime, naive UTC
    for_branch: bool = True  # False for member types the assessment leaves out (群众)


class PointsStore:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    @staticmethod
    def members_key(period: str) -> str:
        return f"{PREFIX}members:{period}"

    @staticmethod
    def branches_key(period: str) -> str:
        return f"{PREFIX}branches:{period}"

    @staticmethod
    def participants_key(period: str) -> str:
        return f"{PREFIX}participants:{period}"

    def add(self, entries: Iterable[BoardEntry]) -> None:
        """Count newly stored ledger entries (call after their transaction committed)."""
        pipe = self.redis.pipeline(transaction=True)
        touched: set[str] = set()
        for entry in entries:
            for period in board_keys(entry.occurred_at).values():  # type: ignore[arg-type]
                pipe.zincrby(self.members_key(period), entry.points, entry.member_id)
                touched.add(self.members_key(period))
                if entry.for_branch:
                    pipe.zincrby(self.branches_key(period), entry.points, entry.branch_id)
                    touched.add(self.branches_key(period))
                if entry.source_type in ACTIVITY_SOURCES:
                    pipe.sadd(self.participants_key(period), entry.member_id)
                    touched.add(self.participants_key(period))
        for key in touched:
            pipe.expire(key, BOARD_TTL)
        pipe.execute()

    def rebuild(self, entries: Iterable[BoardEntry]) -> int:
        """Replace every board with the sums of ``entries`` (the whole ledger); returns the
        number of keys written. Built aside and renamed into place, so a board shown
        meanwhile is never half-built."""
        members: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        branches: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        participants: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            for period in board_keys(entry.occurred_at).values():  # type: ignore[arg-type]
                members[period][entry.member_id] += entry.points
                if entry.for_branch:
                    branches[period][entry.branch_id] += entry.points
                if entry.source_type in ACTIVITY_SOURCES:
                    participants[period].add(entry.member_id)
        fresh: dict[str, tuple[str, object]] = {}
        for period, scores in members.items():
            fresh[self.members_key(period)] = ("zset", scores)
        for period, scores in branches.items():
            fresh[self.branches_key(period)] = ("zset", scores)
        for period, ids in participants.items():
            fresh[self.participants_key(period)] = ("set", ids)
        pipe = self.redis.pipeline(transaction=True)
        for key, (kind, value) in fresh.items():
            staging = f"{PREFIX}rebuild:{key}"
            pipe.delete(staging)
            if kind == "zset":
                pipe.zadd(staging, {str(k): v for k, v in value.items()})  # type: ignore[attr-defined]
            else:
                pipe.sadd(staging, *value)  # type: ignore[misc]
            pipe.rename(staging, key)
            pipe.expire(key, BOARD_TTL)
        stale = [key for key in self.redis.scan_iter(f"{PREFIX}*") if key not in fresh]
        for key in stale:
            pipe.delete(key)
        pipe.execute()
        return len(fresh)

    def clear(self) -> int:
        """Delete every board (tests; `rebuild` replaces them without a gap instead)."""
        keys = list(self.redis.scan_iter(f"{PREFIX}*"))
        return int(self.redis.delete(*keys)) if keys else 0

    def dump(self) -> dict[str, object]:
        """Every board as plain data (members and branches with scores, participant sets)."""
        boards: dict[str, object] = {}
        for key in sorted(self.redis.scan_iter(f"{PREFIX}*")):
            if self.redis.type(key) == "zset":
                boards[key] = self.redis.zrange(key, 0, -1, withscores=True)
            else:
                boards[key] = sorted(self.redis.smembers(key))
        return boards

    def top_members(self, period: str, count: int) -> list[tuple[int, int]]:
        rows = self.redis.zrange(self.members_key(period), 0, count - 1, desc=True, withscores=True)
        return [(int(member), int(score)) for member, score in rows]

    def branch_totals(self, period: str) -> dict[int, int]:
        return {
            int(b): int(s) for b, s in self.redis.zrange(self.branches_key(period), 0, -1, withscores=True)
        }

    def participants(self, period: str) -> set[int]:
        return {int(member) for member in self.redis.smembers(self.participants_key(period))}
