"""In-memory repositories and unit of work for service unit tests (no database).

They keep the ORM objects of bot.storage.models in lists, never persisted; a commit
marks the unit of work as committed and a rollback without commit restores the lists,
so a test can see that a use case wrote everything or nothing.
tests/test_fakes.py checks that each fake has the public methods of its SQL repository.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.storage.models import (
    CheckIn,
    Coordinator,
    FundamentScan,
    Member,
    ReleasedWeek,
    RosterEvent,
    School,
    SchoolContact,
    Team,
)
from bot.storage.repositories import RawDim, RawWeek
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, IsoWeek

_ids = itertools.count(1)


def _week(row) -> IsoWeek:
    return IsoWeek(row.iso_year, row.iso_week)


class FakeSchoolRepository:
    def __init__(self) -> None:
        self.schools: list[School] = []
        self.teams: list[Team] = []
        self._domains: dict[int, list[str]] = {}
        self._holidays: set[tuple[int, IsoWeek]] = set()
        self._contacts: list[SchoolContact] = []

    def get(self, school_id: int) -> School | None:
        return next((s for s in self.schools if s.id == school_id), None)

    def named(self, name: str) -> School | None:
        return next((s for s in self.schools if s.name == name), None)

    def add(self, name: str, is_demo: bool = False) -> School:
        school = School(id=next(_ids), name=name, is_demo=is_demo)
        self.schools.append(school)
        return school

    def existing_names(self, names: Sequence[str]) -> list[str]:
        return [s.name for s in self.schools if s.name in names]

    def team(self, team_id: int) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def team_with_code(self, code: str) -> Team | None:
        return next((t for t in self.teams if t.code == code), None)

    def teams_of(self, school_id: int) -> list[Team]:
        return sorted((t for t in self.teams if t.school_id == school_id), key=lambda t: t.name)

    def add_team(self, school: School, name: str, code: str, size: int | None, is_demo: bool = False) -> Team:
        team = Team(id=next(_ids), school_id=school.id, name=name, code=code, size=size, is_demo=is_demo)
        team.school = school
        self.teams.append(team)
        return team

    def count_teams(self) -> int:
        return len(self.teams)

    def all_teams(self) -> list[Team]:
        return sorted(self.teams, key=lambda t: t.id)

    def domains(self, school_id: int) -> list[str]:
        return sorted(self._domains.get(school_id, ()))

    def set_domains(self, school_id: int, domains: Sequence[str]) -> None:
        self._domains = {**self._domains, school_id: list(domains)}

    def holidays(self, team_id: int) -> list[IsoWeek]:
        return sorted(w for t, w in self._holidays if t == team_id)

    def set_holiday(self, team_id: int, week: IsoWeek, on: bool) -> None:
        self._holidays = {(t, w) for t, w in self._holidays if (t, w) != (team_id, week)} | (
            {(team_id, week)} if on else set()
        )

    def contacts(self, school_id: int) -> list[SchoolContact]:
        return sorted((c for c in self._contacts if c.school_id == school_id), key=lambda c: c.kind)

    def set_contact(self, school_id: int, kind: str, values: Mapping[str, object] | None) -> None:
        kept = [c for c in self._contacts if (c.school_id, c.kind) != (school_id, kind)]
        if values is not None:
            kept.append(SchoolContact(id=next(_ids), school_id=school_id, kind=kind, **values))
        self._contacts = kept


class FakeCheckInRepository:
    def __init__(self, schools: FakeSchoolRepository) -> None:
        self.rows: list[CheckIn] = []
        self._schools = schools

    def get(self, team_id: int, person_key: str, week: IsoWeek) -> CheckIn | None:
        return next((c for c in self.rows if (c.team_id, c.person_key, _week(c)) == (team_id, person_key, week)), None)

    def add(self, checkin: CheckIn) -> None:
        if checkin not in self.rows:
            checkin.id = checkin.id or next(_ids)
            self.rows.append(checkin)

    def of_person(self, person_key: str, limit: int | None = None) -> list[tuple[CheckIn, str]]:
        mine = sorted((c for c in self.rows if c.person_key == person_key), key=_week, reverse=True)
        return [(c, self._schools.team(c.team_id).name) for c in mine[:limit]]

    def delete_person(self, person_key: str) -> int:
        before = len(self.rows)
        self.rows = [c for c in self.rows if c.person_key != person_key]
        return before - len(self.rows)

    def of_team_week(self, team_id: int, week: IsoWeek) -> list[CheckIn]:
        return [c for c in self.rows if c.team_id == team_id and _week(c) == week]

    def delete_older_than(self, week: IsoWeek) -> int:
        before = len(self.rows)
        self.rows = [c for c in self.rows if _week(c) >= week]
        return before - len(self.rows)

    def add_many(self, rows: list[dict]) -> None:
        for row in rows:
            self.add(CheckIn(**row))

    def delete_with_prefix(self, team_ids: list[int], prefix: str) -> None:
        self.rows = [c for c in self.rows if not (c.team_id in team_ids and c.person_key.startswith(prefix))]

    def aggregate(self, team_ids: list[int], weeks: list[IsoWeek]) -> dict[tuple[int, IsoWeek], RawWeek]:
        groups: dict[tuple[int, IsoWeek], list[CheckIn]] = {}
        for c in self.rows:
            if c.team_id in team_ids and _week(c) in weeks:
                groups.setdefault((c.team_id, _week(c)), []).append(c)
        return {
            key: RawWeek(len(rows), {d: RawDim.of(getattr(c, d) for c in rows) for d in DIMENSIONS})
            for key, rows in groups.items()
        }


class FakeCounterRepository:
    def __init__(self, schools: FakeSchoolRepository) -> None:
        #: (team_id, week, topic) -> count
        self.topics: dict[tuple[int, IsoWeek, str], int] = {}
        #: (team_id, week, topic) -> [helpful, not helpful]
        self.feedback: dict[tuple[int, IsoWeek, str], list[int]] = {}
        self._schools = schools

    def count_topic(self, team_id: int, week: IsoWeek, topic: str) -> None:
        key = (team_id, week, topic)
        self.topics[key] = self.topics.get(key, 0) + 1

    def count_feedback(self, team_id: int, week: IsoWeek, topic: str, helpful: bool) -> None:
        counts = self.feedback.setdefault((team_id, week, topic), [0, 0])
        counts[0 if helpful else 1] += 1

    def topic_counts(self, team_id: int, week: IsoWeek) -> dict[str, int]:
        return {t: n for (tid, w, t), n in self.topics.items() if tid == team_id and w == week and n}

    def _included(self, team_id: int, school_id: int | None, include_demo: bool) -> bool:
        team = self._schools.team(team_id)
        if school_id is not None:
            return team.school_id == school_id
        return include_demo or not team.is_demo

    def feedback_totals(
        self, weeks: list[IsoWeek], school_id: int | None = None, include_demo: bool = False
    ) -> dict[str, tuple[int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        for (tid, w, topic), (up, down) in self.feedback.items():
            if w in weeks and self._included(tid, school_id, include_demo):
                old = totals.get(topic, (0, 0))
                totals[topic] = (old[0] + up, old[1] + down)
        return totals

    def topic_totals(self, weeks: list[IsoWeek], topics: list[str], include_demo: bool = False) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (tid, w, topic), n in self.topics.items():
            if w in weeks and topic in topics and self._included(tid, None, include_demo):
                totals[topic] = totals.get(topic, 0) + n
        return totals

    def add_many(self, topic_rows: list[dict], feedback_rows: list[dict] = ()) -> None:  # type: ignore[assignment]
        for r in topic_rows:
            self.topics[(r["team_id"], IsoWeek(r["iso_year"], r["iso_week"]), r["topic"])] = r["count"]
        for r in feedback_rows:
            key = (r["team_id"], IsoWeek(r["iso_year"], r["iso_week"]), r["topic"])
            self.feedback[key] = [r["helpful"], r["not_helpful"]]

    def delete_teams(self, team_ids: list[int]) -> None:
        self.topics = {k: v for k, v in self.topics.items() if k[0] not in team_ids}
        self.feedback = {k: v for k, v in self.feedback.items() if k[0] not in team_ids}


class FakeScanRepository:
    def __init__(self) -> None:
        self.rows: list[FundamentScan] = []

    def add(self, school_id: int, answers: dict[str, int | None], created_at: datetime) -> FundamentScan:
        row = FundamentScan(id=next(_ids), school_id=school_id, created_at=created_at, **answers)
        self.rows.append(row)
        return row

    def latest(self, school_id: int, limit: int) -> list[FundamentScan]:
        mine = [r for r in self.rows if r.school_id == school_id]
        return sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)[:limit]

    def delete_school(self, school_id: int) -> None:
        self.rows = [r for r in self.rows if r.school_id != school_id]


class FakeCoordinatorRepository:
    def __init__(self) -> None:
        self.rows: list[Coordinator] = []

    def get(self, coordinator_id: int) -> Coordinator | None:
        return next((c for c in self.rows if c.id == coordinator_id), None)

    def with_email(self, email: str) -> Coordinator | None:
        return next((c for c in self.rows if c.email == email), None)

    def add(self, school: School, email: str, password_hash: str, is_demo: bool = False) -> Coordinator:
        row = Coordinator(id=next(_ids), school_id=school.id, email=email, password_hash=password_hash, is_demo=is_demo)
        row.school = school
        self.rows.append(row)
        return row

    def remove(self, coordinator: Coordinator) -> None:
        self.rows = [c for c in self.rows if c.id != coordinator.id]


class FakeMemberRepository:
    def __init__(self, schools: FakeSchoolRepository) -> None:
        self.schools = schools
        self.rows: list[Member] = []
        self.audit: list[RosterEvent] = []

    def get(self, member_id: int) -> Member | None:
        return next((m for m in self.rows if m.id == member_id), None)

    def with_email(self, email: str) -> Member | None:
        return next((m for m in self.rows if m.email == email), None)

    def with_emails(self, emails: Sequence[str]) -> dict[str, Member]:
        return {m.email: m for m in self.rows if m.email in emails}

    def with_token_hash(self, token_hash: str) -> Member | None:
        return next((m for m in self.rows if m.token_hash == token_hash), None)

    def with_token_hash_and_team(self, token_hash: str) -> tuple[Member, Team] | None:
        member = self.with_token_hash(token_hash)
        return None if member is None else (member, self.schools.team(member.team_id))

    def of_team(self, team_id: int) -> list[Member]:
        return sorted((m for m in self.rows if m.team_id == team_id), key=lambda m: m.email)

    def count(self, team_id: int) -> int:
        return len(self.of_team(team_id))

    def count_added_since(self, team_id: int, since: datetime) -> int:
        return sum(m.team_id == team_id and m.added_at >= since for m in self.rows)

    def add(self, member: Member) -> Member:
        member.id = member.id or next(_ids)
        self.rows = [*self.rows, member]
        return member

    def remove(self, member: Member) -> None:
        self.rows = [m for m in self.rows if m is not member]

    def log(self, event: RosterEvent) -> None:
        self.audit = [*self.audit, event]

    def events(self, team_id: int, limit: int = 200) -> list[RosterEvent]:
        return [e for e in reversed(self.audit) if e.team_id == team_id][:limit]


class FakeReleaseRepository:
    def __init__(self) -> None:
        self.rows: list[ReleasedWeek] = []

    def released(self, team_ids: list[int], weeks: list[IsoWeek]) -> dict[tuple[int, IsoWeek], ReleasedWeek]:
        return {(r.team_id, _week(r)): r for r in self.rows if r.team_id in team_ids and _week(r) in weeks}

    def latest_week(self, team_id: int) -> IsoWeek | None:
        return max((_week(r) for r in self.rows if r.team_id == team_id), default=None)

    def add(self, row: ReleasedWeek) -> None:
        if self.released([row.team_id], [_week(row)]):
            raise IntegrityError("INSERT INTO released_weeks", {}, Exception("a week is released once"))
        self.rows = [*self.rows, row]

    def delete_teams(self, team_ids: list[int]) -> None:
        self.rows = [r for r in self.rows if r.team_id not in team_ids]


class FakeUnitOfWork(UnitOfWork):
    """All fake repositories; ``commits`` counts commits, and leaving without one rolls back."""

    def __init__(self) -> None:
        self.schools = FakeSchoolRepository()  # type: ignore[assignment]
        self.checkins = FakeCheckInRepository(self.schools)  # type: ignore[assignment]
        self.counters = FakeCounterRepository(self.schools)  # type: ignore[assignment]
        self.scans = FakeScanRepository()  # type: ignore[assignment]
        self.coordinators = FakeCoordinatorRepository()  # type: ignore[assignment]
        self.members = FakeMemberRepository(self.schools)  # type: ignore[assignment]
        self.releases = FakeReleaseRepository()  # type: ignore[assignment]
        # No fake outbox: mail is tested against real databases and a real SMTP server only.
        self.commits = 0
        self._saved: dict | None = None

    _repos = ("schools", "checkins", "counters", "scans", "coordinators", "members", "releases")

    def __enter__(self) -> "FakeUnitOfWork":
        self._saved = {name: {k: copy.copy(v) for k, v in vars(getattr(self, name)).items()} for name in self._repos}
        return self

    def commit(self) -> None:
        self.commits += 1
        self._saved = None

    def rollback(self) -> None:
        if self._saved is not None:
            for name, state in self._saved.items():
                vars(getattr(self, name)).update(state)
            self._saved = None
