"""Two-stage fallback: offer the most likely topics as buttons with readable labels (Dutch or English)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BackendAction
from bot.services.catalogue import intent_labels, topic_labels
from bot.text.domain import text_in

MAX_CANDIDATES = 3


def candidate_buttons(message: dict[str, Any], language: str | None = None) -> list[dict[str, str]]:
    """Buttons for the best candidates: knowledge topics from the ResponseSelector, other intents.

    Titles are in the conversation's ``language`` (the slot; Dutch unless "en"); payloads never change.
    """
    labels = topic_labels(language)
    intents = intent_labels(language)
    buttons: list[dict[str, str]] = []
    for item in message.get("intent_ranking") or []:
        name = item.get("name")
        if name == "kennis":
            ranking = (message.get("response_selector") or {}).get("kennis", {}).get("ranking") or []
            for candidate in ranking[:2]:
                key = (candidate.get("intent_response_key") or "").partition("/")[2]
                if key in labels:
                    payload = f'/kennis_vervolg{{"onderwerp":"{key}"}}'
                    buttons.append({"title": labels[key], "payload": payload})
        elif name in intents:
            buttons.append({"title": intents[name], "payload": f"/{name}"})
        if len(buttons) >= MAX_CANDIDATES:
            break
    return buttons[:MAX_CANDIDATES]


class ActionDefaultAskAffirmation(BackendAction):
    """First stage of the two-stage fallback: "Bedoel je ...?" with the top candidates."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language")
        buttons = candidate_buttons(tracker.latest_message or {}, language)
        if not buttons:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        # "Iets anders" sends out_of_scope, which Rasa's two-stage fallback reads as "no".
        other = text_in("utter_affirmation_none", language)
        buttons.append({"title": other, "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []
