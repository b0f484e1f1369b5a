"""Schools and teams: creating teams, team codes, looking a team up by its code."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from bot.storage.models import School, Team
from bot.storage.unit_of_work import UnitOfWork

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


def team_info(team: Team) -> TeamInfo:
    return TeamInfo(
        id=team.id,
        name=team.name,
        code=team.code,
        school_id=team.school_id if team.school_id is not None else team.school.id,
        school_name=team.school.name,
        size=team.size,
        is_demo=bool(team.is_demo),
    )


class DuplicateTeam(ValueError):
    """The school already has a team with this name (ignoring case)."""


def school_for(uow: UnitOfWork, name: str, is_demo: bool = False) -> School:
    """The school with this name, created when new (inside the caller's transaction)."""
    return uow.schools.named(name) or uow.schools.add(name, is_demo=is_demo)


def _check_size(size: int | None) -> None:
    if size is not None and size < 1:
        raise ValueError("Team size must be at least 1.")


def create_team(uow: UnitOfWork, school: str, team: str, size: int | None = None, is_demo: bool = False) -> TeamInfo:
    """Create a team (and its school when new) with a fresh code."""
    school_name, team_name = school.strip(), team.strip()
    if not school_name or not team_name:
        raise ValueError("School and team need a name.")
    _check_size(size)
    with uow:
        school_row = school_for(uow, school_name, is_demo=is_demo)
        if any(t.name.lower() == team_name.lower() for t in uow.schools.teams_of(school_row.id)):
            raise DuplicateTeam(f"School {school_name!r} already has a team named {team_name!r}.")
        info = team_info(uow.schools.add_team(school_row, team_name, new_code(), size, is_demo=is_demo))
        uow.commit()
    return info


def find_team(uow: UnitOfWork, code: str | None) -> TeamInfo | None:
    """The team with this code (typed in any form), or None when unknown."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    with uow:
        row = uow.schools.team_with_code(normalized)
        return team_info(row) if row else None


def get_team(uow: UnitOfWork, team_id: int) -> TeamInfo | None:
    """The team with this id, or None."""
    with uow:
        row = uow.schools.team(team_id)
        return team_info(row) if row else None


def list_teams(uow: UnitOfWork, school_id: int) -> list[TeamInfo]:
    """All teams of a school, by name."""
    with uow:
        return [team_info(row) for row in uow.schools.teams_of(school_id)]


def find_school_id(uow: UnitOfWork, name: str) -> int | None:
    """The id of the school with exactly this name, or None."""
    with uow:
        school = uow.schools.named(name.strip())
        return school.id if school else None


#: ``update_team(size=KEEP)``: leave the size as it is.
KEEP = object()


def update_team(uow: UnitOfWork, team_id: int, *, rotate_code: bool = False, size: object = KEEP) -> TeamInfo:
    """Change a team: a fresh code (the old one stops working at once) and/or its size (None: unknown)."""
    if size is not KEEP:
        _check_size(size)  # type: ignore[arg-type]
    with uow:
        row = uow.schools.team(team_id)
        if row is None:
            raise LookupError(f"No team with id {team_id}.")
        if rotate_code:
            row.code = new_code()
        if size is not KEEP:
            row.size = size
        info = team_info(row)
        uow.commit()
    return info
