"""Team signals on real SQLite and PostgreSQL: aggregates, minimum group size, signals, topics, JSON.

The dashboard shows only released (closed, frozen) weeks: ``add_checkins`` stores a
team-week's check-ins and releases that week with their aggregate, as the weekly release
job does for a team whose whole roster counts (bot.services.release).
"""

from __future__ import annotations

import json

import pytest

from bot.backend import Backend
from bot.services import signals
from bot.services.release import frozen
from bot.services.signals import SHOWN, SUPPRESSED, insights_json, school_overview, team_insights
from bot.services.teams import create_team
from bot.services.topics import FALLBACK, OUT_OF_SCOPE
from bot.settings import Settings
from bot.storage.models import utcnow
from bot.storage.repositories import RawDim, RawWeek
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, IsoWeek, last_weeks

NOW = IsoWeek(2026, 20)
WEEKS = last_weeks(8, NOW)


def add_checkins(backend: Backend, team_id: int, week: IsoWeek, rows: list[dict], tag: str = "p") -> None:
    """Insert check-ins directly (one dict of scores per person; missing dimension = skipped)."""
    values = [
        {
            "team_id": team_id,
            "person_key": f"{tag}-{team_id}-{week.label()}-{i}".ljust(64, "x"),
            "iso_year": week.year,
            "iso_week": week.week,
            **{d: r.get(d) for d in DIMENSIONS},
        }
        for i, r in enumerate(rows)
    ]
    with backend.uow() as uow:
        uow.checkins.add_many(values)
        uow.commit()
    release(backend.uow(), team_id, week)


def release(uow: UnitOfWork, team_id: int, week: IsoWeek, eligible: int = 0) -> RawWeek:
    """Freeze the team-week's aggregate of its stored check-ins, as the release job does.

    ``eligible`` is the roster size of that week; 0 (no roster) makes the dashboard use
    the team size for participation. Works on the SQL and the fake unit of work.
    """
    with uow:
        raw = uow.checkins.aggregate([team_id], [week]).get((team_id, week), RawWeek())
        uow.releases.add(frozen(team_id, week, raw, eligible, utcnow()))
        uow.commit()
    return raw


def uniform(n: int, **scores: int) -> list[dict]:
    base = dict.fromkeys(DIMENSIONS, 3)
    base.update(scores)
    return [dict(base) for _ in range(n)]


def add_topics(backend: Backend, team_id: int, week: IsoWeek, counts: dict[str, int]) -> None:
    rows = [
        {"team_id": team_id, "iso_year": week.year, "iso_week": week.week, "topic": t, "count": c}
        for t, c in counts.items()
    ]
    with backend.uow() as uow:
        uow.counters.add_many(rows)
        uow.commit()


def insights(backend: Backend, team_id: int, **kwargs) -> signals.TeamInsights:
    """The team page as the dashboard builds it: with the backend's minimum group size."""
    kwargs.setdefault("until", NOW)
    return team_insights(backend.uow(), team_id, backend.settings.min_group, **kwargs)


