"""Schools and teams: creating teams, team codes, looking a team up by its code."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import School, Team

#: Upper-case letters and digits without look-alikes (0/O, 1/I/L), so codes are easy to type.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10 ~ 2**49 possible codes: not guessable by trying


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    code: str
    school_id: int
    school_name: str
    size: int | None
    is_demo: bool


def new_code() -> str:
    """A fresh random team code such as ``K7QX4-RM2PD``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(text: str | None) -> str | None:
    """Turn what a person typed ("k7qx4 rm2pd", "K7QX4RM2PD") into the stored form, or None."""
    if not text:
        return None
    raw = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return f"{raw[:5]}-{raw[5:]}"


def _info(team: Team) -> TeamInfo:
    return TeamInfo(
        id=team.id,
        name=team.name,
        code=team.code,
        school_id=team.school_id,
        school_name=team.school.name,
        size=team.size,
        is_demo=team.is_demo,
    )


def get_or_create_school(session, name: str, is_demo: bool = False) -> School:
    school = session.execute(select(School).where(School.name == name)).scalar_one_or_none()
    if school is None:
        school = School(name=name, is_demo=is_demo)
        session.add(school)
        session.flush()
    return school


def create_team(school: str, team: str, size: int | None = None, is_demo: bool = False) -> TeamInfo:
    """Create a team (and its school when new) with a fresh code."""
    school_name, team_name = school.strip(), team.strip()
    if not school_name or not team_name:
        raise ValueError("School and team need a name.")
    if size is not None and size < 1:
        raise ValueError("Team size must be at least 1.")
    with transaction() as session:
        school_row = get_or_create_school(session, school_name, is_demo=is_demo)
        duplicate = session.execute(
            select(Team.id).where(Team.school_id == school_row.id, Team.name == team_name)
        ).first()
        if duplicate:
            raise ValueError(f"School {school_name!r} already has a team named {team_name!r}.")
        row = Team(school=school_row, name=team_name, code=new_code(), size=size, is_demo=is_demo)
        session.add(row)
        session.flush()
        return _info(row)


def find_team(code: str | None) -> TeamInfo | None:
    """The team with this code (typed in any form), or None when unknown."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    with transaction() as session:
        row = session.execute(select(Team).where(Team.code == normalized)).scalar_one_or_none()
        return _info(row) if row else None


def rotate_code(team_id: int) -> str:
    """Give a team a new code; the old code stops working at once."""
    with transaction() as session:
        row = session.get(Team, team_id)
        if row is None:
            raise LookupError(f"No team with id {team_id}.")
        row.code = new_code()
        return row.code


def get_team(team_id: int) -> TeamInfo | None:
    """The team with this id, or None."""
    with transaction() as session:
        row = session.get(Team, team_id)
        return _info(row) if row else None


def list_teams(school_id: int) -> list[TeamInfo]:
    """All teams of a school, by name."""
    with transaction() as session:
        rows = session.execute(select(Team).where(Team.school_id == school_id).order_by(Team.name)).scalars().all()
        return [_info(row) for row in rows]


def find_school_id(name: str) -> int | None:
    """The id of the school with exactly this name, or None."""
    with transaction() as session:
        return session.execute(select(School.id).where(School.name == name.strip())).scalar_one_or_none()


def set_team_size(team_id: int, size: int | None) -> None:
    """Change the number of staff in a team (None: unknown); used for participation."""
    if size is not None and size < 1:
        raise ValueError("Team size must be at least 1.")
    with transaction() as session:
        row = session.get(Team, team_id)
        if row is None:
            raise LookupError(f"No team with id {team_id}.")
        row.size = size
