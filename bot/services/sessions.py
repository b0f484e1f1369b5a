"""Signed-in dashboard sessions, kept on the server.

The browser's cookie holds only a random id (``token``); the database holds its SHA-256,
the coordinator, when the session started and was last used, and the rest of the session
as text the web layer serialises. So a session can be ended from the server at any moment:

* logging out, a new password and removing the coordinator end *every* session of that
  coordinator (:func:`end_all`), so a stolen cookie stops working with them;
* a session not used for ``idle`` (SESSION_IDLE_MINUTES, default 30) or older than
  ``lifetime`` (SESSION_MAX_HOURS, default 12) is over, whatever the cookie says.

bot/web/sessions.py plugs this into Flask; these functions take plain values.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.settings import Settings
from bot.storage.models import DashboardSession, utcnow
from bot.storage.unit_of_work import UnitOfWork

#: ``last_seen_at`` is written at most this often (reading a page is not a write each time).
TOUCH_EVERY = timedelta(seconds=60)
#: Longest id a cookie may carry (``secrets.token_urlsafe(32)`` makes 43 characters).
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours))


@dataclass(frozen=True)
class OpenSession:
    """A session that is still valid."""

    coordinator_id: int
    created_at: datetime
    #: What the web layer stored with it (serialised).
    data: str


def id_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value  # SQLite returns naive UTC


def _over(row: DashboardSession, limits: Limits, now: datetime) -> bool:
    return now - _utc(row.last_seen_at) > limits.idle or now - _utc(row.created_at) > limits.lifetime


def start(uow: UnitOfWork, coordinator_id: int, data: str, limits: Limits, now: datetime | None = None) -> str:
    """A new session for the coordinator; returns the random id for the cookie (stored only hashed).

    Sessions of anyone that are over are deleted on the way, so the table holds live ones.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with uow:
        uow.sessions.remove_expired(seen_before=now - limits.idle, created_before=now - limits.lifetime)
        uow.sessions.add(
            DashboardSession(
                id_hash=id_hash(token), coordinator_id=coordinator_id, created_at=now, last_seen_at=now, data=data
            )
        )
        uow.commit()
    return token


def resume(uow: UnitOfWork, token: str, limits: Limits, now: datetime | None = None) -> OpenSession | None:
    """The session behind a cookie's id, marked as used; None when unknown or over (then it is deleted)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    with uow:
        row = uow.sessions.get(id_hash(token))
        if row is None:
            return None
        if _over(row, limits, now):
            uow.sessions.remove(row)
            uow.commit()
            return None
        found = OpenSession(row.coordinator_id, _utc(row.created_at), row.data)
        if now - _utc(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = now
            uow.commit()
        return found


def save(uow: UnitOfWork, token: str, data: str) -> None:
    """Store what the web layer changed in a session (nothing happens for one that has ended)."""
    with uow:
        row = uow.sessions.get(id_hash(token))
        if row is not None and row.data != data:
            row.data = data
            uow.commit()


def end(uow: UnitOfWork, token: str) -> None:
    """End one session."""
    with uow:
        row = uow.sessions.get(id_hash(token))
        if row is not None:
            uow.sessions.remove(row)
            uow.commit()


def end_all(uow: UnitOfWork, coordinator_id: int) -> int:
    """End every session of one coordinator at once; how many there were."""
    with uow:
        count = uow.sessions.remove_of_coordinator(coordinator_id)
        uow.commit()
    return count


def count(uow: UnitOfWork, coordinator_id: int) -> int:
    """How many sessions of the coordinator exist (some may be over and not yet deleted)."""
    with uow:
        return uow.sessions.count_of_coordinator(coordinator_id)
