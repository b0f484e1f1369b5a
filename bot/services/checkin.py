"""The weekly check-in: store privately, reflect, suggest tools, show and delete own data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from bot.services.catalogue import LOW, STRONG, Tool, tools_for
from bot.services.roster import member_key
from bot.storage.models import CheckIn
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, IsoWeek, this_week

Scores = dict[str, "int | None"]


@dataclass(frozen=True)
class SaveResult:
    week: IsoWeek
    replaced: bool
    #: The person's check-ins in this week and the week before had very low energie or plezier.
    care_pointer: bool = False


@dataclass(frozen=True)
class Reflection:
    strength: str | None
    attention: str | None
    attention_score: int | None
    tools: list[Tool] = field(default_factory=list)


def clean_scores(scores: Scores) -> Scores:
    """Keep only the five dimensions, with whole numbers 1-5 or None (skipped)."""
    cleaned: Scores = {}
    for dim in DIMENSIONS:
        value = scores.get(dim)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5):
            raise ValueError(f"Score for {dim} must be 1-5 or None, got {value!r}.")
        cleaned[dim] = value
    return cleaned


def reflect(scores: Scores) -> Reflection:
    """One strength, one point of attention and 1-3 matching tools for these scores."""
    given = {d: v for d, v in clean_scores(scores).items() if v is not None}
    if not given:
        return Reflection(None, None, None, [])
    order = list(DIMENSIONS)
    best = max(given, key=lambda d: (given[d], -order.index(d)))
    worst = min(given, key=lambda d: (given[d], order.index(d)))
    strength = best if given[best] >= STRONG else None
    attention = worst if given[worst] <= 3 and worst != strength else None
    weak = sorted((d for d, v in given.items() if v <= 3), key=lambda d: (given[d], order.index(d)))
    tools = tools_for(weak or [worst], limit=3 if weak else 1)
    return Reflection(strength, attention, given[worst] if attention else None, tools)


def _needs_care(uow: UnitOfWork, key: str, now: IsoWeek) -> bool:
    """True when energie or plezier was very low (<= LOW) this week and the week before."""
    low_weeks = {
        IsoWeek(c.iso_year, c.iso_week)
        for c, _team in uow.checkins.of_person(key)
        if (c.energie is not None and c.energie <= LOW) or (c.plezier is not None and c.plezier <= LOW)
    }
    return {now, now.previous()} <= low_weeks


@dataclass(frozen=True)
class HistoryWeek:
    week: IsoWeek
    team_name: str
    scores: Scores


def history(uow: UnitOfWork, person_key: str, limit: int = 8) -> list[HistoryWeek]:
    """The person's own most recent check-ins, newest first (only ever shown to them)."""
    with uow:
        rows = uow.checkins.of_person(person_key, limit=limit)
        return [
            HistoryWeek(IsoWeek(c.iso_year, c.iso_week), name, {d: getattr(c, d) for d in DIMENSIONS})
            for c, name in rows
        ]


def delete_all(uow: UnitOfWork, person_key: str) -> int:
    """Delete every check-in of this person; returns how many were removed."""
    with uow:
        count = uow.checkins.delete_person(person_key)
        uow.commit()
    return count


# --------------------------------------------------------------------------- members


class UnknownMember(LookupError):
    """No roster member has this personal link (unknown, malformed, revoked or removed)."""


@dataclass(frozen=True)
class MemberRef:
    """The member behind a personal link, as the chat needs it (never the address)."""

    id: int
    team_id: int
    team_name: str
    team_code: str
    person_key: str


def find_member(uow: UnitOfWork, link_hash: str | None, pseudonym_secret: str) -> MemberRef | None:
    """The member whose personal link has this SHA-256 (bot.services.links), or None."""
    if not link_hash:
        return None
    with uow:
        found = uow.members.with_token_hash_and_team(link_hash)
        if found is None:
            return None
        member, team = found
        return MemberRef(member.id, team.id, team.name, team.code, member_key(member.id, pseudonym_secret))


def save_checkin(
    uow: UnitOfWork, link_hash: str | None, scores: Scores, pseudonym_secret: str, week: IsoWeek | None = None
) -> SaveResult | None:
    """Store a member's check-in for this ISO week: one per member, a second one replaces the first.

    Raises UnknownMember for a link that belongs to no member. Returns None (and stores
    nothing) when every question was skipped.
    """
    cleaned = clean_scores(scores)
    if all(v is None for v in cleaned.values()):
        return None
    when = week or this_week()
    try:
        return _save(uow, link_hash, cleaned, pseudonym_secret, when)
    except IntegrityError:
        # The same member saved twice at once (two devices); the other insert won. Update it.
        return _save(uow, link_hash, cleaned, pseudonym_secret, when)


def _save(uow: UnitOfWork, link_hash: str | None, scores: Scores, secret: str, when: IsoWeek) -> SaveResult:
    with uow:
        member = uow.members.with_token_hash(link_hash) if link_hash else None
        if member is None:
            raise UnknownMember()
        key = member_key(member.id, secret)
        if uow.releases.released([member.team_id], [when]):
            raise WeekReleased(when)
        row = uow.checkins.get(member.team_id, key, when)
        replaced = row is not None
        if row is None:
            row = CheckIn(team_id=member.team_id, person_key=key, iso_year=when.year, iso_week=when.week)
        for dim, value in scores.items():
            setattr(row, dim, value)
        uow.checkins.add(row)
        care = _needs_care(uow, key, when)
        uow.commit()
    return SaveResult(week=when, replaced=replaced, care_pointer=care)


class WeekReleased(LookupError):
    """The week's figures are frozen already: a check-in for it can no longer be stored."""
