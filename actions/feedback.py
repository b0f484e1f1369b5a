"""Feedback on knowledge answers: "Had je hier iets aan?" now and then, and the 👍/👎 that follows.

Only the topic and the thumbs are counted (per team and week). What someone types after
👎 is handled as a new question and never stored by us.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BackendAction, known_team_code
from bot.services import feedback
from bot.storage.db import describe_error

logger = logging.getLogger(__name__)


def _list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def maybe_ask(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str) -> list[dict[str, Any]]:
    """After a knowledge answer: ask for feedback when the rhythm says so (see feedback.should_ask)."""
    asked = _list(tracker.get_slot("feedback_gevraagd"))
    since = int(tracker.get_slot("kennis_sinds_vraag") or 0)
    if not feedback.should_ask(topic, asked, since):
        return [SlotSet("kennis_sinds_vraag", since + 1), SlotSet("feedback_onderwerp", None)]
    dispatcher.utter_message(response="utter_feedback_vraag", onderwerp=topic)
    return [
        SlotSet("feedback_gevraagd", [*asked, topic]),
        SlotSet("feedback_open", [*_list(tracker.get_slot("feedback_open")), topic]),
        SlotSet("kennis_sinds_vraag", 0),
        SlotSet("feedback_onderwerp", topic),
    ]


class ActionFeedback(BackendAction):
    """👍/👎 (buttons, or "ja"/"nee" typed right after the question): count it once."""

    def name(self) -> str:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        helpful = intent in ("feedback_goed", "affirm")
        if intent in ("feedback_goed", "feedback_slecht"):
            topic = next(
                (e.get("value") for e in message.get("entities") or [] if e.get("entity") == "onderwerp"), None
            )
        else:  # "ja" / "nee" typed: only about the question asked in the bot's last turn
            topic = tracker.get_slot("feedback_onderwerp")
            if topic is None:
                dispatcher.utter_message(response="utter_ja_na_antwoord" if helpful else "utter_nee_na_antwoord")
                return []
        open_topics = _list(tracker.get_slot("feedback_open"))
        if topic not in open_topics:
            dispatcher.utter_message(response="utter_feedback_al_gegeven")
            return [SlotSet("feedback_onderwerp", None)]
        try:
            feedback.record(self.backend.uow(), known_team_code(self.backend, tracker), topic, helpful)
        except Exception as exc:  # noqa: BLE001 - counting is best effort; the person still gets a reply
            logger.error("Could not count feedback on %s: %s", topic, describe_error(exc))
        dispatcher.utter_message(response="utter_feedback_dank" if helpful else "utter_feedback_wat_miste")
        return [
            SlotSet("feedback_open", [t for t in open_topics if t != topic]),
            SlotSet("feedback_onderwerp", None),
        ]
