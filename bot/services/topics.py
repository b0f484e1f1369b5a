"""Counters of what teams ask about: per team, ISO week and topic. Never message text."""

from __future__ import annotations

import re

from bot.services.teams import normalize_code
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import IsoWeek, this_week

#: Pseudo-topics next to the knowledge topics.
OUT_OF_SCOPE = "buiten_bereik"
FALLBACK = "niet_begrepen"
_TOPIC_RE = re.compile(r"^[a-z0-9_]{1,64}$")


def count_topic(uow: UnitOfWork, team_code: str | None, topic: str, week: IsoWeek | None = None) -> bool:
    """Add one to the counter of ``topic`` for the team; False when the team is unknown."""
    if not _TOPIC_RE.match(topic or ""):
        raise ValueError(f"Invalid topic key {topic!r}.")
    code = normalize_code(team_code)
    if code is None:
        return False
    with uow:
        team = uow.schools.team_with_code(code)
        if team is None:
            return False
        uow.counters.count_topic(team.id, week or this_week(), topic)
        uow.commit()
    return True
