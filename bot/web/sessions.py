"""Flask sessions for the dashboard: signed in, the cookie holds only a random id.

Before logging in, a visitor's session is Flask's signed cookie, holding nothing but the
login form's CSRF token and messages to show (no identity, nothing to steal). At login
:func:`log_in` marks the request; when the response is saved a server-side session starts
(bot.services.sessions) and the cookie becomes ``s.<random id>``. Everything else in the
session (the CSRF token, "team created" messages) then lives in the database row too.

Each request with such a cookie looks the session up: unknown, idle for longer than
SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS, and the visitor is anonymous again
(with a "session expired" message for the login page). :func:`log_out_everywhere` ends every
session of the coordinator; a new password or removal does the same from the CLI.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Request, Response, g, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from bot.backend import Backend
from bot.services import sessions

logger = logging.getLogger(__name__)

#: A server-side session's cookie value starts with this (a signed Flask cookie never does).
PREFIX = "s."
#: The session key of the signed-in coordinator (not stored in the row's data: its own column).
COORDINATOR = "coordinator_id"
#: The message the login page shows after a session ran out (templates/dashboard/base.html).
EXPIRED_MESSAGE = "session_expired"
#: Where log_in() leaves the coordinator for save_session (flask.g: this request only).
_LOGIN = "welbevinden_login"


class ServerSession(SecureCookieSession):
    """A signed-in session. ``token`` is the cookie's random id; None once it has to be renewed."""

    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        super().__init__(initial)
        self.token = token


class DashboardSessionInterface(SecureCookieSessionInterface):
    """Anonymous: Flask's signed cookie. Signed in: a random id, the session in the database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.limits = sessions.Limits.of(backend.settings)

    # -- reading

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        raw = request.cookies.get(self.get_cookie_name(app)) or ""
        if not raw.startswith(PREFIX):
            anonymous = super().open_session(app, request)
            if anonymous is not None and COORDINATOR in anonymous:
                anonymous.pop(COORDINATOR)  # a cookie from before server-side sessions logs nobody in
            return anonymous
        if app.static_url_path and request.path.startswith(app.static_url_path + "/"):
            return self.session_class()  # a style sheet needs no session: no database read, nothing saved
        token = raw[len(PREFIX) :]
        found = sessions.resume(self.backend.uow(), token, self.limits)
        if found is None:
            anonymous = self.session_class()
            anonymous["_flashes"] = [("message", EXPIRED_MESSAGE)]  # also replaces the dead cookie
            return anonymous
        try:
            data = self.serializer.loads(found.data) if found.data else {}
        except ValueError:
            logger.warning("A dashboard session's data could not be read; it starts empty")
            data = {}
        data[COORDINATOR] = found.coordinator_id
        return ServerSession(data, token=token)

    # -- writing

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        login = g.pop(_LOGIN, None)
        if login is not None:  # log_in() in this request: a new server-side session
            self._start(app, session, login, response)
            return
        if isinstance(session, ServerSession):
            if session.token is None or session.get(COORDINATOR) is None:
                # Logged out (or the session cleared): back to an anonymous cookie with what is left.
                if session.token:
                    sessions.end(self.backend.uow(), session.token)
                anonymous = self.session_class({k: v for k, v in session.items() if k != COORDINATOR})
                anonymous.modified = True
                super().save_session(app, anonymous, response)
            elif session.modified:
                sessions.save(self.backend.uow(), session.token, self._data(session))
            return
        super().save_session(app, session, response)

    def _data(self, session: SecureCookieSession) -> str:
        return self.serializer.dumps({k: v for k, v in session.items() if k != COORDINATOR})

    def _start(self, app: Flask, session: SecureCookieSession, coordinator_id: int, response: Response) -> None:
        token = sessions.start(self.backend.uow(), coordinator_id, self._data(session), self.limits)
        response.vary.add("Cookie")
        response.set_cookie(
            self.get_cookie_name(app),
            PREFIX + token,
            expires=datetime.now(timezone.utc) + self.limits.lifetime,
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )


def log_in(coordinator_id: int) -> None:
    """Start a signed-in session for the coordinator when this response is sent.

    Nothing of the session before survives (against session fixation, and a new CSRF
    token); a signed-in session of someone else on this browser ends.
    """
    if isinstance(session, ServerSession) and session.token:
        sessions.end(_backend().uow(), session.token)
        session.token = None
    session.clear()
    setattr(g, _LOGIN, coordinator_id)


def log_out_everywhere(coordinator_id: int) -> int:
    """End every session of the coordinator (this browser's and any other); how many there were."""
    ended = sessions.end_all(_backend().uow(), coordinator_id)
    if isinstance(session, ServerSession):
        session.token = None  # already ended
    session.clear()
    return ended


def signed_in_coordinator() -> int | None:
    """The coordinator of this request's session; only a server-side session names one."""
    return session.get(COORDINATOR) if isinstance(session, ServerSession) else None


def _backend() -> Backend:
    from flask import current_app

    return current_app.config["WELBEVINDEN_BACKEND"]


def init_app(app: Flask, backend: Backend) -> None:
    app.session_interface = DashboardSessionInterface(backend)
