"""Upgrades: processes that start together migrate once, and an upgrade keeps every row.

On SQLite and on PostgreSQL (a fresh schema per test, as tests/conftest.py makes them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select
from werkzeug.security import generate_password_hash

from bot.backend import Backend
from bot.storage.db import make_engine
from bot.storage.migrate import alembic_config, upgrade
from tests.conftest import _drop_postgres_schema, _fresh_postgres_schema

#: The schema whose data the upgrade must keep: the respondents release (0003) and
#: everything after it run on a database filled at this revision.
PREVIOUS = "0002"
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, isolated_settings) -> Iterator[str]:
    """An empty database (no tables at all) on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{isolated_settings / 'upgrade.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    schema, url = _fresh_postgres_schema(base)
    try:
        yield url
    finally:
        _drop_postgres_schema(base, schema)


def test_two_processes_starting_together_migrate_once(empty_db):
    gate = threading.Barrier(2)
    results, errors = [], []

    def start() -> None:
        gate.wait()
        try:
            results.append(upgrade(empty_db))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    # One migrated the empty database; the other waited for the lock and found it up to date.
    assert sorted((r.before or "", r.after) for r in results) == [("", HEAD), (HEAD, HEAD)]
    assert upgrade(empty_db).migrated is False


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
PASSWORD = "an old coordinator password"


def previous_schema_data() -> dict[str, list[dict]]:
    """Rows of every kind the schema held at PREVIOUS, including NULLs and edge values."""
    scan = {item: i % 3 for i, item in enumerate(SCAN_COLUMNS)}
    return {
        "schools": [
            {"id": 1, "name": "De Vlinderboom", "is_demo": False, "created_at": NOW},
            {"id": 2, "name": "Demo school", "is_demo": True, "created_at": NOW},
        ],
        "teams": [
            {
                "id": 10,
                "school_id": 1,
                "name": "Onderbouw",
                "code": "ABCDE-FGHJK",
                "size": 12,
                "is_demo": False,
                "created_at": NOW,
            },
            {
                "id": 11,
                "school_id": 1,
                "name": "Bovenbouw",
                "code": "KLMNP-QRSTV",
                "size": None,
                "is_demo": False,
                "created_at": NOW,
            },
            {
                "id": 12,
                "school_id": 2,
                "name": "Demo team",
                "code": "WXYZ2-34567",
                "size": 8,
                "is_demo": True,
                "created_at": NOW,
            },
        ],
        "checkins": [
            {
                "id": 100 + i,
                "team_id": 10 + i % 3,
                "person_key": f"{i:064x}",
                "iso_year": 2026,
                "iso_week": 1 + i % 9,
                "energie": 1 + i % 5,
                "werkdruk": 1 + (i + 1) % 5,
                "verbinding": None if i % 4 == 0 else 3,
                "waardering": 5,
                "plezier": 1 + (i + 3) % 5,
            }
            for i in range(30)
        ],
        "topic_counts": [
            {"id": 1, "team_id": 10, "iso_year": 2026, "iso_week": 9, "topic": "amplitie", "count": 7},
            {"id": 2, "team_id": 11, "iso_year": 2026, "iso_week": 9, "topic": "werkdruk", "count": 1},
        ],
        "feedback_counts": [
            {
                "id": 1,
                "team_id": 10,
                "iso_year": 2026,
                "iso_week": 9,
                "topic": "amplitie",
                "helpful": 3,
                "not_helpful": 1,
            },
        ],
        "fundament_scans": [{"id": 1, "school_id": 1, "created_at": NOW, **scan}],
        "coordinators": [
            {
                "id": 1,
                "school_id": 1,
                "email": "coordinator@vlinderboom.nl",
                "password_hash": generate_password_hash(PASSWORD),
                "is_demo": False,
                "created_at": NOW,
            },
        ],
    }


SCAN_COLUMNS = (
    "visie", "leiderschap", "inwerken", "maatje", "waarderingsgesprekken", "professionalisering", "techniek",
    "verbinding", "efficacy", "groen", "geel", "rood",
)  # fmt: skip


def dump(url: str, tables: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of these tables (these columns), in primary-key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn, only=list(tables))
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(
                        select(*(meta.tables[name].c[c] for c in columns)).order_by(meta.tables[name].c.id)
                    )
                ]
                for name, columns in tables.items()
            }
    finally:
        engine.dispose()


def test_upgrade_from_the_previous_schema_keeps_every_row(empty_db, settings):
    upgrade(empty_db, PREVIOUS)
    data = previous_schema_data()
    engine = make_engine(empty_db)
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn)
        assert set(data) == set(meta.tables) - {"alembic_version"}, "fill every table of the previous schema"
        for name, rows in data.items():  # in foreign-key order
            conn.execute(meta.tables[name].insert(), rows)
        columns = {name: [c.name for c in meta.tables[name].columns] for name in data}
    engine.dispose()
    before = dump(empty_db, columns)

    assert upgrade(empty_db).after == HEAD
    assert dump(empty_db, columns) == before  # every row, every value, of every table that was there

    # ... and the application finds them: the coordinator logs in, team codes work, history is there.
    from bot.services.checkin import history
    from bot.services.coordinators import authenticate
    from bot.services.teams import find_team

    backend = Backend.from_settings(settings.with_changes(database_url=empty_db))
    try:
        assert authenticate(backend.uow(), "coordinator@vlinderboom.nl", PASSWORD) is not None
        assert find_team(backend.uow(), "ABCDE-FGHJK").name == "Onderbouw"
        person = data["checkins"][1]
        [week] = history(backend.uow(), person["person_key"])
        assert week.scores["energie"] == person["energie"]
    finally:
        backend.database.dispose()
