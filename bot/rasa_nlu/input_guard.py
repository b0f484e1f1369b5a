"""Last NLU component: safety and empty-input overrides that never depend on the model.

1. A message matching the crisis patterns (bot.text.crisis) gets intent ``crisis`` with
   confidence 1.0, whatever the model said. The 113 answer itself is a rule with a plain
   response, so it works while the action server or the database is down.
2. An empty message (only white space, control characters or punctuation) gets intent
   ``leeg_bericht``, answered with a friendly Dutch hint instead of a guess.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text.crisis import is_crisis

CRISIS_INTENT = "crisis"
EMPTY_INTENT = "leeg_bericht"


def is_empty(text: str | None) -> bool:
    """True when nothing readable is left: white space, control or punctuation characters only."""
    return not any(unicodedata.category(ch)[0] in {"L", "N", "S"} for ch in text or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(GraphComponent):
    """Forces ``crisis`` or ``leeg_bericht`` where the text says so."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "InputGuard":
        return cls()

    @staticmethod
    def _force(message: Message, intent: str) -> None:
        forced = {"name": intent, "confidence": 1.0}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if is_crisis(text):
                self._force(message, CRISIS_INTENT)
            elif is_empty(text):
                self._force(message, EMPTY_INTENT)
        return messages
