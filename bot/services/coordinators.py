"""Coordinator accounts for the dashboard. Passwords are hashed with scrypt (werkzeug).

A new password and removing an account end every dashboard session of that coordinator in
the same transaction (bot.services.sessions holds the sessions themselves).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from bot.services.teams import school_for
from bot.storage.models import Coordinator
from bot.storage.unit_of_work import UnitOfWork

MIN_PASSWORD_LENGTH = 12
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class CoordinatorInfo:
    id: int
    email: str
    school_id: int
    school_name: str
    is_demo: bool


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _info(row: Coordinator) -> CoordinatorInfo:
    return CoordinatorInfo(row.id, row.email, row.school.id, row.school.name, bool(row.is_demo))


def create_coordinator(
    uow: UnitOfWork, school: str, email: str, password: str, is_demo: bool = False
) -> CoordinatorInfo:
    """Create a coordinator for ``school`` (created when new)."""
    email = email.strip().lower()
    if not _EMAIL_RE.match(email):
        raise ValueError(f"{email!r} is not an e-mail address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    with uow:
        if uow.coordinators.with_email(email) is not None:
            raise ValueError(f"A coordinator with e-mail {email} already exists.")
        school_row = school_for(uow, school.strip(), is_demo=is_demo)
        info = _info(uow.coordinators.add(school_row, email, generate_password_hash(password), is_demo=is_demo))
        uow.commit()
    return info


def authenticate(uow: UnitOfWork, email: str, password: str) -> CoordinatorInfo | None:
    """The coordinator with these credentials, or None (same work whether the e-mail exists)."""
    with uow:
        row = uow.coordinators.with_email((email or "").strip().lower())
        if row is None:
            check_password_hash(_DUMMY_HASH, password or "")
            return None
        if not check_password_hash(row.password_hash, password or ""):
            return None
        return _info(row)


def get_coordinator(uow: UnitOfWork, coordinator_id: int) -> CoordinatorInfo | None:
    with uow:
        row = uow.coordinators.get(coordinator_id)
        return _info(row) if row else None


def set_password(uow: UnitOfWork, email: str, password: str) -> int:
    """Give a coordinator a new password and end every session of theirs; how many were ended.

    Raises LookupError for an unknown address, ValueError for a password that is too short.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    with uow:
        row = uow.coordinators.with_email((email or "").strip().lower())
        if row is None:
            raise LookupError(f"No coordinator with e-mail {email!r}.")
        row.password_hash = generate_password_hash(password)
        ended = uow.sessions.remove_of_coordinator(row.id)
        uow.commit()
    return ended


def remove_coordinator(uow: UnitOfWork, email: str) -> int:
    """Remove a coordinator's account and end every session of theirs at once; how many were ended.

    The school, its teams and its figures stay. Raises LookupError for an unknown address.
    """
    with uow:
        row = uow.coordinators.with_email((email or "").strip().lower())
        if row is None:
            raise LookupError(f"No coordinator with e-mail {email!r}.")
        ended = uow.sessions.remove_of_coordinator(row.id)
        uow.coordinators.remove(row)
        uow.commit()
    return ended
