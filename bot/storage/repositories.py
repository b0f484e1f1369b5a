"""Repositories: every query of the application, one class per aggregate.

Each repository is given the session of a unit of work (bot.storage.unit_of_work) and
never commits: the unit of work commits once per use case. Services talk to these
classes only; tests/fakes.py holds in-memory versions with the same methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import (
    CheckIn,
    Coordinator,
    DashboardSession,
    FeedbackCount,
    FundamentScan,
    Member,
    OutboxMail,
    ReleasedWeek,
    RosterEvent,
    School,
    SchoolContact,
    SchoolDomain,
    Team,
    TeamHoliday,
    TopicCount,
)
from bot.vocabulary import DIMENSIONS, SCAN_ITEMS, SCORES, IsoWeek

# --------------------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class RawDim:
    """Aggregate of one dimension in one group: answers, their sum, counts of 1..5."""

    n: int = 0
    total: int = 0
    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    def __add__(self, other: "RawDim") -> "RawDim":
        return RawDim(
            self.n + other.n,
            self.total + other.total,
            tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
        )  # type: ignore[arg-type]

    @classmethod
    def of(cls, values: Iterable[int | None]) -> "RawDim":
        given = [v for v in values if v is not None]
        return cls(len(given), sum(given), tuple(given.count(s) for s in SCORES))  # type: ignore[arg-type]


@dataclass(frozen=True)
class RawWeek:
    """Aggregate of one group (team or school) in one week. Never shown as is."""

    n: int = 0
    dims: Mapping[str, RawDim] = field(default_factory=lambda: {d: RawDim() for d in DIMENSIONS})

    def __add__(self, other: "RawWeek") -> "RawWeek":
        return RawWeek(self.n + other.n, {d: self.dims[d] + other.dims[d] for d in DIMENSIONS})


def weeks_clause(weeks: Iterable[IsoWeek], table) -> object:
    """``(iso_year, iso_week) in weeks`` on ``table``, written so a (team_id, iso_year, iso_week) index applies."""
    by_year: dict[int, list[int]] = {}
    for w in weeks:
        by_year.setdefault(w.year, []).append(w.week)
    return or_(*(and_(table.iso_year == year, table.iso_week.in_(nums)) for year, nums in by_year.items()))


def _in_week(table, week: IsoWeek) -> object:
    return and_(table.iso_year == week.year, table.iso_week == week.week)


# --------------------------------------------------------------------------- schools and teams


class SchoolRepository:
    """Schools and their teams."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, school_id: int) -> School | None:
        return self.session.get(School, school_id)

    def named(self, name: str) -> School | None:
        return self.session.execute(select(School).where(School.name == name)).scalar_one_or_none()

    def add(self, name: str, is_demo: bool = False) -> School:
        school = School(name=name, is_demo=is_demo)
        self.session.add(school)
        self.session.flush()
        return school

    def existing_names(self, names: Sequence[str]) -> list[str]:
        return list(self.session.execute(select(School.name).where(School.name.in_(names))).scalars())

    def team(self, team_id: int) -> Team | None:
        return self.session.get(Team, team_id)

    def team_with_code(self, code: str) -> Team | None:
        return self.session.execute(select(Team).where(Team.code == code)).scalar_one_or_none()

    def teams_of(self, school_id: int) -> list[Team]:
        return list(self.session.execute(select(Team).where(Team.school_id == school_id).order_by(Team.name)).scalars())

    def add_team(self, school: School, name: str, code: str, size: int | None, is_demo: bool = False) -> Team:
        team = Team(school=school, name=name, code=code, size=size, is_demo=is_demo)
        self.session.add(team)
        self.session.flush()
        return team

    def count_teams(self) -> int:
        return self.session.execute(select(func.count()).select_from(Team)).scalar_one()

    def all_teams(self) -> list[Team]:
        return list(self.session.execute(select(Team).order_by(Team.id)).scalars())

    def domains(self, school_id: int) -> list[str]:
        return list(
            self.session.execute(
                select(SchoolDomain.domain).where(SchoolDomain.school_id == school_id).order_by(SchoolDomain.domain)
            ).scalars()
        )

    def set_domains(self, school_id: int, domains: Sequence[str]) -> None:
        self.session.execute(delete(SchoolDomain).where(SchoolDomain.school_id == school_id))
        self.session.add_all(SchoolDomain(school_id=school_id, domain=d) for d in domains)
        self.session.flush()

    def holidays(self, team_id: int) -> list[IsoWeek]:
        rows = self.session.execute(
            select(TeamHoliday.iso_year, TeamHoliday.iso_week)
            .where(TeamHoliday.team_id == team_id)
            .order_by(TeamHoliday.iso_year, TeamHoliday.iso_week)
        ).all()
        return [IsoWeek(y, w) for y, w in rows]

    def set_holiday(self, team_id: int, week: IsoWeek, on: bool) -> None:
        self.session.execute(delete(TeamHoliday).where(TeamHoliday.team_id == team_id, _in_week(TeamHoliday, week)))
        if on:
            self.session.add(TeamHoliday(team_id=team_id, iso_year=week.year, iso_week=week.week))
        self.session.flush()

    def contacts(self, school_id: int) -> list[SchoolContact]:
        """The school's help contacts (vertrouwenspersoon, bedrijfsarts), by kind."""
        return list(
            self.session.execute(
                select(SchoolContact).where(SchoolContact.school_id == school_id).order_by(SchoolContact.kind)
            ).scalars()
        )

    def set_contact(self, school_id: int, kind: str, values: Mapping[str, object] | None) -> None:
        """Replace the school's contact of this kind with ``values``; None removes it."""
        self.session.execute(
            delete(SchoolContact).where(SchoolContact.school_id == school_id, SchoolContact.kind == kind)
        )
        if values is not None:
            self.session.add(SchoolContact(school_id=school_id, kind=kind, **values))
        self.session.flush()


