"""docker-compose.yml, the Dockerfile and deploy/nginx.conf agree with each other and with the
app: every service is there with its health check, the URLs point at the services, nginx
proxies websockets to the app's port, nothing secret is written down, and nginx accepts it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.cli import db_group, serve
from tests.deploy import NGINX_CONF, ROOT, local_nginx_conf, require_nginx, upstream_servers, without_comments

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
# What an operator puts in .env; interpolated as `docker compose` would.
ENV = {"SECRET_KEY": "k" * 64, "POSTGRES_PASSWORD": "p" * 48, "ARENA_PUBLIC_URL": "http://hall.example"}
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD")
KB, MB = 1024, 1024 * 1024


class MissingVariable(Exception):
    pass


_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>.*))?", re.DOTALL)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable syntax: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
    ${NAME:?error}, ${NAME?error}."""

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("named"):
            return env.get(match.group("named"), "")
        braced = _BRACED.fullmatch(match.group("braced"))
        assert braced, f"bad variable {match.group(0)!r} in docker-compose.yml"
        name, op, arg = braced.group("name", "op", "arg")
        value = env.get(name)
        if (op in (":-", ":?") and not value) or (op in ("-", "?") and value is None):
            if op.endswith("?"):
                raise MissingVariable(f"{name}: {arg}")
            return arg
        return value or ""

    return _VARIABLE.sub(substitute, text)


def resolve(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, env)
    if isinstance(value, list):
        return [resolve(item, env) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, env) for key, item in value.items()}
    return value


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, written as a mapping or as a list of NAME=value."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def command_line(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    return resolve(raw, ENV)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    return without_comments(NGINX_CONF.read_text(encoding="utf-8"))


def app_port(services: dict[str, Any]) -> int:
    """The port `arena serve` listens on in the app container (its --port)."""
    found = re.search(r"arena serve\b[^&;|]*--port[ =](\d+)", command_line(services["app"]["command"]))
    assert found, services["app"]["command"]
    return int(found.group(1))


def block(conf: str, opening: str) -> str:
    """The text between ``opening {`` and its closing brace."""
    start = re.search(re.escape(opening) + r"\s*\{", conf)
    assert start, f"no `{opening} {{` in deploy/nginx.conf"
    depth, index = 1, start.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(conf[index], 0)
        index += 1
    return conf[start.end() : index - 1]


def directives(text: str, name: str) -> list[str]:
    """The arguments of every ``name …;`` directive in ``text`` (nested blocks included)."""
    return [" ".join(m.group(1).split()) for m in re.finditer(rf"(?:^|[;{{}}\s]){name}\s+([^;{{}}]+);", text)]


def size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": KB, "m": MB, "g": 1024 * MB}[unit.lower()]


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", value).groups()  # type: ignore[union-attr]
    return int(number) * {None: 1, "s": 1, "m": 60, "h": 3600}[unit] if unit != "ms" else 0


# -- compose -------------------------------------------------------------------------------


def test_the_four_services_and_their_images(services: dict[str, Any]) -> None:
    assert {"app", "nginx", "redis", "db"} <= set(services)
    assert services["app"].get("build") or services["app"].get("image")
    assert re.fullmatch(r"redis:7(\.\d+)*(-[\w.]+)?", services["redis"]["image"]), services["redis"]["image"]
    assert re.fullmatch(r"postgres:16(\.\d+)*(-[\w.]+)?", services["db"]["image"]), services["db"]["image"]
    assert re.fullmatch(r"nginx:1\.(2[7-9]|[3-9]\d)(\.\d+)?(-[\w.]+)?", services["nginx"]["image"])


