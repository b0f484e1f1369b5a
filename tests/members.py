"""Roster members for tests: a team member with a personal link, as the roster service makes them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.backend import Backend
from bot.services import roster
from bot.services.links import member_token, token_hash

DOMAIN = "school.test"


@dataclass(frozen=True)
class TestMember:
    email: str
    token: str  # the raw token of the personal link (what the widget and REST send)
    ref: str  # its SHA-256 (what the database and the tracker hold)
    person_key: str  # the pseudonym of the member's check-ins


def add_member(backend: Backend, team_id: int, name: str) -> TestMember:
    """Put ``name@school.test`` on the team's roster (the school's domains include school.test)."""
    email = f"{name}@{DOMAIN}"
    with backend.uow() as uow:
        school = uow.schools.get(uow.schools.team(team_id).school_id)
        domains = uow.schools.domains(school.id)
        if DOMAIN not in domains:
            uow.schools.set_domains(school.id, [*domains, DOMAIN])
            uow.commit()
    change = roster.add_members(backend.uow(), team_id, email, "test", backend.settings.link_secret)
    assert change.done == [email], change.errors
    with backend.uow() as uow:
        member = uow.members.with_email(email)
        token = member_token(member.id, member.token_version, backend.settings.link_secret)
        return TestMember(
            email, token, token_hash(token), roster.member_key(member.id, backend.settings.pseudonym_secret)
        )
