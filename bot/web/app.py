"""Flask application factory. Served by waitress (``python -m bot serve``)."""

from __future__ import annotations

from flask import Flask, redirect, url_for

from bot.settings import Settings, get_settings
from bot.web import chat, dashboard


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; ``settings`` lets tests use their own database and secrets."""
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.web_secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=64 * 1024,
        WELBEVINDEN_SETTINGS=settings,
    )
    app.register_blueprint(chat.bp)
    dashboard.init_app(app, settings)

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
