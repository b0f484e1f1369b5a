"""Check-in actions with real rasa_sdk Tracker / CollectingDispatcher objects and the real domain."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.checkin import ActionCheckinHistory, ActionCheckinSubmit, ValidateCheckinForm
from actions.forms import SKIPPED
from actions.privacy import ActionDeleteMyData
from bot.backend import Backend
from bot.services import checkin, roster
from bot.services.links import HASH_METADATA, member_token, token_hash
from bot.services.teams import TeamInfo, create_team, find_school_id, list_teams
from bot.text.answers import Kind, parse_score, parse_yes_no
from bot.vocabulary import this_week

ROOT = Path(__file__).resolve().parent.parent
DIMS = ["energie", "werkdruk", "verbinding", "waardering", "plezier"]


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    """domain/*.yml merged as Rasa merges them: slots, responses, forms by key; intents, actions appended."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").rglob("*.yml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    # an action with options (`- validate_checkin_form: {send_domain: true}`) by its name, as Rasa lists it
    merged["actions"] = [a if isinstance(a, str) else next(iter(a)) for a in merged.get("actions", [])]
    return merged


@dataclass(frozen=True)
class Link:
    """A roster member's personal link as the actions see it: Rasa's channel put the token's SHA-256 in the metadata."""

    team: TeamInfo
    email: str
    ref: str
    person_key: str

    @property
    def metadata(self) -> dict[str, str]:
        return {HASH_METADATA: self.ref}


def join(backend: Backend, team: TeamInfo, email: str) -> Link:
    """Put ``email`` on the team's roster (as the coordinator does) and return the personal link it gets."""
    domain_name = email.partition("@")[2]
    with backend.uow() as uow:
        school = uow.schools.named(team.school_name)
        assert school is not None
        allowed = uow.schools.domains(school.id)
    if domain_name not in allowed:
        roster.set_domains(backend.uow(), team.school_name, [*allowed, domain_name])
    change = roster.add_members(backend.uow(), team.id, email, actor="test", link_secret=backend.settings.link_secret)
    assert change.done == [email], change.errors
    with backend.uow() as uow:
        member = uow.members.with_email(email)
        assert member is not None
        token = member_token(member.id, member.token_version, backend.settings.link_secret)
        key = roster.member_key(member.id, backend.settings.pseudonym_secret)
    ref = token_hash(token)
    assert ref is not None
    return Link(team, email, ref, key)


def make_tracker(
    text: str = "",
    slots: dict[str, Any] | None = None,
    sender: str = "sender-1",
    metadata: dict[str, Any] | None = None,
    intent: str = "",
    extracted: dict[str, Any] | None = None,
    link: Link | None = None,
) -> Tracker:
    """A tracker as Rasa sends it; ``extracted`` are the slots set from the latest message.

    ``link``: the message came through the member's personal link (the widget sends it with every message).
    """
    metadata = {**(metadata or {}), **(link.metadata if link else {})}
    all_slots = {name: None for name in domain()["slots"]}
    all_slots.update({"checkin_unclear": 0, "checkin_offer_skip": False})
    all_slots.update(slots or {})
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [], "metadata": metadata}
    events = [{"event": "user", "text": text, "parse_data": message, "metadata": metadata}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (extracted or {}).items()]
    all_slots.update(extracted or {})
    return Tracker(sender, all_slots, message, events, False, None, {"name": "checkin_form"}, "action_listen")


def own_history(backend: Backend, link: Link) -> list[checkin.HistoryWeek]:
    """What the member behind ``link`` has stored (under their pseudonym, never their address)."""
    return checkin.history(backend.uow(), link.person_key)


def form_ends(slots: dict[str, Any]) -> bool:
    """validate_checkin_form ended the form: it set requested_slot to None (rasa_sdk's way)."""
    return "requested_slot" in slots and slots["requested_slot"] is None


async def run_validation(backend: Backend, tracker: Tracker) -> tuple[dict[str, Any], list[str]]:
    """Run validate_checkin_form; return the slots it sets and the responses it utters."""
    dispatcher = CollectingDispatcher()
    events = await ValidateCheckinForm(backend).run(dispatcher, tracker, domain())
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return slots, [m["response"] for m in dispatcher.messages]


@pytest.fixture
def me(backend: Backend) -> Link:
    """A teacher on the roster of Team 1 of School A, chatting through their personal link."""
    return join(backend, create_team(backend.uow(), "School A", "Team 1"), "me@school-a.nl")


def answering(link: Link | None, slot: str, text: str, **slots: Any) -> Tracker:
    base = {"requested_slot": slot, "consent": True}
    # Slots of earlier questions are filled; the asked one is the raw text from_text extracted.
    for dim in DIMS[: DIMS.index(slot)] if slot in DIMS else []:
        base[dim] = 3
    base.update(slots)
    return make_tracker(text, base, extracted={slot: text}, link=link)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4),
        ("vier", 4),
        ("4/5", 4),
        ("ruim voldoende", 4),
        ("gaat wel", 3),
        ("slecht", 2),
        ("super", 5),
        ("😊", 4),
        ("😩", 1),
    ],
)
async def test_answers_people_type_are_understood(backend, me, text, expected):
    slots, responses = await run_validation(backend, answering(me, "energie", text))
    assert slots["energie"] == expected
    assert responses == []


async def test_unclear_answer_reasks_then_offers_skip_then_skips(backend, me):
    slots, responses = await run_validation(backend, answering(me, "werkdruk", "banaan"))
    assert slots["werkdruk"] is None and responses == ["utter_checkin_unclear"]
    slots, responses = await run_validation(backend, answering(me, "werkdruk", "tja", checkin_unclear=1))
    assert slots["werkdruk"] is None and slots["checkin_offer_skip"] is True
    assert responses == ["utter_checkin_unclear_skip"]
    slots, responses = await run_validation(backend, answering(me, "werkdruk", "??", checkin_unclear=2))
    assert slots["werkdruk"] == SKIPPED and responses == ["utter_checkin_skipped_auto"]


async def test_stop_ends_the_form_without_more_questions(backend, me):
    slots, _ = await run_validation(backend, answering(me, "verbinding", "laat maar"))
    assert slots["checkin_stopped"] is True
    assert form_ends(slots)


def asking_help(link: Link, slot: str, text: str, intent: str) -> Tracker:
    """A message the model read as a help intent, typed while the form asks ``slot``."""
    slots = {"requested_slot": slot, "consent": None if slot == "consent" else True}
    return make_tracker(text, slots, intent=intent, extracted={slot: text}, link=link)


@pytest.mark.parametrize(
    ("slot", "text", "intent", "help_responses"),
    [
        ("consent", "ik ben al weken uitgeput", "steun", ["utter_steun_erkenning", "utter_steun_routes"]),
        ("consent", "nee, ik ben echt op", "steun", ["utter_steun_erkenning", "utter_steun_routes"]),
        ("consent", "mijn collega zit er helemaal doorheen", "steun_ander", ["utter_steun_ander"]),
        ("werkdruk", "ik kan niet meer, ik huil elke avond na het nakijken", "steun", ["utter_steun_erkenning"]),
        ("plezier", "kan ik met een echt mens praten?", "mens_spreken", ["utter_mens_spreken"]),
    ],
)  # fmt: skip
async def test_a_message_asking_for_help_mid_form_gets_that_help_and_ends_the_form(
    backend, me, slot, text, intent, help_responses
):
    """Not "kies ja of nee" or "dat begreep ik niet" for someone who is struggling; nothing is stored."""
    slots, responses = await run_validation(backend, asking_help(me, slot, text, intent))
    assert responses[: len(help_responses)] == help_responses
    assert "utter_consent_unclear" not in responses and "utter_checkin_unclear" not in responses
    assert slots["checkin_stopped"] is True and slots[slot] is None and form_ends(slots)


async def test_a_clear_answer_that_reads_as_distress_is_still_an_answer(backend, me):
    slots, responses = await run_validation(backend, asking_help(me, "energie", "weinig energie", "steun"))
    assert slots["energie"] == 2 and responses == [] and not slots.get("checkin_stopped")
    slots, responses = await run_validation(backend, asking_help(me, "consent", "ja, al ben ik moe", "steun"))
    assert slots["consent"] is True and responses == []


async def test_no_consent_ends_the_form(backend, me):
    slots, _ = await run_validation(backend, answering(me, "consent", "nee"))
    assert slots["consent"] is False
    assert form_ends(slots)


async def submit_messages(
    backend: Backend, link: Link | None, scores: dict[str, Any], **slots: Any
) -> list[dict[str, Any]]:
    """Run action_checkin_submit after a finished form; return the messages it sends."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("5", {"consent": True, **scores, **slots}, link=link)
    events = await ActionCheckinSubmit(backend).run(dispatcher, tracker, domain())
    assert {"event": "slot", "name": "energie", "value": None, "timestamp": None} in events
    return dispatcher.messages


async def submit(backend: Backend, link: Link | None, scores: dict[str, Any], **slots: Any) -> list[str]:
    """Run action_checkin_submit after a finished form; return the responses."""
    return [m["response"] for m in await submit_messages(backend, link, scores, **slots)]


async def test_with_a_personal_link_the_form_asks_its_questions(backend, me):
    tracker = make_tracker("ik wil inchecken", {"requested_slot": None}, link=me)
    slots, responses = await run_validation(backend, tracker)
    assert not form_ends(slots) and responses == []  # Rasa's form asks consent, then the five questions


async def test_without_a_personal_link_nothing_is_asked_or_stored(backend, me):
    other_team = create_team(backend.uow(), "School A", "Team 2")
    # No link at all, or only a team code (the old way in): not a single question is asked ...
    for metadata in ({}, {"team_code": other_team.code}):
        tracker = make_tracker("ik wil inchecken", {"requested_slot": None}, metadata=metadata)
        slots, responses = await run_validation(backend, tracker)
        assert form_ends(slots) and responses == []
        # ... and the end of the form says the check-in needs the personal link.
        dispatcher = CollectingDispatcher()
        await ActionCheckinSubmit(backend).run(dispatcher, make_tracker("x", metadata=metadata), domain())
        assert [m["response"] for m in dispatcher.messages] == ["utter_checkin_needs_link"]
    assert await submit(backend, None, {d: 4 for d in DIMS}) == ["utter_checkin_needs_link"]
    assert own_history(backend, me) == []


async def test_a_link_of_nobody_asks_nothing_and_says_it_does_not_work(backend, me):
    made_up = Link(me.team, "x@school-a.nl", token_hash(secrets.token_urlsafe(32)) or "", "nobody")
    leaver = join(backend, me.team, "leaver@school-a.nl")
    roster.remove_members(backend.uow(), me.team.id, leaver.email, "test", backend.settings.pseudonym_secret)
    for link in (made_up, leaver):
        tracker = make_tracker("ik wil inchecken", {"requested_slot": None}, link=link)
        slots, responses = await run_validation(backend, tracker)
        assert form_ends(slots) and responses == []
        assert await submit(backend, link, {}, consent=None) == ["utter_checkin_link_unknown"]
        # Also when the link stops working between the questions and the save.
        assert await submit(backend, link, {d: 4 for d in DIMS}) == ["utter_checkin_link_unknown"]
    with backend.uow() as uow:
        assert uow.checkins.of_person(leaver.person_key) == []


async def test_the_member_is_read_once_per_call_and_a_removal_counts_from_the_next_message(backend, me, monkeypatch):
    import actions.common

    reads: list[str | None] = []
    real = actions.common.find_member
    monkeypatch.setattr(
        actions.common, "find_member", lambda uow, ref, secret: reads.append(ref) or real(uow, ref, secret)
    )
    slots, _ = await run_validation(backend, answering(me, "energie", "4"))
    assert slots["energie"] == 4 and not form_ends(slots)
    assert reads == [me.ref]  # rasa_sdk asks required_slots three times in that one call
    roster.remove_members(backend.uow(), me.team.id, me.email, "test", backend.settings.pseudonym_secret)
    slots, _ = await run_validation(backend, answering(me, "werkdruk", "4"))
    assert form_ends(slots) and reads == [me.ref, me.ref]  # the next message: asked again, and gone


async def test_submit_stores_one_row_and_reflects(backend, me):
    responses = await submit(
        backend, me, {"energie": 5, "werkdruk": 1, "verbinding": 4, "waardering": SKIPPED, "plezier": 3}
    )
    assert responses[0] == "utter_checkin_saved"
    assert "utter_checkin_sterk_energie" in responses
    assert "utter_checkin_aandacht_werkdruk" in responses
    assert "utter_checkin_tools" in responses
    [week] = own_history(backend, me)
    assert week.scores == {"energie": 5, "werkdruk": 1, "verbinding": 4, "waardering": None, "plezier": 3}
    assert week.team_name == "Team 1"
    responses = await submit(backend, me, {d: 4 for d in DIMS})
    assert responses[0] == "utter_checkin_replaced"
    assert len(own_history(backend, me)) == 1


LOW_WORKLOAD = {"energie": 5, "werkdruk": 1, "verbinding": 4, "waardering": 3, "plezier": 3}
#: The tools a low workload score suggests, as the chat shows them in each language.
SUGGESTED = {
    "nl": [
        "- **[Autonomie en inspraak bij beslissingen](https://www.wilmarschaufeli.nl/publications/Schaufeli/309.pdf)**:"
        " Betrek als leiding je medewerkers bij beslissingen over hun werk en geef ze ruimte om zelf keuzes te maken.",
        "- **Intervisie**: Bespreek met een klein groepje collega's een vraag uit je eigen praktijk"
        " en zoek samen naar een aanpak.",
    ],
    "en": [
        "- **[Autonomy and a say in decisions](https://www.wilmarschaufeli.nl/publications/Schaufeli/309.pdf)**"
        " (in Dutch): As a leader, involve your staff in decisions about their work and give them room to make"
        " their own choices.",
        "- **Intervisie (peer consultation)**: Discuss a question from your own work with a small group of colleagues"
        " and look for an approach together.",
    ],
}


@pytest.mark.parametrize("language", [None, "nl", "en"])
async def test_suggested_tools_are_in_the_conversations_language(backend, me, language):
    messages = await submit_messages(backend, me, LOW_WORKLOAD, language=language)
    [tools] = [m["tools"] for m in messages if m["response"] == "utter_checkin_tools"]
    lines = tools.splitlines()
    expected = SUGGESTED[language or "nl"]
    assert lines[: len(expected)] == expected
    suggested = checkin.reflect(LOW_WORKLOAD).tools
    assert len(lines) == len(suggested)
    for line, tool in zip(lines, suggested, strict=True):
        if language == "en":
            assert tool.naam_en in line and tool.beschrijving_en in line and tool.beschrijving not in line
        else:
            assert tool.naam in line and tool.beschrijving in line and "(in Dutch)" not in line


@pytest.mark.parametrize(
    ("language", "scores"),
    [
        ("nl", "Energie 2 · Werkdruk te doen 2 · Verbinding met collega's 2 · Waardering en steun leiding 2"
         " · Plezier en ontwikkeling –"),
        ("en", "Energy 2 · Manageable workload 2 · Connection with colleagues 2"
         " · Appreciation and support from your manager 2 · Enjoyment and development –"),
    ],
)  # fmt: skip
async def test_history_labels_are_in_the_conversations_language(backend, me, language, scores):
    await submit(backend, me, {d: 2 for d in DIMS} | {"plezier": SKIPPED})
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("hoe ging het", {"language": language}, link=me)
    await ActionCheckinHistory(backend).run(dispatcher, tracker, domain())
    [message] = dispatcher.messages
    assert message["response"] == "utter_checkin_history"
    assert message["weeks"] == f"- **Week {this_week().week}** (Team 1): {scores}"


def test_each_reflection_has_its_own_english_text():
    """The compliment and point of attention per dimension: one Dutch text, one English text, under that dimension."""
    responses = domain()["responses"]
    english = [{"type": "slot", "name": "language", "value": "en"}]
    for name in [f"utter_checkin_{kind}_{d}" for kind in ("sterk", "aandacht") for d in DIMS]:
        variations = responses[name]
        assert [v.get("condition") for v in variations] == [None, english], name
    for d, word in zip(DIMS, ("energy", "manageable", "connected", "appreciation", "enjoy"), strict=True):
        assert word in responses[f"utter_checkin_sterk_{d}"][1]["text"], d


async def test_stopped_or_declined_checkin_stores_nothing(backend, me):
    cases = [
        ({"checkin_stopped": True, "energie": 4}, "utter_checkin_stopped"),
        ({"consent": False}, "utter_checkin_no_consent"),
    ]
    for slots, expected in cases:
        assert await submit(backend, me, {}, **slots) == [expected]
    assert own_history(backend, me) == []


async def test_database_failure_never_says_saved(backend, me, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from bot.storage.repositories import CheckInRepository

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(CheckInRepository, "add", broken)
    responses = await submit(backend, me, {d: 4 for d in DIMS})
    assert responses == ["utter_checkin_save_failed"]
    monkeypatch.undo()
    assert own_history(backend, me) == []


async def test_history_shows_only_own_checkins_and_delete_needs_confirmation(backend, me):
    someone_else = join(backend, me.team, "someone-else@school-a.nl")
    await submit(backend, me, {d: 2 for d in DIMS})
    await submit(backend, someone_else, {d: 5 for d in DIMS})
    dispatcher = CollectingDispatcher()
    await ActionCheckinHistory(backend).run(dispatcher, make_tracker("hoe ging het", link=me), domain())
    [message] = dispatcher.messages
    assert message["response"] == "utter_checkin_history" and "5" not in message["weeks"].split(":", 1)[1]

    dispatcher = CollectingDispatcher()
    declined = make_tracker("nee", {"delete_confirm": False}, link=me)
    await ActionDeleteMyData(backend).run(dispatcher, declined, domain())
    assert dispatcher.messages[0]["response"] == "utter_delete_cancelled"
    assert len(own_history(backend, me)) == 1
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData(backend).run(dispatcher, make_tracker("ja", {"delete_confirm": True}, link=me), domain())
    assert dispatcher.messages[0]["response"] == "utter_delete_done"
    assert own_history(backend, me) == [] and len(own_history(backend, someone_else)) == 1


async def test_history_and_delete_need_the_personal_link(backend, me):
    await submit(backend, me, {d: 2 for d in DIMS})
    dispatcher = CollectingDispatcher()
    await ActionCheckinHistory(backend).run(dispatcher, make_tracker("hoe ging het"), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_checkin_needs_link"]
    dispatcher = CollectingDispatcher()
    await ActionDeleteMyData(backend).run(dispatcher, make_tracker("ja", {"delete_confirm": True}), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_checkin_needs_link"]
    assert len(own_history(backend, me)) == 1


async def test_care_pointer_after_two_low_weeks_only(backend, me):
    other = join(backend, me.team, "other@school-a.nl")
    secret = backend.settings.pseudonym_secret
    low = {d: 4 for d in DIMS} | {"energie": 1}
    last_week = checkin.save_checkin(backend.uow(), me.ref, low, secret, this_week().previous())
    assert last_week is not None and not last_week.care_pointer  # one low week is not yet a reason
    responses = await submit(backend, me, {d: 4 for d in DIMS} | {"plezier": 2})
    assert "utter_checkin_care_pointer" in responses
    # The same week answered again without a low score: the replaced answers count, not the old ones.
    responses = await submit(backend, me, {d: 4 for d in DIMS})
    assert responses[0] == "utter_checkin_replaced" and "utter_checkin_care_pointer" not in responses
    responses = await submit(backend, other, {d: 4 for d in DIMS} | {"plezier": 2})
    assert "utter_checkin_care_pointer" not in responses


# ---------------------------------------------------------------- random input (hypothesis)

STOPPED = "stopped"
#: Answers whose meaning on every one of the five questions a person would agree on, written
#: down independently of the parser (words whose meaning depends on the question are left out).
KNOWN_ANSWERS: dict[str, int | str | None] = {
    "4": 4,
    "vier": 4,
    "4/5": 4,
    "Een 4.": 4,
    "ik geef het een 2": 2,
    "gaat wel": 3,
    "super": 5,
    "overslaan": SKIPPED,
    "weet ik niet": SKIPPED,
    "laat maar": STOPPED,
    "stop": STOPPED,
    "banaan": None,
    "3,5": None,
    "2 of 3": None,
    "8 van de 10": None,
    "6": None,
    "<b>5</b>": None,
    "": None,
    "   ": None,
}


def meant(slot: str, text: str) -> int | str | None:
    """The answer a dimension must get: a score 1-5, SKIPPED, STOPPED or None (unclear: asked again)."""
    if text in KNOWN_ANSWERS:
        return KNOWN_ANSWERS[text]
    answer = parse_score(text, slot)
    return {Kind.SCORE: answer.value, Kind.SKIP: SKIPPED, Kind.STOP: STOPPED, Kind.UNCLEAR: None}[answer.kind]


async def check_dimension(
    backend: Backend, link: Link, slot: str, text: str, slots: dict[str, Any], responses: list[str]
) -> None:
    """The form keeps exactly what was meant, and submitting stores exactly that (or NULL), nothing invented."""
    expected = meant(slot, text)
    if expected == STOPPED:
        assert slots[slot] is None and slots["checkin_stopped"] is True and responses == []
        assert form_ends(slots)  # nothing more is asked
    elif expected is None:
        assert slots[slot] is None and slots["checkin_unclear"] == 1
        assert responses == ["utter_checkin_unclear"] and not form_ends(slots)  # asked again
    else:
        assert slots[slot] == expected and slots["checkin_unclear"] == 0 and responses == []
        assert not form_ends(slots)

    earlier = dict.fromkeys(DIMS[: DIMS.index(slot)], 3)
    said = await submit(backend, link, {**earlier, slot: slots[slot]}, checkin_stopped=slots.get("checkin_stopped"))
    stored = own_history(backend, link)
    row = {d: None for d in DIMS} | earlier | {slot: expected if isinstance(expected, int) else None}
    if expected == STOPPED:
        assert said == ["utter_checkin_stopped"] and stored == []
    elif all(v is None for v in row.values()):
        assert said == ["utter_checkin_all_skipped"] and stored == []
    else:
        assert said[0] == "utter_checkin_saved"
        [week] = stored
        assert week.scores == row


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(st.text(max_size=400), st.sampled_from(list(KNOWN_ANSWERS))),
    slot=st.sampled_from(["consent", *DIMS]),
)
async def test_random_answers_never_crash_and_never_store_an_invented_value(backend, text, slot):
    # A new member per example (hypothesis reuses the database): their history starts empty.
    team = the_team(backend)
    link = join(backend, team, f"t{uuid.uuid4().hex[:12]}@school-h.nl")
    slots, responses = await run_validation(backend, answering(link, slot, text))
    if slot in DIMS:
        await check_dimension(backend, link, slot, text, slots, responses)
    elif parse_score(text).kind is Kind.STOP:
        assert slots["consent"] is None and slots["checkin_stopped"] is True and responses == []
        assert form_ends(slots)
    else:
        assert slots["consent"] is parse_yes_no(text)
        assert responses == ([] if slots["consent"] is not None else ["utter_consent_unclear"])


def the_team(backend: Backend) -> TeamInfo:
    """This test's one team (made on first use; hypothesis reuses the database)."""
    school_id = find_school_id(backend.uow(), "School H")
    if school_id is None:
        return create_team(backend.uow(), "School H", "Team H")
    [team] = list_teams(backend.uow(), school_id)
    return team


async def test_slots_cleared_by_the_reset_are_not_answers(backend, me):
    # rasa_sdk validates every slot set since the last message, including the reset's Nones:
    # before this was handled, a new check-in began with "begreep ik niet" and skipped questions.
    cleared = {d: None for d in DIMS} | {"consent": None, "checkin_stopped": None, "checkin_unclear": 0}
    tracker = make_tracker("ik wil inchecken", {"requested_slot": None}, extracted=cleared, link=me)
    slots, responses = await run_validation(backend, tracker)
    assert responses == []
    assert all(slots.get(d) is None for d in DIMS) and slots.get("consent") is None
    assert not form_ends(slots)
