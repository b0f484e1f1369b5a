"""NLU component: the language of a message (Dutch or English) as a ``language`` entity.

The slot ``language`` (domain/basis.yml) reads this entity with a ``from_entity`` mapping,
and response variations in domain/ carry ``condition: language = en``. It all runs in the
Rasa process: no action server, no database, no download (lingua's models ship inside the
``lingua-language-detector`` wheel).

Rules, so that a short message never flips the language by accident:

1. ``taal_engels`` / ``taal_nederlands`` ("English please", "Nederlands graag") switch.
2. Otherwise :func:`detect` decides, and says nothing (``None``) when unsure: proper names
   and English terms used in Dutch ("Healthy Mind Platter", "onboarding", "thanks") are
   left out first, and what remains must have two words or more and agree with a list of
   function words ("wat", "het" / "what", "the"). "ok", "4", "ja" keep the language.
3. The entity is emitted only when the language differs from the slot's current value, so a
   Dutch conversation carries no extra entity (Dutch is the default).
"""

from __future__ import annotations

import re
from typing import Any

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.vocabulary import DUTCH, ENGLISH, language_of

DEFAULT = DUTCH
LANGUAGE_ENTITY = "language"
LANGUAGE_SLOT = "language"
SWITCH_INTENTS = {"taal_engels": ENGLISH, "taal_nederlands": DUTCH}

#: Names and terms that are the same in both languages, and English words common in Dutch chat.
NEUTRAL_TERMS = (
    # the knowledge base's own names and terms
    "healthy mind platter", "healthy mind plate", "mind platter", "sleep time", "physical time",
    "focus time", "time in", "down time", "play time", "connecting time", "self-efficacy",
    "self efficacy", "selfefficacy", "team efficacy", "teamefficacy", "collective efficacy",
    "efficacy", "onboarding", "on boarding", "buddy", "burn-out", "burnout", "whitepaper",
    "welbevinden op school", "gezonde school", "trimbos-instituut", "trimbos", "pharos",
    "kennisrotonde", "amplitie", "tno", "nea", "nip", "po", "vo", "go", "mbo", "mt", "ot", "ict",
    "ster op 1", "rock", "siegel", "schaufeli", "team", "check-in", "check in", "checkin", "hmp",
    "bot",
    # English used in Dutch chat
    "ok", "oke", "oké", "okay", "thanks", "thx", "tnx", "bye", "sorry", "nice", "cool", "sure",
    "hey", "hi", "yes", "yep", "nope", "please", "pls", "top", "super",
)  # fmt: skip
#: Function words of one language that are not words of the other ("is", "in", "we", "me", "of" are both).
DUTCH_WORDS = frozenset(
    """de het een wat hoe waarom wie waar welke ik je jij jou jouw mijn onze ons jullie niet geen
    graag bedankt dank hoi doei ben bent zijn heb hebt hebben kan kun kunt wil wilt moet voor van
    met ook dat dit deze er naar bij nog maar en ja nee wel wordt worden om als dan zo hier daar
    meer op te uit aan zich tussen mij hij zij ze wij hun zou kunnen willen gaat gaan doet doen weet
    vind vaak altijd nooit soms weer steeds toch veel weinig niks echt heel m'n z'n 't""".split()
)
ENGLISH_WORDS = frozenset(
    """i the what how why who where which when you your my our are do does did can could would
    should please thanks thank hello hi bye and for with about this that it not no yes am have has
    be there more tell give to on at from so between i'm i've i'd i'll don't can't won't didn't
    doesn't isn't it's that's what's myself yourself been were will always never really""".split()
)

_NEUTRAL = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(t) for t in sorted(NEUTRAL_TERMS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def build_detector() -> LanguageDetector:
    """Dutch and English only, models loaded now (not on the first message)."""
    return (
        LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def detect(text: str | None, detector: LanguageDetector) -> str | None:
    """``"nl"``, ``"en"``, or ``None`` when the message says too little to tell."""
    rest = _NEUTRAL.sub(" ", text or "")
    words = [w.lower() for w in _WORD.findall(rest)]
    if sum(len(w) >= 2 for w in words) < 2:
        return None
    lean = sum(w in ENGLISH_WORDS for w in words) - sum(w in DUTCH_WORDS for w in words)
    english = detector.compute_language_confidence(" ".join(words), Language.ENGLISH)
    if (lean >= 2 and english >= 0.4) or (lean == 1 and english >= 0.6):
        return ENGLISH
    # Dutch is the default, so going back to it takes a little less ("wat is" is half English).
    if (lean <= -2 and english <= 0.6) or (lean == -1 and english <= 0.55):
        return DUTCH
    if lean == 0 and len(words) >= 4:  # no function words: only a clear verdict counts
        if english >= 0.9:
            return ENGLISH
        if english <= 0.1:
            return DUTCH
    return None


def current_language(tracker: DialogueStateTracker | None) -> str:
    """The slot's value; an empty tracker (NLU-only parsing, conversation tests) is Dutch."""
    return language_of(tracker.slots[LANGUAGE_SLOT].value if tracker and LANGUAGE_SLOT in tracker.slots else None)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetectorComponent(GraphComponent):
    """Adds a ``language`` entity when a message switches between Dutch and English."""

    def __init__(self, detector: LanguageDetector) -> None:
        self.detector = detector

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetectorComponent":
        return cls(build_detector())

    def language_of(self, message: Message) -> str | None:
        intent = (message.get(INTENT) or {}).get("name")
        if intent in SWITCH_INTENTS:
            return SWITCH_INTENTS[intent]
        return detect(message.get(TEXT), self.detector)

    def process(self, messages: list[Message], tracker: DialogueStateTracker | None = None) -> list[Message]:
        current = current_language(tracker)
        for message in messages:
            language = self.language_of(message)
            if language is None or language == current:
                continue
            text = message.get(TEXT) or ""
            entity = {
                "entity": LANGUAGE_ENTITY,
                "value": language,
                "start": 0,
                "end": len(text),
                "extractor": type(self).__name__,
            }
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
