"""The database of one process: its engine and sessions, built on first use from a URL.

Nothing here is global: each entry point (web app, action server, CLI, benchmarks) makes
one :class:`Database` from its own ``Settings`` and hands it down. No I/O at import time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

#: Seconds a SQLite writer waits for a lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 15
#: Connections kept open to a SQLite file (one per thread using it at once: the web app's
#: waitress threads), and how many more may open for a burst.
SQLITE_POOL_SIZE = 8
SQLITE_POOL_OVERFLOW = 8


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, foreign keys and synchronous=NORMAL on a new SQLite connection (a "connect" listener;
    Rasa's tracker store listens with it too, bot/rasa_speedups.py ``sqlite_pool``)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sqlite_file_options() -> dict[str, Any]:
    """``create_engine`` options for a SQLite file: kept connections. SQLAlchemy 1.4 opens a new
    one for every session (NullPool), each with the PRAGMAs: most of the action server's CPU on
    a check-in step. Our database and Rasa's tracker store both use these."""
    return {
        "poolclass": QueuePool,
        "pool_size": SQLITE_POOL_SIZE,
        "max_overflow": SQLITE_POOL_OVERFLOW,
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    }


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the options this project relies on.

    ``hide_parameters`` keeps SQL parameters (answers, e-mail addresses) out of every
    error message and log line.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options = sqlite_file_options()
        else:  # in memory: SQLAlchemy's own pool, one connection per thread
            options = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}}
        engine = create_engine(url, future=True, hide_parameters=True, **options)
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    return create_engine(url, future=True, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """One application database: the engine is created on first use and shared by sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def session(self) -> Session:
        if self._sessions is None:
            self._sessions = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        return self._sessions()

    def unit_of_work(self):
        """A fresh unit of work on this database (see bot.storage.unit_of_work)."""
        from bot.storage.unit_of_work import SqlUnitOfWork

        return SqlUnitOfWork(self)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def describe_error(exc: BaseException) -> str:
    """A database error for a log line: its type and SQLSTATE, never its message.

    Parameters are hidden by the engine, but PostgreSQL itself repeats a failing row in the
    message ("Failing row contains (...)"), so the message is never logged.
    """
    code = getattr(getattr(exc, "orig", None), "pgcode", None) or getattr(exc, "code", None)
    return f"{type(exc).__name__}" + (f" ({code})" if code else "")
