"""Storage on real SQLite and PostgreSQL: migrations, constraints, the check-in upsert."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.backend import Backend
from bot.services import checkin
from bot.services.pseudonym import person_key
from bot.services.teams import create_team
from bot.storage.models import CheckIn
from bot.vocabulary import IsoWeek

SCORES = {"energie": 4, "werkdruk": 2, "verbinding": 5, "waardering": 3, "plezier": None}


def key(backend: Backend, sender_id: str) -> str:
    """The pseudonym an action computes for this chat sender."""
    return person_key(sender_id, backend.settings.pseudonym_secret)


def test_migrations_create_every_table(any_backend):
    tables = set(inspect(any_backend.database.engine).get_table_names())
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


def test_migrations_match_the_models(any_backend):
    """The migrations build exactly the tables, columns and indexes the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.storage.models import metadata

    with any_backend.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_analytics_tables_hold_no_identifier_or_text_columns(any_backend):
    columns = {c["name"] for c in inspect(any_backend.database.engine).get_columns("checkins")}
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


def test_second_checkin_in_same_week_replaces_first(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    week = IsoWeek(2026, 40)
    first = checkin.save_checkin(b.uow(), key(b, "sender-1"), team.code, SCORES, week)
    second = checkin.save_checkin(b.uow(), key(b, "sender-1"), team.code, {**SCORES, "energie": 1}, week)
    assert (first.replaced, second.replaced) == (False, True)
    assert first.week == second.week == week
    with b.database.session() as session:
        rows = session.execute(select(CheckIn)).scalars().all()
    assert len(rows) == 1
    assert rows[0].energie == 1 and rows[0].plezier is None
    assert rows[0].person_key == key(b, "sender-1")
    assert "sender-1" not in rows[0].person_key and len(rows[0].person_key) == 64


def test_an_unknown_team_stores_nothing(any_backend):
    b = any_backend
    with pytest.raises(checkin.UnknownTeam):
        checkin.save_checkin(b.uow(), key(b, "sender-1"), "ABCDE-FGHJK", SCORES, IsoWeek(2026, 40))
    assert checkin.history(b.uow(), key(b, "sender-1")) == []


def test_care_pointer_after_two_low_weeks_in_one_transaction(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    me = key(b, "sender-1")
    low = {**SCORES, "energie": 1}
    assert not checkin.save_checkin(b.uow(), me, team.code, low, IsoWeek(2026, 40)).care_pointer
    assert checkin.save_checkin(b.uow(), me, team.code, low, IsoWeek(2026, 41)).care_pointer
    # Another person's low weeks are not mine.
    assert not checkin.save_checkin(b.uow(), key(b, "sender-2"), team.code, low, IsoWeek(2026, 41)).care_pointer


def test_database_rejects_scores_outside_1_to_5(any_backend):
    team = create_team(any_backend.uow(), "School A", "Team 1")
    with pytest.raises(IntegrityError):
        with any_backend.uow() as uow:
            uow.checkins.add(CheckIn(team_id=team.id, person_key="x" * 64, iso_year=2026, iso_week=1, energie=7))
            uow.commit()


def test_delete_all_removes_only_that_persons_checkins(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    checkin.save_checkin(b.uow(), key(b, "sender-1"), team.code, SCORES, IsoWeek(2026, 40))
    checkin.save_checkin(b.uow(), key(b, "sender-1"), team.code, SCORES, IsoWeek(2026, 41))
    checkin.save_checkin(b.uow(), key(b, "sender-2"), team.code, SCORES, IsoWeek(2026, 41))
    assert [h.week for h in checkin.history(b.uow(), key(b, "sender-1"))] == [IsoWeek(2026, 41), IsoWeek(2026, 40)]
    assert checkin.delete_all(b.uow(), key(b, "sender-1")) == 2
    assert checkin.history(b.uow(), key(b, "sender-1")) == []
    assert len(checkin.history(b.uow(), key(b, "sender-2"))) == 1
