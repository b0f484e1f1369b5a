"""Fundament-scan and feedback actions with real rasa_sdk objects, the real domain and a real database."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionFeedback
from actions.forms import SKIPPED
from actions.kennis import ActionKennisVervolg, ActionTelOnderwerp
from actions.scan import SLOTS, ActionScanReset, ActionScanSubmit, ValidateFundamentScanForm
from bot.backend import Backend
from bot.services import feedback, scan
from bot.services.teams import create_team, find_school_id
from bot.storage.models import FeedbackCount
from bot.text.answers import Kind, parse_level
from bot.vocabulary import KAN_BETER, ONTBREEKT, SCAN_ITEMS, STAAT_GOED
from tests.test_actions_checkin import domain, make_tracker


def scan_tracker(text: str, slot: str, **slots: Any) -> Tracker:
    base = {"requested_slot": slot, **slots}
    tracker = make_tracker(text, base, extracted={slot: text})
    tracker.active_loop = {"name": "fundament_scan_form"}
    return tracker


def token_for(backend: Backend, school_id: int) -> str:
    """The scan token the dashboard hands a signed-in coordinator of this school."""
    return scan.make_scan_token(school_id, backend.settings.scan_token_secret)


async def validate(backend: Backend, tracker: Tracker) -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateFundamentScanForm(backend).run(dispatcher, tracker, domain())
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, [m["response"] for m in dispatcher.messages]


async def test_answers_are_parsed_and_unclear_ones_asked_again_then_skipped(backend):
    slots, responses = await validate(backend, scan_tracker("Staat goed", "scan_visie"))
    assert slots["scan_visie"] == 2 and responses == []
    slots, responses = await validate(backend, scan_tracker("hebben we nog niet", "scan_maatje"))
    assert slots["scan_maatje"] == 0
    slots, responses = await validate(backend, scan_tracker("4", "scan_techniek"))
    assert slots["scan_techniek"] is None and responses == ["utter_scan_unclear"]
    slots, responses = await validate(backend, scan_tracker("4", "scan_techniek", scan_unclear=2))
    assert slots["scan_techniek"] == SKIPPED and responses == ["utter_scan_skipped_auto"]
    slots, _ = await validate(backend, scan_tracker("laat maar", "scan_geel"))
    assert slots["scan_stopped"] is True and slots.get("requested_slot") is None


async def test_a_scan_answer_about_an_exhausted_team_is_asked_again_not_a_reason_to_stop(backend):
    """The scan describes the school: only the check-in, about the person, ends with help."""
    tracker = scan_tracker("iedereen is hier uitgeput", "scan_visie")
    tracker.latest_message["intent"] = {"name": "steun", "confidence": 0.9}
    slots, responses = await validate(backend, tracker)
    assert responses == ["utter_scan_unclear"] and not slots.get("scan_stopped")


STOPPED = "stopped"
#: Answers whose level a person would agree on, written down independently of the parser.
KNOWN_LEVELS: dict[str, int | str | None] = {
    "staat goed": STAAT_GOED,
    "Staat goed!": STAAT_GOED,
    "super": STAAT_GOED,
    "kan beter": KAN_BETER,
    "gaat wel": KAN_BETER,
    "ontbreekt": ONTBREEKT,
    "hebben we nog niet": ONTBREEKT,
    "helemaal niet": ONTBREEKT,
    "weet ik niet": SKIPPED,
    "laat maar": STOPPED,
    "2": None,  # the buttons are not numbered: a number would be a guess
    "4": None,
    "banaan": None,
    "": None,
}


def meant_level(text: str) -> int | str | None:
    """The answer a scan question must get: a level 0-2, SKIPPED, STOPPED or None (unclear: asked again)."""
    if text in KNOWN_LEVELS:
        return KNOWN_LEVELS[text]
    answer = parse_level(text)
    return {Kind.SCORE: answer.value, Kind.SKIP: SKIPPED, Kind.STOP: STOPPED, Kind.UNCLEAR: None}[answer.kind]


def the_school(backend: Backend) -> int:
    """This test's one school (made on first use; hypothesis reuses the database)."""
    school_id = find_school_id(backend.uow(), "School H")
    return school_id if school_id is not None else create_team(backend.uow(), "School H", "Team H").school_id


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=300), st.sampled_from(list(KNOWN_LEVELS))), slot=st.sampled_from(SLOTS))
async def test_random_answers_never_crash_and_never_invent_a_level(backend, text, slot):
    slots, responses = await validate(backend, scan_tracker(text, slot))
    expected = meant_level(text)
    if expected == STOPPED:
        assert slots[slot] is None and slots["scan_stopped"] is True and responses == []
        assert slots.get("requested_slot") is None
    elif expected is None:
        assert slots[slot] is None and slots["scan_unclear"] == 1 and responses == ["utter_scan_unclear"]
    else:
        assert slots[slot] == expected and slots["scan_unclear"] == 0 and responses == []

    # Submitted with a coordinator's token: exactly that level is saved, or NULL; a stop saves nothing.
    school_id = the_school(backend)
    before = scan.school_scans(backend.uow(), school_id, limit=1)
    answers = {s: 2 for s in SLOTS} | {slot: slots[slot], "scan_stopped": slots.get("scan_stopped")}
    messages = await submit(backend, make_tracker("x", answers, metadata={"scan_token": token_for(backend, school_id)}))
    after = scan.school_scans(backend.uow(), school_id, limit=1)
    if expected == STOPPED:
        assert [m["response"] for m in messages] == ["utter_scan_stopped"]
        assert after == before
    else:
        assert messages[-1]["response"] == "utter_scan_saved"
        [latest] = after
        assert latest.id not in {b.id for b in before}
        item = SCAN_ITEMS[SLOTS.index(slot)]
        assert latest.answers == dict.fromkeys(SCAN_ITEMS, 2) | {item: expected if isinstance(expected, int) else None}


