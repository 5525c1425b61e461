"""The application factory: settings, connections, blueprints, error pages, headers."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from app import realtime
from app.config import PROJECT_ROOT, Settings
from app.extensions import Database, RedisConnection

csrf = CSRFProtect()

# A page of ours carries no inline script or style, so the policy can forbid both.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def make_app(config: dict[str, Any] | None = None) -> Flask:
    settings = Settings.from_env(**(config or {}))
    app = Flask(
        "app",
        instance_path=str(settings.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        ARENA=settings,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 64 * 1024,  # room for the form fields
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.behind_tls,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the login session
        JSON_AS_ASCII=False,
    )
    app.config.update(settings.extra)
    if settings.proxy_hops:
        # Only the proxies we run may say who the client is: the address feeds the login
        # throttle and the audit log, the scheme the Secure cookie and Socket.IO's origin check.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops, x_host=settings.proxy_hops
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces each of its plugins at INFO when imported: noise on every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    Database(settings.database_url).init_app(app)
    RedisConnection(settings.redis_url, settings.instance_path).init_app(app)
    app.before_request(_refuse_nameless_fields)  # before the CSRF check, which reads the names
    csrf.init_app(app)
    realtime.init_app(app)

    from app.web import admin, audit, auth, boxes, hosting, live
    from app.web import points as points_pages
    from app.web import scenario as scenario_pages
    from app.web import walls as wall_pages

    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(live.bp)
    app.register_blueprint(points_pages.bp)
    app.register_blueprint(scenario_pages.bp)
    app.register_blueprint(wall_pages.bp)
    app.register_blueprint(boxes.bp)
    app.register_blueprint(hosting.bp)
    app.register_blueprint(audit.bp)
    app.add_template_filter(beijing, "beijing")

    from app.cli import register

    register(app)
    _register_error_pages(app)
    app.after_request(_security_headers)
    return app


def beijing(moment: Any) -> str:
    """A stored (naive UTC) time as organizers read it: Beijing time."""
    from app.points.periods import TZ

    if moment is None:
        return ""
    return f"{moment.replace(tzinfo=dt.UTC).astimezone(TZ):%Y-%m-%d %H:%M}"


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), payment=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _refuse_nameless_fields() -> Any:
    """A multipart part whose name holds a line break reaches Flask as a field named None,
    which the CSRF check and the forms fail on (a 500): the request is malformed."""
    if request.method == "POST" and None in request.form:
        return error_page(400, "bad_request", "请求格式不正确。")
    return None


def error_page(status: int, code: str, message: str) -> Any:
    """The error page; the JSON API (``…/api/…``) answers in its own shape, so a phone's
    script shows the message instead of failing to parse a page."""
    if "/api/" in request.path:
        return jsonify(ok=False, error={"code": code, "message": message}), status
    return render_template("error.html", status=status, code=code, message=message), status


def _register_error_pages(app: Flask) -> None:
    limit_mb = app.config["ARENA"].max_upload_bytes // (1024 * 1024)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Any:
        return error_page(400, "csrf_failed", "页面已过期或来源不明，请刷新页面后重试。")

    @app.errorhandler(404)
    def not_found(_error: Exception) -> Any:
        return error_page(404, "not_found", "页面不存在。")

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> Any:
        return error_page(405, "method_not_allowed", "不支持该操作。")

    @app.errorhandler(413)
    def too_large(_error: Exception) -> Any:
        return error_page(413, "file_too_large", f"上传的文件超过上限 {limit_mb} MB。")

    @app.errorhandler(500)
    def server_error(_error: Exception) -> Any:
        app.logger.error("unhandled error on %s %s", request.method, request.path)
        return error_page(500, "server_error", "服务器出错了，请稍后重试；如果反复出现，请联系管理员。")
