"""Knowledge answers: follow-up buttons and questions, and anonymous topic counters."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BackendAction, known_team_code
from actions.feedback import maybe_ask
from bot.services.catalogue import topic_labels
from bot.services.topics import FALLBACK, OUT_OF_SCOPE, count_topic
from bot.storage.db import describe_error
from bot.text import vervolg

logger = logging.getLogger(__name__)

#: The last knowledge topic answered, so that "bron?" or "en rood?" knows what it is about.
LAST_TOPIC = "laatste_onderwerp"


class CountingAction(BackendAction):
    def count(self, tracker: Tracker, topic: str) -> None:
        """Count a topic for the team; a database problem must never cost the user their answer."""
        try:
            count_topic(self.backend.uow(), known_team_code(self.backend, tracker), topic)
        except Exception as exc:  # noqa: BLE001 - counting is best effort, logged without user text
            logger.error("Could not count topic %s: %s", topic, describe_error(exc))


class ActionKennisVervolg(CountingAction):
    """A follow-up: a button with a topic (answered and counted), or a question about the last topic.

    Follow-up questions (intents ``vervolg_<kind>``: "bron?", "meer daarover", "en rood?") are
    answered from domain/kennis.yml by the rules of bot/text/vervolg.py and are not counted:
    they are no new topic.
    """

    def name(self) -> str:
        return "action_kennis_vervolg"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        kind = vervolg.kind_of((message.get("intent") or {}).get("name"))
        if kind is not None:
            return self.follow_up(dispatcher, tracker, domain, kind, message.get("text"))
        topic = tracker.get_slot("onderwerp")
        if topic not in topic_labels():
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response=f"utter_kennis/{topic}")
        self.count(tracker, topic)
        return [SlotSet(LAST_TOPIC, topic), *maybe_ask(dispatcher, tracker, topic)]

    @staticmethod
    def follow_up(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], kind: str, text: str | None
    ) -> list[dict[str, Any]]:
        """The most specific answer the domain has for this kind of follow-up about the last topic."""
        responses = domain.get("responses") or {}
        topic = tracker.get_slot(LAST_TOPIC)
        topic = topic if topic in topic_labels() else None
        # "meer over rood", "wat houdt onboarding daar in?", "een voorbeeld van een maatje?": more
        # about, or an example of, one element of the list just given is that element's answer.
        named = vervolg.find_element(text, topic, ordinals=False) if kind in ("meer", "voorbeeld") else None
        if named is not None and named.response in responses:
            dispatcher.utter_message(response=named.response)
            return [SlotSet(LAST_TOPIC, named.kennis or named.topic)]
        if kind == "onderdeel":
            element = vervolg.find_element(text, topic)
            if element is not None and element.response in responses:
                dispatcher.utter_message(response=element.response)
                return [SlotSet(LAST_TOPIC, element.kennis or element.topic)]
            dispatcher.utter_message(response="utter_vervolg_welk_onderdeel" if topic else vervolg.NO_TOPIC)
            return []
        if topic is None:
            dispatcher.utter_message(response=vervolg.NO_TOPIC)
            return []
        name = next((n for n in vervolg.response_names(kind, topic) if n in responses), vervolg.NOTHING)
        dispatcher.utter_message(response=name)
        return []


class ActionTelOnderwerp(CountingAction):
    """After a knowledge answer, out-of-scope reply or fallback: count it for the team.

    After a knowledge answer it remembers the topic for follow-ups and may ask "Had je hier
    iets aan?" (actions/feedback.py); after anything else there is no topic to follow up.
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
                return [SlotSet(LAST_TOPIC, key), *maybe_ask(dispatcher, tracker, key)]
        elif intent == "out_of_scope":
            self.count(tracker, OUT_OF_SCOPE)
        elif intent == "nlu_fallback":
            self.count(tracker, FALLBACK)
        return [SlotSet(LAST_TOPIC, None)]
