"""Counters of what teams ask about: per team, ISO week and topic. Never message text."""

from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql, sqlite

from bot.services.teams import find_team
from bot.services.weeks import IsoWeek, this_week
from bot.storage.db import transaction
from bot.storage.models import TopicCount

#: Pseudo-topics next to the knowledge topics.
OUT_OF_SCOPE = "buiten_bereik"
FALLBACK = "niet_begrepen"
_TOPIC_RE = re.compile(r"^[a-z0-9_]{1,64}$")


def count_topic(team_code: str | None, topic: str, week: IsoWeek | None = None) -> bool:
    """Add one to the counter of ``topic`` for the team; False when the team is unknown."""
    if not _TOPIC_RE.match(topic or ""):
        raise ValueError(f"Invalid topic key {topic!r}.")
    team = find_team(team_code)
    if team is None:
        return False
    when = week or this_week()
    with transaction() as session:
        insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(TopicCount).values(team_id=team.id, iso_year=when.year, iso_week=when.week, topic=topic, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "iso_year", "iso_week", "topic"],
            set_={"count": TopicCount.count + 1},
        )
        session.execute(stmt)
    return True
