"""One validation for every question-by-question form: stop, skip, unclear, ask again.

The check-in and the fundament-scan ask one question per slot. Each answer is parsed
(a subclass supplies the parser); then the same rules apply to both forms:

* "stop" ends the form (``stopped_slot``); nothing is stored;
* a clear answer fills the slot; "overslaan" / "weet ik niet" fills it with SKIPPED;
* an unclear answer asks the same question again (the form re-asks with its buttons);
  the second time the ``offer_skip`` text is used, the third time the question is
  skipped with the ``skipped_auto`` text — we never store a value the person did not give;
* in a form about the person (``offers_help``: the check-in), an unclear answer that asks
  for help (distress, someone else's distress, "ik wil met iemand praten") gets that help
  and ends the form like "stop": a form question is no reason to leave someone who is
  struggling with "dat begreep ik niet".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import BackendAction
from actions.steun import HELP_INTENTS, utter_help
from bot.text.answers import Answer, Kind

#: Slot value for a question the person chose (or was allowed) to skip; stored as NULL.
SKIPPED = "overgeslagen"
#: After this many unclear answers to one question, it is skipped.
MAX_UNCLEAR = 3


class KnownFormSlots(FormValidationAction):
    """A form validator that knows its form's slots (``form_slots``, as its form in domain/ lists
    them: tests/test_action_server.py), so Rasa sends it no domain: the whole domain, ~160 KB of
    JSON, was most of each check-in step's request to encode, send and read."""

    form_slots: tuple[str, ...] = ()

    def domain_slots(self, domain: DomainDict) -> list[str]:
        return list(self.form_slots)


@dataclass(frozen=True)
class FormTexts:
    """Responses of a form: re-ask, re-ask offering to skip, skipped after MAX_UNCLEAR."""

    unclear: str
    offer_skip: str
    skipped_auto: str


class AnswerFormValidation(BackendAction, KnownFormSlots):
    """Base of the form validators; a subclass sets the class attributes and ``parse``."""

    #: The slots answered with ``parse`` (one question each), among ``form_slots``.
    answer_slots: tuple[str, ...] = ()
    #: Set to True when the person stops; the form then asks nothing more.
    stopped_slot: str = ""
    #: Counts unclear answers to the current question.
    unclear_slot: str = ""
    #: Optional slot that is True while the "Overslaan" button is offered.
    offer_skip_slot: str | None = None
    texts: FormTexts
    #: Whether a message asking for help ends the form with that help (see the module docstring).
    offers_help: bool = False

    def parse(self, slot: str, text: str | None) -> Answer:
        raise NotImplementedError

    def reset(self) -> dict[str, Any]:
        """The counters' values for a fresh question."""
        values: dict[str, Any] = {self.unclear_slot: 0}
        if self.offer_skip_slot:
            values[self.offer_skip_slot] = False
        return values

    def finished(self, tracker: Tracker) -> bool:
        """True when nothing more should be asked; subclasses may add reasons."""
        return bool(tracker.get_slot(self.stopped_slot))

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [] if self.finished(tracker) else domain_slots

    def validate_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            # Not an answer: the reset action cleared the slot just before the form ran, and
            # rasa_sdk hands every slot set since the last message to its validator.
            return {}
        answer = self.parse(slot, value if isinstance(value, str) else None)
        if answer.kind is Kind.STOP:
            return {slot: None, self.stopped_slot: True}
        if answer.kind is Kind.SCORE:
            return {slot: answer.value, **self.reset()}
        if answer.kind is Kind.SKIP:
            return {slot: SKIPPED, **self.reset()}
        if self.help_asked(dispatcher, tracker):
            return {slot: None, self.stopped_slot: True}
        return self.unclear(slot, dispatcher, tracker)

    def help_asked(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """True, after giving that help, when the message that was no answer asks for help."""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if not self.offers_help or intent not in HELP_INTENTS:
            return False
        utter_help(self.backend, dispatcher, tracker, intent)
        return True

    def unclear(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Count an unclear answer: ask again, then offer to skip, then skip."""
        count = int(tracker.get_slot(self.unclear_slot) or 0) + 1
        if count >= MAX_UNCLEAR:
            dispatcher.utter_message(response=self.texts.skipped_auto)
            return {slot: SKIPPED, **self.reset()}
        if count == MAX_UNCLEAR - 1:
            dispatcher.utter_message(response=self.texts.offer_skip)
            offered = {self.offer_skip_slot: True} if self.offer_skip_slot else {}
            return {slot: None, self.unclear_slot: count, **offered}
        dispatcher.utter_message(response=self.texts.unclear)
        return {slot: None, self.unclear_slot: count}

    def __getattr__(self, name: str) -> Any:
        # rasa_sdk looks up ``validate_<slot>`` per slot: every answer slot gets validate_answer.
        slot = name.removeprefix("validate_")
        if name.startswith("validate_") and slot in type(self).answer_slots:
            return partial(self.validate_answer, slot)
        raise AttributeError(name)
