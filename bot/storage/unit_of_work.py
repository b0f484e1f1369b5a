"""The unit of work: one transaction per use case, and the repositories that share it.

A service receives a unit of work and uses it as a context manager::

    with uow:
        team = uow.schools.team_with_code(code)
        uow.checkins.add(...)
        uow.commit()

Leaving the block without ``commit()`` rolls everything back, so a use case either
writes all of its steps or none. A unit of work can be entered again for a new
transaction; it is not shared between threads (make one per request or per action call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.repositories import (
    CheckInRepository,
    CoordinatorRepository,
    CounterRepository,
    DashboardSessionRepository,
    MemberRepository,
    OutboxRepository,
    ReleaseRepository,
    ScanRepository,
    SchoolRepository,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.storage.db import Database


class UnitOfWork:
    """What services rely on; :class:`SqlUnitOfWork` and the tests' fake implement it."""

    schools: SchoolRepository
    checkins: CheckInRepository
    counters: CounterRepository
    scans: ScanRepository
    coordinators: CoordinatorRepository
    members: MemberRepository
    releases: ReleaseRepository
    outbox: OutboxRepository
    sessions: DashboardSessionRepository

    def __enter__(self) -> "UnitOfWork":
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError


class SqlUnitOfWork(UnitOfWork):
    """A unit of work on a real database: one SQLAlchemy session per ``with`` block."""

    def __init__(self, database: "Database") -> None:
        self.database = database
        self.session: Session | None = None

    def __enter__(self) -> "SqlUnitOfWork":
        if self.session is not None:
            raise RuntimeError("This unit of work is already in use; make one per use case.")
        self.session = self.database.session()
        self.schools = SchoolRepository(self.session)
        self.checkins = CheckInRepository(self.session)
        self.counters = CounterRepository(self.session)
        self.scans = ScanRepository(self.session)
        self.coordinators = CoordinatorRepository(self.session)
        self.members = MemberRepository(self.session)
        self.releases = ReleaseRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.sessions = DashboardSessionRepository(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            super().__exit__(*exc)
        finally:
            assert self.session is not None
            self.session.close()
            self.session = None

    def commit(self) -> None:
        assert self.session is not None, "commit() outside a with block"
        self.session.commit()

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()
