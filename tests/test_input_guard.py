"""The last NLU component: crisis and empty input override whatever the model predicted."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_nlu.input_guard import InputGuard, is_empty


def predicted(text: str, intent: str = "kennis", confidence: float = 0.97) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}], add_to_output=True)
    return message


@pytest.mark.parametrize("text", ["ik zie het niet meer zitten", "Ik wil dood.", "ik wil er een eind aan maken"])
def test_crisis_overrides_a_confident_model(text):
    [message] = InputGuard().process([predicted(text, "greet", 0.99)])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "crisis"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x07", "?!...", "\u202e"])
def test_empty_input_gets_its_own_intent(text):
    assert is_empty(text)
    [message] = InputGuard().process([predicted(text, "out_of_scope", 0.4)])
    assert message.get("intent")["name"] == "leeg_bericht"


@pytest.mark.parametrize("text", ["wat is amplitie", "😊", "/checkin_start", "werkdruk is hoog", "3 collega's ziek"])
def test_ordinary_messages_are_left_alone(text):
    [message] = InputGuard().process([predicted(text)])
    assert message.get("intent")["name"] == "kennis"


BARE = ["4", " Vier! ", "een 2", "3/5", "4 van de 5", "8", "4\ufe0f\u20e3", "één", "five", "zesje"]
NOT_BARE = ["een", "ik geef het een 4", "2024", "3,5", "4 4", "4e", "week 4", "1 op de 5 leraren"]


@pytest.mark.parametrize("text", BARE)
def test_a_bare_number_gets_its_own_intent(text):
    [message] = InputGuard().process([predicted(text, "kennis", 0.61)])
    assert message.get("intent") == {"name": "los_cijfer", "confidence": 1.0}


@pytest.mark.parametrize("text", NOT_BARE)
def test_a_number_with_more_to_it_is_not_bare(text):
    [message] = InputGuard().process([predicted(text)])
    assert message.get("intent")["name"] != "los_cijfer"


def test_tiredness_is_distress_not_crisis():
    [message] = InputGuard().process([predicted("ik ben doodmoe")])
    assert message.get("intent")["name"] == "steun"


@pytest.mark.parametrize(
    "text",
    [
        "heb ik recht op een vergoeding als ik door de werkdruk veel overwerk?",
        "kan een burn-out erkend worden als beroepsziekte",
        "mag mijn directeur mij verplichten om met een burn-out naar de bedrijfsarts te gaan?",
        "am I entitled to compensation for the stress of overtime?",
    ],
)
@pytest.mark.parametrize("guess", ["nlu_fallback", "out_of_scope"])
def test_a_question_about_rights_with_a_distress_word_is_no_distress(text, guess):
    [message] = InputGuard().process([predicted(text, guess, 0.5)])
    assert message.get("intent")["name"] == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    ["ik ben zo moe, heb ik nog recht op hulp?", "I'm exhausted, am I entitled to anything?"],
)
def test_own_distress_with_a_rights_word_is_still_distress(text):
    [message] = InputGuard().process([predicted(text, "nlu_fallback", 0.5)])
    assert message.get("intent")["name"] == "steun"


@pytest.mark.parametrize(
    ("text", "guess"),
    [
        ("Wat bedoelen ze met down time en play time?", "vervolg_onderdeel"),
        ("and what do they mean by downtime?", "vervolg_onderdeel"),
        ("mijn collega zit overspannen thuis, mag ik een kaartje sturen of is dat te veel?", "steun_ander"),
    ],
)
def test_words_that_only_look_like_distress_leave_the_guess(text, guess):
    [message] = InputGuard().process([predicted(text, guess, 0.9)])
    assert message.get("intent")["name"] == guess


def test_dread_of_school_guessed_as_crisis_is_distress():
    text = "na dat gesprek met die boze moeder durf ik haast niet meer naar mijn werk"
    [message] = InputGuard().process([predicted(text, "crisis", 0.4)])
    assert message.get("intent")["name"] == "steun"


@pytest.mark.parametrize("text", ["is KiVa goed?", "klopt de cao po nog?", "nee toch, de werkdrukmiddelen zijn op?"])
@pytest.mark.parametrize("guess", ["affirm", "deny"])
def test_a_yes_or_no_guess_on_a_near_domain_question_is_out_of_scope(text, guess):
    [message] = InputGuard().process([predicted(text, guess, 0.8)])
    assert message.get("intent")["name"] == "out_of_scope"


@pytest.mark.parametrize("text", ["ja", "ja hoor, graag", "nee dank je"])
def test_a_plain_yes_or_no_stays(text):
    [message] = InputGuard().process([predicted(text, "affirm", 0.9)])
    assert message.get("intent")["name"] == "affirm"