# --------------------------------------------------------------------------- check-ins


class CheckInRepository:
    """Per-person weekly check-ins, keyed by a pseudonym; and their aggregates per team-week."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, team_id: int, person_key: str, week: IsoWeek) -> CheckIn | None:
        return self.session.execute(
            select(CheckIn).where(CheckIn.team_id == team_id, CheckIn.person_key == person_key, _in_week(CheckIn, week))
        ).scalar_one_or_none()

    def add(self, checkin: CheckIn) -> None:
        self.session.add(checkin)
        self.session.flush()

    def of_person(self, person_key: str, limit: int | None = None) -> list[tuple[CheckIn, str]]:
        """The person's check-ins with their team's name, newest first."""
        stmt = (
            select(CheckIn, Team.name)
            .join(Team, Team.id == CheckIn.team_id)
            .where(CheckIn.person_key == person_key)
            .order_by(CheckIn.iso_year.desc(), CheckIn.iso_week.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return [(c, name) for c, name in self.session.execute(stmt).all()]

    def delete_person(self, person_key: str) -> int:
        result = self.session.execute(delete(CheckIn).where(CheckIn.person_key == person_key))
        return result.rowcount or 0

    def of_team_week(self, team_id: int, week: IsoWeek) -> list[CheckIn]:
        return list(
            self.session.execute(select(CheckIn).where(CheckIn.team_id == team_id, _in_week(CheckIn, week))).scalars()
        )

    def delete_older_than(self, week: IsoWeek) -> int:
        """Delete every check-in of a week before ``week`` (retention of raw answers)."""
        older = or_(CheckIn.iso_year < week.year, and_(CheckIn.iso_year == week.year, CheckIn.iso_week < week.week))
        return self.session.execute(delete(CheckIn).where(older)).rowcount or 0

    def add_many(self, rows: list[dict]) -> None:
        """Bulk insert (demo data, benchmarks): one executemany."""
        if rows:
            self.session.execute(insert(CheckIn.__table__), rows)

    def delete_with_prefix(self, team_ids: list[int], prefix: str) -> None:
        self.session.execute(
            delete(CheckIn)
            .where(CheckIn.team_id.in_(team_ids), CheckIn.person_key.like(f"{prefix}%"))
            .execution_options(synchronize_session=False)
        )

    def aggregate(self, team_ids: list[int], weeks: list[IsoWeek]) -> dict[tuple[int, IsoWeek], RawWeek]:
        """Respondents, per-dimension answers, sums and score counts per team-week, in one GROUP BY."""
        if not team_ids or not weeks:
            return {}
        columns = [CheckIn.team_id, CheckIn.iso_year, CheckIn.iso_week, func.count().label("n")]
        for dim in DIMENSIONS:
            col = getattr(CheckIn, dim)
            columns.append(func.count(col).label(f"{dim}_n"))
            columns.append(func.coalesce(func.sum(col), 0).label(f"{dim}_sum"))
            columns.extend(func.sum(case((col == s, 1), else_=0)).label(f"{dim}_{s}") for s in SCORES)
        stmt = (
            select(*columns)
            .where(CheckIn.team_id.in_(team_ids), weeks_clause(weeks, CheckIn))
            .group_by(CheckIn.team_id, CheckIn.iso_year, CheckIn.iso_week)
        )
        result: dict[tuple[int, IsoWeek], RawWeek] = {}
        for row in self.session.execute(stmt).mappings():
            dims = {
                d: RawDim(int(row[f"{d}_n"]), int(row[f"{d}_sum"]), tuple(int(row[f"{d}_{s}"]) for s in SCORES))
                for d in DIMENSIONS
            }
            result[(row["team_id"], IsoWeek(row["iso_year"], row["iso_week"]))] = RawWeek(int(row["n"]), dims)
        return result


# --------------------------------------------------------------------------- counters


class CounterRepository:
    """Anonymous counters per team, ISO week and topic: questions asked, and 👍/👎 on answers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _increment(self, table, values: dict, column: str) -> None:
        """Add one to ``column`` of the row with this key, creating it when new (one statement)."""
        insert_ = postgresql.insert if self.session.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = insert_(table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "iso_year", "iso_week", "topic"],
            set_={column: getattr(table, column) + 1},
        )
        self.session.execute(stmt)

    def count_topic(self, team_id: int, week: IsoWeek, topic: str) -> None:
        key = {"team_id": team_id, "iso_year": week.year, "iso_week": week.week, "topic": topic}
        self._increment(TopicCount, {**key, "count": 1}, "count")

    def count_feedback(self, team_id: int, week: IsoWeek, topic: str, helpful: bool) -> None:
        key = {"team_id": team_id, "iso_year": week.year, "iso_week": week.week, "topic": topic}
        values = {**key, "helpful": int(helpful), "not_helpful": int(not helpful)}
        self._increment(FeedbackCount, values, "helpful" if helpful else "not_helpful")

    def topic_counts(self, team_id: int, week: IsoWeek) -> dict[str, int]:
        rows = self.session.execute(
            select(TopicCount.topic, func.sum(TopicCount.count))
            .where(TopicCount.team_id == team_id, _in_week(TopicCount, week))
            .group_by(TopicCount.topic)
        ).all()
        return {topic: int(count) for topic, count in rows if count}

    def _team_filter(self, school_id: int | None, include_demo: bool) -> object:
        if school_id is not None:
            return Team.school_id == school_id
        return Team.id.isnot(None) if include_demo else Team.is_demo.is_(False)

    def feedback_totals(
        self, weeks: list[IsoWeek], school_id: int | None = None, include_demo: bool = False
    ) -> dict[str, tuple[int, int]]:
        """(helpful, not helpful) per topic over ``weeks``: one school's teams, or every school."""
        rows = self.session.execute(
            select(FeedbackCount.topic, func.sum(FeedbackCount.helpful), func.sum(FeedbackCount.not_helpful))
            .join(Team, Team.id == FeedbackCount.team_id)
            .where(self._team_filter(school_id, include_demo), weeks_clause(weeks, FeedbackCount))
            .group_by(FeedbackCount.topic)
        ).all()
        return {topic: (int(up or 0), int(down or 0)) for topic, up, down in rows}

    def topic_totals(self, weeks: list[IsoWeek], topics: list[str], include_demo: bool = False) -> dict[str, int]:
        """Questions per topic over ``weeks`` and every school."""
        rows = self.session.execute(
            select(TopicCount.topic, func.sum(TopicCount.count))
            .join(Team, Team.id == TopicCount.team_id)
            .where(self._team_filter(None, include_demo), weeks_clause(weeks, TopicCount), TopicCount.topic.in_(topics))
            .group_by(TopicCount.topic)
        ).all()
        return {topic: int(count or 0) for topic, count in rows}

    def add_many(self, topic_rows: list[dict], feedback_rows: list[dict] = ()) -> None:  # type: ignore[assignment]
        """Bulk insert (demo data, benchmarks)."""
        if topic_rows:
            self.session.execute(insert(TopicCount.__table__), topic_rows)
        if feedback_rows:
            self.session.execute(insert(FeedbackCount.__table__), list(feedback_rows))

    def delete_teams(self, team_ids: list[int]) -> None:
        for table in (TopicCount, FeedbackCount):
            self.session.execute(
                delete(table).where(table.team_id.in_(team_ids)).execution_options(synchronize_session=False)
            )


