"""Rasa's response generator, with the privacy numbers of this deployment filled in.

Responses in domain/ may say ``{min_group}`` (the smallest group whose figures are shown),
so the consent and capabilities texts always state the number the dashboard applies.
Each response also says its language (``lang``: "nl", or "en" for a ``language = en``
variation), so the widget can label links and its own buttons in the language of the answer.
Everything else is Rasa's own templated generator (endpoints.yml: ``nlg: type:``). It runs
in the Rasa process, so these texts need neither the action server nor the database.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from bot.settings import Settings
from bot.vocabulary import DUTCH, ENGLISH


class SettingsNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's templated responses plus the values of :meth:`values` as fill-ins."""

    def __init__(self, endpoint_config: Any = None, domain: Domain | None = None, settings: Settings | None = None):
        super().__init__((domain or Domain.empty()).responses)
        self.fill_ins = self.values(settings or Settings.from_env())

    @staticmethod
    def values(settings: Settings) -> dict[str, Any]:
        return {"min_group": settings.min_group}

    def generate_from_slots(
        self, utter_action: str, filled_slots: dict[str, Any], output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        response = super().generate_from_slots(
            utter_action, filled_slots, output_channel, **{**self.fill_ins, **kwargs}
        )
        if response is not None:
            # Rasa keeps the chosen variation's condition; extra keys reach the channel as metadata.
            response["lang"] = self.language_of(response.get("condition"))
        return response

    @staticmethod
    def language_of(condition: Any) -> str:
        """English for a variation with the condition ``language = en`` (alone or among others), else Dutch."""
        for part in condition if isinstance(condition, list) else ():
            if isinstance(part, dict) and part.get("type") == "slot" and part.get("name") == "language":
                return ENGLISH if part.get("value") == ENGLISH else DUTCH
        return DUTCH
