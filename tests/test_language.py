"""The conversation language: detection (bot/rasa_nlu/language.py), the slot and the English variations."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import vocabulary
from bot.rasa_nlu.language import (
    DEFAULT,
    DUTCH,
    ENGLISH,
    LanguageDetectorComponent,
    build_detector,
    current_language,
    detect,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def detector():
    return build_detector()


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


SHORT_OR_AMBIGUOUS = ["ok", "4", "ja", "nee", "hoi", "thanks", "bron?", "oké", "👍", "", "3 of 4"]
DUTCH_MESSAGES = [
    "wat is amplitie?",
    "hoe hoog is de werkdruk in het onderwijs",
    "waarom stoppen zoveel beginnende leraren?",
    "onze nieuwe collega's zijn zo weer weg",
    "kun je daar meer over vertellen?",
    "van wie komt dat?",
    "ik wil inchecken",
    "Nederlands graag",
    "wat bedoel je met cyclisch?",
    "en tussen po en vo?",
]
ENGLISH_MESSAGES = [
    "What is amplitie?",
    "how high is the workload in education?",
    "why do teachers quit?",
    "as a school leader, how much do I matter for my team?",
    "our new colleagues leave quickly",
    "who made that model?",
    "where does it say that?",
    "I want to check in",
    "can you answer in English?",
    "what do you mean by cyclical?",
    "and red?",
]
# Dutch messages full of English terms the knowledge base uses: never English.
DUTCH_WITH_ENGLISH_TERMS = [
    "wat is de healthy mind platter?",
    "healthy mind platter in de klas",
    "sleep time focus time play time",
    "onboarding proces op school",
    "self-efficacy en teamefficacy",
    "hey hoi",
    "aha thanks",
    "top, thanks voor de info",
    "wat is collective efficacy",
    "nip whitepaper burn-out",
]


@pytest.mark.parametrize("text", SHORT_OR_AMBIGUOUS)
def test_short_and_ambiguous_messages_keep_the_language(detector, text):
    assert detect(text, detector) is None


@pytest.mark.parametrize("text", DUTCH_MESSAGES)
def test_dutch_messages_are_dutch(detector, text):
    assert detect(text, detector) == DUTCH


@pytest.mark.parametrize("text", ENGLISH_MESSAGES)
def test_english_messages_are_english(detector, text):
    assert detect(text, detector) == ENGLISH


@pytest.mark.parametrize("text", DUTCH_WITH_ENGLISH_TERMS)
def test_english_terms_in_dutch_never_switch_to_english(detector, text):
    assert detect(text, detector) != ENGLISH


def tracker_in(language: str | None, rasa_domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("s1", [], slots=rasa_domain.slots)
    if language:
        tracker.slots["language"].value = language
    return tracker


def parse(component: LanguageDetectorComponent, text: str, tracker, intent: str = "kennis") -> list[dict]:
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.9}})
    component.process([message], tracker)
    return [e for e in message.get(ENTITIES) or [] if e["entity"] == "language"]


@pytest.fixture(scope="module")
def component(detector):
    return LanguageDetectorComponent(detector)


def test_an_entity_only_when_the_language_changes(component, rasa_domain):
    dutch, english = tracker_in(DUTCH, rasa_domain), tracker_in(ENGLISH, rasa_domain)
    text = "why do teachers quit?"
    assert parse(component, text, dutch) == [
        {"entity": "language", "value": "en", "start": 0, "end": len(text), "extractor": "LanguageDetectorComponent"}
    ]
    assert parse(component, text, english) == []
    assert parse(component, "waarom stoppen leraren?", english)[0]["value"] == "nl"
    assert parse(component, "waarom stoppen leraren?", dutch) == []
    assert parse(component, "ok", english) == [] and parse(component, "4", dutch) == []


def test_an_empty_tracker_is_dutch(component, rasa_domain):
    """NLU-only parsing (rasa test, the evaluation) passes an empty tracker: Dutch, the default."""
    empty = DialogueStateTracker.from_events("s1", [])
    assert current_language(empty) == DUTCH and current_language(None) == DUTCH
    assert parse(component, "waarom stoppen leraren?", empty) == []
    assert parse(component, "why do teachers quit?", empty)[0]["value"] == "en"


def test_asking_for_a_language_switches_whatever_the_words(component, rasa_domain):
    dutch, english = tracker_in(DUTCH, rasa_domain), tracker_in(ENGLISH, rasa_domain)
    assert parse(component, "English please", dutch, intent="taal_engels")[0]["value"] == "en"
    assert parse(component, "can we speak Dutch?", english, intent="taal_nederlands")[0]["value"] == "nl"
    assert parse(component, "kun je in het Engels antwoorden?", dutch, intent="taal_engels")[0]["value"] == "en"


def test_detection_is_fast(component, rasa_domain):
    """It runs on every message; the detector (models preloaded) is built once, in create()."""
    tracker = tracker_in(DUTCH, rasa_domain)
    messages = (DUTCH_MESSAGES + ENGLISH_MESSAGES) * 50
    start = time.perf_counter()
    for text in messages:
        parse(component, text, tracker)
    per_message = (time.perf_counter() - start) / len(messages)
    assert per_message < 0.002, f"{per_message * 1000:.2f} ms per message"


def test_the_slot_reads_the_entity_and_defaults_to_dutch(rasa_domain):
    [slot] = [s for s in rasa_domain.slots if s.name == "language"]
    assert slot.initial_value == "nl" and not slot.influence_conversation
    assert slot.mappings == [{"type": "from_entity", "entity": "language"}]
    assert "language" in rasa_domain.entities


def test_the_component_runs_last_in_the_pipeline():
    pipeline = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    assert pipeline[-1] == "bot.rasa_nlu.language.LanguageDetectorComponent"
    assert pipeline.index("bot.rasa_nlu.input_guard.InputGuard") < pipeline.index(pipeline[-1])


def chosen(rasa_domain: Domain, response: str, **slots) -> list[dict]:
    return ResponseVariationFilter(rasa_domain.responses).responses_for_utter_action(response, "rest", slots)


def is_english(variation: dict) -> bool:
    return any(c["name"] == "language" and c["value"] == "en" for c in variation.get("condition") or [])


def test_exactly_one_language_is_chosen_for_every_response(rasa_domain):
    """With Rasa's own filter: an English variation where one exists, never Dutch and English mixed.

    Every combination of the values the conditions of a response test is tried. Never more English
    variations to choose from than Dutch ones: that means an English text was filed under the wrong
    response, and Rasa would pick among them at random (say, the wrong check-in compliment).
    """
    for name, variations in rasa_domain.responses.items():
        others: dict[str, set] = {}
        for v in variations:
            for c in v.get("condition") or []:
                if c["name"] != "language":
                    others.setdefault(c["name"], {None}).add(c["value"])
        combos = [{}]
        for slot, values in others.items():
            combos = [{**combo, slot: value} for combo in combos for value in values]
        has_english = any(is_english(v) for v in variations)
        for combo in combos:
            dutch = chosen(rasa_domain, name, language="nl", **combo)
            assert not any(is_english(v) for v in dutch), (name, combo)
            english = chosen(rasa_domain, name, language="en", **combo)
            complete = all(value is not None for value in combo.values())
            if has_english and complete:
                assert english and all(is_english(v) for v in english), (name, combo)
                assert len(english) <= len(dutch), (name, combo)


def test_the_actions_read_the_slots_language_codes():
    """actions/ pass the ``language`` slot to bot/vocabulary.py's language_of: the same codes, Dutch the default."""
    assert (vocabulary.DUTCH, vocabulary.ENGLISH) == (DUTCH, ENGLISH) and DEFAULT == DUTCH
    assert vocabulary.language_of(ENGLISH) == ENGLISH
    assert vocabulary.language_of(DUTCH) == vocabulary.language_of(None) == vocabulary.language_of("fr") == DUTCH
    assert vocabulary.in_language(ENGLISH, "ja", "yes") == "yes" and vocabulary.in_language(None, "ja", "yes") == "ja"


MAIN_RESPONSES = [
    *(
        f"utter_kennis/{t}"
        for t in (
            "programma",
            "werkdruk",
            "uitval",
            "amplitie",
            "amplitie_zelf",
            "amplitie_team",
            "amplitie_leiding",
            "amplitie_organisatie",
            "fundament",
            "piramide",
            "healthy_mind_platter",
            "meer_info",
        )
    ),
    "utter_greet",
    "utter_goodbye",
    "utter_thanks",
    "utter_bot_capabilities",
    "utter_out_of_scope",
    "utter_default",
    "utter_ask_rephrase",
    "utter_ask_consent",
    *(f"utter_ask_{d}" for d in ("energie", "werkdruk", "verbinding", "waardering", "plezier")),
]


@pytest.mark.parametrize("name", MAIN_RESPONSES)
def test_the_main_responses_have_english_with_the_same_buttons(rasa_domain, name):
    variations = rasa_domain.responses[name]
    dutch = [v for v in variations if not is_english(v)]
    english = [v for v in variations if is_english(v)]
    assert english, name

    def payloads(group):
        return {tuple(b["payload"] for b in v.get("buttons") or []) for v in group}

    assert payloads(english) <= payloads(dutch), name  # same payloads: the parser and rules keep working
