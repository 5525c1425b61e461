"""The deployment files (docker-compose.yml, Dockerfile, deploy/nginx.conf) and a real nginx.

Docker cannot run here, so the compose file is checked by reading it, and deploy/nginx.conf
is run by Debian's nginx (``apt-get install -y nginx``) on loopback, rewritten only where a
test must differ from a container: the upstream addresses, the listen address, and the pid,
log and temporary paths. Without /usr/sbin/nginx those tests skip on a developer machine,
but fail when ARENA_REQUIRE_NGINX=1 (which `.ci/run` sets).
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = Path("/usr/sbin/nginx")

_UPSTREAM = re.compile(r"^(?P<indent>\s*)upstream\s+arena\s*\{(?P<body>[^{}]*)\}", re.MULTILINE)
_SERVER = re.compile(r"^\s*server\s+(?P<address>[^\s;]+)(?P<params>[^;]*);", re.MULTILINE)


def require_nginx() -> Path:
    """Debian's nginx, or skip (fail when ARENA_REQUIRE_NGINX=1)."""
    if not (NGINX.exists() and os.access(NGINX, os.X_OK)):
        message = "没有 /usr/sbin/nginx（apt-get install -y nginx）：nginx 用例未运行"
        if os.environ.get("ARENA_REQUIRE_NGINX") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return NGINX


def without_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def upstream_servers(conf: str) -> list[tuple[str, int, str]]:
    """(host, port, parameters) of each ``server`` of ``upstream arena``."""
    match = _UPSTREAM.search(without_comments(conf))
    assert match, "deploy/nginx.conf has no `upstream arena { … }`"
    servers = []
    for server in _SERVER.finditer(match.group("body")):
        host, _, port = server.group("address").rpartition(":")
        assert host and port.isdigit(), f"upstream server without host:port: {server.group(0).strip()}"
        servers.append((host, int(port), server.group("params").strip()))
    return servers


def _replace_once(pattern: str, replacement: str, text: str) -> str:
    changed, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, f"expected one {pattern!r} in deploy/nginx.conf, found {count}"
    return changed


def local_nginx_conf(
    workdir: Path,
    listen_port: int,
    upstreams: list[int] | None = None,
) -> Path:
    """deploy/nginx.conf made runnable on loopback by the current user: every upstream server
    on 127.0.0.1 (on its own port, or on the ``upstreams`` ports instead), listening on
    127.0.0.1:``listen_port``, with its pid, logs and temporary files under ``workdir``.
    Everything else (timeouts, headers, maps, hashing, limits) is the file as shipped."""
    conf = without_comments(NGINX_CONF.read_text(encoding="utf-8"))
    servers = upstream_servers(conf)
    assert servers, "upstream arena lists no server"
    ports = upstreams if upstreams is not None else [port for _host, port, _params in servers]
    lines = "".join(f"\n        server 127.0.0.1:{port};" for port in ports)
    conf = _UPSTREAM.sub(
        lambda m: (
            f"{m.group('indent')}upstream arena {{"
            + _SERVER.sub("", m.group("body")).rstrip()
            + lines
            + f"\n{m.group('indent')}}}"
        ),
        conf,
        count=1,
    )
    conf = _replace_once(r"^\s*pid\s+[^;]+;", f"pid {workdir / 'nginx.pid'};", conf)
    conf = _replace_once(r"^\s*error_log\s+[^;]+;", f"error_log {workdir / 'error.log'} info;", conf)
    conf = _replace_once(
        r"^(\s*)access_log\s+\S+\s+arena;", rf"\g<1>access_log {workdir / 'access.log'} arena;", conf
    )
    conf = _replace_once(r"^(\s*)listen\s+80;", rf"\g<1>listen 127.0.0.1:{listen_port};", conf)
    temp = "".join(
        f"\n    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = _replace_once(r"^http\s*\{", "http {" + temp, conf)
    if os.geteuid() == 0:
        # As root, nginx would switch its workers to "nobody", who cannot enter pytest's
        # private temporary folders (mode 0700) to write request bodies there.
        conf = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" + conf
    path = workdir / "nginx.conf"
    path.write_text(conf, encoding="utf-8")
    return path


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    workdir: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> list[str]:
        path = self.workdir / "access.log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def error_log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""


def start_nginx(workdir: Path, upstreams: list[int]) -> Nginx:
    """A real nginx in the foreground (``daemon off``) proxying to ``upstreams``."""
    binary = require_nginx()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = local_nginx_conf(workdir, port, upstreams)
    process = subprocess.Popen(
        [
            str(binary),
            "-c",
            str(conf),
            "-p",
            str(workdir),
            "-e",
            str(workdir / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    running = Nginx(process, workdir, port)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}: {running.error_log()}")
        try:
            with urllib.request.urlopen(f"{running.url}/login", timeout=2) as response:
                if response.status == 200:
                    return running
        except OSError:
            time.sleep(0.1)
    stop_nginx(running)
    pytest.fail(f"nginx did not answer in 15 s: {running.error_log()}")


def stop_nginx(running: Nginx) -> None:
    running.process.terminate()
    try:
        running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()
