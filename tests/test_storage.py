"""Storage on real SQLite and PostgreSQL: migrations, constraints, the check-in upsert."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.services import checkin
from bot.services.teams import create_team
from bot.services.weeks import IsoWeek
from bot.storage.db import get_engine, transaction
from bot.storage.models import CheckIn

SCORES = {"energie": 4, "werkdruk": 2, "verbinding": 5, "waardering": 3, "plezier": None}


def test_migrations_create_every_table(any_db):
    tables = set(inspect(get_engine(any_db)).get_table_names())
    assert {
        "schools",
        "teams",
        "checkins",
        "topic_counts",
        "coordinators",
        "feedback_counts",
        "fundament_scans",
        "alembic_version",
    } <= tables


def test_migrations_match_the_models(any_db):
    """The migrations build exactly the tables, columns and indexes the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.storage.models import metadata

    with get_engine(any_db).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_analytics_tables_hold_no_identifier_or_text_columns(any_db):
    columns = {c["name"] for c in inspect(get_engine(any_db)).get_columns("checkins")}
    assert columns == {
        "id",
        "team_id",
        "person_key",
        "iso_year",
        "iso_week",
        "energie",
        "werkdruk",
        "verbinding",
        "waardering",
        "plezier",
    }


def test_second_checkin_in_same_week_replaces_first(any_db):
    team = create_team("School A", "Team 1")
    week = IsoWeek(2026, 40)
    first = checkin.save_checkin("sender-1", team.code, SCORES, week)
    second = checkin.save_checkin("sender-1", team.code, {**SCORES, "energie": 1}, week)
    assert (first.replaced, second.replaced) == (False, True)
    with transaction() as session:
        rows = session.execute(select(CheckIn)).scalars().all()
    assert len(rows) == 1
    assert rows[0].energie == 1 and rows[0].plezier is None
    assert rows[0].person_key != "sender-1" and len(rows[0].person_key) == 64


def test_database_rejects_scores_outside_1_to_5(any_db):
    team = create_team("School A", "Team 1")
    with pytest.raises(IntegrityError):
        with transaction() as session:
            session.add(CheckIn(team_id=team.id, person_key="x" * 64, iso_year=2026, iso_week=1, energie=7))


def test_delete_all_removes_only_that_persons_checkins(any_db):
    team = create_team("School A", "Team 1")
    checkin.save_checkin("sender-1", team.code, SCORES, IsoWeek(2026, 40))
    checkin.save_checkin("sender-1", team.code, SCORES, IsoWeek(2026, 41))
    checkin.save_checkin("sender-2", team.code, SCORES, IsoWeek(2026, 41))
    assert checkin.delete_all("sender-1") == 2
    assert checkin.history("sender-1") == []
    assert len(checkin.history("sender-2")) == 1
