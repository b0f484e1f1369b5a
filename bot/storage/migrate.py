"""Run Alembic migrations from Python: at the start of every process, by the CLI, in the tests.

``upgrade(url)`` holds the database's ``migrate`` lock (bot/storage/locks.py) while it reads
the current revision and migrates, so processes that start together migrate once: the first
one migrates, the others wait for it and then find the database up to date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.db import make_engine
from bot.storage.locks import database_lock

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upgraded:
    """The database's revision before and after an ``upgrade``."""

    before: str | None
    after: str | None

    @property
    def migrated(self) -> bool:
        return self.before != self.after


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> Upgraded:
    """Bring the database at ``url`` up to ``revision``, under the database's migration lock.

    Logs one line when it migrated (Alembic's own lines only from WARNING up, unless configured).
    """
    alembic_log = logging.getLogger("alembic")
    if alembic_log.level == logging.NOTSET:
        alembic_log.setLevel(logging.WARNING)
    with database_lock(url, "migrate"):
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                sqlite = conn.dialect.name == "sqlite"
                if sqlite:
                    # A migration that rebuilds a table (Alembic's batch mode) drops the old
                    # one; with foreign keys on, SQLite would cascade that to every check-in.
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                before = current_revision(conn)
                conn.commit()
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn  # bot/storage/migrations/env.py migrates on it
                command.upgrade(cfg, revision)
                conn.commit()
                after = current_revision(conn)
                if sqlite:
                    broken = conn.execute(text("PRAGMA foreign_key_check")).all()
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    if broken:
                        tables = sorted({row[0] for row in broken})
                        raise RuntimeError(f"Migration left rows without their parent in {', '.join(tables)}.")
                conn.commit()
        finally:
            engine.dispose()
    result = Upgraded(before, after)
    if result.migrated:
        log.info("[db] migrated from %s to %s", before or "an empty database", after)
    return result


def new_revision(message: str, url: str) -> None:
    """Autogenerate a migration from the models; review it by hand before committing."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
