"""Feedback on knowledge answers: when to ask, counting 👍/👎, and the two views of it.

Only counters are stored: per team, ISO week and topic, how often an answer helped and
how often not. What a person types after 👎 ("wat miste je?") is never stored here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.services.catalogue import topic_labels
from bot.services.signals import weeks_clause
from bot.services.teams import find_team
from bot.services.topics import FALLBACK, OUT_OF_SCOPE
from bot.services.weeks import IsoWeek, last_weeks, this_week
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.models import FeedbackCount, Team, TopicCount

#: Ask after the first knowledge answer of a conversation, then after every third.
ASK_EVERY = 3
#: Never more often than this in one conversation, and never twice about one topic.
MAX_ASKS = 3
#: The dashboard and the CLI look back this many weeks.
WEEKS = 8


def should_ask(topic: str, asked: list[str], answers_since_ask: int) -> bool:
    """Whether to ask "Had je hier iets aan?" after this knowledge answer.

    Args:
        topic: the topic just answered.
        asked: topics asked about earlier in this conversation.
        answers_since_ask: knowledge answers given since the last question, not counting this one.
    """
    if topic in asked or len(asked) >= MAX_ASKS:
        return False
    return not asked or answers_since_ask + 1 >= ASK_EVERY


def record(team_code: str | None, topic: str, helpful: bool, week: IsoWeek | None = None) -> bool:
    """Count one 👍 or 👎 for the team's topic; False (nothing stored) for an unknown team or topic."""
    if topic not in topic_labels():
        return False
    team = find_team(team_code)
    if team is None:
        return False
    when = week or this_week()
    column = "helpful" if helpful else "not_helpful"
    with transaction() as session:
        insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(FeedbackCount).values(
            team_id=team.id,
            iso_year=when.year,
            iso_week=when.week,
            topic=topic,
            helpful=int(helpful),
            not_helpful=int(not helpful),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "iso_year", "iso_week", "topic"],
            set_={column: getattr(FeedbackCount, column) + 1},
        )
        session.execute(stmt)
    return True


@dataclass(frozen=True)
class TopicFeedback:
    topic: str
    label: str
    helpful: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def share_helpful(self) -> float:
        return self.helpful / self.total if self.total else 0.0


@dataclass(frozen=True)
class SchoolFeedback:
    weeks: list[IsoWeek]
    min_group: int
    #: Topics with at least ``min_group`` reactions, least helpful first.
    shown: list[TopicFeedback]
    #: How many topics had reactions but fewer than ``min_group``.
    hidden_topics: int


def _totals(session, weeks: list[IsoWeek], team_filter) -> dict[str, tuple[int, int]]:
    rows = session.execute(
        select(FeedbackCount.topic, func.sum(FeedbackCount.helpful), func.sum(FeedbackCount.not_helpful))
        .join(Team, Team.id == FeedbackCount.team_id)
        .where(team_filter, weeks_clause(weeks, FeedbackCount))
        .group_by(FeedbackCount.topic)
    ).all()
    return {topic: (int(up or 0), int(down or 0)) for topic, up, down in rows}


def _figures(totals: dict[str, tuple[int, int]]) -> list[TopicFeedback]:
    labels = topic_labels()
    return [TopicFeedback(t, labels.get(t, t), up, down) for t, (up, down) in totals.items() if up + down]


def school_feedback(school_id: int, until: IsoWeek | None = None) -> SchoolFeedback:
    """Answer-helpfulness per topic for the whole school over the last weeks (dashboard).

    A topic is shown only when at least the minimum group size reacted to it.
    """
    min_group = get_settings().min_group
    weeks = last_weeks(WEEKS, until)
    with transaction() as session:
        figures = _figures(_totals(session, weeks, Team.school_id == school_id))
    shown = [f for f in figures if f.total >= min_group]
    shown.sort(key=lambda f: (f.share_helpful, -f.total, f.label))
    return SchoolFeedback(weeks, min_group, shown, len(figures) - len(shown))


def maintainer_report(
    until: IsoWeek | None = None, include_demo: bool = False, limit: int = 10, n_weeks: int = WEEKS
) -> dict:
    """For maintainers (CLI): topics with the most 👎, and fallbacks, over all schools.

    Only totals over every school: no school, team or person is named.
    """
    weeks = last_weeks(n_weeks, until)
    not_demo = Team.is_demo.is_(False) if not include_demo else Team.id.isnot(None)
    with transaction() as session:
        figures = _figures(_totals(session, weeks, not_demo))
        counts = dict(
            session.execute(
                select(TopicCount.topic, func.sum(TopicCount.count))
                .join(Team, Team.id == TopicCount.team_id)
                .where(not_demo, weeks_clause(weeks, TopicCount), TopicCount.topic.in_([FALLBACK, OUT_OF_SCOPE]))
                .group_by(TopicCount.topic)
            ).all()
        )
    figures.sort(key=lambda f: (-f.not_helpful, f.share_helpful, f.topic))
    return {
        "weeks": [weeks[0].label(), weeks[-1].label()],
        "include_demo": include_demo,
        "most_not_helpful": [
            {
                "topic": f.topic,
                "label": f.label,
                "helpful": f.helpful,
                "not_helpful": f.not_helpful,
                "share_helpful": round(f.share_helpful, 3),
            }
            for f in figures[:limit]
        ],
        "fallbacks": int(counts.get(FALLBACK, 0)),
        "out_of_scope": int(counts.get(OUT_OF_SCOPE, 0)),
    }
