"""A person's request to delete their own data."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import BackendAction
from actions.forms import KnownFormSlots
from bot.services import checkin
from bot.storage.db import describe_error
from bot.text.answers import parse_yes_no

logger = logging.getLogger(__name__)


class ValidateDeleteForm(BackendAction, KnownFormSlots):
    form_slots = ("delete_confirm",)

    def name(self) -> str:
        return "validate_delete_form"

    def validate_delete_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = parse_yes_no(value if isinstance(value, str) else None)
        # Anything but a clear "ja" keeps the data: deleting is not undoable.
        return {"delete_confirm": bool(answer)}


class ActionDeleteMyData(BackendAction):
    """Delete all check-ins of this person after they confirmed."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        confirmed = tracker.get_slot("delete_confirm") is True
        events = [SlotSet("delete_confirm", None)]
        if not confirmed:
            dispatcher.utter_message(response="utter_delete_cancelled")
            return events
        try:
            member = self.member(tracker)
            if member is None:
                dispatcher.utter_message(response="utter_checkin_needs_link")
                return events
            count = checkin.delete_all(self.backend.uow(), member.person_key)
        except SQLAlchemyError as exc:
            logger.error("Deleting a person's check-ins failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_delete_failed")
            return events
        if count:
            dispatcher.utter_message(response="utter_delete_done", count=count)
        else:
            dispatcher.utter_message(response="utter_delete_nothing")
        return events
