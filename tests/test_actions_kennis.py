"""Knowledge and fallback actions with real rasa_sdk objects."""

from __future__ import annotations

import re

import pytest
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


FALLBACK_MESSAGE = {
    "text": "something about leaders and amplitie?",
    "intent": {"name": "nlu_fallback"},
    "intent_ranking": [{"name": "nlu_fallback"}, {"name": "kennis"}, {"name": "checkin_start"}],
    "response_selector": selector("amplitie_leiding", "fundament_leiderschap"),
}


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        ("nl", ["Amplitie: rol van leidinggevenden", "Sterk leiderschap", "Wekelijkse check-in doen", "Iets anders"]),
        (None, ["Amplitie: rol van leidinggevenden", "Sterk leiderschap", "Wekelijkse check-in doen", "Iets anders"]),
        ("en", ["Amplitie: the role of leaders", "Strong leadership", "Do the weekly check-in", "Something else"]),
    ],
)
async def test_fallback_buttons_speak_the_conversations_language_with_the_same_payloads(backend, language, titles):
    dispatcher = CollectingDispatcher()
    tracker = tracker_with(FALLBACK_MESSAGE, {"language": language})
    await ActionDefaultAskAffirmation(backend).run(dispatcher, tracker, domain())
    [msg] = dispatcher.messages
    assert msg["response"] == "utter_ask_affirmation"
    assert [b["title"] for b in msg["buttons"]] == titles
    assert [b["payload"] for b in msg["buttons"]] == [
        '/kennis_vervolg{"onderwerp":"amplitie_leiding"}',
        '/kennis_vervolg{"onderwerp":"fundament_leiderschap"}',
        "/checkin_start",
        "/out_of_scope",
    ]


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


#: The last line of a knowledge answer names its source, in the language of the variation.
SOURCE_LINE = {None: "Bron: ", "en": "Source: "}


def language_of(variation: dict) -> str | None:
    """None for the Dutch default; else the ``language`` slot value the variation is for."""
    conditions = variation.get("condition") or []
    return next((c["value"] for c in conditions if c.get("name") == "language"), None)


def test_every_topic_has_an_answer_with_a_source_and_follow_ups():
    from bot.services.catalogue import topic_labels

    responses = domain()["responses"]
    for key in topic_labels():
        variations = responses[f"utter_kennis/{key}"]
        assert [language_of(v) for v in variations].count(None) == 1, key  # one Dutch default
        targets_by_language = {}
        for answer in variations:
            language = language_of(answer)
            body, _, source = answer["text"].rpartition("\n")
            assert source.startswith(SOURCE_LINE[language]), (key, language)
            assert len(body.split()) <= 95, (key, language)
            buttons = answer.get("buttons", [])
            assert 1 <= len(buttons) <= 3, (key, language)
            targets = [button["payload"].split('"onderwerp":"')[1].split('"')[0] for button in buttons]
            assert all(t in topic_labels() and t != key for t in targets), (key, language)
            targets_by_language[language] = targets
        # Every language offers the same follow-ups (the payloads stay Dutch for the parser).
        assert all(t == targets_by_language[None] for t in targets_by_language.values()), key


def vervolg_responses() -> set[str]:
    """The responses bot/text/vervolg.py names at run time for a follow-up about the last topic."""
    from bot.services.catalogue import topic_labels
    from bot.text import vervolg

    names = {vervolg.NO_TOPIC, vervolg.NOTHING}
    for topic in topic_labels():
        names |= {name for kind in vervolg.KINDS for name in vervolg.response_names(kind, topic)}
        names |= {element.response for element in vervolg.elements_of(topic)}
    return names


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
    from bot.text import vervolg

    used |= {vervolg.NO_TOPIC, vervolg.NOTHING}  # said when a follow-up has no topic or no answer
    assert used - responses == set()
    used |= vervolg_responses()  # the most specific that exists is given; the others are fallbacks
    forms = {f"utter_ask_{slot}" for form in domain()["forms"].values() for slot in form["required_slots"]}
    builtin = {"utter_ask_rephrase", "utter_default", "utter_ask_affirmation", "utter_affirmation_none"}
    unused = {
        r for r in responses if not r.startswith("utter_kennis/") and r not in used | forms | builtin and r not in rules
    }
    assert unused == set()


