"""Dashboard sessions on the server, on SQLite and PostgreSQL.

The cookie holds only a random id; logging out, a new password and removing the
coordinator end every session of theirs at once (a stolen cookie too); a session ends
after SESSION_IDLE_MINUTES without use and SESSION_MAX_HOURS after login.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from bot.backend import Backend
from bot.cli import main
from bot.services import sessions
from bot.services.coordinators import create_coordinator, remove_coordinator, set_password
from bot.settings import Settings
from bot.storage.models import DashboardSession, utcnow
from bot.web.app import create_app

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "another-horse-battery"


def app_for(backend: Backend) -> Flask:
    app = create_app(backend.settings, backend)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def coordinator(any_backend: Backend) -> int:
    return create_coordinator(any_backend.uow(), "School A", "a@example.org", PASSWORD).id


@pytest.fixture
def app(any_backend: Backend, coordinator: int) -> Flask:
    return app_for(any_backend)


def csrf_token(client, url: str = "/dashboard/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def logged_in(app: Flask, email: str = "a@example.org", password: str = PASSWORD):
    client = app.test_client()
    response = client.post(
        "/dashboard/login", data={"csrf_token": csrf_token(client), "email": email, "password": password}
    )
    assert response.status_code == 302, "login failed"
    return client


def signed_in(client) -> bool:
    return client.get("/dashboard/").status_code == 200


def cookie(client) -> str:
    return client.get_cookie("session").value


def rows(backend: Backend) -> list[SimpleNamespace]:
    """Every stored session's columns, read in a transaction of their own."""
    with backend.uow() as uow:
        found = uow.sessions.session.scalars(select(DashboardSession).order_by(DashboardSession.id)).all()
        return [
            SimpleNamespace(**{c.name: getattr(r, c.name) for c in DashboardSession.__table__.columns}) for r in found
        ]


def age(backend: Backend, *, idle: timedelta = timedelta(0), started: timedelta = timedelta(0)) -> None:
    """Move every session back in time: last used ``idle`` ago, started ``started`` ago."""
    now = utcnow()
    with backend.uow() as uow:
        for row in uow.sessions.session.scalars(select(DashboardSession)).all():
            row.last_seen_at = now - idle
            row.created_at = now - max(idle, started)
        uow.commit()


# --------------------------------------------------------------------------- in the browser


def test_the_cookie_holds_only_a_random_id_and_the_database_only_its_hash(app, any_backend, coordinator):
    client = logged_in(app)
    value = cookie(client)
    assert re.fullmatch(r"s\.[A-Za-z0-9_-]{43}", value)
    [row] = rows(any_backend)
    assert row.coordinator_id == coordinator and row.id_hash == sessions.id_hash(value[2:])
    assert value[2:] not in row.data and "coordinator" not in row.data
    # A copy of the table logs nobody in: the stored hash is not the id.
    thief = app.test_client()
    thief.set_cookie("session", "s." + row.id_hash)
    assert not signed_in(thief)
    assert signed_in(client)


def test_logging_out_ends_every_session_of_the_coordinator_and_a_stolen_cookie(app, any_backend):
    laptop, phone = logged_in(app), logged_in(app)
    stolen = app.test_client()
    stolen.set_cookie("session", cookie(laptop))
    assert signed_in(stolen) and signed_in(phone) and len(rows(any_backend)) == 2
    response = laptop.post("/dashboard/logout", data={"csrf_token": csrf_token(laptop, "/dashboard/")})
    assert "Je bent uitgelogd, op elk apparaat" in laptop.get(response.location).get_data(as_text=True)
    assert not signed_in(laptop) and not signed_in(stolen) and not signed_in(phone)
    assert rows(any_backend) == []


def test_logging_in_again_gives_a_new_id_and_ends_the_old_one(app, any_backend):
    client = logged_in(app)
    first = cookie(client)
    client.post(
        "/dashboard/login",
        data={"csrf_token": csrf_token(client, "/dashboard/"), "email": "a@example.org", "password": PASSWORD},
    )
    assert cookie(client) != first and signed_in(client)
    old = app.test_client()
    old.set_cookie("session", first)
    assert not signed_in(old) and len(rows(any_backend)) == 1


def test_a_session_ends_after_the_idle_time(app, any_backend):
    client = logged_in(app)
    age(any_backend, idle=timedelta(minutes=29))
    assert signed_in(client)  # and being used, it is fresh again
    assert rows(any_backend)[0].last_seen_at.replace(tzinfo=None) > (utcnow() - timedelta(minutes=1)).replace(
        tzinfo=None
    )
    age(any_backend, idle=timedelta(minutes=31))
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/dashboard/login" in response.location
    assert "Je sessie is verlopen. Log opnieuw in." in client.get(response.location).get_data(as_text=True)
    assert rows(any_backend) == [] and not cookie(client).startswith("s.")


