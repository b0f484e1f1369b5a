"""Team signals: weekly aggregates per team with a minimum group size, trends and flags.

Everything a coordinator sees comes from here, only from released (closed, frozen) weeks
(bot.services.release), and every figure passes the privacy rules of docs/PRIVACY.md first:

* A team-week is shown only when at least ``min_group`` people answered; otherwise only
  "te weinig reacties om te tonen (minimaal N)" - not even its n.
* Per dimension, n counts the people who answered that question (NULL = skipped); a
  question with fewer than ``min_group`` answers is hidden, the rest of the week stays.
* Subtraction rule: a school total is shown only when none of its teams is hidden for
  that measure, so "total minus the shown teams" never reveals a hidden team. (Hiding a
  second team instead would not help: each team's own page shows its figures.)
* Signals, trends and next steps are computed from shown figures only, so they never
  leak a hidden week; topic counts follow the rule in docs/PRIVACY.md.

* Counts per answer value (distributions) only where at least twice the minimum answered.

The release job aggregates each closed week once; the rules are pure functions on those
aggregates (:func:`present_week`, :func:`present_school_week`) so they can be tested
exhaustively (tests/test_signals_privacy.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from bot.services.catalogue import CATALOGUE_DIR, Tool, dimension_labels, next_steps_by_level, topic_labels
from bot.services.release import last_ended_week, raw_week
from bot.services.teams import TeamInfo, team_info
from bot.services.topics import FALLBACK, OUT_OF_SCOPE
from bot.settings import MIN_GROUP_FLOOR
from bot.storage.repositories import RawWeek
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, SCORES, IsoWeek, last_weeks

logger = logging.getLogger(__name__)

#: Weeks on the dashboard and in ``python -m bot insights``.
DEFAULT_WEEKS = 8
#: A dimension mean at or below this (scale 1-5) is flagged as low.
LOW_MEAN = 2.5
#: A dimension mean at or above this is named as a strength.
STRONG_MEAN = 4.0
#: A drop of at least this much since the previous week is flagged.
BIG_DROP = 0.5
#: Below this share of the team taking part, participation is flagged.
LOW_PARTICIPATION = 0.5
#: A mean below this (without a flag) still makes a dimension a focus for next steps.
FOCUS_MEAN = 3.0
#: A knowledge topic is listed only with at least this many questions in the week.
TOPIC_MIN_COUNT = 3
#: Distributions (counts per answer value) only where the group is at least this many times the minimum.
DISTRIBUTION_FACTOR = 2
#: Pseudo-topics: questions the assistant could not help with.
CANT_HELP = (OUT_OF_SCOPE, FALLBACK)

SHOWN, EMPTY, SUPPRESSED = "shown", "empty", "suppressed"
LEVEL_ATTENTION, LEVEL_INFO, LEVEL_POSITIVE = "aandacht", "info", "positief"


@lru_cache(maxsize=1)
def texts(path: Path = CATALOGUE_DIR / "signalen.yml") -> dict:
    """The Dutch texts of signals, privacy notices and CSV headings."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def nl_number(value: float, decimals: int = 1) -> str:
    """3.456 -> "3,5" (Dutch decimal comma)."""
    return f"{value:.{decimals}f}".replace(".", ",")


def suppression_text(key: str, min_group: int) -> str:
    return texts()["onderdrukt"][key].format(min_group=min_group)


# --------------------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class DimensionFigure:
    """What may be shown of one dimension: figures when ``status == SHOWN``, else a reason."""

    status: str
    n: int | None = None
    mean: float | None = None
    distribution: tuple[int, ...] | None = None
    reason: str | None = None

    @property
    def shown(self) -> bool:
        return self.status == SHOWN


@dataclass(frozen=True)
class WeekFigures:
    """What may be shown of one group in one week."""

    week: IsoWeek
    status: str
    n: int | None
    participation: float | None
    reason: str | None
    dims: dict[str, DimensionFigure]

    @property
    def shown(self) -> bool:
        return self.status == SHOWN


def _check_min_group(min_group: int) -> int:
    if min_group < MIN_GROUP_FLOOR:
        raise ValueError(f"The minimum group size is never below {MIN_GROUP_FLOOR}.")
    return min_group


