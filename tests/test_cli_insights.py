"""CLI commands of the dashboard feature and the demo data: insights, coordinator, team list, demo-seed."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.demo import DEMO_KEY_PREFIX, DEMO_SCHOOL, DEMO_TEAM, DEMO_TEAM_2, demo_seed, ensure_demo, refresh_demo_data
from bot.services.coordinators import authenticate
from bot.services.signals import SHOWN, SUPPRESSED, school_overview, team_insights
from bot.services.teams import create_team, find_school_id, list_teams
from bot.services.weeks import this_week
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.models import CheckIn, School, Team, TopicCount
from tests.test_signals import NOW, add_checkins, uniform


class FakeStdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_insights_json_shows_suppression_for_a_week_with_four_respondents(db, capsys, monkeypatch):
    team = create_team("School A", "Team 1", size=9)
    add_checkins(team.id, NOW, uniform(4))
    add_checkins(team.id, NOW.previous(), uniform(6, energie=4))
    monkeypatch.setattr("bot.services.weeks.this_week", lambda: NOW)
    code, out, _ = run(capsys, "insights", "--team", team.code.lower(), "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["weeks"]) == 8
    last, before = data["weeks"][-1], data["weeks"][-2]
    assert last["week"] == NOW.label()
    assert last["suppressed"] is True and last["n"] is None
    assert last["reason"] == "te weinig reacties om te tonen (minimaal 5)"
    assert last["dimensions"]["energie"] == {"suppressed": True, "reason": last["reason"]}
    assert before["n"] == 6 and before["dimensions"]["energie"]["mean"] == 4.0


def test_insights_plain_text_and_unknown_team(db, capsys):
    team = create_team("School A", "Team 1")
    code, out, _ = run(capsys, "insights", "--team", team.code)
    assert code == 0 and "Team 1 (School A), minimum group size 5" in out
    code, _, err = run(capsys, "insights", "--team", "AAAAA-BBBBB")
    assert code == 1 and "Unknown team code" in err


def test_coordinator_create_reads_a_piped_password(db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin("een-lang-wachtwoord-123\n", tty=False))
    code, out, _ = run(capsys, "coordinator", "create", "--school", "School A", "--email", "Co@Example.org")
    assert code == 0
    data = json.loads(out)
    assert data == {"school": "School A", "email": "co@example.org"}
    assert authenticate("co@example.org", "een-lang-wachtwoord-123") is not None


def test_coordinator_create_generates_and_prints_a_password_once(db, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin("", tty=True))
    code, out, _ = run(capsys, "coordinator", "create", "--school", "School A", "--email", "c@example.org")
    data = json.loads(out)
    assert code == 0 and len(data["password"]) >= 12
    assert authenticate("c@example.org", data["password"]) is not None
    monkeypatch.setattr("sys.stdin", FakeStdin("kort\n", tty=False))
    code, _, err = run(capsys, "coordinator", "create", "--school", "School A", "--email", "d@example.org")
    assert code == 1 and "at least 12" in err


def test_team_list_prints_codes_and_join_links(db, capsys, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://welzijn.example.org/")
    get_settings.cache_clear()
    team = create_team("School A", "Team 1", size=8)
    create_team("School B", "Team X")
    code, out, _ = run(capsys, "team", "list", "--school", "School A")
    assert code == 0
    assert json.loads(out) == [
        {
            "team": "Team 1",
            "team_code": team.code,
            "size": 8,
            "is_demo": False,
            "join_link": f"https://welzijn.example.org/chat?team={team.code}",
        }
    ]
    code, _, err = run(capsys, "team", "list", "--school", "Nergens")
    assert code == 1 and "Unknown school" in err


def test_team_names_are_unique_within_a_school(db):
    create_team("School A", "Team 1")
    with pytest.raises(ValueError):
        create_team("School A", "Team 1")
    create_team("School B", "Team 1")


def test_demo_seed_inserts_marked_synthetic_data_in_bulk(any_db, capsys):
    code, out, err = run(
        capsys,
        "demo-seed",
        "--teams",
        "3",
        "--members",
        "10",
        "--weeks",
        "4",
        "--seed",
        "7",
        "--teams-per-school",
        "2",
        "--batch-size",
        "25",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["schools"], data["teams"]) == (2, 3)
    assert "[demo-seed] teams 3/3" in err
    with transaction() as session:
        rows = session.execute(select(func.count()).select_from(CheckIn)).scalar_one()
        demo_rows = session.execute(
            select(func.count()).select_from(CheckIn).where(CheckIn.person_key.like(f"{DEMO_KEY_PREFIX}%"))
        ).scalar_one()
        teams = session.execute(select(Team)).scalars().all()
        schools = session.execute(select(School)).scalars().all()
        topics = session.execute(select(func.count()).select_from(TopicCount)).scalar_one()
    assert rows == demo_rows == data["checkins"] and 0 < rows <= 3 * 10 * 4
    assert topics == data["topic_counts"]
    assert all(t.is_demo for t in teams) and all(s.is_demo for s in schools)
    # The same seed again would create the same school names: refused with advice.
    code, _, err = run(capsys, "demo-seed", "--teams", "1", "--members", "5", "--weeks", "1", "--seed", "7")
    assert code == 1 and "use another --seed" in err


def test_demo_seed_is_reproducible(db):
    def scores() -> list[tuple]:
        with transaction() as session:
            return session.execute(
                select(CheckIn.iso_week, CheckIn.energie, CheckIn.werkdruk, CheckIn.plezier).order_by(CheckIn.id)
            ).all()

    first = demo_seed(2, 8, 3, seed=1, until=NOW)
    a = scores()
    with transaction() as session:
        session.execute(School.__table__.delete())  # cascades to teams and check-ins
    assert scores() == []
    second = demo_seed(2, 8, 3, seed=1, until=NOW)
    assert first.checkins == second.checkins > 0
    assert scores() == a


def test_ensure_demo_makes_two_teams_with_eight_weeks_and_a_suppressed_week(any_db):
    settings = get_settings()
    text = ensure_demo(settings)
    assert "Coordinator login" in text and "/chat?team=" in text
    school_id = find_school_id(DEMO_SCHOOL)
    teams = {t.name: t for t in list_teams(school_id)}
    assert set(teams) == {DEMO_TEAM, DEMO_TEAM_2}
    ins = team_insights(teams[DEMO_TEAM].id)
    assert [w.status for w in ins.weeks].count(SUPPRESSED) == 1
    assert [w.status for w in ins.weeks].count(SHOWN) == 7
    assert ("daling_drie_weken", "werkdruk") in [(s.kind, s.dimension) for s in ins.signals]
    overview = school_overview(school_id)
    hidden_week = next(w for w in ins.weeks if w.status == SUPPRESSED).week
    assert overview.week(hidden_week).total.status == SUPPRESSED
    assert sum(w.total.status != SUPPRESSED for w in overview.weeks) == 7
    # Running again changes nothing; an aged demo is refreshed to the current weeks.
    assert refresh_demo_data() is False
    assert refresh_demo_data(until=this_week().previous(-10)) is True
    with transaction() as session:
        keys = session.execute(select(CheckIn.person_key)).scalars().all()
    assert keys and all(k.startswith(DEMO_KEY_PREFIX) and len(k) == 64 for k in keys)


def test_ensure_demo_does_nothing_when_off_or_when_real_teams_exist(db, monkeypatch):
    create_team("Echte school", "Team 1")
    assert "no demo data created" in ensure_demo(get_settings())
    monkeypatch.setenv("DEMO_DATA", "false")
    get_settings.cache_clear()
    assert "DEMO_DATA is off" in ensure_demo(get_settings())