def finished(metadata: dict[str, Any] | None = None, **answers: Any) -> Tracker:
    slots = {slot: 2 for slot in SLOTS}
    slots.update(answers)
    return make_tracker("staat goed", slots, metadata=metadata)


async def submit(backend: Backend, tracker: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionScanSubmit(backend).run(dispatcher, tracker, domain())
    assert {"event": "slot", "name": "scan_visie", "value": None, "timestamp": None} in events
    return dispatcher.messages


async def test_summary_in_the_chat_without_token_is_not_saved(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    messages = await submit(
        backend, finished(scan_inwerken=0, scan_techniek=1, scan_maatje=SKIPPED, scan_groen=0, scan_rood=2)
    )
    responses = [m["response"] for m in messages]
    assert responses == [
        "utter_scan_sterk",
        "utter_scan_werkpunten",
        "utter_scan_piramide_curatief",
        "utter_scan_visie_vraag",
        "utter_scan_not_saved",
    ]
    work_on = messages[1]["items"]
    assert "Inwerken" in work_on and "ontbreekt" in work_on and "Inwerkprogramma" in work_on
    assert work_on.index("Inwerken") < work_on.index("techniek")
    assert scan.school_scans(backend.uow(), team.school_id) == []


SCAN_TEXTS = {
    "nl": (
        "- **Visie van de school**: Jullie hebben een duidelijke visie en voeren die ook echt uit.\n"
        "- **Sterk leiderschap**: Het leiderschap op jullie school is sterk.\n"
        "- **Maatje of opleider in school**: Nieuwe collega's hebben een maatje of opleider in school.",
        "- **Inwerken (onboarding)** (ontbreekt). Tip:\n"
        "  **Inwerkprogramma (onboarding)**: Zorg dat je nieuwe collega's een vast inwerkprogramma geeft,"
        " zodat ze weten hoe de school werkt en bij wie ze terechtkunnen.\n"
        "- **Ondersteunende techniek** (kan beter). Tip:\n"
        "  **Ondersteunende techniek die werkt**: Zorg dat de techniek op school goed werkt,"
        " zodat die je werk makkelijker maakt in plaats van zwaarder.",
    ),
    "en": (
        "- **The school's vision**: You have a clear vision and you really put it into practice.\n"
        "- **Strong leadership**: The leadership at your school is strong.\n"
        "- **Buddy or school-based trainer**: New colleagues have a buddy or a school-based trainer.",
        "- **Onboarding new colleagues** (missing). Tip:\n"
        "  **Onboarding programme**: Make sure you give new colleagues a fixed onboarding programme,"
        " so that they know how the school works and who they can go to.\n"
        "- **Supporting technology** (could be better). Tip:\n"
        "  **Supporting technology that works**: Make sure the technology at school works well,"
        " so that it makes your work easier instead of harder.",
    ),
}


@pytest.mark.parametrize("language", [None, "nl", "en"])
async def test_the_summary_speaks_the_conversations_language(backend, language):
    team = create_team(backend.uow(), "School A", "Team 1")
    token = token_for(backend, team.school_id)
    messages = await submit(
        backend, finished({"scan_token": token}, scan_inwerken=0, scan_techniek=1, language=language)
    )
    by_response = {m["response"]: m for m in messages}
    strengths, work_on = SCAN_TEXTS[language or "nl"]
    assert by_response["utter_scan_sterk"]["items"] == strengths
    assert by_response["utter_scan_werkpunten"]["items"] == work_on
    [saved] = scan.school_scans(backend.uow(), team.school_id)
    when = saved.created_at
    dutch_months = "januari februari maart april mei juni juli augustus september oktober november december".split()
    month = when.strftime("%B") if language == "en" else dutch_months[when.month - 1]  # %B: English (C locale)
    assert by_response["utter_scan_saved"]["date"] == f"{when.day} {month} {when.year}"


async def test_a_coordinators_token_saves_the_scan_for_their_school(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    token = token_for(backend, team.school_id)
    dispatcher = CollectingDispatcher()
    start = make_tracker("/fundament_scan_start", metadata={"scan_token": token})
    await ActionScanReset(backend).run(dispatcher, start, domain())
    assert dispatcher.messages[0]["response"] == "utter_scan_intro_saved"
    assert dispatcher.messages[0]["school"] == "School A"

    messages = await submit(backend, finished({"scan_token": token}, scan_efficacy=1))
    assert messages[-1]["response"] == "utter_scan_saved" and messages[-1]["school"] == "School A"
    [saved] = scan.school_scans(backend.uow(), team.school_id)
    assert saved.answers["efficacy"] == 1 and saved.answers["visie"] == 2


async def test_forged_or_expired_token_saves_nothing_and_says_so(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    forged = scan.make_scan_token(team.school_id, "not-the-server-secret")
    messages = await submit(backend, finished({"scan_token": forged}))
    assert messages[-1]["response"] == "utter_scan_token_expired"
    dispatcher = CollectingDispatcher()
    await ActionScanReset(backend).run(dispatcher, make_tracker("x", metadata={"scan_token": forged}), domain())
    assert dispatcher.messages[0]["response"] == "utter_scan_intro"
    assert scan.school_scans(backend.uow(), team.school_id) == []


async def test_stopped_or_all_skipped_scan_says_so_and_saves_nothing(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    token = token_for(backend, team.school_id)
    messages = await submit(backend, finished({"scan_token": token}, scan_stopped=True))
    assert [m["response"] for m in messages] == ["utter_scan_stopped"]
    messages = await submit(backend, finished({"scan_token": token}, **{slot: SKIPPED for slot in SLOTS}))
    assert [m["response"] for m in messages] == ["utter_scan_all_skipped"]
    assert scan.school_scans(backend.uow(), team.school_id) == []


async def test_database_failure_never_says_saved(backend, monkeypatch):
    from sqlalchemy.exc import OperationalError

    team = create_team(backend.uow(), "School A", "Team 1")

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(scan, "save_scan", broken)
    messages = await submit(backend, finished({"scan_token": token_for(backend, team.school_id)}))
    assert messages[-1]["response"] == "utter_scan_save_failed"


# ---------------------------------------------------------------- feedback


def knowledge_tracker(topic: str, team_code: str | None, **slots: Any) -> Tracker:
    tracker = make_tracker("vraag", {"team_code": team_code, "kennis_sinds_vraag": 0, **slots}, intent="kennis")
    tracker.latest_message["response_selector"] = {"kennis": {"response": {"intent_response_key": f"kennis/{topic}"}}}
    tracker.active_loop = {}
    return tracker


async def run(action, tracker: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain())
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


async def test_first_knowledge_answer_asks_for_feedback_the_next_one_does_not(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    slots, messages = await run(ActionTelOnderwerp(backend), knowledge_tracker("amplitie", team.code))
    assert [m["response"] for m in messages] == ["utter_feedback_vraag"]
    assert messages[0]["onderwerp"] == "amplitie"
    assert slots["feedback_open"] == ["amplitie"] and slots["feedback_onderwerp"] == "amplitie"
    later = knowledge_tracker("werkdruk", team.code, feedback_gevraagd=["amplitie"], kennis_sinds_vraag=0)
    slots, messages = await run(ActionTelOnderwerp(backend), later)
    assert messages == [] and slots["kennis_sinds_vraag"] == 1 and slots["feedback_onderwerp"] is None


async def test_the_asked_question_has_buttons_with_the_topic(backend):
    dutch, english = domain()["responses"]["utter_feedback_vraag"]  # Dutch, and English for the language slot
    assert english["condition"] == [{"type": "slot", "name": "language", "value": "en"}]
    for response in (dutch, english):
        payloads = [b["payload"] for b in response["buttons"]]
        assert payloads == [
            '/feedback_goed{{"onderwerp":"{onderwerp}"}}',
            '/feedback_slecht{{"onderwerp":"{onderwerp}"}}',
        ]


def feedback_tracker(intent: str, topic: str | None, team_code: str, **slots: Any) -> Tracker:
    tracker = make_tracker("x", {"team_code": team_code, **slots}, intent=intent)
    if topic:
        tracker.latest_message["entities"] = [{"entity": "onderwerp", "value": topic}]
    return tracker


def counts(backend: Backend) -> list[tuple[str, int, int]]:
    with backend.uow() as uow:
        rows = uow.session.query(FeedbackCount).all()
        return [(r.topic, r.helpful, r.not_helpful) for r in rows]


async def test_thumbs_are_counted_once_and_a_thumbs_down_asks_what_was_missing(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    tracker = feedback_tracker("feedback_slecht", "werkdruk", team.code, feedback_open=["werkdruk"])
    slots, messages = await run(ActionFeedback(backend), tracker)
    assert [m["response"] for m in messages] == ["utter_feedback_wat_miste"]
    assert slots["feedback_open"] == []
    # The same button clicked again: thanked, not counted twice.
    tracker = feedback_tracker("feedback_slecht", "werkdruk", team.code, feedback_open=[])
    _, messages = await run(ActionFeedback(backend), tracker)
    assert [m["response"] for m in messages] == ["utter_feedback_al_gegeven"]
    assert counts(backend) == [("werkdruk", 0, 1)]


async def test_typed_yes_counts_only_for_the_question_just_asked(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    tracker = feedback_tracker("affirm", None, team.code, feedback_open=["amplitie"], feedback_onderwerp="amplitie")
    _, messages = await run(ActionFeedback(backend), tracker)
    assert [m["response"] for m in messages] == ["utter_feedback_dank"]
    tracker = feedback_tracker("deny", None, team.code, feedback_open=["werkdruk"], feedback_onderwerp=None)
    _, messages = await run(ActionFeedback(backend), tracker)
    assert [m["response"] for m in messages] == ["utter_nee_na_antwoord"]
    assert counts(backend) == [("amplitie", 1, 0)]


async def test_follow_up_button_answer_can_ask_too(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    tracker = make_tracker("x", {"team_code": team.code, "onderwerp": "piramide", "kennis_sinds_vraag": 0})
    slots, messages = await run(ActionKennisVervolg(backend), tracker)
    assert [m["response"] for m in messages] == ["utter_kennis/piramide", "utter_feedback_vraag"]
    assert slots["feedback_gevraagd"] == ["piramide"]


async def test_feedback_without_a_team_is_thanked_but_not_counted(backend):
    tracker = feedback_tracker("feedback_goed", "amplitie", None, feedback_open=["amplitie"])
    _, messages = await run(ActionFeedback(backend), tracker)
    assert [m["response"] for m in messages] == ["utter_feedback_dank"]
    assert counts(backend) == [] and feedback.school_feedback(backend.uow(), 1, backend.settings.min_group).shown == []


async def test_slots_cleared_by_the_reset_are_not_answers(backend):
    # rasa_sdk validates every slot set since the last message, including the reset's Nones.
    cleared = {slot: None for slot in SLOTS} | {"scan_stopped": None, "scan_unclear": 0}
    tracker = make_tracker("ik wil de fundament-scan doen", {"requested_slot": None}, extracted=cleared)
    tracker.active_loop = {"name": "fundament_scan_form"}
    slots, responses = await validate(backend, tracker)
    assert responses == []
    assert all(slots.get(slot) is None for slot in SLOTS) and not slots.get("scan_stopped")
