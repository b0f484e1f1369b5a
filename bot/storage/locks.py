"""Named locks that every process on one database sees: who migrates, who runs the scheduler.

PostgreSQL: a session-level advisory lock, on a connection of its own that is held for the
``with`` block (a process that dies loses its connection, and with it the lock). The key is
the lock's name and the current schema, so databases that share a server but not a schema
(the tests) do not wait for each other.

SQLite: an exclusive ``flock`` on a file next to the database (``welbevinden.db.migrate.lock``);
the kernel releases it when the process ends. The lock file is left in place: removing it
would let a second process lock a new file while the first still holds the old one.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)


def _namespace(name: str) -> int:
    """A stable signed 32-bit number for ``name`` (the first key of a two-key advisory lock)."""
    value = zlib.crc32(f"welbevinden:{name}".encode())
    return value - 2**32 if value >= 2**31 else value


def lock_file(url: str, name: str) -> Path | None:
    """The file a SQLite database's lock ``name`` lives in; None for a database in memory."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    path = Path(database)
    return path.with_name(f"{path.name}.{name}.lock")


class HeldLock:
    """What ``database_lock`` yields: true when this process holds the lock."""

    def __init__(self, held: bool, alive: Callable[[], bool] = lambda: True) -> None:
        self.held = held
        self._alive = alive

    def __bool__(self) -> bool:
        return self.held

    def still_held(self) -> bool:
        """False once the lock is lost (PostgreSQL: its connection broke, e.g. a database restart)."""
        return self.held and self._alive()


@contextmanager
def database_lock(url: str, name: str, wait: bool = True) -> Iterator[HeldLock]:
    """Hold the lock ``name`` of the database at ``url`` for the ``with`` block.

    Yields a true value when this process holds the lock. With ``wait=False`` it yields a
    false one at once when another process holds it (the block then runs without it).
    """
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        with _file_lock(lock_file(url, name), wait) as held:
            yield held
    elif backend == "postgresql":
        with _advisory_lock(url, name, wait) as held:
            yield held
    else:
        raise ValueError(f"No lock for {backend} databases: use SQLite or PostgreSQL.")


@contextmanager
def _file_lock(path: Path | None, wait: bool) -> Iterator[HeldLock]:
    if path is None:  # in memory: only this process can see it
        yield HeldLock(True)
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield HeldLock(False)
            return
        try:
            yield HeldLock(True)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(url: str, name: str, wait: bool) -> Iterator[HeldLock]:
    engine = create_engine(url, future=True, hide_parameters=True, poolclass=NullPool)
    key = {"ns": _namespace(name)}
    try:
        with engine.connect() as conn:
            function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            held = conn.execute(text(f"SELECT {function}(:ns, hashtext(current_schema()))"), key).scalar()
            held = True if wait else bool(held)
            conn.commit()  # session-level: the lock outlives this transaction; no idle transaction

            def alive() -> bool:
                try:
                    conn.execute(text("SELECT 1"))
                    conn.commit()
                    return True
                except DBAPIError:
                    return False

            try:
                yield HeldLock(held, alive)
            finally:
                if held:
                    try:
                        conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(current_schema()))"), key)
                        conn.commit()
                    except DBAPIError:  # the connection is gone, and with it the lock
                        log.warning("Lock %s: the connection was lost before the unlock", name)
    finally:
        engine.dispose()