# --------------------------------------------------------------------------- fundament-scans


class ScanRepository:
    """A school's fundament-scans."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, school_id: int, answers: dict[str, int | None], created_at: datetime) -> FundamentScan:
        row = FundamentScan(school_id=school_id, created_at=created_at, **answers)
        self.session.add(row)
        self.session.flush()
        return row

    def latest(self, school_id: int, limit: int) -> list[FundamentScan]:
        return list(
            self.session.execute(
                select(FundamentScan)
                .where(FundamentScan.school_id == school_id)
                .order_by(FundamentScan.created_at.desc(), FundamentScan.id.desc())
                .limit(limit)
            ).scalars()
        )

    def delete_school(self, school_id: int) -> None:
        self.session.execute(
            delete(FundamentScan)
            .where(FundamentScan.school_id == school_id)
            .execution_options(synchronize_session=False)
        )


def scan_answers(row: FundamentScan) -> dict[str, int | None]:
    return {item: getattr(row, item) for item in SCAN_ITEMS}


# --------------------------------------------------------------------------- coordinators


class CoordinatorRepository:
    """Dashboard accounts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, coordinator_id: int) -> Coordinator | None:
        return self.session.get(Coordinator, coordinator_id)

    def with_email(self, email: str) -> Coordinator | None:
        return self.session.execute(select(Coordinator).where(Coordinator.email == email)).scalar_one_or_none()

    def add(self, school: School, email: str, password_hash: str, is_demo: bool = False) -> Coordinator:
        row = Coordinator(school=school, email=email, password_hash=password_hash, is_demo=is_demo)
        self.session.add(row)
        self.session.flush()
        return row

    def remove(self, coordinator: Coordinator) -> None:
        self.session.delete(coordinator)


