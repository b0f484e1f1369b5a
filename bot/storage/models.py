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
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
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
