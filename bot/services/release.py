"""The weekly release: a team-week's figures exist only after the week has ended.

``release_ended_weeks`` (the scheduler's job and ``python -m bot release``) freezes every
ended, unreleased week of every team with a roster into ``released_weeks``: the members
who counted that week (see bot.services.roster.counts_from) and the aggregate of their
check-ins. Nothing of the running week is ever released; a released week never changes,
whatever is edited, added or erased afterwards. Everything a coordinator sees of check-ins
is read from here (bot.services.signals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from bot.services.roster import LOCAL_TZ, member_key
from bot.storage.models import ReleasedWeek, utcnow
from bot.storage.repositories import RawDim, RawWeek
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, IsoWeek


def encode_dim(dim: RawDim) -> str:
    return ",".join(str(v) for v in (dim.n, dim.total, *dim.counts))


def decode_dim(text: str) -> RawDim:
    n, total, *counts = (int(v) for v in text.split(","))
    return RawDim(n, total, tuple(counts))  # type: ignore[arg-type]


def raw_week(row: ReleasedWeek) -> RawWeek:
    """The frozen aggregate of a released week, in the form the privacy rules work on."""
    return RawWeek(row.respondents, {d: decode_dim(getattr(row, d)) for d in DIMENSIONS})


def last_ended_week(today: date) -> IsoWeek:
    """The most recent ISO week that has ended (Sunday has passed), in Dutch time."""
    return IsoWeek.of(today).previous()


def frozen(team_id: int, week: IsoWeek, raw: RawWeek, eligible: int, now: datetime) -> ReleasedWeek:
    """The released row of one team-week: its aggregate and how many members counted."""
    return ReleasedWeek(
        team_id=team_id,
        iso_year=week.year,
        iso_week=week.week,
        released_at=now,
        eligible=eligible,
        respondents=raw.n,
        **{d: encode_dim(raw.dims[d]) for d in DIMENSIONS},
    )


@dataclass(frozen=True)
class Released:
    team_id: int
    week: IsoWeek
    respondents: int


def release_ended_weeks(uow: UnitOfWork, pseudonym_secret: str, now: datetime | None = None) -> list[Released]:
    """Freeze every ended, unreleased week of every team since its first roster import.

    Safe to run from several processes: a week another process released first makes this
    run roll back and report nothing (the unique key on team and week).
    """
    try:
        return _release(uow, pseudonym_secret, now or utcnow())
    except IntegrityError:
        return []


def _release(uow: UnitOfWork, pseudonym_secret: str, now: datetime) -> list[Released]:
    last = last_ended_week(now.astimezone(LOCAL_TZ).date())
    released: list[Released] = []
    with uow:
        for team in uow.schools.all_teams():
            if team.first_import_at is None:
                continue
            first = IsoWeek.of(team.first_import_at.astimezone(LOCAL_TZ).date())
            done = uow.releases.latest_week(team.id)
            week = done.next() if done else first
            if week.monday() > last.monday():
                continue
            members = uow.members.of_team(team.id)
            while week.monday() <= last.monday():
                counting = {member_key(m.id, pseudonym_secret) for m in members if m.counts_from <= week.monday()}
                rows = [c for c in uow.checkins.of_team_week(team.id, week) if c.person_key in counting]
                raw = RawWeek(len(rows), {d: RawDim.of(getattr(c, d) for c in rows) for d in DIMENSIONS})
                uow.releases.add(frozen(team.id, week, raw, len(counting), now))
                released.append(Released(team.id, week, len(rows)))
                week = week.next()
        uow.commit()
    return released