def test_a_session_ends_after_its_lifetime_even_in_use(app, any_backend):
    client = logged_in(app)
    age(any_backend, started=timedelta(hours=11, minutes=59))
    assert signed_in(client)
    age(any_backend, started=timedelta(hours=12, minutes=1))
    assert not signed_in(client)


def test_the_limits_are_settings(any_backend, coordinator, monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("SESSION_MAX_HOURS", "1")
    settings = Settings.from_env()
    assert (settings.session_idle_minutes, settings.session_max_hours) == (5, 1)
    app = app_for(Backend(settings, any_backend.database))
    client = logged_in(app)
    expires = client.get_cookie("session").expires
    assert timedelta(minutes=59) < expires - utcnow() <= timedelta(hours=1)
    age(any_backend, idle=timedelta(minutes=6))
    assert not signed_in(client)


def test_a_new_password_ends_every_session(app, any_backend, monkeypatch, capsys):
    client = logged_in(app)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert main(["coordinator", "set-password", "--email", "A@example.org"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"email": "a@example.org", "sessions_ended": 1}  # the password itself is not printed
    assert not signed_in(client)
    assert signed_in(logged_in(app, password=NEW_PASSWORD))
    login_page = app.test_client()
    response = login_page.post(
        "/dashboard/login",
        data={"csrf_token": csrf_token(login_page), "email": "a@example.org", "password": PASSWORD},
    )
    assert response.status_code == 200  # the old password no longer works


def test_removing_a_coordinator_ends_every_session(app, any_backend, capsys):
    client = logged_in(app)
    other = create_coordinator(any_backend.uow(), "School A", "b@example.org", PASSWORD)
    colleague = logged_in(app, "b@example.org")
    assert main(["coordinator", "remove", "--email", "a@example.org"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": "a@example.org", "sessions_ended": 1}
    assert not signed_in(client)
    assert signed_in(colleague)  # the school and its other coordinator stay
    assert [r.coordinator_id for r in rows(any_backend)] == [other.id]
    assert main(["coordinator", "remove", "--email", "a@example.org"]) == 1  # unknown now


def test_a_generated_password_is_printed_once(any_backend, coordinator, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["coordinator", "set-password", "--email", "a@example.org"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["password"]) >= 12 and "only this once" in out["note"]


def test_a_cookie_from_before_server_sessions_logs_nobody_in(app, coordinator):
    """A signed cookie naming a coordinator (the old format) is valid Flask, but no longer a login."""
    client = app.test_client()
    forged = app.session_interface.get_signing_serializer(app).dumps(
        {"coordinator_id": coordinator, "school_id": 1, "sid": "x"}
    )
    client.set_cookie("session", forged)
    assert not signed_in(client)


def test_two_web_app_processes_share_the_sessions(any_backend, coordinator):
    first, second = app_for(any_backend), app_for(Backend(any_backend.settings, any_backend.database))
    client = logged_in(first)
    elsewhere = second.test_client()
    elsewhere.set_cookie("session", cookie(client))
    assert signed_in(elsewhere)


# --------------------------------------------------------------------------- the services


def test_expired_sessions_are_deleted_when_someone_logs_in(any_backend, coordinator):
    limits = sessions.Limits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    now = utcnow()
    old = sessions.start(any_backend.uow(), coordinator, "{}", limits, now=now - timedelta(hours=1))
    live = sessions.start(any_backend.uow(), coordinator, "{}", limits, now=now)
    assert sessions.resume(any_backend.uow(), live, limits, now=now) is not None
    assert [r.id_hash for r in rows(any_backend)] == [sessions.id_hash(live)]
    assert sessions.resume(any_backend.uow(), old, limits, now=now) is None
    assert sessions.resume(any_backend.uow(), "", limits) is None
    assert sessions.resume(any_backend.uow(), "x" * 500, limits) is None


def test_services_end_sessions_in_the_same_transaction(any_backend, coordinator):
    limits = sessions.Limits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    for _ in range(3):
        sessions.start(any_backend.uow(), coordinator, "{}", limits)
    assert sessions.count(any_backend.uow(), coordinator) == 3
    assert set_password(any_backend.uow(), "a@example.org", NEW_PASSWORD) == 3
    assert sessions.count(any_backend.uow(), coordinator) == 0
    with pytest.raises(ValueError, match="12 characters"):
        set_password(any_backend.uow(), "a@example.org", "short")
    with pytest.raises(LookupError):
        set_password(any_backend.uow(), "nobody@example.org", NEW_PASSWORD)
    sessions.start(any_backend.uow(), coordinator, "{}", limits)
    assert remove_coordinator(any_backend.uow(), "a@example.org") == 1
    assert rows(any_backend) == []
