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
from tests.members import add_member

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


def test_a_sqlite_file_keeps_its_connections_between_units_of_work(tmp_path):
    from sqlalchemy import event, text

    from bot.storage.db import Database

    database = Database(f"sqlite:///{tmp_path / 'app.db'}")
    opened = []
    event.listen(database.engine, "connect", lambda *_: opened.append(1))
    for _ in range(20):
        with database.session() as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1  # set on each new connection
    assert len(opened) == 1
    database.dispose()


def test_find_member_reads_the_member_and_their_team(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    me = add_member(b, team.id, "sender-1")
    found = checkin.find_member(b.uow(), me.ref, b.settings.pseudonym_secret)
    assert (found.team_id, found.team_code, found.team_name, found.person_key) == (
        team.id,
        team.code,
        "Team 1",
        me.person_key,
    )
    assert checkin.find_member(b.uow(), "0" * 64, b.settings.pseudonym_secret) is None


def test_second_checkin_in_same_week_replaces_first(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    me = add_member(b, team.id, "sender-1")
    week = IsoWeek(2026, 40)
    secret = b.settings.pseudonym_secret
    first = checkin.save_checkin(b.uow(), me.ref, SCORES, secret, week)
    second = checkin.save_checkin(b.uow(), me.ref, {**SCORES, "energie": 1}, secret, week)
    assert (first.replaced, second.replaced) == (False, True)
    assert first.week == second.week == week
    with b.database.session() as session:
        rows = session.execute(select(CheckIn)).scalars().all()
    assert len(rows) == 1
    assert rows[0].energie == 1 and rows[0].plezier is None
    assert rows[0].person_key == me.person_key
    assert "sender-1" not in rows[0].person_key and len(rows[0].person_key) == 64


def test_an_unknown_link_stores_nothing(any_backend):
    b = any_backend
    with pytest.raises(checkin.UnknownMember):
        checkin.save_checkin(b.uow(), "0" * 64, SCORES, b.settings.pseudonym_secret, IsoWeek(2026, 40))
    with b.database.session() as session:
        assert session.execute(select(CheckIn)).scalars().all() == []


def test_care_pointer_after_two_low_weeks_in_one_transaction(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    me = add_member(b, team.id, "sender-1")
    secret = b.settings.pseudonym_secret
    low = {**SCORES, "energie": 1}
    assert not checkin.save_checkin(b.uow(), me.ref, low, secret, IsoWeek(2026, 40)).care_pointer
    assert checkin.save_checkin(b.uow(), me.ref, low, secret, IsoWeek(2026, 41)).care_pointer


def test_database_rejects_scores_outside_1_to_5(any_backend):
    team = create_team(any_backend.uow(), "School A", "Team 1")
    with pytest.raises(IntegrityError):
        with any_backend.uow() as uow:
            uow.checkins.add(CheckIn(team_id=team.id, person_key="x" * 64, iso_year=2026, iso_week=1, energie=7))
            uow.commit()


def test_delete_all_removes_only_that_persons_checkins(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    one, two = add_member(b, team.id, "sender-1"), add_member(b, team.id, "sender-2")
    secret = b.settings.pseudonym_secret
    checkin.save_checkin(b.uow(), one.ref, SCORES, secret, IsoWeek(2026, 40))
    checkin.save_checkin(b.uow(), one.ref, SCORES, secret, IsoWeek(2026, 41))
    checkin.save_checkin(b.uow(), two.ref, SCORES, secret, IsoWeek(2026, 41))
    assert [h.week for h in checkin.history(b.uow(), one.person_key)] == [IsoWeek(2026, 41), IsoWeek(2026, 40)]
    assert checkin.delete_all(b.uow(), one.person_key) == 2
    assert checkin.history(b.uow(), one.person_key) == []
    assert len(checkin.history(b.uow(), two.person_key)) == 1


def test_database_errors_never_show_the_values(any_backend):
    """Every engine hides SQL parameters, and what we log of a database error is its type and code
    only: PostgreSQL itself repeats a failing row in its message ("Failing row contains ...")."""
    from sqlalchemy.exc import IntegrityError

    from bot.storage.db import describe_error
    from bot.storage.models import CheckIn

    team = create_team(any_backend.uow(), "School A", "Team 1")
    canary = "canary-person-key".ljust(64, "x")
    with pytest.raises(IntegrityError) as failure, any_backend.uow() as uow:
        uow.checkins.add(CheckIn(team_id=team.id, person_key=canary, iso_year=2026, iso_week=40, energie=9))
    assert "hidden due to hide_parameters" in str(failure.value)
    logged = describe_error(failure.value)
    assert canary not in logged and logged.startswith("IntegrityError")
