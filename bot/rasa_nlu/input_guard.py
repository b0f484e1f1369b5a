"""Last NLU component: safety, honesty and empty-input overrides that never depend on the model.

1. The help tiers (bot.text.crisis) win over whatever the model said, with confidence 1.0:
   the writer's own suicidal thoughts or acute danger get ``crisis`` (the 113/112 answer),
   worry about someone else who talks about suicide gets ``zorg_ander``. Both answers are
   rules with plain responses, so they work while the action server or database is down,
   also in the middle of a form.
2. A ``crisis`` or ``zorg_ander`` guess of the model that no crisis word supports, on a
   message about tiredness, sleep, crying or dread ("ik ben zo moe, ik kan niet meer"),
   becomes ``steun`` (the third tier): 113 is for suicidal thoughts, not for tiredness.
3. An empty message (only white space, control characters or punctuation) gets intent
   ``leeg_bericht``, answered with a friendly Dutch hint instead of a guess.
4. A knowledge answer (or a low-confidence guess) for a question with words the knowledge
   base never covers (werkdrukmiddelen, cao, a named programme, the Wet verbetering
   poortwachter; bot/catalogue/themas.yml ``sterk``) becomes ``out_of_scope``; so does a
   low-confidence guess with any near-domain word ("vergoeding", "beroepsziekte", ``woorden``)
   unless the writer speaks of their own distress (point 5).
5. A knowledge answer, out-of-scope reply or small-talk guess for a message in which the
   writer speaks of their own distress ("ik lig wakker van mijn werk", "mijn buik draait
   om als ik aan maandag denk"; bot.text.themes.is_own_distress) becomes ``steun``.
6. The third tier has two faces: the writer's own distress (``steun``) and a colleague's
   or a pupil's (``steun_ander``: how to be there for them). Where this component forces
   the tier (points 2 and 5, and an out-of-scope or small-talk guess on a distress word, not
   in a near-domain question such as "kan ik een burn-out laten erkennen als beroepsziekte?")
   it picks the face by whose distress it is (bot.text.themes.distress_owner). Otherwise
   the model picks, except that a ``steun_ander`` guess on the writer's own words ("die
   collega maakt me zo onzeker dat ik bijna ga huilen") becomes ``steun``. The reverse
   needs grammar ("ik schiet uit tegen mijn partner door de spanning" is the writer's), and
   a knowledge guess stays ("hoe herken je een burn-out bij een collega?").
7. A bare number ("4", "vier", "3/5"; bot.text.answers.is_bare_number) gets ``los_cijfer``:
   inside a question the form reads it as the answer whatever the intent, and outside one
   the assistant asks what it is for instead of a knowledge answer guessed from one digit.
8. Themes for the answer (bot.text.themes), as entities that Rasa maps to slots in the
   same process: ``steun_thema`` on a ``steun`` message (which empathic sentence),
   ``buiten_bereik`` on an ``out_of_scope`` message (where to go instead).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text.answers import is_bare_number
from bot.text.crisis import CRISIS, OTHER, SELF, UNKNOWN, ZORG_ANDER, crisis_tier
from bot.text.themes import Found, distress_owner, is_own_distress, near_domain_theme, steun_theme

CRISIS_INTENT = CRISIS
ZORG_ANDER_INTENT = ZORG_ANDER
STEUN_INTENT = "steun"
STEUN_ANDER_INTENT = "steun_ander"
OUT_OF_SCOPE_INTENT = "out_of_scope"
EMPTY_INTENT = "leeg_bericht"
BARE_NUMBER_INTENT = "los_cijfer"
FALLBACK_INTENT = "nlu_fallback"
#: Entities this component adds (domain/steun.yml, domain/fallback.yml map them to slots).
STEUN_ENTITY = "steun_thema"
NEAR_DOMAIN_ENTITY = "buiten_bereik"
EXTRACTOR = "InputGuard"
#: Tier guesses of the model that need a crisis word to stand (see point 2 above).
UNSUPPORTED_TIERS = frozenset({CRISIS, ZORG_ANDER})
#: Model intents that a near-domain question may have got instead of out_of_scope ("is KiVa goed?"
#: is no "ja": no yes or no contains a word such as KiVa, cao or werkdrukmiddelen).
KNOWLEDGE_GUESSES = frozenset(
    {"kennis", "kennis_vervolg", "nlu_fallback", "checkin_start", "checkin_history", "affirm", "deny"}
    | {"vervolg_bron", "vervolg_herkomst", "vervolg_meer", "vervolg_voorbeeld", "vervolg_onderdeel"}
)
#: Model intents that distress may have got instead of steun (never the form answers).
DISTRESS_GUESSES = frozenset(
    {"kennis", "out_of_scope", "nlu_fallback", "goodbye", "greet", "thanks", "bot_challenge", "bot_capabilities"}
    | {"vervolg_bron", "vervolg_herkomst", "vervolg_meer", "vervolg_voorbeeld", "vervolg_onderdeel"}
)
#: Those of them on which any distress word with a known owner is enough: not ``kennis``,
#: which may be a general question ("hoe herken je een burn-out bij een collega?").
SMALL_TALK_GUESSES = DISTRESS_GUESSES - {"kennis"}


def is_empty(text: str | None) -> bool:
    """True when nothing readable is left: white space, control or punctuation characters only."""
    return not any(unicodedata.category(ch)[0] in {"L", "N", "S"} for ch in text or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(GraphComponent):
    """Forces the help tiers, honest limits and ``leeg_bericht`` where the text says so."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "InputGuard":
        return cls()

    @staticmethod
    def _force(message: Message, intent: str) -> None:
        forced = {"name": intent, "confidence": 1.0}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)

    @staticmethod
    def _tag(message: Message, entity: str, found: Found | None) -> None:
        if found is None:
            return
        text = message.get(TEXT)
        if text[found.start : found.end].strip() != text[found.start : found.end]:
            return  # a span must not start or end in white space
        tagged = {
            "entity": entity,
            "value": found.theme,
            "start": found.start,
            "end": found.end,
            "confidence_entity": 1.0,
            "extractor": EXTRACTOR,
        }
        others = [e for e in message.get(ENTITIES) or [] if e.get("entity") != entity]
        message.set(ENTITIES, [*others, tagged], add_to_output=True)

    @staticmethod
    def _face(owner: str) -> str:
        """``steun_ander`` when the distress words are about someone else, else ``steun`` (point 6)."""
        return STEUN_ANDER_INTENT if owner == OTHER else STEUN_INTENT

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get("name")
            tier = crisis_tier(text)
            if tier is not None:
                self._force(message, tier)
            elif is_empty(text):
                self._force(message, EMPTY_INTENT)
            elif is_bare_number(text):
                self._force(message, BARE_NUMBER_INTENT)
            elif intent in UNSUPPORTED_TIERS and steun_theme(text) is not None:
                self._force(message, self._face(distress_owner(text)))
            elif intent in KNOWLEDGE_GUESSES and near_domain_theme(text, strong_only=True) is not None:
                self._force(message, OUT_OF_SCOPE_INTENT)
            elif intent in DISTRESS_GUESSES and is_own_distress(text):
                self._force(message, self._face(distress_owner(text)))
            elif intent == FALLBACK_INTENT and near_domain_theme(text) is not None:
                self._force(message, OUT_OF_SCOPE_INTENT)
            elif (
                intent in SMALL_TALK_GUESSES
                and near_domain_theme(text) is None
                and (owner := distress_owner(text)) != UNKNOWN
            ):
                self._force(message, self._face(owner))
            elif intent == STEUN_ANDER_INTENT and distress_owner(text) == SELF:
                self._force(message, STEUN_INTENT)
            intent = (message.get(INTENT) or {}).get("name")
            if intent == STEUN_INTENT:
                self._tag(message, STEUN_ENTITY, steun_theme(text))
            elif intent == OUT_OF_SCOPE_INTENT:
                self._tag(message, NEAR_DOMAIN_ENTITY, near_domain_theme(text))
        return messages
