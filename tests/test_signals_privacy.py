"""Property-based proof of the privacy rules (hypothesis): minimum group size and no subtraction.

For random schools, teams, weeks and answers (with skipped questions), an "attacker" takes
everything the dashboard shows - every team cell and the school total, per measure: the
number of respondents n, and per dimension n and sum = mean * n - and tries to compute a
hidden group: total minus the shown teams, narrowed with everything they know about a
hidden cell (1..min_group-1 respondents, scores 1-5). The properties: no shown group is
smaller than min_group, and no hidden group's n or sum can be computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.backend import Backend
from bot.services import signals
from bot.services.signals import EMPTY, SHOWN, SUPPRESSED, SchoolWeek, present_school_week
from bot.services.teams import new_code
from bot.storage.models import CheckIn, ReleasedWeek, School, Team, TopicCount
from bot.storage.repositories import RawDim, RawWeek
from bot.vocabulary import DIMENSIONS, SCORES, IsoWeek, last_weeks
from tests.test_signals import release

Answers = list[dict[str, "int | None"]]


def raw_from_answers(answers: Answers) -> RawWeek:
    """What the SQL aggregate computes, done by hand from individual answers."""
    dims = {}
    for d in DIMENSIONS:
        given_ = [a[d] for a in answers if a[d] is not None]
        dims[d] = RawDim(len(given_), sum(given_), tuple(given_.count(s) for s in SCORES))
    return RawWeek(len(answers), dims)


# --------------------------------------------------------------------------- the attacker


@dataclass(frozen=True)
class Cell:
    """One team's cell of one measure as the attacker sees it."""

    status: str
    n: int | None
    total: float | None  # sum of scores (mean * n); None for the respondents measure
    lo: int  # what the attacker knows about n when the cell is hidden
    hi: int


def _feasible_range(residual: float, lows: list[float], highs: list[float], i: int) -> tuple[float, float]:
    """The values hidden cell ``i`` can take when the hidden cells sum to ``residual``.

    Sums of integer ranges are contiguous, so cell i can be exactly the values v in its own
    range with residual - v within the others' combined range.
    """
    others_lo = sum(lows) - lows[i]
    others_hi = sum(highs) - highs[i]
    return max(lows[i], residual - others_hi), min(highs[i], residual - others_lo)


def disclosures(week: SchoolWeek, raws: dict[int, RawWeek], min_group: int) -> list[str]:
    """Everything the shown figures give away that they should not (empty list: safe)."""
    leaks: list[str] = []
    # 1. Minimum group size, and shown figures are the true aggregates.
    for tid, fig in week.teams.items():
        raw = raws[tid]
        if fig.status == SHOWN and (fig.n != raw.n or raw.n < min_group):
            leaks.append(f"team {tid}: n={fig.n} shown (true {raw.n})")
        if fig.status == EMPTY and raw.n != 0:
            leaks.append(f"team {tid}: shown as empty with {raw.n} respondents")
        if fig.status == SUPPRESSED and (fig.n is not None or fig.participation is not None):
            leaks.append(f"team {tid}: hidden week still carries n or participation")
        for d, cell in fig.dims.items():
            agg = raw.dims[d]
            if cell.status == SHOWN and (
                cell.n != agg.n or agg.n < min_group or abs(cell.mean - agg.total / agg.n) > 1e-9
            ):
                leaks.append(f"team {tid} {d}: wrong or too small group shown")
            if cell.status == SUPPRESSED and (cell.n is not None or cell.mean is not None or cell.distribution):
                leaks.append(f"team {tid} {d}: hidden cell carries figures")
            if cell.distribution is not None and (
                agg.n < signals.DISTRIBUTION_FACTOR * min_group or tuple(cell.distribution) != agg.counts
            ):
                leaks.append(f"team {tid} {d}: counts per answer shown for {agg.n} answers")

    # 2. Subtraction, per measure: respondents, and per dimension (n, sum).
    measures: dict[str, tuple[dict[int, Cell], Cell]] = {}
    cells = {}
    for tid, fig in week.teams.items():
        cells[tid] = Cell(fig.status, fig.n, None, 1, min_group - 1)
    total = week.total
    measures["respondents"] = (cells, Cell(total.status, total.n, None, 0, 0))
    for d in DIMENSIONS:
        cells = {}
        for tid, fig in week.teams.items():
            cell = fig.dims[d]
            mean_sum = cell.mean * cell.n if cell.status == SHOWN else (0.0 if cell.status == EMPTY else None)
            # A hidden question in a shown week had 1..min_group-1 answers; in a hidden week 0..min_group-1.
            lo = 1 if fig.status == SHOWN else 0
            cells[tid] = Cell(cell.status, cell.n, mean_sum, lo, min_group - 1)
        tcell = total.dims[d]
        tsum = tcell.mean * tcell.n if tcell.status == SHOWN else (0.0 if tcell.status == EMPTY else None)
        measures[d] = (cells, Cell(tcell.status, tcell.n, tsum, 0, 0))

    for name, (team_cells, tot) in measures.items():
        if tot.status == SUPPRESSED:
            continue
        if tot.status == SHOWN and tot.n is not None and tot.n < min_group:
            leaks.append(f"{name}: school total of {tot.n} < {min_group} shown")
        hidden = [tid for tid, c in team_cells.items() if c.status == SUPPRESSED]
        shown = [c for c in team_cells.values() if c.status != SUPPRESSED]
        residual_n = (tot.n or 0) - sum(c.n or 0 for c in shown)
        if not hidden:
            if residual_n != 0:
                leaks.append(f"{name}: total does not add up to the shown teams")
            continue
        if 0 < residual_n < min_group or (residual_n == 0 and len(hidden) >= 1):
            leaks.append(f"{name}: hidden teams {hidden} together have n={residual_n}")
        lows = [team_cells[t].lo for t in hidden]
        highs = [team_cells[t].hi for t in hidden]
        for i, tid in enumerate(hidden):
            lo, hi = _feasible_range(residual_n, lows, highs, i)
            if lo == hi:
                leaks.append(f"{name}: n of hidden team {tid} = {lo} by subtraction")
        if tot.total is not None:
            residual_sum = round(tot.total - sum(c.total or 0.0 for c in shown))
            s_lows = [c * 1 for c in lows]
            s_highs = [c * 5 for c in highs]
            for i, tid in enumerate(hidden):
                lo, hi = _feasible_range(residual_sum, s_lows, s_highs, i)
                if lo == hi:
                    leaks.append(f"{name}: sum of hidden team {tid} = {lo} by subtraction")
    return leaks