def present_week(week: IsoWeek, raw: RawWeek, min_group: int, size: int | None = None) -> WeekFigures:
    """Apply the minimum group size to one team-week (pure; see the module docstring)."""
    if raw.n == 0:
        empty = DimensionFigure(EMPTY, n=0)
        return WeekFigures(week, EMPTY, 0, 0.0 if size else None, None, {d: empty for d in DIMENSIONS})
    if raw.n < min_group:
        reason = suppression_text("te_weinig", min_group)
        hidden = DimensionFigure(SUPPRESSED, reason=reason)
        return WeekFigures(week, SUPPRESSED, None, None, reason, {d: hidden for d in DIMENSIONS})
    dims: dict[str, DimensionFigure] = {}
    for dim in DIMENSIONS:
        agg = raw.dims[dim]
        if agg.n == 0:
            dims[dim] = DimensionFigure(EMPTY, n=0)
        elif agg.n < min_group:
            dims[dim] = DimensionFigure(SUPPRESSED, reason=suppression_text("te_weinig_antwoorden", min_group))
        else:
            # Counts per answer value only for a group of at least twice the minimum: in a
            # smaller one, one person's answer is too easy to single out.
            counts = agg.counts if agg.n >= DISTRIBUTION_FACTOR * min_group else None
            dims[dim] = DimensionFigure(SHOWN, n=agg.n, mean=agg.total / agg.n, distribution=counts)
    participation = round(raw.n / size, 3) if size else None
    return WeekFigures(week, SHOWN, raw.n, participation, None, dims)


@dataclass(frozen=True)
class SchoolWeek:
    """One week of a school: each team's figures and the school total, all safe to show."""

    week: IsoWeek
    teams: dict[int, WeekFigures]
    total: WeekFigures


def present_school_week(
    week: IsoWeek, raw_by_team: Mapping[int, RawWeek], sizes: Mapping[int, int | None], min_group: int
) -> SchoolWeek:
    """Teams and school total for one week, with the subtraction rule applied (pure).

    Each measure (respondents; each dimension) is a family of cells: one per team plus
    the total. The total of a family is shown only when no team cell of that family is
    hidden, so the total is always the sum of shown cells and reveals nothing new.
    Distributions are not given for the total (the page does not show them).
    """
    teams = {tid: present_week(week, raw, min_group, sizes.get(tid)) for tid, raw in raw_by_team.items()}
    raw_total = sum(raw_by_team.values(), RawWeek())
    reason = suppression_text("terugrekenen", min_group)
    base = present_week(week, raw_total, min_group, None)
    if any(t.status == SUPPRESSED for t in teams.values()):
        hidden = DimensionFigure(SUPPRESSED, reason=reason)
        return SchoolWeek(
            week, teams, WeekFigures(week, SUPPRESSED, None, None, reason, {d: hidden for d in DIMENSIONS})
        )
    dims = {}
    for dim in DIMENSIONS:
        cell = base.dims[dim]
        if any(t.dims[dim].status == SUPPRESSED for t in teams.values()):
            dims[dim] = DimensionFigure(SUPPRESSED, reason=reason)
        elif cell.shown:
            dims[dim] = DimensionFigure(SHOWN, n=cell.n, mean=cell.mean)
        else:
            # No team hidden, so the total is a sum of shown cells; below min_group it can
            # only come from empty teams and is then empty itself.
            dims[dim] = cell
    # No team is hidden, so every team has 0 or >= min_group respondents and so has the total.
    all_sizes = [sizes.get(tid) for tid in teams]
    participation = None
    if base.status == SHOWN and all_sizes and all(all_sizes):
        participation = round(raw_total.n / sum(all_sizes), 3)  # type: ignore[arg-type]
    return SchoolWeek(week, teams, WeekFigures(week, base.status, base.n, participation, None, dims))


# --------------------------------------------------------------------------- topics


@dataclass(frozen=True)
class TopicFigure:
    topic: str
    label: str
    count: int


@dataclass(frozen=True)
class TopicSummary:
    """Topic counts of one team-week, after the topic rule of docs/PRIVACY.md."""

    week: IsoWeek | None
    status: str
    reason: str | None = None
    topics: tuple[TopicFigure, ...] = ()
    #: Some topics had fewer than TOPIC_MIN_COUNT questions and are not listed.
    others_hidden: bool = False
    #: Questions the assistant could not help with (pseudo-topics), by key.
    cant_help: Mapping[str, int] = field(default_factory=dict)

    @property
    def cant_help_total(self) -> int:
        return sum(self.cant_help.values())


def present_topics(week: IsoWeek | None, week_status: str, counts: Mapping[str, int], min_group: int) -> TopicSummary:
    """Topics only for a shown team-week, and each knowledge topic only with >= TOPIC_MIN_COUNT questions."""
    if week is None or week_status != SHOWN:
        return TopicSummary(week, SUPPRESSED, suppression_text("onderwerpen_te_weinig", min_group))
    labels = topic_labels()
    listed = sorted(
        (TopicFigure(t, labels.get(t, t), c) for t, c in counts.items() if t not in CANT_HELP and c >= TOPIC_MIN_COUNT),
        key=lambda f: (-f.count, f.label),
    )
    others = any(0 < c < TOPIC_MIN_COUNT for t, c in counts.items() if t not in CANT_HELP)
    cant_help = {t: counts.get(t, 0) for t in CANT_HELP}
    status = SHOWN if listed or others or any(cant_help.values()) else EMPTY
    return TopicSummary(week, status, None, tuple(listed), others, cant_help)


