"""The weekly check-in: store privately, reflect, suggest tools, show and delete own data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.services.catalogue import LOW, STRONG, Tool, tools_for
from bot.services.pseudonym import person_key
from bot.services.teams import find_team
from bot.services.weeks import IsoWeek, this_week
from bot.storage.db import transaction
from bot.storage.models import DIMENSIONS, CheckIn

Scores = dict[str, "int | None"]


@dataclass(frozen=True)
class SaveResult:
    week: IsoWeek
    replaced: bool


@dataclass(frozen=True)
class Reflection:
    strength: str | None
    attention: str | None
    attention_score: int | None
    tools: list[Tool] = field(default_factory=list)


class UnknownTeam(LookupError):
    """The team code does not belong to any team."""


def clean_scores(scores: Scores) -> Scores:
    """Keep only the five dimensions, with whole numbers 1-5 or None (skipped)."""
    cleaned: Scores = {}
    for dim in DIMENSIONS:
        value = scores.get(dim)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5):
            raise ValueError(f"Score for {dim} must be 1-5 or None, got {value!r}.")
        cleaned[dim] = value
    return cleaned


def save_checkin(sender_id: str, team_code: str, scores: Scores, week: IsoWeek | None = None) -> SaveResult | None:
    """Store one check-in; a second one in the same ISO week replaces the first.

    Returns None (and stores nothing) when every question was skipped.
    """
    cleaned = clean_scores(scores)
    if all(v is None for v in cleaned.values()):
        return None
    team = find_team(team_code)
    if team is None:
        raise UnknownTeam(team_code)
    when = week or this_week()
    key = person_key(sender_id)
    try:
        return _upsert(team.id, key, when, cleaned)
    except IntegrityError:
        # Two saves of the same person raced; the other one inserted first. Update it.
        return _upsert(team.id, key, when, cleaned)


def _upsert(team_id: int, key: str, when: IsoWeek, scores: Scores) -> SaveResult:
    with transaction() as session:
        row = session.execute(
            select(CheckIn).where(
                CheckIn.team_id == team_id,
                CheckIn.person_key == key,
                CheckIn.iso_year == when.year,
                CheckIn.iso_week == when.week,
            )
        ).scalar_one_or_none()
        replaced = row is not None
        if row is None:
            row = CheckIn(team_id=team_id, person_key=key, iso_year=when.year, iso_week=when.week)
            session.add(row)
        for dim, value in scores.items():
            setattr(row, dim, value)
        session.flush()
    return SaveResult(week=when, replaced=replaced)


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


def needs_care_pointer(sender_id: str, week: IsoWeek | None = None) -> bool:
    """True when energie or plezier was very low (<= LOW) this week and the week before."""
    key = person_key(sender_id)
    now = week or this_week()
    weeks = [now, now.previous()]
    with transaction() as session:
        rows = session.execute(
            select(CheckIn.iso_year, CheckIn.iso_week, CheckIn.energie, CheckIn.plezier).where(
                CheckIn.person_key == key
            )
        ).all()
    low_weeks = {
        IsoWeek(r.iso_year, r.iso_week)
        for r in rows
        if (r.energie is not None and r.energie <= LOW) or (r.plezier is not None and r.plezier <= LOW)
    }
    return all(w in low_weeks for w in weeks)


@dataclass(frozen=True)
class HistoryWeek:
    week: IsoWeek
    team_name: str
    scores: Scores


def history(sender_id: str, limit: int = 8) -> list[HistoryWeek]:
    """The person's own most recent check-ins, newest first (only ever shown to them)."""
    from bot.storage.models import Team

    key = person_key(sender_id)
    with transaction() as session:
        rows = session.execute(
            select(CheckIn, Team.name)
            .join(Team, Team.id == CheckIn.team_id)
            .where(CheckIn.person_key == key)
            .order_by(CheckIn.iso_year.desc(), CheckIn.iso_week.desc())
            .limit(limit)
        ).all()
    return [
        HistoryWeek(IsoWeek(c.iso_year, c.iso_week), name, {d: getattr(c, d) for d in DIMENSIONS}) for c, name in rows
    ]


def delete_all(sender_id: str) -> int:
    """Delete every check-in of this person; returns how many were removed."""
    key = person_key(sender_id)
    with transaction() as session:
        result = session.execute(delete(CheckIn).where(CheckIn.person_key == key))
        return result.rowcount or 0