# --------------------------------------------------------------------------- roster


class MemberRepository:
    """Team rosters (e-mail addresses with personal links), their audit list and released weeks."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, member_id: int) -> Member | None:
        return self.session.get(Member, member_id)

    def with_email(self, email: str) -> Member | None:
        return self.session.execute(select(Member).where(Member.email == email)).scalar_one_or_none()

    def with_emails(self, emails: Sequence[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        chunk = 500  # stay under every database's limit of bound parameters
        for i in range(0, len(emails), chunk):
            rows = self.session.execute(select(Member).where(Member.email.in_(emails[i : i + chunk]))).scalars()
            found.update({m.email: m for m in rows})
        return found

    def with_token_hash(self, token_hash: str) -> Member | None:
        return self.session.execute(select(Member).where(Member.token_hash == token_hash)).scalar_one_or_none()

    def with_token_hash_and_team(self, token_hash: str) -> tuple[Member, Team] | None:
        """The member with this link and their team, in one query (every check-in step asks)."""
        query = select(Member, Team).join(Team, Team.id == Member.team_id).where(Member.token_hash == token_hash)
        row = self.session.execute(query).one_or_none()
        return None if row is None else (row[0], row[1])

    def of_team(self, team_id: int) -> list[Member]:
        return list(
            self.session.execute(select(Member).where(Member.team_id == team_id).order_by(Member.email)).scalars()
        )

    def count(self, team_id: int) -> int:
        return self.session.execute(
            select(func.count()).select_from(Member).where(Member.team_id == team_id)
        ).scalar_one()

    def count_added_since(self, team_id: int, since: datetime) -> int:
        return self.session.execute(
            select(func.count()).select_from(Member).where(Member.team_id == team_id, Member.added_at >= since)
        ).scalar_one()

    def add(self, member: Member) -> Member:
        self.session.add(member)
        self.session.flush()
        return member

    def remove(self, member: Member) -> None:
        self.session.delete(member)
        self.session.flush()

    def log(self, event: RosterEvent) -> None:
        self.session.add(event)

    def events(self, team_id: int, limit: int = 200) -> list[RosterEvent]:
        return list(
            self.session.execute(
                select(RosterEvent)
                .where(RosterEvent.team_id == team_id)
                .order_by(RosterEvent.at.desc(), RosterEvent.id.desc())
                .limit(limit)
            ).scalars()
        )


class ReleaseRepository:
    """Frozen figures of closed team-weeks."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def released(self, team_ids: list[int], weeks: list[IsoWeek]) -> dict[tuple[int, IsoWeek], ReleasedWeek]:
        if not team_ids or not weeks:
            return {}
        rows = self.session.execute(
            select(ReleasedWeek).where(ReleasedWeek.team_id.in_(team_ids), weeks_clause(weeks, ReleasedWeek))
        ).scalars()
        return {(r.team_id, IsoWeek(r.iso_year, r.iso_week)): r for r in rows}

    def latest_week(self, team_id: int) -> IsoWeek | None:
        row = self.session.execute(
            select(ReleasedWeek.iso_year, ReleasedWeek.iso_week)
            .where(ReleasedWeek.team_id == team_id)
            .order_by(ReleasedWeek.iso_year.desc(), ReleasedWeek.iso_week.desc())
            .limit(1)
        ).first()
        return IsoWeek(*row) if row else None

    def add(self, row: ReleasedWeek) -> None:
        self.session.add(row)
        self.session.flush()

    def delete_teams(self, team_ids: list[int]) -> None:
        """Only for demo data: a released week is never changed otherwise."""
        self.session.execute(
            delete(ReleasedWeek).where(ReleasedWeek.team_id.in_(team_ids)).execution_options(synchronize_session=False)
        )


