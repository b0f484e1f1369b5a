"""Help tier 3 and "I want to talk to a person": the school's own contacts, the check-in, one tool.

The rules (data/stories/rules_steun.yml) first say the empathic sentence and the general
routes as plain responses; these actions add what needs the database: the school's
vertrouwenspersoon and bedrijfsarts as the coordinator entered them (plain text, markdown
escaped), and for ``steun`` one tool that fits the theme. Nothing is counted and no
message text is logged. In the middle of the check-in, where no rule can speak first,
:func:`utter_help` gives a help intent's whole answer at once (actions/forms.py).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BackendAction, known_team_code
from bot.backend import Backend
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


def school_contacts(backend: Backend, tracker: Tracker) -> list[Contact]:
    """The contacts of the conversation's school (its member's or team code's); none without the database."""
    try:
        code = known_team_code(backend, tracker)
        return contacts_for_team(backend.uow(), code) if code else []
    except Exception:  # noqa: BLE001 - without the database the general routes stand alone
        logger.exception("Could not read the school's help contacts")
        return []


def utter_contacts(backend: Backend, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Names the school's vertrouwenspersoon and bedrijfsarts, if the coordinator entered them."""
    found = [c for c in school_contacts(backend, tracker) if c.details() and c.kind in CONTACT_RESPONSES]
    if not found:
        return
    dispatcher.utter_message(response="utter_school_contacten")
    for contact in found:
        details = " · ".join(markdown_literal(value) for value in contact.details())
        dispatcher.utter_message(response=CONTACT_RESPONSES[contact.kind], contact=details)


def tool_for(theme: str | None) -> Tool | None:
    """The tool of bot/catalogue/tools.yml offered for a distress theme."""
    wanted = theme_tool(theme) if theme and theme != GENERAL else GENERAL_TOOL
    return next((t for t in load_tools() if t.id == (wanted or GENERAL_TOOL)), None)


def utter_tool(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """One tool that fits the distress theme (slot ``steun_thema``), and the check-in."""
    tool = tool_for(tracker.get_slot("steun_thema"))
    if tool is None:
        dispatcher.utter_message(response="utter_steun_checkin")
        return
    language = tracker.get_slot("language")
    name, description = tool.name_in(language), tool.description_in(language)
    dispatcher.utter_message(response="utter_steun_tool", naam=name, beschrijving=description)


#: What each help intent's rule says before its action (data/stories/rules_steun.yml; a test compares).
HELP_RESPONSES = {
    "steun": ("utter_steun_erkenning", "utter_steun_routes"),
    "steun_ander": ("utter_steun_ander",),
    "mens_spreken": ("utter_mens_spreken",),
}
#: The intents :func:`utter_help` answers.
HELP_INTENTS = frozenset(HELP_RESPONSES)


def utter_help(backend: Backend, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> None:
    """The whole answer of a help intent at once, as its rule gives it (data/stories/rules_steun.yml).

    For the middle of a form, where the form's validation reads the message: a person who
    answers "Doe je mee?" with "ik ben al weken uitgeput" gets help, not "kies ja of nee".
    """
    for response in HELP_RESPONSES[intent]:
        dispatcher.utter_message(response=response)
    utter_contacts(backend, dispatcher, tracker)
    if intent == "steun":
        utter_tool(dispatcher, tracker)
    elif intent == "steun_ander":
        dispatcher.utter_message(response="utter_steun_ander_zelf")


class ActionSchoolContacten(BackendAction):
    """After "I want to talk to a person": the school's own contacts, if it entered them."""

    def name(self) -> str:
        return "action_school_contacten"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        utter_contacts(self.backend, dispatcher, tracker)
        return []


class ActionSteun(BackendAction):
    """After the empathic sentence and the routes: the school's contacts, then a tool and the check-in."""

    def name(self) -> str:
        return "action_steun"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        utter_contacts(self.backend, dispatcher, tracker)
        utter_tool(dispatcher, tracker)
        return []
