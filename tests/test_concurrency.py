"""50 teachers finishing their check-in at the same moment: every one stored exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.backend import Backend
from bot.services import checkin, roster
from bot.services.links import member_token, token_hash
from bot.services.teams import create_team
from bot.storage.models import CheckIn
from bot.vocabulary import IsoWeek

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


def roster_links(backend: Backend, count: int) -> list[tuple[str, str]]:
    """A team with ``count`` members on its roster: (link hash as the chat sees it, pseudonym) per member."""
    team = create_team(backend.uow(), "School A", "Team 1")
    roster.set_domains(backend.uow(), "School A", ["school-a.nl"])
    emails = [f"teacher-{i}@school-a.nl" for i in range(count)]
    change = roster.add_members(backend.uow(), team.id, "\n".join(emails), "test", backend.settings.link_secret)
    assert change.done == emails
    with backend.uow() as uow:
        members = uow.members.with_emails(emails)
        return [
            (
                token_hash(member_token(members[e].id, members[e].token_version, backend.settings.link_secret)) or "",
                roster.member_key(members[e].id, backend.settings.pseudonym_secret),
            )
            for e in emails
        ]


def test_fifty_simultaneous_checkins_are_each_stored_once(any_backend):
    links = roster_links(any_backend, TEACHERS)
    secret = any_backend.settings.pseudonym_secret

    def save(i: int) -> None:
        # One unit of work per call, as each action call makes its own (they are not shared between threads).
        scores = {"energie": 1 + i % 5, "plezier": 5}
        assert checkin.save_checkin(any_backend.uow(), links[i][0], scores, secret, WEEK) is not None

    assert run_concurrently(save, TEACHERS) == []
    with any_backend.uow() as uow:
        rows = uow.session.execute(select(CheckIn.person_key, CheckIn.energie)).all()
    assert len(rows) == TEACHERS
    assert {r.person_key: r.energie for r in rows} == {links[i][1]: 1 + i % 5 for i in range(TEACHERS)}


def test_the_same_teacher_twice_at_once_ends_as_one_row(any_backend):
    [(ref, key)] = roster_links(any_backend, 1)
    secret = any_backend.settings.pseudonym_secret

    def save(i: int) -> None:
        checkin.save_checkin(any_backend.uow(), ref, {"energie": 2 + i % 2}, secret, WEEK)

    assert run_concurrently(save, 10) == []
    with any_backend.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1
        [energie] = uow.session.execute(select(CheckIn.energie).where(CheckIn.person_key == key)).scalars()
    assert energie in {2, 3}  # one of the two answers given, whichever was saved last