# --------------------------------------------------------------------------- signals


@dataclass(frozen=True)
class Signal:
    kind: str
    level: str
    dimension: str | None
    week: IsoWeek
    text: str


def _rounded(cell: DimensionFigure) -> float | None:
    return round(cell.mean, 1) if cell.shown and cell.mean is not None else None


def compute_signals(
    weeks: list[WeekFigures], size: int | None, topics: TopicSummary, min_group: int
) -> tuple[list[Signal], list[str], IsoWeek | None]:
    """Signals in plain Dutch, the dimensions that need attention, and the week they are about.

    Order: which week the signals are about (when not the latest), points of attention,
    things good to know, strengths.

    Only shown figures are used (rounded as displayed), never hidden weeks or answers, and
    ``weeks`` must be consecutive ISO weeks, oldest first.
    """
    t = texts()["signalen"]
    labels = dimension_labels()
    shown_idx = [i for i, w in enumerate(weeks) if w.shown]
    if not shown_idx:
        week = weeks[-1].week
        return (
            [Signal("geen_week", LEVEL_INFO, None, week, t["geen_week"].format(weken=len(weeks), min_group=min_group))],
            [],
            None,
        )
    b = shown_idx[-1]
    basis = weeks[b]
    context: list[Signal] = []
    attention: list[Signal] = []
    info: list[Signal] = []
    positive: list[Signal] = []
    focus: dict[str, float] = {}

    def signal(kind: str, level: str, dim: str | None = None, **values: object) -> Signal:
        return Signal(kind, level, dim, basis.week, t[kind].format(week=basis.week.week, **values))

    if b != len(weeks) - 1:
        context.append(signal("laatste_week_te_weinig", LEVEL_INFO, laatste=weeks[-1].week.week, min_group=min_group))
    for dim in DIMENSIONS:
        series = [_rounded(w.dims[dim]) for w in weeks[: b + 1]]
        now = series[b]
        if now is None:
            continue
        values = {"dimensie": labels[dim], "gemiddelde": nl_number(now), "naar": nl_number(now)}
        last4 = series[b - 3 : b + 1] if b >= 3 else []
        previous = series[b - 1] if b >= 1 else None
        if len(last4) == 4 and None not in last4 and all(a > c for a, c in zip(last4, last4[1:], strict=False)):
            attention.append(
                signal(
                    "daling_drie_weken",
                    LEVEL_ATTENTION,
                    dim,
                    **values,
                    van=nl_number(last4[0]),
                    week_van=weeks[b - 3].week.week,
                )
            )
            focus[dim] = now
        elif previous is not None and previous - now >= BIG_DROP - 1e-9:
            attention.append(
                signal(
                    "sterke_daling",
                    LEVEL_ATTENTION,
                    dim,
                    **values,
                    van=nl_number(previous),
                    week_van=weeks[b - 1].week.week,
                )
            )
            focus[dim] = now
        if now <= LOW_MEAN:
            attention.append(signal("laag", LEVEL_ATTENTION, dim, **values))
            focus[dim] = now
        elif now >= STRONG_MEAN:
            positive.append(signal("sterk", LEVEL_POSITIVE, dim, **values))
        if now < FOCUS_MEAN:
            focus.setdefault(dim, now)
    if size and basis.participation is not None and basis.participation < LOW_PARTICIPATION:
        info.append(signal("deelname_laag", LEVEL_INFO, n=basis.n, grootte=size))
    if topics.status == SHOWN and topics.week == basis.week and topics.cant_help_total >= TOPIC_MIN_COUNT:
        info.append(signal("niet_geholpen", LEVEL_INFO, aantal=topics.cant_help_total))
    order = list(DIMENSIONS)
    weak = sorted(focus, key=lambda d: (focus[d], order.index(d)))
    return context + attention + info + positive, weak, basis.week


# --------------------------------------------------------------------------- use cases


@dataclass(frozen=True)
class TeamInsights:
    """Everything the team page, the CSV export and ``python -m bot insights`` show."""

    team: TeamInfo
    min_group: int
    weeks: list[WeekFigures]
    basis_week: IsoWeek | None
    signals: list[Signal]
    weak: list[str]
    topics: TopicSummary
    next_steps: dict[str, list[Tool]]

    @property
    def latest(self) -> WeekFigures:
        return self.weeks[-1]

    @property
    def basis(self) -> WeekFigures | None:
        return next((w for w in self.weeks if w.week == self.basis_week), None)


def team_insights(
    uow: UnitOfWork, team_id: int, min_group: int, n_weeks: int = DEFAULT_WEEKS, until: IsoWeek | None = None
) -> TeamInsights:
    """The last ``n_weeks`` weeks of a team (oldest first), with signals and next steps."""
    min_group = _check_min_group(min_group)
    weeks = last_weeks(n_weeks, until or last_ended_week(date.today()))
    with uow:
        row = uow.schools.team(team_id)
        if row is None:
            raise LookupError(f"No team with id {team_id}.")
        team = team_info(row)
        released = uow.releases.released([team.id], weeks)
        figures = []
        for w in weeks:
            row = released.get((team.id, w))
            size = (row.eligible if row is not None else None) or team.size
            figures.append(present_week(w, raw_week(row) if row is not None else RawWeek(), min_group, size))
        shown = [f for f in figures if f.shown]
        basis_week = shown[-1].week if shown else None
        counts = uow.counters.topic_counts(team.id, basis_week) if basis_week else {}
    topics = present_topics(basis_week, SHOWN if basis_week else SUPPRESSED, counts, min_group)
    signals, weak, basis_week = compute_signals(figures, team.size, topics, min_group)
    return TeamInsights(team, min_group, figures, basis_week, signals, weak, topics, next_steps_by_level(weak))


@dataclass(frozen=True)
class SchoolOverview:
    school_id: int
    school_name: str
    min_group: int
    teams: list[TeamInfo]
    weeks: list[SchoolWeek]  # oldest first

    def week(self, week: IsoWeek) -> SchoolWeek | None:
        return next((w for w in self.weeks if w.week == week), None)


def school_overview(
    uow: UnitOfWork, school_id: int, min_group: int, n_weeks: int = DEFAULT_WEEKS, until: IsoWeek | None = None
) -> SchoolOverview:
    """All teams of a school and the school total for the last ``n_weeks`` weeks."""
    min_group = _check_min_group(min_group)
    weeks = last_weeks(n_weeks, until or last_ended_week(date.today()))
    with uow:
        school = uow.schools.get(school_id)
        if school is None:
            raise LookupError(f"No school with id {school_id}.")
        teams = [team_info(t) for t in uow.schools.teams_of(school_id)]
        released = {
            key: (raw_week(row), row.eligible)
            for key, row in uow.releases.released([t.id for t in teams], weeks).items()
        }
        name = school.name
    school_weeks = []
    for w in weeks:
        raw = {t.id: released.get((t.id, w), (RawWeek(), None))[0] for t in teams}
        sizes = {t.id: released.get((t.id, w), (None, None))[1] or t.size for t in teams}
        school_weeks.append(present_school_week(w, raw, sizes, min_group))
    return SchoolOverview(school_id, name, min_group, teams, school_weeks)


# --------------------------------------------------------------------------- JSON


def _dimension_json(cell: DimensionFigure) -> dict:
    if cell.status == SUPPRESSED:
        return {"suppressed": True, "reason": cell.reason}
    if cell.status == EMPTY:
        return {"suppressed": False, "n": 0, "mean": None}
    return {
        "suppressed": False,
        "n": cell.n,
        "mean": round(cell.mean, 2) if cell.mean is not None else None,
        "distribution": dict(zip((str(s) for s in SCORES), cell.distribution or (), strict=False)),
    }


def week_json(fig: WeekFigures) -> dict:
    data: dict = {"week": fig.week.label(), "suppressed": fig.status == SUPPRESSED, "n": fig.n}
    if fig.status == SUPPRESSED:
        data["reason"] = fig.reason
    data["participation"] = fig.participation
    data["dimensions"] = {d: _dimension_json(c) for d, c in fig.dims.items()}
    return data


def insights_json(ins: TeamInsights) -> dict:
    """The JSON of ``python -m bot insights --json``: only figures that may be shown."""
    topics = ins.topics
    return {
        "school": ins.team.school_name,
        "team": ins.team.name,
        "team_size": ins.team.size,
        "min_group": ins.min_group,
        "weeks": [week_json(w) for w in ins.weeks],
        "signals_week": ins.basis_week.label() if ins.basis_week else None,
        "signals": [{"kind": s.kind, "level": s.level, "dimension": s.dimension, "text": s.text} for s in ins.signals],
        "topics": {
            "week": topics.week.label() if topics.week else None,
            "suppressed": topics.status == SUPPRESSED,
            "reason": topics.reason,
            "min_count": TOPIC_MIN_COUNT,
            "topics": [{"topic": f.topic, "label": f.label, "count": f.count} for f in topics.topics],
            "others_hidden": topics.others_hidden,
            "cant_help": dict(topics.cant_help) if topics.status != SUPPRESSED else None,
        },
        "next_steps": {level: [t.id for t in tools] for level, tools in ins.next_steps.items()},
    }
