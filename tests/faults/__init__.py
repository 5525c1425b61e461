"""Faults during a live game, with real processes: Redis stopping, hanging and coming back, a
server process killed mid-game or mid-question, and the database gone when a game ends.

These tests stop and restart servers, so they are marked ``slow``; they run in ``make test``
and in CI all the same. The Redis they stop is a private one (never the shared server), and
the database they take away is a PostgreSQL database of their own, created and dropped by
the test: without PostgreSQL on 127.0.0.1:5432 that test skips, but it fails when
ARENA_REQUIRE_POSTGRES=1 (which `.ci/run` sets).
"""
