"""Backups as docs/DEPLOY.md gives them, taken while check-ins are being stored, and restored.

A writer stores check-ins (one per roster member, as the check-in's last step does) while
the backup runs; the restored database must hold every check-in that was finished before
the backup started, each complete, and the application must start on it. The commands are
the documented ones; the test checks the document still says them.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.backend import Backend
from bot.services import roster
from bot.services.checkin import save_checkin
from bot.services.links import member_token, token_hash
from bot.services.teams import create_team
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.db import make_engine
from bot.storage.migrate import upgrade

DEPLOY_DOC = (PROJECT_ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
MEMBERS = 80
PYTHON_BACKUP = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('VACUUM INTO ?', (sys.argv[2],))"


def scores(i: int) -> dict[str, int]:
    return {"energie": 1 + i % 5, "werkdruk": 1 + (i + 1) % 5, "verbinding": 1 + (i + 2) % 5, "waardering": 4,
            "plezier": 1 + (i + 4) % 5}  # fmt: skip


def roster_links(backend: Backend, n: int) -> list[tuple[str, str]]:
    """(link hash, pseudonym) of n new members of one team."""
    team = create_team(backend.uow(), "Backup school", "Team")
    roster.set_domains(backend.uow(), "Backup school", ["school.test"])
    emails = [f"m{i}@school.test" for i in range(n)]
    change = roster.add_members(backend.uow(), team.id, "\n".join(emails), "test", backend.settings.link_secret)
    assert change.done == emails
    settings = backend.settings
    with backend.uow() as uow:
        members = uow.members.with_emails(emails)
        return [
            (
                token_hash(member_token(members[e].id, members[e].token_version, settings.link_secret)),
                roster.member_key(members[e].id, settings.pseudonym_secret),
            )
            for e in emails
        ]


class Writer(threading.Thread):
    """Stores one check-in per member, one after the other, noting each one that finished."""

    def __init__(self, backend: Backend, links: list[tuple[str, str]]) -> None:
        super().__init__(daemon=True)
        self.backend, self.links = backend, links
        self.finished: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for i, (link_hash, person_key) in enumerate(self.links):
                save_checkin(self.backend.uow(), link_hash, scores(i), self.backend.settings.pseudonym_secret)
                self.finished.append(person_key)
                time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - asserted by the test
            self.error = exc

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.finished) < count and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.error is None and len(self.finished) >= count


def backup_during_checkins(backend: Backend, take_backup) -> tuple[list[str], list[tuple[str, str]]]:
    """Run ``take_backup()`` while the writer stores check-ins; returns (finished before it, all links)."""
    links = roster_links(backend, MEMBERS)
    writer = Writer(backend, links)
    writer.start()
    writer.wait_for(10)
    finished_before = list(writer.finished)
    take_backup()
    still_writing = writer.is_alive()
    writer.join(timeout=120)
    assert writer.error is None
    assert still_writing, "the writer was done before the backup ended: the test proves nothing"
    return finished_before, links


def assert_restored(url: str, settings: Settings, finished_before: list[str], links: list[tuple[str, str]]) -> None:
    """Every check-in finished before the backup is there, complete; the application starts on it."""
    assert upgrade(url).migrated is False  # a start on the restored database
    expected = {key: tuple(scores(i).values()) for i, (_hash, key) in enumerate(links)}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT person_key, energie, werkdruk, verbinding, waardering, plezier FROM checkins")
            ).all()
    finally:
        engine.dispose()
    restored = {r[0]: tuple(r[1:]) for r in rows}
    assert len(restored) == len(rows)
    assert set(finished_before) <= set(restored)
    assert all(restored[key] == expected[key] for key in restored)  # complete rows, nothing half-written
    backend = Backend.from_settings(settings.with_changes(database_url=url))
    try:
        from bot.services.checkin import history

        assert history(backend.uow(), finished_before[0])  # the member still sees their check-in
    finally:
        backend.database.dispose()


# ---------------------------------------------------------------- SQLite


@pytest.mark.parametrize("tool", ["sqlite3", "python"])
def test_sqlite_backup_during_checkins_restores_every_finished_checkin(tool, backend, settings, tmp_path):
    database = Path(make_url(settings.database_url).database)
    backup = tmp_path / "backup" / "welbevinden.db"
    backup.parent.mkdir()
    if tool == "sqlite3":
        if shutil.which("sqlite3") is None:
            pytest.skip("the sqlite3 program is not installed (apt-get install sqlite3); the python variant runs")
        command = ["sqlite3", str(database), f".backup '{backup}'"]
        assert """sqlite3 var/welbevinden.db ".backup '/backup/welbevinden.db'\"""" in DEPLOY_DOC
    else:
        command = [sys.executable, "-c", PYTHON_BACKUP, str(database), str(backup)]
        assert PYTHON_BACKUP in DEPLOY_DOC

    # Another process keeps the database open, as a running server does: SQLite then leaves
    # the newest commits in welbevinden.db-wal (only the last connection to close moves them).
    keeper = sqlite3.connect(database)
    try:
        keeper.execute("SELECT count(*) FROM checkins").fetchone()
        finished_before, links = backup_during_checkins(
            backend, lambda: subprocess.run(command, check=True, timeout=60)
        )
    finally:
        backend.database.dispose()
        keeper.close()

    # Restore as documented: everything stopped, the database and its -wal/-shm files moved
    # away (a stale WAL file would be replayed onto the restored copy), the backup copied in.
    assert "welbevinden.db-wal" in DEPLOY_DOC
    for suffix in ("", "-wal", "-shm"):
        old = database.with_name(database.name + suffix)
        if old.exists():
            old.rename(tmp_path / f"broken{suffix}")
    shutil.copy(backup, database)
    assert_restored(settings.database_url, settings, finished_before, links)


# ---------------------------------------------------------------- PostgreSQL


def libpq_url(url: str) -> str:
    """DATABASE_URL as pg_dump and pg_restore take it (without SQLAlchemy's "+psycopg2")."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_databases(postgres_url) -> Iterator[tuple[str, str]]:
    """Two new, empty databases (the live one and the one to restore into), dropped afterwards."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore are not installed (apt-get install postgresql-client)")
    names = [f"t_backup_{uuid.uuid4().hex[:8]}", f"t_restore_{uuid.uuid4().hex[:8]}"]
    admin = create_engine(postgres_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(postgres_url)
    try:
        yield tuple(base.set(database=name).render_as_string(hide_password=False) for name in names)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_backup_during_checkins_restores_every_finished_checkin(postgres_databases, settings, tmp_path):
    live, restored = postgres_databases
    upgrade(live)
    backend = Backend.from_settings(settings.with_changes(database_url=live))
    dump = tmp_path / "welbevinden.dump"
    assert "pg_dump --format=custom --file=" in DEPLOY_DOC
    assert "pg_restore --no-owner --dbname=" in DEPLOY_DOC
    try:
        finished_before, links = backup_during_checkins(
            backend,
            lambda: subprocess.run(
                ["pg_dump", "--format=custom", f"--file={dump}", libpq_url(live)], check=True, timeout=120
            ),
        )
    finally:
        backend.database.dispose()
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={libpq_url(restored)}", str(dump)], check=True, timeout=120)
    assert_restored(restored, settings, finished_before, links)