class OutboxRepository:
    """Mails waiting to be sent; one row per member, ISO week and kind."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_if_new(self, member_id: int, team_id: int, week: IsoWeek, kind: str, now: datetime) -> bool:
        """Queue a mail unless this member already has one of this kind this week (one statement)."""
        insert_ = postgresql.insert if self.session.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = (
            insert_(OutboxMail)
            .values(
                member_id=member_id,
                team_id=team_id,
                iso_year=week.year,
                iso_week=week.week,
                kind=kind,
                status="wacht",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["member_id", "iso_year", "iso_week", "kind"])
        )
        return bool(self.session.execute(stmt).rowcount)

    def get(self, mail_id: int) -> OutboxMail | None:
        return self.session.get(OutboxMail, mail_id)

    def failed_counts(self, team_id: int, week: IsoWeek) -> dict[str, int]:
        """Mails given up on, per kind, for a team-week: counts only, never who."""
        rows = self.session.execute(
            select(OutboxMail.kind, func.count())
            .where(OutboxMail.team_id == team_id, OutboxMail.status == "mislukt", _in_week(OutboxMail, week))
            .group_by(OutboxMail.kind)
        ).all()
        return {kind: int(n) for kind, n in rows}

    # The methods below serve bot.services.invitations (the weekly mails and send_due).

    def claim_due(self, now: datetime, until: datetime, limit: int) -> list[OutboxMail]:
        """Take up to ``limit`` due mails for this worker until ``until``; no other worker gets them.

        Each mail is taken with a compare-and-set UPDATE (only while it is still waiting and
        unclaimed), so two workers never take one mail, also on SQLite, where the SELECT
        runs before the write lock. On PostgreSQL the SELECT also skips locked rows.
        """
        due = and_(
            OutboxMail.status == "wacht",
            or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
        )
        stmt = (
            select(OutboxMail.id)
            .where(due, OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        taken = []
        for mail_id in list(self.session.execute(stmt).scalars()):
            claim = OutboxMail.__table__.update().where(OutboxMail.id == mail_id, due).values(claimed_until=until)
            if self.session.execute(claim).rowcount:
                taken.append(mail_id)
        if not taken:
            return []
        return list(
            self.session.execute(
                select(OutboxMail)
                .where(OutboxMail.id.in_(taken))
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .execution_options(populate_existing=True)
            ).scalars()
        )

    def _without_mail(self, team_ids: Sequence[int], week: IsoWeek, kind: str) -> object:
        """Members of these teams, not paused, not on holiday that week, without a mail of ``kind``."""
        mail = select(OutboxMail.id).where(
            OutboxMail.member_id == Member.id, _in_week(OutboxMail, week), OutboxMail.kind == kind
        )
        holiday = select(TeamHoliday.id).where(TeamHoliday.team_id == Member.team_id, _in_week(TeamHoliday, week))
        return (
            select(Member.id, Member.team_id)
            .where(Member.team_id.in_(team_ids), Member.paused.is_(False), ~mail.exists(), ~holiday.exists())
            .order_by(Member.team_id, Member.id)
        )

    def due_invitations(self, team_ids: Sequence[int], week: IsoWeek) -> list[tuple[int, int]]:
        """(member id, team id) of everyone in these teams still to be invited this week."""
        found: list[tuple[int, int]] = []
        for i in range(0, len(team_ids), 500):
            stmt = self._without_mail(team_ids[i : i + 500], week, "uitnodiging")
            found.extend((m, t) for m, t in self.session.execute(stmt).all())
        return found

    def due_reminders(self, team_ids: Sequence[int], week: IsoWeek, invited_before: datetime) -> list[tuple[int, int]]:
        """(member id, team id) of members still to be reminded this week.

        Only members invited before ``invited_before`` (the reminder moment) and with fewer
        than two mails this week; whether they checked in is for the caller to check.
        """
        invited = select(OutboxMail.id).where(
            OutboxMail.member_id == Member.id,
            _in_week(OutboxMail, week),
            OutboxMail.kind == "uitnodiging",
            OutboxMail.created_at < invited_before,
        )
        mails = (
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.member_id == Member.id, _in_week(OutboxMail, week))
            .scalar_subquery()
        )
        found: list[tuple[int, int]] = []
        for i in range(0, len(team_ids), 500):
            stmt = self._without_mail(team_ids[i : i + 500], week, "herinnering").where(invited.exists(), mails < 2)
            found.extend((m, t) for m, t in self.session.execute(stmt).all())
        return found


# --------------------------------------------------------------------------- dashboard sessions


class DashboardSessionRepository:
    """Signed-in dashboard sessions, found by the SHA-256 of the cookie's id (never the id itself)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_hash: str) -> DashboardSession | None:
        return self.session.scalars(select(DashboardSession).where(DashboardSession.id_hash == id_hash)).first()

    def add(self, row: DashboardSession) -> DashboardSession:
        self.session.add(row)
        self.session.flush()
        return row

    def remove(self, row: DashboardSession) -> None:
        self.session.delete(row)

    def remove_of_coordinator(self, coordinator_id: int) -> int:
        """Delete every session of one coordinator; how many there were."""
        result = self.session.execute(delete(DashboardSession).where(DashboardSession.coordinator_id == coordinator_id))
        return result.rowcount or 0

    def remove_expired(self, seen_before: datetime, created_before: datetime) -> int:
        """Delete sessions idle since ``seen_before`` or started before ``created_before``."""
        result = self.session.execute(
            delete(DashboardSession).where(
                or_(DashboardSession.last_seen_at < seen_before, DashboardSession.created_at < created_before)
            )
        )
        return result.rowcount or 0

    def count_of_coordinator(self, coordinator_id: int) -> int:
        mine = DashboardSession.coordinator_id == coordinator_id
        return self.session.scalar(select(func.count()).select_from(DashboardSession).where(mine)) or 0
