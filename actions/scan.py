"""The fundament-scan: form validation, the summary in the chat, saving for the school."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.checkin import format_tools
from bot.services import scan
from bot.storage.models import SCAN_ITEMS
from bot.text.answers import Kind, parse_level

logger = logging.getLogger(__name__)

SLOTS = tuple(f"scan_{item}" for item in SCAN_ITEMS)
#: Slot value for a question answered with "weet ik niet"; stored as NULL.
SKIPPED = "overgeslagen"
#: After this many unclear answers to one question, it is skipped.
MAX_UNCLEAR = 3
MONTHS = "januari februari maart april mei juni juli augustus september oktober november december".split()


def reset_events() -> list[dict[str, Any]]:
    """Clear the answers of a (finished or abandoned) scan from the conversation."""
    return [SlotSet(slot, None) for slot in SLOTS] + [SlotSet("scan_stopped", None), SlotSet("scan_unclear", 0)]


def scan_token(tracker: Tracker) -> str | None:
    """The scan token the dashboard's chat page sends with every message, if any."""
    metadata: Any = (tracker.latest_message or {}).get("metadata") or {}
    token = metadata.get("scan_token") if isinstance(metadata, dict) else None
    return token if isinstance(token, str) and token else None


def dutch_date(value: Any) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


class ValidateFundamentScanForm(FormValidationAction):
    """Reads the 12 answers ("staat goed" / "kan beter" / "ontbreekt"); "stop" ends the scan."""

    def name(self) -> str:
        return "validate_fundament_scan_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return [] if tracker.get_slot("scan_stopped") else domain_slots

    def _level(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        if value is None:
            return {}  # cleared by action_scan_reset just before the form ran: not an answer
        answer = parse_level(value if isinstance(value, str) else None)
        if answer.kind is Kind.STOP:
            return {slot: None, "scan_stopped": True}
        if answer.kind is Kind.SCORE:
            return {slot: answer.value, "scan_unclear": 0}
        if answer.kind is Kind.SKIP:
            return {slot: SKIPPED, "scan_unclear": 0}
        count = int(tracker.get_slot("scan_unclear") or 0) + 1
        if count >= MAX_UNCLEAR:
            dispatcher.utter_message(response="utter_scan_skipped_auto")
            return {slot: SKIPPED, "scan_unclear": 0}
        dispatcher.utter_message(response="utter_scan_unclear")
        return {slot: None, "scan_unclear": count}


def _validator(slot: str):
    def validate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        return self._level(slot, value, dispatcher, tracker)

    validate.__name__ = f"validate_{slot}"
    return validate


# validate_scan_visie, validate_scan_leiderschap, ...: the same check for all twelve answers.
for _slot in SLOTS:
    setattr(ValidateFundamentScanForm, f"validate_{_slot}", _validator(_slot))


class ActionScanReset(Action):
    """Start every scan clean and tell the person whether the result will be saved."""

    def name(self) -> str:
        return "action_scan_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        token = scan_token(tracker)
        school = scan.school_name(scan.read_scan_token(token)) if token else None
        if school:
            dispatcher.utter_message(response="utter_scan_intro_saved", school=school)
        else:
            dispatcher.utter_message(response="utter_scan_intro")
        return reset_events()


def answers_from(tracker: Tracker) -> dict[str, int | None]:
    answers = {}
    for item, slot in zip(SCAN_ITEMS, SLOTS, strict=True):
        value = tracker.get_slot(slot)
        answers[item] = value if isinstance(value, int) and not isinstance(value, bool) else None
    return answers


def format_strengths(summary: scan.Summary) -> str:
    return "\n".join(f"- **{e.label}**: {e.sterk}" for e in summary.strengths)


def format_work_on(summary: scan.Summary) -> str:
    lines = []
    for item in summary.work_on:
        lines.append(f"- **{item.element.label}** ({item.level_word}). Tip:\n  {format_tools([item.element.tool])[2:]}")
    return "\n".join(lines)


class ActionScanSubmit(Action):
    """The summary in the chat; saved for the school only with a valid scan token."""

    def name(self) -> str:
        return "action_scan_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("scan_stopped"):
            dispatcher.utter_message(response="utter_scan_stopped")
            return reset_events()
        answers = answers_from(tracker)
        summary = scan.summarise(answers)
        if summary.answered == 0:
            dispatcher.utter_message(response="utter_scan_all_skipped")
            return reset_events()

        if summary.strengths:
            dispatcher.utter_message(response="utter_scan_sterk", items=format_strengths(summary))
        else:
            dispatcher.utter_message(response="utter_scan_geen_sterk")
        if summary.work_on:
            dispatcher.utter_message(response="utter_scan_werkpunten", items=format_work_on(summary))
        else:
            dispatcher.utter_message(response="utter_scan_alles_goed")
        if summary.pyramid:
            dispatcher.utter_message(response=f"utter_scan_piramide_{summary.pyramid}")
        dispatcher.utter_message(response="utter_scan_visie_vraag")
        self._save(dispatcher, tracker, answers)
        return reset_events()

    def _save(self, dispatcher: CollectingDispatcher, tracker: Tracker, answers: dict[str, int | None]) -> None:
        token = scan_token(tracker)
        if token is None:
            dispatcher.utter_message(response="utter_scan_not_saved")
            return
        school_id = scan.read_scan_token(token)
        if school_id is None:
            dispatcher.utter_message(response="utter_scan_token_expired")
            return
        try:
            saved = scan.save_scan(school_id, answers)
            school = scan.school_name(school_id)
        except (SQLAlchemyError, LookupError):
            logger.exception("Saving a fundament-scan failed")
            dispatcher.utter_message(response="utter_scan_save_failed")
            return
        dispatcher.utter_message(response="utter_scan_saved", school=school, date=dutch_date(saved.created_at))
