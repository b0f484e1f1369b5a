"""Database tables.

Privacy by design: the analytics tables (``checkins``, ``topic_counts``,
``feedback_counts``, ``fundament_scans``) hold no sender id, name, e-mail or free text.
A check-in is linked to a person only through ``person_key``, a keyed pseudonym
(HMAC-SHA256 with a server secret over the chat sender id), so the person can see and
delete their own answers and nobody can turn the key back into a sender id without the
secret. A fundament-scan belongs to a school, not to the coordinator who made it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.vocabulary import DIMENSIONS, SCAN_ITEMS

# Stable constraint names, so Alembic migrations behave the same on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Base = declarative_base(metadata=metadata)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class School(Base):
    __tablename__ = "schools"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, unique=True)
    is_demo = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    teams = relationship("Team", back_populates="school")


class Team(Base):
    __tablename__ = "teams"

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    code = Column(String(32), nullable=False, unique=True)
    size = Column(Integer, nullable=True)
    is_demo = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: When the first roster was imported: members added that day count at once.
    first_import_at = Column(DateTime(timezone=True), nullable=True)
    #: The weekly invitation: ISO weekday (1 = Monday) and time, Europe/Amsterdam; the reminder's weekday.
    invite_weekday = Column(SmallInteger, nullable=False, default=1)
    invite_time = Column(String(5), nullable=False, default="07:30")
    reminder_weekday = Column(SmallInteger, nullable=False, default=3)

    school = relationship("School", back_populates="teams")
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_teams_school_name"),)


def _answer() -> Column:
    """One answer of a check-in (1-5) or a scan (0-2); NULL means the question was skipped."""
    return Column(SmallInteger, nullable=True)


class CheckIn(Base):
    """One person's weekly check-in in one team; NULL means the person skipped that item."""

    __tablename__ = "checkins"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    person_key = Column(String(64), nullable=False)
    iso_year = Column(SmallInteger, nullable=False)
    iso_week = Column(SmallInteger, nullable=False)
    energie = _answer()
    werkdruk = _answer()
    verbinding = _answer()
    waardering = _answer()
    plezier = _answer()

    __table_args__ = (
        UniqueConstraint("team_id", "person_key", "iso_year", "iso_week", name="uq_checkins_person_week"),
        Index("ix_checkins_team_week", "team_id", "iso_year", "iso_week"),
        Index("ix_checkins_person", "person_key"),
        *(CheckConstraint(f"{d} BETWEEN 1 AND 5", name=f"{d}_range") for d in DIMENSIONS),
    )


class TopicCount(Base):
    """How often a team asked about a knowledge topic in a week (no message text)."""

    __tablename__ = "topic_counts"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    iso_year = Column(SmallInteger, nullable=False)
    iso_week = Column(SmallInteger, nullable=False)
    topic = Column(String(64), nullable=False)
    count = Column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("team_id", "iso_year", "iso_week", "topic", name="uq_topic_counts_key"),)


class Coordinator(Base):
    """A dashboard user; sees only the teams of their own school."""

    __tablename__ = "coordinators"

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True)
    email = Column(String(254), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    is_demo = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    school = relationship("School")


class FeedbackCount(Base):
    """How often a team found the answer on a topic helpful or not, per week (no message text)."""

    __tablename__ = "feedback_counts"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    iso_year = Column(SmallInteger, nullable=False)
    iso_week = Column(SmallInteger, nullable=False)
    topic = Column(String(64), nullable=False)
    helpful = Column(Integer, nullable=False, default=0)
    not_helpful = Column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("team_id", "iso_year", "iso_week", "topic", name="uq_feedback_counts_key"),)


class FundamentScan(Base):
    """A school's fundament-scan, made by a coordinator; belongs to the school, not to a person."""

    __tablename__ = "fundament_scans"

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    visie = _answer()
    leiderschap = _answer()
    inwerken = _answer()
    maatje = _answer()
    waarderingsgesprekken = _answer()
    professionalisering = _answer()
    techniek = _answer()
    verbinding = _answer()
    efficacy = _answer()
    groen = _answer()
    geel = _answer()
    rood = _answer()

    __table_args__ = (
        Index("ix_fundament_scans_school_date", "school_id", "created_at"),
        *(CheckConstraint(f"{item} BETWEEN 0 AND 2", name=f"{item}_range") for item in SCAN_ITEMS),
    )


# --------------------------------------------------------------------------- respondents
# The roster (members) holds e-mail addresses; the answers (checkins) hold only a keyed
# pseudonym of the member id, and released_weeks only counts. See docs/PRIVACY.md.


class SchoolDomain(Base):
    """An e-mail domain whose addresses may be on a school's roster (set by the operator)."""

    __tablename__ = "school_domains"

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False)
    domain = Column(String(253), nullable=False)

    __table_args__ = (UniqueConstraint("school_id", "domain", name="uq_school_domains_key"),)


