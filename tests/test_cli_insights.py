"""CLI commands of the dashboard feature and the demo data: insights, coordinator, team list, demo-seed."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.backend import Backend
from bot.cli import main
from bot.demo import DEMO_KEY_PREFIX, DEMO_SCHOOL, DEMO_TEAM, DEMO_TEAM_2, demo_seed, ensure_demo, refresh_demo_data
from bot.services.coordinators import authenticate
from bot.services.release import last_ended_week
from bot.services.signals import SHOWN, SUPPRESSED, school_overview, team_insights
from bot.services.teams import DuplicateTeam, create_team, find_school_id, list_teams
from bot.settings import Settings
from bot.storage.models import CheckIn, School, Team, TopicCount
from bot.vocabulary import this_week
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


def test_insights_json_shows_suppression_for_a_week_with_four_respondents(backend, capsys):
    last_week = last_ended_week(date.today())  # the CLI shows the weeks up to the last closed one
    team = create_team(backend.uow(), "School A", "Team 1", size=9)
    add_checkins(backend, team.id, last_week, uniform(4))
    add_checkins(backend, team.id, last_week.previous(), uniform(6, energie=4))
    add_checkins(backend, team.id, this_week(), uniform(7))  # the running week is outside the window
    code, out, _ = run(capsys, "insights", "--team", team.code.lower(), "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["weeks"]) == 8
    last, before = data["weeks"][-1], data["weeks"][-2]
    assert last["week"] == last_week.label()
    assert last["suppressed"] is True and last["n"] is None
    assert last["reason"] == "te weinig reacties om te tonen (minimaal 5)"
    assert last["dimensions"]["energie"] == {"suppressed": True, "reason": last["reason"]}
    assert before["n"] == 6 and before["dimensions"]["energie"]["mean"] == 4.0


def test_insights_follow_the_min_group_of_the_environment(backend, capsys, monkeypatch):
    team = create_team(backend.uow(), "School A", "Team 1", size=9)
    add_checkins(backend, team.id, last_ended_week(date.today()), uniform(6))
    monkeypatch.setenv("MIN_GROUP", "7")  # main() builds Settings.from_env()
    code, out, _ = run(capsys, "insights", "--team", team.code, "--json")
    data = json.loads(out)
    assert code == 0 and data["min_group"] == 7
    assert data["weeks"][-1]["reason"] == "te weinig reacties om te tonen (minimaal 7)"


def test_insights_plain_text_and_unknown_team(backend, capsys):
    team = create_team(backend.uow(), "School A", "Team 1")
    code, out, _ = run(capsys, "insights", "--team", team.code)
    assert code == 0 and "Team 1 (School A), minimum group size 5" in out
    code, out, err = run(capsys, "insights", "--team", "AAAAA-BBBBB")
    assert code == 1 and out == ""
    assert err.startswith("Error: Unknown team code 'AAAAA-BBBBB'.") and "team list --school" in err


def test_coordinator_create_reads_a_piped_password(backend, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin("een-lang-wachtwoord-123\n", tty=False))
    code, out, _ = run(capsys, "coordinator", "create", "--school", "School A", "--email", "Co@Example.org")
    assert code == 0
    data = json.loads(out)
    assert data == {"school": "School A", "email": "co@example.org"}
    assert authenticate(backend.uow(), "co@example.org", "een-lang-wachtwoord-123") is not None
    assert authenticate(backend.uow(), "co@example.org", "een-ander-wachtwoord-123") is None


def test_coordinator_create_generates_and_prints_a_password_once(backend, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin("", tty=True))
    code, out, _ = run(capsys, "coordinator", "create", "--school", "School A", "--email", "c@example.org")
    data = json.loads(out)
    assert code == 0 and len(data["password"]) >= 12
    assert authenticate(backend.uow(), "c@example.org", data["password"]) is not None
    monkeypatch.setattr("sys.stdin", FakeStdin("kort\n", tty=False))
    code, _, err = run(capsys, "coordinator", "create", "--school", "School A", "--email", "d@example.org")
    assert code == 1 and "at least 12" in err


def test_team_list_prints_codes_and_join_links(backend, capsys, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://welzijn.example.org/")  # main() reads it
    team = create_team(backend.uow(), "School A", "Team 1", size=8)
    create_team(backend.uow(), "School B", "Team X")
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
    code, out, err = run(capsys, "team", "list", "--school", "Nergens")
    assert code == 1 and out == ""
    assert err.startswith("Error: Unknown school 'Nergens'.")


def test_team_names_are_unique_within_a_school(any_backend):
    b = any_backend
    create_team(b.uow(), "School A", "Team 1")
    with pytest.raises(DuplicateTeam):
        create_team(b.uow(), "School A", "Team 1")
    with pytest.raises(DuplicateTeam):
        create_team(b.uow(), "School A", " team 1 ")  # ignoring case and spaces
    create_team(b.uow(), "School B", "Team 1")
    assert [t.name for t in list_teams(b.uow(), find_school_id(b.uow(), "School A"))] == ["Team 1"]


def test_demo_seed_inserts_marked_synthetic_data_in_bulk(any_backend, capsys):
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
    with any_backend.database.session() as session:
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


def test_demo_seed_is_reproducible(backend):
    def scores() -> list[tuple]:
        with backend.database.session() as session:
            return session.execute(
                select(CheckIn.iso_week, CheckIn.energie, CheckIn.werkdruk, CheckIn.plezier).order_by(CheckIn.id)
            ).all()

    first = demo_seed(backend.uow(), 2, 8, 3, seed=1, until=NOW)
    a = scores()
    with backend.database.engine.begin() as conn:
        conn.execute(School.__table__.delete())  # cascades to teams and check-ins
    assert scores() == []
    second = demo_seed(backend.uow(), 2, 8, 3, seed=1, until=NOW)
    assert first.checkins == second.checkins > 0
    assert scores() == a


def test_ensure_demo_makes_two_teams_with_eight_weeks_and_a_suppressed_week(any_backend):
    b = any_backend
    min_group = b.settings.min_group
    text = ensure_demo(b)
    assert "Coordinator login" in text and "/chat?team=" in text
    school_id = find_school_id(b.uow(), DEMO_SCHOOL)
    teams = {t.name: t for t in list_teams(b.uow(), school_id)}
    assert set(teams) == {DEMO_TEAM, DEMO_TEAM_2}
    assert all(t.is_demo for t in teams.values())
    ins = team_insights(b.uow(), teams[DEMO_TEAM].id, min_group)
    assert [w.status for w in ins.weeks].count(SUPPRESSED) == 1
    assert [w.status for w in ins.weeks].count(SHOWN) == 7
    assert ("daling_drie_weken", "werkdruk") in [(s.kind, s.dimension) for s in ins.signals]
    overview = school_overview(b.uow(), school_id, min_group)
    hidden_week = next(w for w in ins.weeks if w.status == SUPPRESSED).week
    assert overview.week(hidden_week).total.status == SUPPRESSED
    assert sum(w.total.status != SUPPRESSED for w in overview.weeks) == 7
    # Running again changes nothing; an aged demo is refreshed to the current weeks.
    assert refresh_demo_data(b.uow()) is False
    assert refresh_demo_data(b.uow(), until=this_week().previous(-10)) is True
    with b.database.session() as session:
        keys = session.execute(select(CheckIn.person_key)).scalars().all()
    assert keys and all(k.startswith(DEMO_KEY_PREFIX) and len(k) == 64 for k in keys)


def test_ensure_demo_does_nothing_when_off_or_when_real_teams_exist(backend, monkeypatch):
    create_team(backend.uow(), "Echte school", "Team 1")
    assert "no demo data created" in ensure_demo(backend)
    assert "DEMO_DATA is off" in ensure_demo(Backend(backend.settings.with_changes(demo_data=False), backend.database))
    monkeypatch.setenv("DEMO_DATA", "false")
    off = Backend.from_settings(Settings.from_env())
    assert "DEMO_DATA is off" in ensure_demo(off)
    off.database.dispose()
    assert find_school_id(backend.uow(), DEMO_SCHOOL) is None
