"""The weekly check-in: form validation, saving, reflection and the personal history."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import BackendAction, metadata_team_code
from actions.forms import AnswerFormValidation, FormTexts
from bot.services import checkin
from bot.services.catalogue import Tool, dimension_labels
from bot.services.teams import find_team
from bot.text.answers import Answer, Kind, parse_score, parse_yes_no
from bot.vocabulary import DIMENSIONS

logger = logging.getLogger(__name__)

#: After this many unclear team codes the check-in stops.
MAX_BAD_CODES = 3

_RESET_COUNTERS = {"checkin_unclear": 0, "checkin_offer_skip": False}


def reset_events(keep_team: bool = True) -> list[dict[str, Any]]:
    """Clear the answers of a (finished or abandoned) check-in from the conversation."""
    events = [SlotSet(d, None) for d in DIMENSIONS]
    events += [SlotSet("consent", None), SlotSet("checkin_stopped", None)]
    events += [SlotSet(name, value) for name, value in _RESET_COUNTERS.items()]
    if not keep_team:
        events.append(SlotSet("team_code", None))
    return events


class ValidateCheckinForm(AnswerFormValidation):
    """Reads the team code, consent and the five answers; "stop" ends the form."""

    answer_slots = DIMENSIONS
    stopped_slot = "checkin_stopped"
    unclear_slot = "checkin_unclear"
    offer_skip_slot = "checkin_offer_skip"
    texts = FormTexts("utter_checkin_unclear", "utter_checkin_unclear_skip", "utter_checkin_skipped_auto")

    def name(self) -> str:
        return "validate_checkin_form"

    def parse(self, slot: str, text: str | None) -> Answer:
        return parse_score(text, slot)

    def finished(self, tracker: Tracker) -> bool:
        # Nothing more to ask once the person stopped or said no: the form ends and
        # action_checkin_submit says goodbye without storing anything.
        return super().finished(tracker) or tracker.get_slot("consent") is False

    async def extract_team_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "team_code":
            return {"team_code": (tracker.latest_message or {}).get("text")}
        if tracker.get_slot("team_code"):
            return {}
        code = metadata_team_code(tracker)
        return {"team_code": code} if code else {}

    def validate_team_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        typed = tracker.get_slot("requested_slot") == "team_code"
        if typed and parse_score(value).kind is Kind.STOP:
            return {"team_code": None, "checkin_stopped": True}
        team = find_team(self.backend.uow(), value if isinstance(value, str) else None)
        if team is not None:
            return {"team_code": team.code, **_RESET_COUNTERS}
        if not typed:
            dispatcher.utter_message(response="utter_team_code_link_unknown")
            return {"team_code": None}
        count = int(tracker.get_slot("checkin_unclear") or 0) + 1
        dispatcher.utter_message(response="utter_team_code_unknown")
        if count >= MAX_BAD_CODES:
            return {"team_code": None, "checkin_stopped": True}
        return {"team_code": None, "checkin_unclear": count}

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {}  # cleared by action_checkin_reset: not an answer
        text = value if isinstance(value, str) else None
        if parse_score(text).kind is Kind.STOP:
            return {"consent": None, "checkin_stopped": True}
        answer = parse_yes_no(text)
        if answer is None:
            dispatcher.utter_message(response="utter_consent_unclear")
        return {"consent": answer}


class ActionCheckinReset(BackendAction):
    """Start every check-in clean (answers of an interrupted one are never reused)."""

    def name(self) -> str:
        return "action_checkin_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return reset_events()


def format_tools(tools: list[Tool]) -> str:
    lines = []
    for tool in tools:
        name = f"[{tool.naam}]({tool.url})" if tool.url else tool.naam
        lines.append(f"- **{name}**: {tool.beschrijving}")
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
        if tracker.get_slot("consent") is not True:
            dispatcher.utter_message(response="utter_checkin_no_consent")
            return reset_events()

        scores = given_scores(tracker)
        try:
            result = checkin.save_checkin(
                self.backend.uow(), self.person(tracker), tracker.get_slot("team_code"), scores
            )
        except checkin.UnknownTeam:
            dispatcher.utter_message(response="utter_team_code_unknown")
            return reset_events(keep_team=False)
        except SQLAlchemyError:
            logger.exception("Saving a check-in failed")
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
            dispatcher.utter_message(response="utter_checkin_tools", tools=format_tools(reflection.tools))
        if result.care_pointer:
            dispatcher.utter_message(response="utter_checkin_care_pointer")
        return reset_events()


def format_history(weeks: list[checkin.HistoryWeek]) -> str:
    labels = dimension_labels()
    lines = []
    for item in weeks:
        parts = " · ".join(f"{labels[d]} {item.scores[d] if item.scores[d] is not None else '–'}" for d in DIMENSIONS)
        lines.append(f"- **Week {item.week.week}** ({item.team_name}): {parts}")
    return "\n".join(lines)


class ActionCheckinHistory(BackendAction):
    """Show the person their own recent weeks. Only ever their own: keyed by their pseudonym."""

    def name(self) -> str:
        return "action_checkin_history"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            weeks = checkin.history(self.backend.uow(), self.person(tracker))
        except SQLAlchemyError:
            logger.exception("Reading check-in history failed")
            dispatcher.utter_message(response="utter_action_failed")
            return []
        if not weeks:
            dispatcher.utter_message(response="utter_checkin_history_empty")
        else:
            dispatcher.utter_message(response="utter_checkin_history", weeks=format_history(weeks))
        return []
