"""Help tier 3 and "talk to a person": the actions name the school's own contacts as plain text."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import all_actions
from actions.steun import HELP_INTENTS, ActionSchoolContacten, ActionSteun, tool_for, utter_help
from bot.backend import Backend
from bot.services import contacts
from bot.services.catalogue import load_tools
from bot.services.contacts import BEDRIJFSARTS, VERTROUWENSPERSOON, clean_contact
from bot.services.teams import TeamInfo, create_team
from bot.storage.models import TopicCount
from bot.text.themes import steun_themes
from tests.test_actions_checkin import domain, join

SECRET_TEXT = "ik huil elke avond en niemand mag dit weten KANARIE"


def tracker(
    metadata: dict | None = None, theme: str | None = None, text: str = SECRET_TEXT, language: str | None = None
) -> Tracker:
    slots = {name: None for name in domain()["slots"]}
    slots["steun_thema"] = theme
    slots["language"] = language
    message = {"text": text, "intent": {"name": "steun"}, "metadata": metadata or {}}
    return Tracker("sender-1", slots, message, [], False, None, {}, "action_listen")


@pytest.fixture
def team(backend: Backend) -> TeamInfo:
    return create_team(backend.uow(), "School A", "Team 1")


def give_contacts(backend: Backend, team: TeamInfo, name: str = "Anna de Vries") -> None:
    contacts.save_contacts(
        backend.uow(),
        team.school_id,
        {
            VERTROUWENSPERSOON: clean_contact({"name": name, "phone": "06-12345678"}, name_agreed=True),
            BEDRIJFSARTS: clean_contact({"url": "www.arbodienst.nl", "hours": "open spreekuur di 9:00"}, False),
        },
    )


async def run(action, backend: Backend, t: Tracker) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = await action(backend).run(dispatcher, t, domain())
    return dispatcher.messages, events


def test_both_actions_are_registered_and_in_the_domain():
    names = {cls.name(cls.__new__(cls)) for cls in all_actions()}
    assert {"action_steun", "action_school_contacten"} <= names & set(domain()["actions"])


async def test_distress_with_a_team_code_names_the_schools_contacts_then_a_tool(backend, team):
    give_contacts(backend, team)
    messages, events = await run(ActionSteun, backend, tracker({"team_code": team.code}, theme="slaap"))
    assert [m["response"] for m in messages] == [
        "utter_school_contacten",
        "utter_school_contact_vertrouwenspersoon",
        "utter_school_contact_bedrijfsarts",
        "utter_steun_tool",
    ]
    assert messages[1]["contact"] == r"Anna de Vries · 06\-12345678"  # shown as 06-12345678
    assert messages[2]["contact"] == r"https\://www\.arbodienst\.nl · open spreekuur di 9\:00"
    assert messages[3]["naam"] == "Slaaptijd"
    assert events == []


@pytest.mark.parametrize(
    ("language", "name", "description"),
    [
        ("nl", "Slaaptijd", "Plan bewust genoeg slaap in, want slaap is een van de zeven dagelijkse voedingsstoffen"
         " voor je hoofd."),
        ("en", "Sleep Time", "Plan enough sleep on purpose, because sleep is one of the seven daily nutrients"
         " for your mind."),
    ],
)  # fmt: skip
async def test_the_tool_is_named_in_the_conversations_language(backend, team, language, name, description):
    messages, _ = await run(ActionSteun, backend, tracker({"team_code": team.code}, theme="slaap", language=language))
    [tool] = [m for m in messages if m["response"] == "utter_steun_tool"]
    assert (tool["naam"], tool["beschrijving"]) == (name, description)


async def test_a_personal_link_finds_the_members_school(backend, team):
    give_contacts(backend, team)
    link = join(backend, team, "juf@school-a.nl")
    messages, _ = await run(ActionSchoolContacten, backend, tracker(link.metadata))
    assert [m["response"] for m in messages] == [
        "utter_school_contacten",
        "utter_school_contact_vertrouwenspersoon",
        "utter_school_contact_bedrijfsarts",
    ]


async def test_a_contact_named_like_a_link_stays_plain_text(backend, team):
    give_contacts(backend, team, name="[Klik hier](https://evil.example) **nu**")
    messages, _ = await run(ActionSchoolContacten, backend, tracker({"team_code": team.code}))
    contact = messages[1]["contact"]
    assert contact.startswith(r"\[Klik hier\]\(https\://evil\.example\) \*\*nu\*\*")
    assert "](" not in contact and "**" not in contact


async def test_another_schools_contacts_are_never_named(backend, team):
    give_contacts(backend, team)
    other = create_team(backend.uow(), "School B", "Team B")
    messages, _ = await run(ActionSchoolContacten, backend, tracker({"team_code": other.code}))
    assert messages == []


async def test_without_contacts_or_team_only_the_general_routes_stand(backend, team):
    """The general routes were already said by the plain response; the action adds the tool only."""
    for metadata in ({"team_code": team.code}, {}):
        messages, _ = await run(ActionSteun, backend, tracker(metadata, theme="algemeen"))
        assert [m["response"] for m in messages] == ["utter_steun_tool"]
        messages, _ = await run(ActionSchoolContacten, backend, tracker(metadata))
        assert messages == []


async def test_a_database_failure_still_gives_the_tool_and_logs_no_text(backend, team, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr("actions.steun.contacts_for_team", broken)
    with caplog.at_level(logging.DEBUG):
        messages, _ = await run(ActionSteun, backend, tracker({"team_code": team.code}, theme="huilen"))
    assert [m["response"] for m in messages] == ["utter_steun_tool"]
    assert "KANARIE" not in caplog.text and "huil" not in caplog.text


async def test_distress_is_never_counted_as_a_topic(backend, team):
    give_contacts(backend, team)
    await run(ActionSteun, backend, tracker({"team_code": team.code}, theme="conflict"))
    await run(ActionSchoolContacten, backend, tracker({"team_code": team.code}))
    with backend.database.session() as session:
        assert session.execute(select(TopicCount)).scalars().all() == []


def test_every_theme_offers_a_tool_of_the_catalogue_and_no_safety_route():
    ids = {t.id for t in load_tools()}
    for theme in [t.id for t in steun_themes()] + ["algemeen", None]:
        tool = tool_for(theme)
        assert tool is not None and tool.id in ids and tool.niveau != "rood", theme


def test_the_responses_the_actions_use_exist_in_both_languages():
    responses = domain()["responses"]
    used = (
        "utter_school_contacten",
        "utter_school_contact_vertrouwenspersoon",
        "utter_school_contact_bedrijfsarts",
        "utter_steun_tool",
        "utter_steun_checkin",
    )
    for name in used:
        languages = {c["value"] for v in responses[name] for c in v.get("condition", []) if c["name"] == "language"}
        assert languages == {"en"} and any("condition" not in v for v in responses[name]), name


@pytest.mark.parametrize("intent", sorted(HELP_INTENTS))
def test_help_mid_form_says_what_the_rule_says(backend, team, intent):
    """utter_help (the check-in's way) gives each help intent the responses of its rule, in order."""
    rules = yaml.safe_load((Path(__file__).parent.parent / "data/stories/rules_steun.yml").read_text())["rules"]
    [rule] = [r for r in rules if r["steps"][0].get("intent") == intent]
    said_by_rule = [step["action"] for step in rule["steps"][1:] if step.get("action", "").startswith("utter_")]
    dispatcher = CollectingDispatcher()
    utter_help(backend, dispatcher, tracker(theme="slaap"), intent)
    uttered = [m["response"] for m in dispatcher.messages]
    assert [r for r in uttered if r in said_by_rule] == said_by_rule
    assert ("utter_steun_tool" in uttered) is (intent == "steun")  # what action_steun adds