def test_aggregates_are_computed_in_sql_per_week_and_dimension(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1", size=10)
    add_checkins(
        b,
        team.id,
        NOW,
        [
            {"energie": 1, "werkdruk": 2, "verbinding": 5, "waardering": 4, "plezier": 3},
            {"energie": 2, "werkdruk": 2, "verbinding": 5, "waardering": 4, "plezier": 3},
            {"energie": 3, "werkdruk": 2, "verbinding": 5, "waardering": 4},
            {"energie": 4, "werkdruk": 2, "verbinding": 5, "waardering": 4},
            {"energie": 5, "werkdruk": 2, "verbinding": 5, "waardering": 4},
            {"energie": 5, "werkdruk": 4, "verbinding": 5, "waardering": 4},
        ],
    )
    add_checkins(b, team.id, NOW.previous(), uniform(2))
    with b.uow() as uow:
        raw = uow.checkins.aggregate([team.id], WEEKS)
    assert set(raw) == {(team.id, NOW), (team.id, NOW.previous())}
    week = raw[(team.id, NOW)]
    assert week.n == 6
    assert week.dims["energie"] == RawDim(6, 20, (1, 1, 1, 1, 2))
    assert week.dims["plezier"].n == 2  # skipped items do not count
    ins = insights(b, team.id)
    latest = ins.latest
    assert (latest.status, latest.n, latest.participation) == (SHOWN, 6, 0.6)
    assert latest.dims["energie"].mean == pytest.approx(20 / 6)
    # Counts per answer value only from twice the minimum group (6 < 2 x 5) ...
    assert signals.DISTRIBUTION_FACTOR == 2
    assert latest.dims["werkdruk"].distribution is None
    # ... so with a minimum of 3 they are given.
    three = b.settings.with_changes(min_group=3)
    latest = team_insights(b.uow(), team.id, three.min_group, until=NOW).latest
    assert latest.dims["werkdruk"].distribution == (0, 5, 0, 1, 0)
    assert latest.dims["plezier"].status == signals.SUPPRESSED  # 2 answers < 3


def test_team_week_with_four_respondents_is_suppressed_everywhere(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1", size=12)
    add_checkins(b, team.id, NOW, uniform(4, energie=1))
    add_checkins(b, team.id, NOW.previous(), uniform(5, energie=2))
    ins = insights(b, team.id)
    latest = ins.latest
    assert latest.status == SUPPRESSED and latest.n is None and latest.participation is None
    assert latest.reason == "te weinig reacties om te tonen (minimaal 5)"
    assert all(c.status == SUPPRESSED and c.mean is None and c.n is None for c in latest.dims.values())
    data = json.loads(json.dumps(insights_json(ins)))
    week = data["weeks"][-1]
    assert week == {
        "week": NOW.label(),
        "suppressed": True,
        "n": None,
        "reason": "te weinig reacties om te tonen (minimaal 5)",
        "participation": None,
        "dimensions": {
            d: {"suppressed": True, "reason": "te weinig reacties om te tonen (minimaal 5)"} for d in DIMENSIONS
        },
    }
    assert data["weeks"][-2]["n"] == 5 and data["weeks"][-2]["dimensions"]["energie"]["mean"] == 2.0
    # The signals are about the last week that is shown, and say so.
    assert ins.basis_week == NOW.previous()
    assert ins.signals[0].kind == "laatste_week_te_weinig"


def test_minimum_group_size_follows_the_setting(any_backend, monkeypatch):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    add_checkins(b, team.id, NOW, uniform(6))
    assert insights(b, team.id).latest.status == SHOWN  # 6 >= the default of 5
    # An entry point started with MIN_GROUP=7 reads it once and hands it down.
    monkeypatch.setenv("MIN_GROUP", "7")
    settings = Settings.from_env()
    assert settings.min_group == 7
    assert settings.database_url == b.settings.database_url
    ins = insights(Backend(settings, b.database), team.id)
    assert ins.min_group == 7
    assert ins.latest.reason == "te weinig reacties om te tonen (minimaal 7)"
    # with_changes makes a copy: the backend's own settings keep the default.
    six = b.settings.with_changes(min_group=6)
    assert (six.min_group, b.settings.min_group) == (6, 5)
    assert insights(Backend(six, b.database), team.id).latest.status == SHOWN
    assert b.settings.with_changes(min_group=2).min_group == 3  # never below the floor
    with pytest.raises(ValueError):
        team_insights(b.uow(), team.id, 2, until=NOW)


def test_a_question_with_too_few_answers_is_hidden_but_the_week_is_not(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    rows = uniform(6)
    for row in rows[:2]:
        row["waardering"] = None
    add_checkins(b, team.id, NOW, rows)
    latest = insights(b, team.id).latest
    assert latest.status == SHOWN and latest.n == 6
    assert latest.dims["waardering"].status == SUPPRESSED
    assert latest.dims["waardering"].reason == "te weinig antwoorden op deze vraag om te tonen (minimaal 5)"
    assert latest.dims["energie"].n == 6


def test_school_total_is_hidden_when_a_team_is_hidden(any_backend):
    b = any_backend
    a = create_team(b.uow(), "School A", "Team 1", size=10)
    two = create_team(b.uow(), "School A", "Team 2", size=10)
    c = create_team(b.uow(), "School A", "Team 3")
    other = create_team(b.uow(), "School B", "Team X")
    add_checkins(b, a.id, NOW, uniform(8, energie=4))
    add_checkins(b, two.id, NOW, uniform(3, energie=1))
    add_checkins(b, a.id, NOW.previous(), uniform(6, energie=4))
    add_checkins(b, two.id, NOW.previous(), uniform(5, energie=2))
    add_checkins(b, other.id, NOW, uniform(9))
    overview = school_overview(b.uow(), a.school_id, b.settings.min_group, until=NOW)
    assert [t.name for t in overview.teams] == ["Team 1", "Team 2", "Team 3"]
    now = overview.week(NOW)
    assert now.teams[two.id].status == SUPPRESSED
    assert now.total.status == SUPPRESSED and now.total.n is None
    assert all(cell.status == SUPPRESSED for cell in now.total.dims.values())
    before = overview.week(NOW.previous())
    assert before.total.status == SHOWN and before.total.n == 11  # team 3 has none; school B not counted
    assert before.total.dims["energie"].mean == pytest.approx((6 * 4 + 5 * 2) / 11)
    assert before.teams[c.id].status == signals.EMPTY
    assert before.total.participation is None  # team 3 has no known size


def test_signals_three_week_drop_low_mean_strength_and_participation(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1", size=20)
    werkdruk = [3.8, 3.4, 3.0, 2.4]
    for week, value in zip(WEEKS[-4:], werkdruk, strict=True):
        n = 5
        total = round(value * n)
        rows = uniform(n, verbinding=5, plezier=3)
        for i, row in enumerate(rows):
            row["werkdruk"] = total // n + (1 if i < total % n else 0)
        add_checkins(b, team.id, week, rows)
    ins = insights(b, team.id)
    kinds = [(s.kind, s.dimension) for s in ins.signals]
    assert ("daling_drie_weken", "werkdruk") in kinds
    assert ("laag", "werkdruk") in kinds
    assert ("sterk", "verbinding") in kinds
    assert ("deelname_laag", None) in kinds
    texts = [s.text for s in ins.signals]
    assert "Werkdruk te doen daalt drie weken op rij: van 3,8 in week 17 naar 2,4 in week 20." in texts
    assert "Minder dan de helft van het team deed mee in week 20 (5 van 20)." in texts
    levels = [s.level for s in ins.signals]
    assert levels == sorted(levels, key=["aandacht", "info", "positief"].index)
    assert ins.weak[0] == "werkdruk"
    assert [t.niveau for t in ins.next_steps["groen"]] == ["groen"] * len(ins.next_steps["groen"])
    assert all("werkdruk" in t.dimensies for t in ins.next_steps["groen"])


def test_a_drop_through_a_hidden_week_is_not_a_signal(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    for week, score in zip(WEEKS[-4:], [5, 4, 3, 2], strict=True):
        add_checkins(b, team.id, week, uniform(5 if week != WEEKS[-2] else 4, energie=score))
    ins = insights(b, team.id)
    assert not [s for s in ins.signals if s.kind in ("daling_drie_weken", "sterke_daling")]


def test_topics_only_for_a_shown_week_and_only_topics_with_three_questions(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    add_checkins(b, team.id, NOW, uniform(5))
    add_topics(b, team.id, NOW, {"werkdruk": 4, "uitval": 1, "amplitie": 3, FALLBACK: 2, OUT_OF_SCOPE: 1})
    ins = insights(b, team.id)
    topics = ins.topics
    assert topics.status == SHOWN
    assert [(f.topic, f.label, f.count) for f in topics.topics] == [
        ("werkdruk", "Werkdruk in het onderwijs", 4),
        ("amplitie", "Wat is amplitie?", 3),
    ]
    assert topics.others_hidden is True  # "uitval" was asked once: not listed, not counted
    assert dict(topics.cant_help) == {OUT_OF_SCOPE: 1, FALLBACK: 2}
    assert ("niet_geholpen", None) in [(s.kind, s.dimension) for s in ins.signals]
    data = insights_json(ins)
    assert "uitval" not in json.dumps(data)

    small = create_team(b.uow(), "School A", "Team 2")
    add_checkins(b, small.id, NOW, uniform(4))
    add_topics(b, small.id, NOW, {"werkdruk": 9})
    hidden = insights(b, small.id).topics
    assert hidden.status == SUPPRESSED and hidden.topics == () and not hidden.cant_help
    assert hidden.reason == "onderwerpen niet getoond: te weinig reacties in deze week (minimaal 5)"


def test_no_week_with_enough_responses_gives_general_next_steps(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    add_checkins(b, team.id, NOW, uniform(2))
    ins = insights(b, team.id)
    assert ins.basis_week is None and ins.weak == []
    assert [s.kind for s in ins.signals] == ["geen_week"]
    assert ins.signals[0].text == (
        "In de afgelopen 8 weken had geen enkele week genoeg reacties om iets te tonen (minimaal 5)."
    )
    assert all(ins.next_steps[level] for level in ("groen", "geel"))


def test_weeks_across_new_year_are_consecutive(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    until = IsoWeek(2027, 2)
    weeks = last_weeks(4, until)
    assert [w.label() for w in weeks] == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    for week, score in zip(weeks, [5, 4, 3, 2], strict=True):
        add_checkins(b, team.id, week, uniform(5, plezier=score))
    ins = insights(b, team.id, n_weeks=4, until=until)
    assert [w.n for w in ins.weeks] == [5, 5, 5, 5]
    assert ("daling_drie_weken", "plezier") in [(s.kind, s.dimension) for s in ins.signals]


def test_unknown_team_raises(any_backend):
    with pytest.raises(LookupError):
        insights(any_backend, 12345)
    with pytest.raises(LookupError):
        school_overview(any_backend.uow(), 12345, any_backend.settings.min_group)
