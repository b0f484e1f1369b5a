"""Knowledge answers: follow-up buttons and anonymous topic counters."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BackendAction, known_team_code
from actions.feedback import maybe_ask
from bot.services.catalogue import topic_labels
from bot.services.topics import FALLBACK, OUT_OF_SCOPE, count_topic

logger = logging.getLogger(__name__)


class CountingAction(BackendAction):
    def count(self, tracker: Tracker, topic: str) -> None:
        """Count a topic for the team; a database problem must never cost the user their answer."""
        try:
            count_topic(self.backend.uow(), known_team_code(self.backend, tracker), topic)
        except Exception:  # noqa: BLE001 - counting is best effort, logged without user text
            logger.exception("Could not count topic %s", topic)


class ActionKennisVervolg(CountingAction):
    """A follow-up button was clicked: give the answer of that topic and count it."""

    def name(self) -> str:
        return "action_kennis_vervolg"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = tracker.get_slot("onderwerp")
        if topic not in topic_labels():
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response=f"utter_kennis/{topic}")
        self.count(tracker, topic)
        return maybe_ask(dispatcher, tracker, topic)


class ActionTelOnderwerp(CountingAction):
    """After a knowledge answer, out-of-scope reply or fallback: count it for the team.

    After a knowledge answer it may also ask "Had je hier iets aan?" (actions/feedback.py).
    """

    def name(self) -> str:
        return "action_tel_onderwerp"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if intent == "kennis":
            selected = (message.get("response_selector") or {}).get("kennis", {}).get("response", {})
            key = (selected.get("intent_response_key") or "").partition("/")[2]
            if key in topic_labels():
                self.count(tracker, key)
                return maybe_ask(dispatcher, tracker, key)
        elif intent == "out_of_scope":
            self.count(tracker, OUT_OF_SCOPE)
        elif intent == "nlu_fallback":
            self.count(tracker, FALLBACK)
        return []