# --------------------------------------------------------------------------- data


answer = st.fixed_dictionaries({d: st.one_of(st.none(), st.integers(1, 5)) for d in DIMENSIONS}).filter(
    lambda a: any(v is not None for v in a.values())  # a check-in with every item skipped is not stored
)


@st.composite
def team_answers(draw, min_group: int) -> Answers:
    # Small teams around the threshold are the interesting ones.
    n = draw(st.one_of(st.integers(0, min_group + 1), st.integers(0, 14)))
    return draw(st.lists(answer, min_size=n, max_size=n))


@st.composite
def school_week(draw):
    min_group = draw(st.integers(3, 7))
    n_teams = draw(st.integers(1, 6))
    teams = {tid: draw(team_answers(min_group)) for tid in range(1, n_teams + 1)}
    sizes = {tid: draw(st.one_of(st.none(), st.integers(max(1, len(a)), 25))) for tid, a in teams.items()}
    return min_group, teams, sizes


@settings(max_examples=250, deadline=None)
@given(school_week())
def test_nothing_shown_reveals_a_hidden_group(data):
    min_group, teams, sizes = data
    raws = {tid: raw_from_answers(a) for tid, a in teams.items()}
    week = present_school_week(IsoWeek(2026, 10), raws, sizes, min_group)
    assert disclosures(week, raws, min_group) == []


@settings(max_examples=100, deadline=None)
@given(school_week())
def test_a_shown_school_total_is_exactly_the_sum_of_shown_teams(data):
    """The strong form of the subtraction rule: a shown total contains no hidden person at all."""
    min_group, teams, sizes = data
    raws = {tid: raw_from_answers(a) for tid, a in teams.items()}
    week = present_school_week(IsoWeek(2026, 10), raws, sizes, min_group)
    if week.total.status != SUPPRESSED:
        assert week.total.n == sum(f.n for f in week.teams.values())
    for d in DIMENSIONS:
        if week.total.dims[d].status == SHOWN:
            shown = [f.dims[d] for f in week.teams.values()]
            assert all(c.status in (SHOWN, EMPTY) for c in shown)
            assert week.total.dims[d].n == sum(c.n for c in shown)


def _naive_school_week(week: IsoWeek, raws: dict[int, RawWeek], min_group: int) -> SchoolWeek:
    """What a dashboard without the subtraction rule would show: every total, always."""
    teams = {tid: signals.present_week(week, raw, min_group) for tid, raw in raws.items()}
    total = signals.present_week(week, sum(raws.values(), RawWeek()), min_group)
    return SchoolWeek(week, teams, total)


def test_the_attacker_finds_the_leak_of_a_dashboard_without_the_rule():
    """The checker above can fail: team 2 (4 people) = total (12) - team 1 (8)."""
    week = IsoWeek(2026, 10)
    one = [dict.fromkeys(DIMENSIONS, 4)] * 8
    two = [dict.fromkeys(DIMENSIONS, 1)] * 4
    raws = {1: raw_from_answers(one), 2: raw_from_answers(two)}
    leaks = disclosures(_naive_school_week(week, raws, 5), raws, 5)
    assert "respondents: n of hidden team 2 = 4 by subtraction" in leaks
    assert "energie: sum of hidden team 2 = 4 by subtraction" in leaks
    assert disclosures(present_school_week(week, raws, {}, 5), raws, 5) == []


def test_the_attacker_also_uses_the_known_range_of_hidden_teams():
    """Two hidden teams of 4 (min 5) sum to 8 = 2 x 4: each one is pinned down."""
    week = IsoWeek(2026, 10)
    raws = {
        1: raw_from_answers([dict.fromkeys(DIMENSIONS, 3)] * 9),
        2: raw_from_answers([dict.fromkeys(DIMENSIONS, 2)] * 4),
        3: raw_from_answers([dict.fromkeys(DIMENSIONS, 5)] * 4),
    }
    leaks = disclosures(_naive_school_week(week, raws, 5), raws, 5)
    assert "respondents: n of hidden team 2 = 4 by subtraction" in leaks


# --------------------------------------------------------------------------- end to end


@st.composite
def schools(draw):
    """1-3 schools with 1-4 teams each, answers in 1-3 consecutive weeks."""
    n_weeks = draw(st.integers(1, 3))
    return n_weeks, [
        [[draw(team_answers(5)) for _ in range(n_weeks)] for _ in range(draw(st.integers(1, 4)))]
        for _ in range(draw(st.integers(1, 3)))
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=schools())
def test_end_to_end_from_the_database_nothing_leaks(backend: Backend, data):
    """Random schools through SQL, the overview, team pages, JSON and CSV: the same guarantees."""
    from bot.web.dashboard import team_csv_rows

    n_weeks, school_list = data
    until = IsoWeek(2026, 10)
    weeks = last_weeks(n_weeks, until)
    min_group = 5  # schools() makes teams around this threshold
    # Hypothesis runs many examples in one test's database: start each from empty tables.
    with backend.database.engine.begin() as conn:
        for table in (TopicCount, ReleasedWeek, CheckIn, Team, School):
            conn.execute(delete(table))
    truth: dict[int, dict[IsoWeek, Answers]] = {}
    school_ids = []
    with backend.uow() as uow:
        for s, teams in enumerate(school_list):
            school = uow.schools.add(f"School {s}")
            school_ids.append(school.id)
            for t, per_week in enumerate(teams):
                team = uow.schools.add_team(school, f"Team {t}", new_code(), None)
                truth[team.id] = dict(zip(weeks, per_week, strict=True))
                rows = [
                    {
                        "team_id": team.id,
                        "person_key": f"p{team.id}-{w.label()}-{i}",
                        "iso_year": w.year,
                        "iso_week": w.week,
                        **a,
                    }
                    for w, answers in zip(weeks, per_week, strict=True)
                    for i, a in enumerate(answers)
                ]
                uow.checkins.add_many(rows)
        uow.commit()
    for team_id in truth:
        for w in weeks:
            release(backend.uow(), team_id, w)  # the dashboard shows only released weeks

    for school_id in school_ids:
        overview = signals.school_overview(backend.uow(), school_id, min_group, n_weeks=n_weeks, until=until)
        for school_week_ in overview.weeks:
            raws = {t.id: raw_from_answers(truth[t.id][school_week_.week]) for t in overview.teams}
            assert disclosures(school_week_, raws, min_group) == []
        for team in overview.teams:
            ins = signals.team_insights(backend.uow(), team.id, min_group, n_weeks=n_weeks, until=until)
            for fig in ins.weeks:
                # The team page shows exactly what the overview shows for that team.
                assert fig == overview.week(fig.week).teams[team.id]
            for week_json, fig in zip(signals.insights_json(ins)["weeks"], ins.weeks, strict=True):
                if fig.status == SUPPRESSED:
                    assert week_json["n"] is None
                    assert all(
                        c == {"suppressed": True, "reason": fig.reason} for c in week_json["dimensions"].values()
                    )
            for row in team_csv_rows(ins):
                week_label = row[0]
                fig = next(f for f in ins.weeks if f.week.label() == week_label)
                if fig.status == SUPPRESSED:
                    assert row[5:7] == ["", ""] and "te weinig reacties" in row[7]
