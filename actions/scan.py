"""The fundament-scan: form validation, the summary in the chat, saving for the school."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.checkin import format_tools
from actions.common import BackendAction, metadata_value
from actions.forms import AnswerFormValidation, FormTexts
from bot.services import scan
from bot.storage.db import describe_error
from bot.text.answers import Answer, parse_level
from bot.text.plain import markdown_literal
from bot.vocabulary import SCAN_ITEMS, in_language

logger = logging.getLogger(__name__)

SLOTS = tuple(f"scan_{item}" for item in SCAN_ITEMS)
MONTHS = "januari februari maart april mei juni juli augustus september oktober november december".split()
MONTHS_EN = "January February March April May June July August September October November December".split()


def reset_events() -> list[dict[str, Any]]:
    """Clear the answers of a (finished or abandoned) scan from the conversation."""
    return [SlotSet(slot, None) for slot in SLOTS] + [SlotSet("scan_stopped", None), SlotSet("scan_unclear", 0)]


def chat_date(value: Any, language: str | None = None) -> str:
    """The date as the chat says it: "3 november 2026", or "3 November 2026" in an English conversation."""
    return f"{value.day} {in_language(language, MONTHS, MONTHS_EN)[value.month - 1]} {value.year}"


class ValidateFundamentScanForm(AnswerFormValidation):
    """Reads the 12 answers ("staat goed" / "kan beter" / "ontbreekt"); "stop" ends the scan."""

    answer_slots = SLOTS
    form_slots = SLOTS
    stopped_slot = "scan_stopped"
    unclear_slot = "scan_unclear"
    texts = FormTexts("utter_scan_unclear", "utter_scan_unclear", "utter_scan_skipped_auto")

    def name(self) -> str:
        return "validate_fundament_scan_form"

    def parse(self, slot: str, text: str | None) -> Answer:
        return parse_level(text)


class ScanAction(BackendAction):
    def school_of_token(self, tracker: Tracker) -> tuple[str | None, int | None]:
        """The scan token the dashboard's chat page sends with every message, and its school id."""
        token = metadata_value(tracker, "scan_token")
        if token is None:
            return None, None
        return token, scan.read_scan_token(token, self.backend.settings.scan_token_secret)


class ActionScanReset(ScanAction):
    """Start every scan clean and tell the person whether the result will be saved."""

    def name(self) -> str:
        return "action_scan_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        _token, school_id = self.school_of_token(tracker)
        school = scan.school_name(self.backend.uow(), school_id) if school_id is not None else None
        if school:
            dispatcher.utter_message(response="utter_scan_intro_saved", school=markdown_literal(school))
        else:
            dispatcher.utter_message(response="utter_scan_intro")
        return reset_events()


def answers_from(tracker: Tracker) -> dict[str, int | None]:
    answers = {}
    for item, slot in zip(SCAN_ITEMS, SLOTS, strict=True):
        value = tracker.get_slot(slot)
        answers[item] = value if isinstance(value, int) and not isinstance(value, bool) else None
    return answers


def format_strengths(summary: scan.Summary, language: str | None = None) -> str:
    return "\n".join(f"- **{e.label_in(language)}**: {e.sterk_in(language)}" for e in summary.strengths)


def format_work_on(summary: scan.Summary, language: str | None = None) -> str:
    lines = []
    for item in summary.work_on:
        label, level = item.element.label_in(language), item.level_word_in(language)
        lines.append(f"- **{label}** ({level}). Tip:\n  {format_tools([item.element.tool], language)[2:]}")
    return "\n".join(lines)


class ActionScanSubmit(ScanAction):
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

        language = tracker.get_slot("language")
        if summary.strengths:
            dispatcher.utter_message(response="utter_scan_sterk", items=format_strengths(summary, language))
        else:
            dispatcher.utter_message(response="utter_scan_geen_sterk")
        if summary.work_on:
            dispatcher.utter_message(response="utter_scan_werkpunten", items=format_work_on(summary, language))
        else:
            dispatcher.utter_message(response="utter_scan_alles_goed")
        if summary.pyramid:
            dispatcher.utter_message(response=f"utter_scan_piramide_{summary.pyramid}")
        dispatcher.utter_message(response="utter_scan_visie_vraag")
        self._save(dispatcher, tracker, answers)
        return reset_events()

    def _save(self, dispatcher: CollectingDispatcher, tracker: Tracker, answers: dict[str, int | None]) -> None:
        token, school_id = self.school_of_token(tracker)
        if token is None:
            dispatcher.utter_message(response="utter_scan_not_saved")
            return
        if school_id is None:
            dispatcher.utter_message(response="utter_scan_token_expired")
            return
        try:
            saved = scan.save_scan(self.backend.uow(), school_id, answers)
        except (SQLAlchemyError, LookupError) as exc:
            logger.error("Saving a fundament-scan failed: %s", describe_error(exc))
            dispatcher.utter_message(response="utter_scan_save_failed")
            return
        date = chat_date(saved.created_at, tracker.get_slot("language"))
        dispatcher.utter_message(response="utter_scan_saved", school=markdown_literal(saved.school_name), date=date)
