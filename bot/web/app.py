"""Flask application factory. Served by waitress (``python -m bot serve``).

Behind a reverse proxy, TRUSTED_PROXIES (default 0) says how many proxies stand in front:
only their X-Forwarded-For / X-Forwarded-Proto entries are believed (werkzeug's ProxyFix),
so the login limits see the real client address and a client cannot choose one.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.backend import Backend
from bot.settings import Settings, require_production_ready
from bot.web import chat, dashboard, sessions


def create_app(settings: Settings, backend: Backend | None = None) -> Flask:
    """Build the web app for these settings (tests pass their own database and secrets).

    A ``backend`` given along must carry the same settings: the pages read the minimum
    group size and the URLs from it, the app's cookies, CSP and limiter from ``settings``.
    """
    backend = backend or Backend.from_settings(settings)
    if backend.settings != settings:
        raise ValueError("create_app: the backend was built from other settings than the app's.")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.web_secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # A pasted or uploaded roster of 10,000 addresses fits; everything else is small.
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=4 * 1024 * 1024,
        WELBEVINDEN_BACKEND=backend,
    )
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    sessions.init_app(app, backend)
    app.register_blueprint(chat.bp)
    dashboard.init_app(app, settings)
    # The pause link's POST may come from a mail program (RFC 8058 one-click): no CSRF token,
    # but the unguessable token in the URL is the credential itself.
    dashboard.csrf.exempt(chat.pause_page)

    @app.get("/")
    def index():
        return redirect(url_for("chat.chat_page"))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {settings.rasa_url} {settings.rasa_url.replace('http', 'ws', 1)}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app


def from_env() -> Flask:
    """The web app of ``python -m bot serve`` (waitress --call): settings from the environment.

    Migrates the database first (once, however many processes start together). With
    APP_ENV=production it refuses to start (one list of what to fix) unless the settings are safe.
    """
    from bot.storage.migrate import upgrade

    settings = Settings.from_env()
    require_production_ready(settings, "web")
    upgrade(settings.database_url)
    return create_app(settings)
