"""Feedback on knowledge answers: when to ask, counting 👍/👎, and the two views of it.

Only counters are stored: per team, ISO week and topic, how often an answer helped and
how often not. What a person types after 👎 ("wat miste je?") is never stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.services.catalogue import topic_labels
from bot.services.release import last_ended_week
from bot.services.teams import normalize_code
from bot.services.topics import FALLBACK, OUT_OF_SCOPE
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import IsoWeek, last_weeks, this_week

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


def record(uow: UnitOfWork, team_code: str | None, topic: str, helpful: bool, week: IsoWeek | None = None) -> bool:
    """Count one 👍 or 👎 for the team's topic; False (nothing stored) for an unknown team or topic."""
    code = normalize_code(team_code)
    if topic not in topic_labels() or code is None:
        return False
    with uow:
        team = uow.schools.team_with_code(code)
        if team is None:
            return False
        uow.counters.count_feedback(team.id, week or this_week(), topic, helpful)
        uow.commit()
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


def _figures(totals: dict[str, tuple[int, int]]) -> list[TopicFeedback]:
    labels = topic_labels()
    return [TopicFeedback(t, labels.get(t, t), up, down) for t, (up, down) in totals.items() if up + down]


def school_feedback(uow: UnitOfWork, school_id: int, min_group: int, until: IsoWeek | None = None) -> SchoolFeedback:
    """Answer-helpfulness per topic for the whole school over the last weeks (dashboard).

    A topic is shown only when at least the minimum group size reacted to it. Like every
    figure on the dashboard it covers closed weeks only (ending with the last ended week).
    """
    weeks = last_weeks(WEEKS, until or last_ended_week(date.today()))
    with uow:
        figures = _figures(uow.counters.feedback_totals(weeks, school_id=school_id))
    shown = [f for f in figures if f.total >= min_group]
    shown.sort(key=lambda f: (f.share_helpful, -f.total, f.label))
    return SchoolFeedback(weeks, min_group, shown, len(figures) - len(shown))


def maintainer_report(
    uow: UnitOfWork, until: IsoWeek | None = None, include_demo: bool = False, limit: int = 10, n_weeks: int = WEEKS
) -> dict:
    """For maintainers (CLI): topics with the most 👎, and fallbacks, over all schools.

    Only totals over every school: no school, team or person is named.
    """
    weeks = last_weeks(n_weeks, until)
    with uow:
        figures = _figures(uow.counters.feedback_totals(weeks, include_demo=include_demo))
        counts = uow.counters.topic_totals(weeks, [FALLBACK, OUT_OF_SCOPE], include_demo=include_demo)
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
