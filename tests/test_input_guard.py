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


@pytest.mark.parametrize("text", ["wat is amplitie", "4", "😊", "/checkin_start", "werkdruk is hoog"])
def test_ordinary_messages_are_left_alone(text):
    [message] = InputGuard().process([predicted(text)])
    assert message.get("intent")["name"] == "kennis"


def test_tiredness_is_distress_not_crisis():
    [message] = InputGuard().process([predicted("ik ben doodmoe")])
    assert message.get("intent")["name"] == "steun"
