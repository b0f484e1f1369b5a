"""Answer feedback: the asking rhythm, counting, the dashboard view and the maintainers' CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import inspect, select

from bot.cli import main
from bot.services import feedback
from bot.services.release import last_ended_week
from bot.services.teams import create_team
from bot.services.topics import FALLBACK, count_topic
from bot.storage.models import FeedbackCount
from bot.vocabulary import this_week

#: The newest week the dashboard shows.
CLOSED = last_ended_week(date.today())


def test_rhythm_first_answer_then_every_third_never_twice_per_topic_and_at_most_three():
    assert feedback.should_ask("amplitie", [], 0)
    assert not feedback.should_ask("werkdruk", ["amplitie"], 0)
    assert not feedback.should_ask("werkdruk", ["amplitie"], 1)
    assert feedback.should_ask("werkdruk", ["amplitie"], 2)
    assert not feedback.should_ask("amplitie", ["amplitie"], 5)  # never twice about one topic
    assert not feedback.should_ask("piramide", ["amplitie", "werkdruk", "uitval"], 9)


def simulate(topics: list[str]) -> list[bool]:
    """Which of these knowledge answers in one conversation get the question."""
    asked: list[str] = []
    since = 0
    result = []
    for topic in topics:
        ask = feedback.should_ask(topic, asked, since)
        result.append(ask)
        asked, since = ([*asked, topic], 0) if ask else (asked, since + 1)
    return result


def test_ten_questions_in_a_row_are_asked_about_at_most_three_times():
    topics = ["amplitie", "werkdruk", "uitval", "belang", "piramide", "fundament", "amplitie_zelf"] + ["werkdruk"] * 3
    asks = simulate(topics)
    assert asks[:5] == [True, False, False, True, False]
    assert sum(asks) == 3


def test_record_counts_per_team_week_and_topic(any_backend):
    b = any_backend
    team = create_team(b.uow(), "School A", "Team 1")
    week = this_week()
    assert feedback.record(b.uow(), team.code, "amplitie", True, week)
    assert feedback.record(b.uow(), team.code, "amplitie", True, week)
    assert feedback.record(b.uow(), team.code, "amplitie", False, week)
    assert not feedback.record(b.uow(), "ABCDE-FGHJK", "amplitie", True, week)  # unknown team
    assert not feedback.record(b.uow(), team.code, "no_such_topic", True, week)
    assert not feedback.record(b.uow(), None, "amplitie", True, week)
    with b.database.session() as session:
        [row] = session.execute(select(FeedbackCount)).scalars().all()
    assert (row.topic, row.helpful, row.not_helpful) == ("amplitie", 2, 1)


def test_feedback_table_holds_no_person_and_no_text(any_backend):
    columns = {c["name"] for c in inspect(any_backend.database.engine).get_columns("feedback_counts")}
    assert columns == {"id", "team_id", "iso_year", "iso_week", "topic", "helpful", "not_helpful"}


def test_dashboard_view_shows_topics_only_from_the_minimum_group_size(backend):
    b = backend
    team = create_team(b.uow(), "School A", "Team 1")
    other_team = create_team(b.uow(), "School A", "Team 2")
    elsewhere = create_team(b.uow(), "School B", "Team 1")
    for helpful in (True, True, False):
        feedback.record(b.uow(), team.code, "werkdruk", helpful, CLOSED)
    for helpful in (True, False):
        feedback.record(b.uow(), other_team.code, "werkdruk", helpful, CLOSED)
    for _ in range(4):
        feedback.record(b.uow(), team.code, "amplitie", True, CLOSED)
    for _ in range(9):
        feedback.record(b.uow(), elsewhere.code, "piramide", False, CLOSED)
    view = feedback.school_feedback(b.uow(), team.school_id, b.settings.min_group)
    assert view.min_group == 5
    [shown] = view.shown
    assert (shown.topic, shown.helpful, shown.not_helpful) == ("werkdruk", 3, 2)
    assert shown.share_helpful == pytest.approx(0.6)
    assert view.hidden_topics == 1  # amplitie: 4 reactions
    # With a minimum group of 4 (a copy of the settings), amplitie is shown too.
    four = b.settings.with_changes(min_group=4)
    view = feedback.school_feedback(b.uow(), team.school_id, four.min_group)
    assert [f.topic for f in view.shown] == ["werkdruk", "amplitie"] and view.hidden_topics == 0


def test_old_weeks_are_left_out(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    for _ in range(6):
        feedback.record(backend.uow(), team.code, "werkdruk", False, CLOSED.previous(feedback.WEEKS))
    assert feedback.school_feedback(backend.uow(), team.school_id, backend.settings.min_group).shown == []


def test_the_running_week_is_not_shown(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    for _ in range(6):
        feedback.record(backend.uow(), team.code, "werkdruk", False)  # this (running) week
    assert feedback.school_feedback(backend.uow(), team.school_id, backend.settings.min_group).shown == []


def test_cli_lists_the_topics_with_most_thumbs_down_and_the_fallbacks(backend, capsys):
    b = backend
    team = create_team(b.uow(), "School A", "Team 1")
    for _ in range(3):
        feedback.record(b.uow(), team.code, "piramide", False)
    feedback.record(b.uow(), team.code, "werkdruk", False)
    feedback.record(b.uow(), team.code, "werkdruk", True)
    count_topic(b.uow(), team.code, FALLBACK)
    count_topic(b.uow(), team.code, FALLBACK)
    assert main(["feedback", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["topic"] for r in data["most_not_helpful"]] == ["piramide", "werkdruk"]
    assert data["most_not_helpful"][0] == {
        "topic": "piramide",
        "label": data["most_not_helpful"][0]["label"],
        "helpful": 0,
        "not_helpful": 3,
        "share_helpful": 0.0,
    }
    assert data["fallbacks"] == 2 and data["out_of_scope"] == 0
    assert main(["feedback"]) == 0
    assert "piramide" in capsys.readouterr().out
    assert main(["feedback", "--weeks", "0"]) == 1


def test_cli_leaves_demo_teams_out_unless_asked(backend, capsys):
    team = create_team(backend.uow(), "Demo school", "Demo team", is_demo=True)
    assert team.is_demo
    feedback.record(backend.uow(), team.code, "amplitie", False)
    main(["feedback", "--json"])
    assert json.loads(capsys.readouterr().out)["most_not_helpful"] == []
    main(["feedback", "--json", "--include-demo"])
    assert len(json.loads(capsys.readouterr().out)["most_not_helpful"]) == 1
