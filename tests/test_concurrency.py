"""50 teachers finishing their check-in at the same moment: every one stored exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.services import checkin
from bot.services.teams import create_team
from bot.services.weeks import IsoWeek
from bot.storage.db import transaction
from bot.storage.models import CheckIn

TEACHERS = 50
WEEK = IsoWeek(2026, 45)


def run_concurrently(target, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_fifty_simultaneous_checkins_are_each_stored_once(any_db):
    team = create_team("School A", "Team 1")

    def save(i: int) -> None:
        checkin.save_checkin(f"teacher-{i}", team.code, {"energie": 1 + i % 5, "plezier": 5}, WEEK)

    assert run_concurrently(save, TEACHERS) == []
    with transaction() as session:
        rows = session.execute(select(CheckIn.person_key, CheckIn.energie)).all()
    assert len(rows) == TEACHERS
    assert len({r.person_key for r in rows}) == TEACHERS
    assert sorted(r.energie for r in rows) == sorted(1 + i % 5 for i in range(TEACHERS))


def test_the_same_teacher_twice_at_once_ends_as_one_row(any_db):
    team = create_team("School A", "Team 1")

    def save(i: int) -> None:
        checkin.save_checkin("teacher-x", team.code, {"energie": 2 + i % 2}, WEEK)

    assert run_concurrently(save, 10) == []
    with transaction() as session:
        assert session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1
