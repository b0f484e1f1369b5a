"""The team roster in the chat: its size for a member, and a lost personal link mailed again."""

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
from bot.services import invitations, roster
from bot.storage.db import describe_error
from bot.text.answers import Kind, parse_score
from bot.text.plain import markdown_literal

logger = logging.getLogger(__name__)


class ActionRosterInfo(BackendAction):
    """How many are on my team's roster, and how many were added lately (padding made visible)."""

    def name(self) -> str:
        return "action_roster_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            member = self.member(tracker)
            if member is None:
                dispatcher.utter_message(response="utter_roster_info_needs_link")
                return []
            summary = roster.roster_summary(self.backend.uow(), member.team_id)
        except SQLAlchemyError as exc:
            logger.error("Reading the roster size failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_action_failed")
            return []
        dispatcher.utter_message(
            response="utter_roster_info",
            team=markdown_literal(member.team_name),
            size=summary.size,
            recent=summary.added_recently,
        )
        return []


class ValidateLinkForm(BackendAction, KnownFormSlots):
    form_slots = ("link_email",)

    def name(self) -> str:
        return "validate_link_form"

    def validate_link_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = value if isinstance(value, str) else ""
        if parse_score(text).kind is Kind.STOP:
            return {"link_email": "stop"}
        if roster.normalise_email(text) is None:
            dispatcher.utter_message(response="utter_link_email_invalid")
            return {"link_email": "ongeldig"}
        return {"link_email": text}


class ActionSendLink(BackendAction):
    """Queue the member's link for their own address; the same answer whether it is on a roster or not."""

    def name(self) -> str:
        return "action_send_link"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        value = tracker.get_slot("link_email")
        email = roster.normalise_email(value) if isinstance(value, str) else None
        events = [SlotSet("link_email", None)]  # the address is not kept in the conversation
        if value == "stop":
            dispatcher.utter_message(response="utter_link_stopped")
            return events
        if email is None:
            return events  # validate_link_form said why
        try:
            invitations.request_link(self.backend.uow(), email)
        except SQLAlchemyError as exc:
            logger.error("Queueing a lost link failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_action_failed")
            return events
        dispatcher.utter_message(response="utter_link_sent")
        return events
