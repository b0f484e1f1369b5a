"""NLU component that forces the ``crisis`` intent when a safety pattern matches.

Placed last in the pipeline (after FallbackClassifier), so it overrides any intent and
any confidence: the 113 answer never depends on the model. The answer itself is a rule
with a plain response, so it works while the action server or the database is down.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text.crisis import is_crisis

CRISIS_INTENT = "crisis"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CrisisGuard(GraphComponent):
    """Sets intent ``crisis`` with confidence 1.0 for messages matching bot.text.crisis."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CrisisGuard":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if is_crisis(message.get(TEXT)):
                forced = {"name": CRISIS_INTENT, "confidence": 1.0}
                message.set(INTENT, forced, add_to_output=True)
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != CRISIS_INTENT]
                message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        return messages
