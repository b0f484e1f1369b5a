"""The weekly check-in: form validation, saving, reflection and the personal history."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import BackendAction, member_ref
from actions.forms import AnswerFormValidation, FormTexts
from bot.services import checkin
from bot.services.catalogue import Tool, dimension_labels
from bot.storage.db import describe_error
from bot.text.answers import Answer, Kind, parse_score, parse_yes_no
from bot.text.plain import markdown_literal
from bot.vocabulary import DIMENSIONS, in_language

logger = logging.getLogger(__name__)

_RESET_COUNTERS = {"checkin_unclear": 0, "checkin_offer_skip": False}


def reset_events() -> list[dict[str, Any]]:
    """Clear the answers of a (finished or abandoned) check-in from the conversation."""
    events = [SlotSet(d, None) for d in DIMENSIONS]
    events += [SlotSet("consent", None), SlotSet("checkin_stopped", None)]
    events += [SlotSet(name, value) for name, value in _RESET_COUNTERS.items()]
    return events


class ValidateCheckinForm(AnswerFormValidation):
    """Reads consent and the five answers of a member (personal link); "stop" ends the form."""

    answer_slots = DIMENSIONS
    form_slots = ("consent", *DIMENSIONS)
    stopped_slot = "checkin_stopped"
    unclear_slot = "checkin_unclear"
    offer_skip_slot = "checkin_offer_skip"
    texts = FormTexts("utter_checkin_unclear", "utter_checkin_unclear_skip", "utter_checkin_skipped_auto")
    offers_help = True

    def name(self) -> str:
        return "validate_checkin_form"

    def parse(self, slot: str, text: str | None) -> Answer:
        return parse_score(text, slot)

    def finished(self, tracker: Tracker) -> bool:
        # Nothing more to ask once the person stopped or said no, or without a personal link:
        # the form ends and action_checkin_submit says why nothing was stored.
        if super().finished(tracker) or tracker.get_slot("consent") is False:
            return True
        return self.member(tracker) is None

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}  # cleared by action_checkin_reset: not an answer
        text = value if isinstance(value, str) else None
        if parse_score(text).kind is Kind.STOP:
            return {"consent": None, "checkin_stopped": True}
        answer = parse_yes_no(text)
        if answer is not True and self.help_asked(dispatcher, tracker):
            return {"consent": None, "checkin_stopped": True}  # "nee, ik ben op" is help too
        if answer is None:
            dispatcher.utter_message(response="utter_consent_unclear")
        return {"consent": answer}


class ActionCheckinReset(BackendAction):
    """Start every check-in clean (answers of an interrupted one are never reused).

    Also remembers the personal link of this conversation (its hash) for the later turns.
    """

    def name(self) -> str:
        return "action_checkin_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ref = member_ref(tracker)
        return reset_events() + ([SlotSet("member_ref", ref)] if ref else [])


def format_tools(tools: list[Tool], language: str | None = None) -> str:
    """A markdown list of tools in the conversation's ``language``; in English a link says its page is Dutch."""
    lines = []
    for tool in tools:
        name = f"[{tool.name_in(language)}]({tool.url})" if tool.url else tool.name_in(language)
        note = in_language(language, "", " (in Dutch)") if tool.url else ""
        lines.append(f"- **{name}**{note}: {tool.description_in(language)}")
    return "\n".join(lines)


def given_scores(tracker: Tracker) -> dict[str, int | None]:
    """The five answers in the conversation; SKIPPED and anything but a whole number is None."""
    return {
        d: v if isinstance(v, int) and not isinstance(v, bool) else None
        for d in DIMENSIONS
        for v in [tracker.get_slot(d)]
    }


class ActionCheckinSubmit(BackendAction):
    """Store the finished check-in, then reflect and suggest tools. Says "opgeslagen" only after a commit."""

    def name(self) -> str:
        return "action_checkin_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("checkin_stopped"):
            dispatcher.utter_message(response="utter_checkin_stopped")
            return reset_events()
        # Before the consent check: without a link the form ends at once, consent never asked.
        ref = member_ref(tracker)
        if ref is None:
            dispatcher.utter_message(response="utter_checkin_needs_link")
            return reset_events()
        if tracker.get_slot("consent") is None:
            # The form ended before asking consent: the link belongs to no member (any more).
            dispatcher.utter_message(response="utter_checkin_link_unknown")
            return reset_events()
        if tracker.get_slot("consent") is not True:
            dispatcher.utter_message(response="utter_checkin_no_consent")
            return reset_events()

        scores = given_scores(tracker)
        secret = self.backend.settings.pseudonym_secret
        try:
            result = checkin.save_checkin(self.backend.uow(), ref, scores, secret)
        except checkin.UnknownMember:
            dispatcher.utter_message(response="utter_checkin_link_unknown")
            return reset_events()
        except checkin.WeekReleased:
            dispatcher.utter_message(response="utter_checkin_week_closed")
            return reset_events()
        except SQLAlchemyError as exc:
            logger.error("Saving a check-in failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_checkin_save_failed")
            return reset_events()
        if result is None:
            dispatcher.utter_message(response="utter_checkin_all_skipped")
            return reset_events()

        saved = "utter_checkin_replaced" if result.replaced else "utter_checkin_saved"
        dispatcher.utter_message(response=saved, week=result.week.week)
        reflection = checkin.reflect(scores)
        if reflection.strength:
            dispatcher.utter_message(response=f"utter_checkin_sterk_{reflection.strength}")
        if reflection.attention:
            dispatcher.utter_message(
                response=f"utter_checkin_aandacht_{reflection.attention}", score=reflection.attention_score
            )
        elif not reflection.strength or all(v is None or v >= 4 for v in scores.values()):
            dispatcher.utter_message(response="utter_checkin_all_good")
        if reflection.tools:
            tools = format_tools(reflection.tools, tracker.get_slot("language"))
            dispatcher.utter_message(response="utter_checkin_tools", tools=tools)
        if result.care_pointer:
            dispatcher.utter_message(response="utter_checkin_care_pointer")
        return reset_events()


def format_history(weeks: list[checkin.HistoryWeek], language: str | None = None) -> str:
    labels = dimension_labels(language)
    lines = []
    for item in weeks:
        parts = " · ".join(f"{labels[d]} {item.scores[d] if item.scores[d] is not None else '–'}" for d in DIMENSIONS)
        lines.append(f"- **Week {item.week.week}** ({markdown_literal(item.team_name)}): {parts}")
    return "\n".join(lines)


class ActionCheckinHistory(BackendAction):
    """Show the person their own recent weeks. Only ever their own: keyed by their pseudonym."""

    def name(self) -> str:
        return "action_checkin_history"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            member = self.member(tracker)
            if member is None:
                dispatcher.utter_message(response="utter_checkin_needs_link")
                return []
            weeks = checkin.history(self.backend.uow(), member.person_key)
        except SQLAlchemyError as exc:
            logger.error("Reading check-in history failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_action_failed")
            return []
        if not weeks:
            dispatcher.utter_message(response="utter_checkin_history_empty")
        else:
            history = format_history(weeks, tracker.get_slot("language"))
            dispatcher.utter_message(response="utter_checkin_history", weeks=history)
        return []
