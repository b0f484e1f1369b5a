"""The database of one process: its engine and sessions, built on first use from a URL.

Nothing here is global: each entry point (web app, action server, CLI, benchmarks) makes
one :class:`Database` from its own ``Settings`` and hands it down. No I/O at import time.
"""

from __future__ import annotations

from pathlib import Path

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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the options this project relies on.

    ``hide_parameters`` keeps SQL parameters (answers, e-mail addresses) out of every
    error message and log line.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pooled: dict = {}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # SQLAlchemy 1.4 opens a new connection to a SQLite file for every session (NullPool),
            # each with the PRAGMAs below: most of the action server's CPU on a check-in step.
            pooled = {"poolclass": QueuePool, "pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
        engine = create_engine(
            url,
            future=True,
            hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            **pooled,
        )
        _configure_sqlite(engine)
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
