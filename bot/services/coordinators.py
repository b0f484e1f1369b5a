"""Coordinator accounts for the dashboard. Passwords are hashed with scrypt (werkzeug)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.services.teams import get_or_create_school
from bot.storage.db import transaction
from bot.storage.models import Coordinator

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


def create_coordinator(school: str, email: str, password: str, is_demo: bool = False) -> CoordinatorInfo:
    """Create a coordinator for ``school`` (created when new)."""
    email = email.strip().lower()
    if not _EMAIL_RE.match(email):
        raise ValueError(f"{email!r} is not an e-mail address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    with transaction() as session:
        if session.execute(select(Coordinator).where(Coordinator.email == email)).scalar_one_or_none():
            raise ValueError(f"A coordinator with e-mail {email} already exists.")
        school_row = get_or_create_school(session, school.strip(), is_demo=is_demo)
        row = Coordinator(
            school=school_row, email=email, password_hash=generate_password_hash(password), is_demo=is_demo
        )
        session.add(row)
        session.flush()
        return CoordinatorInfo(row.id, row.email, school_row.id, school_row.name, row.is_demo)


def authenticate(email: str, password: str) -> CoordinatorInfo | None:
    """The coordinator with these credentials, or None (same work whether the e-mail exists)."""
    with transaction() as session:
        row = session.execute(
            select(Coordinator).where(Coordinator.email == (email or "").strip().lower())
        ).scalar_one_or_none()
        if row is None:
            check_password_hash(_DUMMY_HASH, password or "")
            return None
        if not check_password_hash(row.password_hash, password or ""):
            return None
        return CoordinatorInfo(row.id, row.email, row.school_id, row.school.name, row.is_demo)


def get_coordinator(coordinator_id: int) -> CoordinatorInfo | None:
    with transaction() as session:
        row = session.get(Coordinator, coordinator_id)
        if row is None:
            return None
        return CoordinatorInfo(row.id, row.email, row.school_id, row.school.name, row.is_demo)
