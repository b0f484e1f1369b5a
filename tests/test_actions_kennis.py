"""Knowledge and fallback actions with real rasa_sdk objects."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.fallback import ActionDefaultAskAffirmation
from actions.kennis import ActionKennisVervolg, ActionTelOnderwerp
from bot.backend import Backend
from bot.services.teams import create_team
from bot.storage.models import TopicCount
from tests.test_actions_checkin import domain


def tracker_with(message: dict, slots: dict | None = None) -> Tracker:
    all_slots = {name: None for name in domain()["slots"]}
    all_slots.update(slots or {})
    return Tracker("s1", all_slots, message, [], False, None, {}, "action_listen")


def topic_counts(backend: Backend) -> dict[str, int]:
    """Every topic counter in the database (for all teams and weeks)."""
    with backend.uow() as uow:
        return {r.topic: r.count for r in uow.session.execute(select(TopicCount)).scalars()}


def selector(*keys: str) -> dict:
    ranking = [{"intent_response_key": f"kennis/{k}", "confidence": 0.5} for k in keys]
    return {"kennis": {"response": ranking[0], "ranking": ranking}}


async def test_fallback_offers_top_candidates_with_readable_labels(backend):
    message = {
        "text": "iets over de leiding en amplitie?",
        "intent": {"name": "nlu_fallback"},
        "intent_ranking": [{"name": "nlu_fallback"}, {"name": "kennis"}, {"name": "checkin_start"}, {"name": "greet"}],
        "response_selector": selector("amplitie_leiding", "fundament_leiderschap"),
    }
    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation(backend).run(dispatcher, tracker_with(message), domain())
    [msg] = dispatcher.messages
    titles = [b["title"] for b in msg["buttons"]]
    payloads = [b["payload"] for b in msg["buttons"]]
    assert msg["response"] == "utter_ask_affirmation"
    assert titles[0] != "amplitie_leiding" and "leid" in titles[0].lower()  # a label, not a key
    assert payloads[0] == '/kennis_vervolg{"onderwerp":"amplitie_leiding"}'
    assert payloads[-1] == "/out_of_scope" and titles[-1] == "Iets anders"
    assert len(msg["buttons"]) <= 4 and "/greet" not in payloads


async def test_fallback_without_candidates_asks_to_rephrase(backend):
    dispatcher = CollectingDispatcher()
    message = {"text": "x", "intent": {"name": "nlu_fallback"}, "intent_ranking": [{"name": "greet"}]}
    await ActionDefaultAskAffirmation(backend).run(dispatcher, tracker_with(message), domain())
    assert dispatcher.messages[0]["response"] == "utter_ask_rephrase"


async def test_topics_are_counted_per_team_without_text(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    message = {
        "text": "geheime vraag",
        "intent": {"name": "kennis"},
        "response_selector": selector("werkdruk"),
        "metadata": {"team_code": team.code},
    }
    for _ in range(2):
        await ActionTelOnderwerp(backend).run(CollectingDispatcher(), tracker_with(message), domain())
    oos = {"text": "weer", "intent": {"name": "out_of_scope"}, "metadata": {"team_code": team.code}}
    await ActionTelOnderwerp(backend).run(CollectingDispatcher(), tracker_with(oos), domain())
    assert topic_counts(backend) == {"werkdruk": 2, "buiten_bereik": 1}


async def test_without_team_nothing_is_counted(backend):
    message = {"text": "vraag", "intent": {"name": "kennis"}, "response_selector": selector("werkdruk")}
    await ActionTelOnderwerp(backend).run(CollectingDispatcher(), tracker_with(message), domain())
    assert topic_counts(backend) == {}


async def test_follow_up_button_answers_the_topic_and_refuses_unknown_ones(backend):
    dispatcher = CollectingDispatcher()
    await ActionKennisVervolg(backend).run(
        dispatcher, tracker_with({"text": "/kennis_vervolg"}, {"onderwerp": "uitval"}), domain()
    )
    assert dispatcher.messages[0]["response"] == "utter_kennis/uitval"
    dispatcher = CollectingDispatcher()
    await ActionKennisVervolg(backend).run(dispatcher, tracker_with({"text": "x"}, {"onderwerp": "<script>"}), domain())
    assert dispatcher.messages[0]["response"] == "utter_default"


def test_every_topic_has_an_answer_with_a_source_and_follow_ups():
    from bot.services.catalogue import topic_labels

    responses = domain()["responses"]
    for key in topic_labels():
        [answer] = responses[f"utter_kennis/{key}"]
        body, _, source = answer["text"].rpartition("\n")
        assert source.startswith("Bron: "), key
        assert len(body.split()) <= 95, key
        buttons = answer.get("buttons", [])
        assert 1 <= len(buttons) <= 3, key
        for button in buttons:
            target = button["payload"].split('"onderwerp":"')[1].split('"')[0]
            assert target in topic_labels() and target != key, key


def test_every_response_used_in_code_exists_and_every_response_is_used():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    responses = set(domain()["responses"])
    code = "\n".join(p.read_text() for p in (root / "actions").glob("*.py"))
    rules = "\n".join(p.read_text() for p in (root / "data" / "stories").glob("*.yml"))
    used = set(re.findall(r'"(utter_[a-z_]+)"', code))
    used |= {
        f"utter_checkin_{kind}_{d}"
        for kind in ("sterk", "aandacht")
        for d in ("energie", "werkdruk", "verbinding", "waardering", "plezier")
    }
    used |= {f"utter_scan_piramide_{p}" for p in ("groen_sterk", "groen_zwak", "curatief")}  # ScanSummary.pyramid
    assert used - responses == set()
    forms = {f"utter_ask_{slot}" for form in domain()["forms"].values() for slot in form["required_slots"]}
    builtin = {"utter_ask_rephrase", "utter_default", "utter_ask_affirmation", "utter_affirmation_none"}
    unused = {
        r for r in responses if not r.startswith("utter_kennis/") and r not in used | forms | builtin and r not in rules
    }
    assert unused == set()