class Member(Base):
    """A staff member on a team's roster, invited by e-mail with a personal link.

    ``token_hash`` is the SHA-256 of the personal link's token; the token itself is derived
    from a server key and ``token_version`` when a mail is sent and stored nowhere.
    """

    __tablename__ = "members"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    email = Column(String(254), nullable=False, unique=True)
    token_hash = Column(String(64), nullable=True, unique=True)
    token_version = Column(Integer, nullable=False, default=1)
    added_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: Monday of the first ISO week in which this member counts towards the minimum group.
    counts_from = Column(Date, nullable=False)
    #: The member asked not to get weekly mails (the link keeps working).
    paused = Column(Boolean, nullable=False, default=False)


class RosterEvent(Base):
    """The audit list of roster changes; the coordinator reads it, nobody edits it."""

    __tablename__ = "roster_events"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: "toegevoegd", "verwijderd" or "link_opnieuw".
    action = Column(String(32), nullable=False)
    #: The address shortened (``j…@school.nl``): who it was, without keeping the address.
    masked_email = Column(String(254), nullable=False)
    #: Who made the change: a coordinator's e-mail, "cli" or "lid" (the member).
    actor = Column(String(254), nullable=False)


class ReleasedWeek(Base):
    """A team's figures for one closed ISO week, frozen when the week was released.

    Written once by the release job; later edits, late check-ins and erasures of raw
    check-ins never change it. No person is named or keyed here.
    """

    __tablename__ = "released_weeks"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    iso_year = Column(SmallInteger, nullable=False)
    iso_week = Column(SmallInteger, nullable=False)
    released_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: Members who counted that week (the roster size for participation).
    eligible = Column(Integer, nullable=False)
    #: Check-ins of counting members.
    respondents = Column(Integer, nullable=False)
    #: Per dimension: answers, their sum and the counts of 1..5, as "n,sum,c1,c2,c3,c4,c5".
    energie = Column(String(64), nullable=False)
    werkdruk = Column(String(64), nullable=False)
    verbinding = Column(String(64), nullable=False)
    waardering = Column(String(64), nullable=False)
    plezier = Column(String(64), nullable=False)

    __table_args__ = (UniqueConstraint("team_id", "iso_year", "iso_week", name="uq_released_weeks_key"),)


class TeamHoliday(Base):
    """An ISO week in which the team gets no mails (school holiday)."""

    __tablename__ = "team_holidays"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    iso_year = Column(SmallInteger, nullable=False)
    iso_week = Column(SmallInteger, nullable=False)

    __table_args__ = (UniqueConstraint("team_id", "iso_year", "iso_week", name="uq_team_holidays_key"),)


class OutboxMail(Base):
    """A mail to send: at most one per member, ISO week and kind, so sending is idempotent."""

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    member_id = Column(Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    iso_year = Column(SmallInteger, nullable=False)
    iso_week = Column(SmallInteger, nullable=False)
    #: "uitnodiging", "herinnering" or "link".
    kind = Column(String(16), nullable=False)
    #: "wacht", "verstuurd" or "mislukt" (given up after the last attempt).
    status = Column(String(16), nullable=False, default="wacht")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: Being sent by a worker until then (two processes never send one mail twice).
    claimed_until = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        UniqueConstraint("member_id", "iso_year", "iso_week", "kind", name="uq_outbox_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )


# --------------------------------------------------------------------------- help at school
# How staff reach the school's own vertrouwenspersoon and bedrijfsarts / arbodienst, entered
# by a coordinator on the dashboard and named by the bot in the third help tier.


class SchoolContact(Base):
    """One way to get help at a school: its vertrouwenspersoon or its bedrijfsarts / arbodienst.

    A person's name is kept only when that person agreed to be named (``name_agreed``).
    Every value is plain text, validated by bot.services.contacts; the chat shows it escaped.
    """

    __tablename__ = "school_contacts"

    id = Column(Integer, primary_key=True)
    school_id = Column(Integer, ForeignKey("schools.id", ondelete="CASCADE"), nullable=False)
    #: "vertrouwenspersoon" or "bedrijfsarts".
    kind = Column(String(32), nullable=False)
    name = Column(String(100), nullable=True)
    name_agreed = Column(Boolean, nullable=False, default=False)
    phone = Column(String(32), nullable=True)
    email = Column(String(254), nullable=True)
    url = Column(String(300), nullable=True)
    hours = Column(String(200), nullable=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("school_id", "kind", name="uq_school_contacts_key"),
        CheckConstraint("name IS NULL OR name_agreed", name="name_agreed"),
        CheckConstraint("kind IN ('vertrouwenspersoon', 'bedrijfsarts')", name="kind"),
    )


# --------------------------------------------------------------------------- dashboard sessions
# A signed-in coordinator's session lives here; the browser's cookie holds only a random id.


class DashboardSession(Base):
    """One signed-in dashboard session (bot.services.sessions, bot/web/sessions.py).

    Only the SHA-256 of the cookie's random id is stored, so a copy of this table logs
    nobody in. Ending a session deletes its row: logging out, a new password and removing
    the coordinator end all of theirs at once; idle and absolute limits end it on its own.
    """

    __tablename__ = "dashboard_sessions"

    id = Column(Integer, primary_key=True)
    id_hash = Column(String(64), nullable=False, unique=True)
    coordinator_id = Column(Integer, ForeignKey("coordinators.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: The rest of the session (CSRF token, messages still to show) as Flask's tagged JSON.
    data = Column(Text, nullable=False, default="{}")