def test_app_is_healthchecked_on_login_and_waits_for_healthy_stores(services: dict[str, Any]) -> None:
    app = services["app"]
    probe = command_line(app["healthcheck"]["test"])
    assert app["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert f"http://127.0.0.1:{app_port(services)}/login" in probe, probe
    assert app["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "pg_isready" in command_line(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    # A running game must survive a Redis crash, not only a clean shutdown (issue 9).
    assert "--appendonly yes" in command_line(services["redis"]["command"])
    assert services["nginx"]["depends_on"] == {"app": {"condition": "service_healthy"}}


def test_app_runs_migrations_then_one_server_with_real_cli_options(
    services: dict[str, Any], raw: dict[str, Any]
) -> None:
    line = command_line(services["app"]["command"])
    upgrade, serving = line.index("arena db upgrade"), line.index("exec arena serve")
    assert upgrade < serving and "&&" in line[upgrade:serving], line
    assert (db_group.name, serve.name) == ("db", "serve") and "upgrade" in db_group.commands
    options = {option for param in serve.params for option in param.opts}
    used = set(re.findall(r"--[a-z-]+", line[serving:]))
    assert used <= options, used - options
    assert {"--host", "--port"} <= used and "--host 0.0.0.0" in line
    # The image runs the same thing without compose.
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert cmd and yaml.safe_load(cmd.group(1)) == raw["services"]["app"]["command"]


def test_app_scales_to_several_replicas(services: dict[str, Any]) -> None:
    app = services["app"]
    assert app.get("deploy", {}).get("replicas", 1) >= 2
    # A fixed container name or a published host port would stop `--scale app=N`.
    assert "container_name" not in app and "ports" not in app
    assert str(app_port(services)) in [str(port) for port in app.get("expose", [])]


def test_app_environment_points_at_the_db_and_redis_services(services: dict[str, Any]) -> None:
    env, db = environment(services["app"]), environment(services["db"])
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ARENA_PUBLIC_URL"} <= set(env)
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme == "postgresql+psycopg"
    assert (database.hostname, database.port) == ("db", 5432)
    assert database.username == db["POSTGRES_USER"] and database.username
    assert database.password == db["POSTGRES_PASSWORD"] == ENV["POSTGRES_PASSWORD"]
    assert database.path == "/" + db["POSTGRES_DB"] and db["POSTGRES_DB"]
    assert "command" not in services["db"] or "-p" not in command_line(services["db"]["command"])
    redis = urlsplit(env["REDIS_URL"])
    assert redis.scheme == "redis" and redis.hostname == "redis" and redis.port in (None, 6379)
    assert "command" not in services["redis"] or "--port" not in command_line(services["redis"]["command"])
    assert env["SECRET_KEY"] == ENV["SECRET_KEY"]
    assert env["ARENA_PUBLIC_URL"] == ENV["ARENA_PUBLIC_URL"]


def test_uploads_live_on_a_named_volume_shared_by_the_replicas(services: dict[str, Any]) -> None:
    app = services["app"]
    instance = environment(app)["ARENA_INSTANCE"]
    mounts = dict(volume.split(":")[1::-1] for volume in app["volumes"])  # target → source
    assert instance in mounts and re.fullmatch(r"[\w-]+", mounts[instance]), app["volumes"]
    # The migration lock sits on that shared volume, so replicas starting together take turns.
    assert f"flock {instance}/" in command_line(app["command"])


def test_every_named_volume_is_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~", "$")):
                used.add(source)
    assert used and used <= declared, used - declared
    assert {"db", "redis"} <= {
        name
        for name, service in services.items()
        for volume in service.get("volumes", [])
        if volume.split(":")[1] in ("/var/lib/postgresql/data", "/data")
    }


def test_no_secret_is_written_in_the_compose_file(raw: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    app, db = environment(raw["services"]["app"]), environment(raw["services"]["db"])
    assert re.fullmatch(r"\$\{SECRET_KEY:?\?[^}]*\}", app["SECRET_KEY"]), app["SECRET_KEY"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:?\?[^}]*\}", db["POSTGRES_PASSWORD"]), db["POSTGRES_PASSWORD"]
    user = r"(?:\$\{[^}]*\}|[^:@/$]+)"
    password = re.match(
        rf"postgresql\+psycopg://{user}:(?P<password>\$\{{[^}}]*\}}|[^@]*)@", app["DATABASE_URL"]
    )
    assert password and re.fullmatch(r"\$\{POSTGRES_PASSWORD:?\?[^}]*\}", password.group("password"))
    # No default for a secret anywhere, and no secret-looking assignment with a value.
    for name in SECRETS:
        assert not re.search(rf"\$\{{{name}:?-", text), name
    for line in text.splitlines():
        match = re.match(r"\s*-?\s*([A-Z_]*(?:SECRET|PASSWORD|TOKEN)[A-Z_]*)\s*[:=]\s*(\S.*)$", line)
        if match:
            assert match.group(2).startswith("${"), line
    # Without the .env file, compose refuses to start instead of running with an empty key.
    for name in SECRETS:
        with pytest.raises(MissingVariable, match=name):
            resolve(raw, {key: value for key, value in ENV.items() if key != name})


def test_nginx_publishes_its_listen_port_and_mounts_the_config(
    services: dict[str, Any], nginx_conf: str
) -> None:
    nginx = services["nginx"]
    listens = directives(block(nginx_conf, "server"), "listen")
    assert listens == ["80"], listens
    targets = [str(port).rsplit(":", 1)[-1] for port in nginx["ports"]]
    assert targets == ["80"], nginx["ports"]
    mounts = [volume.split(":") for volume in nginx["volumes"]]
    assert ["./deploy/nginx.conf", "/etc/nginx/nginx.conf", "ro"] in mounts, mounts
    assert (COMPOSE.parent / "deploy" / "nginx.conf").is_file()


# -- nginx.conf ----------------------------------------------------------------------------


def test_upstream_servers_are_the_app_service_on_its_port(services: dict[str, Any], nginx_conf: str) -> None:
    servers = upstream_servers(nginx_conf)
    assert servers, "no upstream server"
    for host, port, _params in servers:
        # The service name (compose DNS gives every replica), or one replica's container name.
        assert re.fullmatch(r"(arena-)?app([-_]\d+)?", host), host
        assert port == app_port(services)


def test_nginx_proxies_websockets_sticky_and_unbuffered(nginx_conf: str) -> None:
    upstream = block(nginx_conf, "upstream arena")
    assert directives(upstream, "hash") == ["$remote_addr consistent"]
    upgrade_map = block(nginx_conf, "map $http_upgrade $connection_upgrade")
    assert re.search(r"default\s+upgrade;", upgrade_map) and re.search(r"''\s+close;", upgrade_map)
    socket_io = block(nginx_conf, "location /socket.io/")
    assert directives(socket_io, "proxy_pass") == ["http://arena"]
    assert directives(socket_io, "proxy_http_version") == ["1.1"]
    headers = directives(socket_io, "proxy_set_header")
    assert "Upgrade $http_upgrade" in headers and "Connection $connection_upgrade" in headers
    assert "Host $http_host" in headers  # with the port: Socket.IO checks Origin against it
    assert directives(socket_io, "proxy_buffering") == ["off"]
    assert seconds(directives(socket_io, "proxy_read_timeout")[0]) >= 600
    assert seconds(directives(socket_io, "proxy_send_timeout")[0]) >= 600
    pages = block(nginx_conf, "location /")
    assert directives(pages, "proxy_pass") == ["http://arena"]
    page_headers = directives(pages, "proxy_set_header")
    for header in ("Host $http_host", "X-Forwarded-For $proxy_add_x_forwarded_for"):
        assert header in headers and header in page_headers, header
    assert any(h.startswith("X-Forwarded-Proto ") for h in headers) and any(
        h.startswith("X-Forwarded-Proto ") for h in page_headers
    )


def test_nginx_body_limit_fits_the_app_upload_limit(services: dict[str, Any], nginx_conf: str) -> None:
    upload_mb = int(environment(services["app"]).get("ARENA_MAX_UPLOAD_MB", "10"))
    app_limit = upload_mb * MB + 64 * KB  # app/factory.py MAX_CONTENT_LENGTH
    (limit,) = directives(nginx_conf, "client_max_body_size")
    assert app_limit <= size(limit) <= app_limit + 2 * MB, (limit, app_limit)


def test_nginx_has_file_descriptors_for_thousands_of_websockets(
    services: dict[str, Any], nginx_conf: str
) -> None:
    (connections,) = directives(block(nginx_conf, "events"), "worker_connections")
    (rlimit,) = directives(nginx_conf, "worker_rlimit_nofile")
    assert int(connections) >= 8192 and int(rlimit) >= 2 * int(connections)
    for name in ("nginx", "app"):
        nofile = services[name]["ulimits"]["nofile"]
        assert nofile["soft"] >= int(rlimit) and nofile["hard"] >= nofile["soft"], name
    app_connections = int(environment(services["app"])["ARENA_MAX_CONNECTIONS"])
    assert services["app"]["ulimits"]["nofile"]["soft"] > app_connections


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = require_nginx()
    conf = local_nginx_conf(tmp_path, 8080)
    assert "server app:" not in conf.read_text() and "server 127.0.0.1:5000;" in conf.read_text()
    checked = subprocess.run(
        [str(nginx), "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


# -- image ---------------------------------------------------------------------------------


def test_the_image_carries_what_the_app_reads_at_run_time() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim(\s|$)", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install (-e )?\.", dockerfile, re.MULTILINE)
    copied = {
        source.rstrip("/")
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile, re.MULTILINE)
        for source in line.split()[:-1]
    }
    # Pages, static files and the samples are read beside the package (app/config.py
    # PROJECT_ROOT, app/scenario/cli.py, app/blindbox/cli.py, app/cli.py).
    needed = {"pyproject.toml", "README.md", "app", "question_bank"}
    needed |= {"templates", "static", "scenarios", "decks"}
    assert needed <= copied, needed - copied
    ignored = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    assert {".venv", "instance", "tests/e2e/artifacts", "bench/results", ".git", ".env"} <= ignored
    assert not needed & ignored
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE), "the server must not run as root"
