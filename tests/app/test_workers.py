"""`make test` runs two pytest-xdist workers; the second gets a Redis server and (on
PostgreSQL) a database of its own, and leaves neither behind (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os
from pathlib import Path

def test_where_this_worker_keeps_its_stores():
    worker = os.environ["PYTEST_XDIST_WORKER"]
    stores = {"redis": os.environ.get("REDIS_URL"), "database": os.environ.get("DATABASE_URL")}
    Path(os.environ["PROBE_OUT"], worker + ".json").write_text(json.dumps(stores))
"""


def test_the_second_worker_has_stores_of_its_own_and_leaves_none(tmp_path: Path, redis_url: str) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    out = tmp_path / "out"
    out.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_XDIST")}
    env.update(REDIS_URL=redis_url, PROBE_OUT=str(out))
    env.pop("DATABASE_URL", None)
    if POSTGRES_URL:
        env["DATABASE_URL"] = POSTGRES_URL
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q"]
    command += ["-n", "2", "--dist", "each", "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first = json.loads((out / "gw0.json").read_text())
    second = json.loads((out / "gw1.json").read_text())

    assert first == {"redis": redis_url, "database": POSTGRES_URL or None}
    own_redis = urlsplit(second["redis"])
    assert second["redis"] != redis_url and (own_redis.hostname, own_redis.path) == ("127.0.0.1", "/1")
    with socket.socket() as probe:  # its server stopped with the worker
        assert probe.connect_ex(("127.0.0.1", own_redis.port or 0)) != 0
    if POSTGRES_URL:
        own_database = make_url(second["database"])
        name = own_database.database or ""
        assert name.startswith("test_gw1_") and own_database.host == make_url(POSTGRES_URL).host
        admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"))
        with admin.connect() as connection:  # and its database was dropped
            count = text("SELECT count(*) FROM pg_database WHERE datname = :name")
            assert connection.scalar(count, {"name": name}) == 0
        admin.dispose()
    else:
        assert second["database"] is None