# ---------------------------------------------------------------- follow-up questions (bot/text/vervolg.py)


async def follow_up(backend, intent: str, text: str, last_topic: str | None) -> tuple[list[str], dict]:
    """Run action_kennis_vervolg for a follow-up question; the responses said and the slots set."""
    dispatcher = CollectingDispatcher()
    tracker = tracker_with({"text": text, "intent": {"name": intent}}, {"laatste_onderwerp": last_topic})
    events = await ActionKennisVervolg(backend).run(dispatcher, tracker, domain())
    return [m["response"] for m in dispatcher.messages], {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_a_knowledge_answer_remembers_its_topic_and_anything_else_forgets_it(backend):
    message = {"text": "vraag", "intent": {"name": "kennis"}, "response_selector": selector("werkdruk")}
    events = await ActionTelOnderwerp(backend).run(CollectingDispatcher(), tracker_with(message), domain())
    assert {"event": "slot", "name": "laatste_onderwerp", "value": "werkdruk", "timestamp": None} in events
    for intent in ("out_of_scope", "nlu_fallback"):
        events = await ActionTelOnderwerp(backend).run(
            CollectingDispatcher(), tracker_with({"text": "x", "intent": {"name": intent}}), domain()
        )
        assert [e["value"] for e in events if e.get("name") == "laatste_onderwerp"] == [None]
    dispatcher = CollectingDispatcher()
    events = await ActionKennisVervolg(backend).run(
        dispatcher, tracker_with({"text": "/kennis_vervolg"}, {"onderwerp": "piramide"}), domain()
    )
    assert [e["value"] for e in events if e.get("name") == "laatste_onderwerp"] == ["piramide"]


@pytest.mark.parametrize(
    "intent, text, topic, expected",
    [
        ("vervolg_bron", "bron?", "werkdruk", "utter_vervolg_bron_werkdruk"),
        ("vervolg_bron", "waar staat dat?", "amplitie_leiding", "utter_vervolg_bron_amplitie"),
        ("vervolg_bron", "bron?", "fundament_visie", "utter_vervolg_bron_fundament"),
        ("vervolg_bron", "bron?", "programma_doelgroep", "utter_vervolg_bron_programma"),
        (
            "vervolg_herkomst",
            "who made that model?",
            "healthy_mind_platter",
            "utter_vervolg_herkomst_healthy_mind_platter",
        ),
        ("vervolg_herkomst", "van wie komt dat?", "uitval", "utter_vervolg_bron_uitval"),  # the source says who
        ("vervolg_meer", "meer daarover", "amplitie", "utter_vervolg_meer_amplitie"),
        ("vervolg_meer", "tell me more", "fundament_techniek", "utter_vervolg_meer_fundament"),
        ("vervolg_voorbeeld", "een voorbeeld?", "piramide", "utter_vervolg_voorbeeld_piramide"),
        ("vervolg_voorbeeld", "een voorbeeld?", "werkdruk", "utter_vervolg_niets"),  # none in the source: said so
        ("vervolg_onderdeel", "en rood?", "piramide", "utter_vervolg_onderdeel_piramide_rood"),
        ("vervolg_onderdeel", "and red, what does that mean?", "piramide", "utter_vervolg_onderdeel_piramide_rood"),
        ("vervolg_onderdeel", "en tussen po en vo?", "werkdruk", "utter_vervolg_onderdeel_werkdruk_sector"),
        (
            "vervolg_onderdeel",
            "and between primary and secondary?",
            "werkdruk",
            "utter_vervolg_onderdeel_werkdruk_sector",
        ),
        ("vervolg_onderdeel", "en de docenten?", "werkdruk", "utter_vervolg_onderdeel_werkdruk_functie"),
        (
            "vervolg_onderdeel",
            "wat bedoel je met cyclisch?",
            "fundament",
            "utter_kennis/fundament_waarderingsgesprekken",
        ),
        (
            "vervolg_onderdeel",
            "wat bedoel je met cyclisch?",
            "werkdruk",
            "utter_kennis/fundament_waarderingsgesprekken",
        ),
        ("vervolg_onderdeel", "en de leidinggevenden?", "amplitie", "utter_kennis/amplitie_leiding"),
        ("vervolg_onderdeel", "en het derde punt?", "uitval", "utter_vervolg_onderdeel_uitval_school"),
        ("vervolg_onderdeel", "and the last reason?", "uitval", "utter_vervolg_onderdeel_uitval_relaties"),
        (
            "vervolg_onderdeel",
            "en down time?",
            "healthy_mind_platter",
            "utter_vervolg_onderdeel_healthy_mind_platter_down",
        ),
        ("vervolg_onderdeel", "en de school zelf?", "uitval", "utter_vervolg_onderdeel_uitval_school"),
        ("vervolg_onderdeel", "en paars?", "piramide", "utter_vervolg_welk_onderdeel"),
        ("vervolg_bron", "bron?", None, "utter_vervolg_geen_onderwerp"),
        ("vervolg_onderdeel", "en rood?", None, "utter_vervolg_onderdeel_piramide_rood"),  # a distinctive word
        ("vervolg_meer", "meer daarover", "<script>", "utter_vervolg_geen_onderwerp"),
        # more about, or an example of, one named element is that element's answer
        ("vervolg_meer", "wat houdt onboarding daar precies in?", "fundament", "utter_kennis/fundament_onboarding"),
        ("vervolg_meer", "vertel eens meer over rood", "piramide", "utter_vervolg_onderdeel_piramide_rood"),
        ("vervolg_voorbeeld", "an example for the leaders?", "amplitie", "utter_kennis/amplitie_leiding"),
        ("vervolg_meer", "meer over het tweede punt", "piramide", "utter_vervolg_meer_piramide"),  # no name: the topic
    ],
)
async def test_a_follow_up_gets_the_answer_for_the_last_topic(backend, intent, text, topic, expected):
    said, _ = await follow_up(backend, intent, text, topic)
    assert said == [expected]


async def test_an_element_with_its_own_answer_becomes_the_topic_and_nothing_is_counted(backend):
    team = create_team(backend.uow(), "School A", "Team 1")
    dispatcher = CollectingDispatcher()
    tracker = tracker_with(
        {
            "text": "wat bedoel je met cyclisch?",
            "intent": {"name": "vervolg_onderdeel"},
            "metadata": {"team_code": team.code},
        },
        {"laatste_onderwerp": "fundament"},
    )
    events = await ActionKennisVervolg(backend).run(dispatcher, tracker, domain())
    assert [e["value"] for e in events if e.get("name") == "laatste_onderwerp"] == ["fundament_waarderingsgesprekken"]
    _, slots = await follow_up(backend, "vervolg_onderdeel", "en geel?", "piramide")
    assert slots == {"laatste_onderwerp": "piramide"}
    _, slots = await follow_up(backend, "vervolg_bron", "bron?", "werkdruk")
    assert slots == {}
    assert topic_counts(backend) == {}  # a follow-up is no new topic


def test_every_element_answer_exists_and_every_follow_up_answer_has_english_and_a_source():
    from bot.text import vervolg

    responses = domain()["responses"]
    assert {e.response for e in vervolg.ELEMENTS} <= set(responses)
    for name in [r for r in responses if r.startswith("utter_vervolg_")]:
        variations = responses[name]
        assert sorted(str(language_of(v)) for v in variations) == ["None", "en"], name
        for variation in variations:
            for button in variation.get("buttons", []):
                assert button["payload"].startswith("/kennis_vervolg{{"), name
        dutch, english = (v["text"].rpartition("\n")[2] for v in sorted(variations, key=lambda v: bool(language_of(v))))
        if dutch.startswith("Bron: "):  # a fact is followed by its source, in both languages
            assert english.startswith("Source: ") and same_source(dutch, english), name


#: The few words a source line translates; titles and names stay as published.
SOURCE_WORDS = {"Bron:": "Source:", "en": "and", "presentatie": "talk", "oktober": "October"}


def same_source(dutch: str, english: str) -> bool:
    return re.sub(r"[\w:]+", lambda m: SOURCE_WORDS.get(m.group(), m.group()), dutch) == english


def test_english_knowledge_answers_name_the_same_source():
    from bot.services.catalogue import topic_labels

    responses = domain()["responses"]
    for key in topic_labels():
        by_language = {language_of(v): v["text"].rpartition("\n")[2] for v in responses[f"utter_kennis/{key}"]}
        assert same_source(by_language[None], by_language["en"]), key
