"""Help tier 3 and "I want to talk to a person": the school's own contacts, the check-in, one tool.

The rules (data/stories/rules_steun.yml) first say the empathic sentence and the general
routes as plain responses; these actions add what needs the database: the school's
vertrouwenspersoon and bedrijfsarts as the coordinator entered them (plain text, markdown
escaped), and for ``steun`` one tool that fits the theme. Nothing is counted and no
message text is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BackendAction, known_team_code
from bot.services.catalogue import Tool, load_tools
from bot.services.contacts import BEDRIJFSARTS, VERTROUWENSPERSOON, Contact, contacts_for_team
from bot.text.plain import markdown_literal
from bot.text.themes import GENERAL, theme_tool

logger = logging.getLogger(__name__)
#: The tool offered when the message named no theme (themas.yml has one per theme).
GENERAL_TOOL = "hmp_naar_binnen_kijken"
#: The response that names each kind of contact.
CONTACT_RESPONSES = {
    VERTROUWENSPERSOON: "utter_school_contact_vertrouwenspersoon",
    BEDRIJFSARTS: "utter_school_contact_bedrijfsarts",
}


class SchoolContactsAction(BackendAction):
    """Names the contacts of the conversation's school (its member's or team code's)."""

    def contacts(self, tracker: Tracker) -> list[Contact]:
        try:
            code = known_team_code(self.backend, tracker)
            return contacts_for_team(self.backend.uow(), code) if code else []
        except Exception:  # noqa: BLE001 - without the database the general routes stand alone
            logger.exception("Could not read the school's help contacts")
            return []

    def utter_contacts(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        found = [c for c in self.contacts(tracker) if c.details() and c.kind in CONTACT_RESPONSES]
        if not found:
            return
        dispatcher.utter_message(response="utter_school_contacten")
        for contact in found:
            details = " · ".join(markdown_literal(value) for value in contact.details())
            dispatcher.utter_message(response=CONTACT_RESPONSES[contact.kind], contact=details)


class ActionSchoolContacten(SchoolContactsAction):
    """After "I want to talk to a person": the school's own contacts, if it entered them."""

    def name(self) -> str:
        return "action_school_contacten"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.utter_contacts(dispatcher, tracker)
        return []


def tool_for(theme: str | None) -> Tool | None:
    """The tool of bot/catalogue/tools.yml offered for a distress theme."""
    wanted = theme_tool(theme) if theme and theme != GENERAL else GENERAL_TOOL
    return next((t for t in load_tools() if t.id == (wanted or GENERAL_TOOL)), None)


class ActionSteun(SchoolContactsAction):
    """After the empathic sentence and the routes: the school's contacts, then a tool and the check-in."""

    def name(self) -> str:
        return "action_steun"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.utter_contacts(dispatcher, tracker)
        tool = tool_for(tracker.get_slot("steun_thema"))
        if tool is None:
            dispatcher.utter_message(response="utter_steun_checkin")
        else:
            language = tracker.get_slot("language")
            name, description = tool.name_in(language), tool.description_in(language)
            dispatcher.utter_message(response="utter_steun_tool", naam=name, beschrijving=description)
        return []
