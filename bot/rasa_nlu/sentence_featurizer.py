"""Featurize only what our classifier reads: the message text, as one sentence row.

Rasa's featurizer also counts the words of every training example's response text (for
ResponseSelector) and makes a row per token (sequence features, for DIETClassifier and entity
extraction). Our pipeline reads neither: LinearIntentClassifier reads the sentence features of
the text, ``utter_kennis`` takes the answer from the domain, and we extract no entities. Those
extra counts were most of the two featurizers' training time (the char n-grams of ~2,000 long
answer texts, token by token) and half of their time per message (docs/BENCHMARKS.md).

Two components, both in config.yml. ``AnswerTextRemover``, first in the pipeline, takes the
answer text off each knowledge training example before spaCy and the tokenizer read it (Rasa
fills it in from the domain for ResponseSelector; tokenizing and fingerprinting those ~2,000
long texts took a fifth of training). ``SentenceCountVectorsFeaturizer`` counts the text only.

The sentence features are exactly Rasa's (the same vectorizer on the same joined tokens, with
the same settings: word or char_wb analyzer, lemmas, n-grams, OOV token), so a model trained
with Rasa's featurizer predicts the same with this one (tests/test_sentence_featurizer.py).
It overrides ``_attributes_for`` and ``_create_features`` of Rasa 3.6's CountVectorsFeaturizer;
:func:`rasa_matches` checks at start that Rasa is the one it knows, and otherwise the component
works as Rasa's own, with a warning.
"""

from __future__ import annotations

import inspect
import logging
from functools import cache

import rasa
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

#: The Rasa version these overrides were written against, and what they rely on in it: the
#: parameters of the two overridden methods, and that Rasa asks ``_attributes_for`` which
#: attributes to featurize wherever it makes or loads its vectorizers.
RASA_VERSION = "3.6."
PARAMETERS = {"_attributes_for": ["analyzer"], "_create_features": ["self", "attribute", "all_tokens"]}
ASK_ATTRIBUTES_FOR = ("__init__", "_create_independent_vocab_vectorizers", "_create_shared_vocab_vectorizers")


@cache
def rasa_matches() -> bool:
    """True when Rasa's CountVectorsFeaturizer is the one these overrides were written for."""
    problems = [] if rasa.__version__.startswith(RASA_VERSION) else [f"Rasa {rasa.__version__}"]
    for name, parameters in PARAMETERS.items():
        method = getattr(CountVectorsFeaturizer, name, None)
        if method is None or list(inspect.signature(method).parameters) != parameters:
            problems.append(f"{name} has other parameters")
    for name in ASK_ATTRIBUTES_FOR:
        method = getattr(CountVectorsFeaturizer, name, None)
        if method is None or "_attributes_for(" not in inspect.getsource(method):
            problems.append(f"{name} does not call _attributes_for")
    if problems:
        logger.warning(
            "SentenceCountVectorsFeaturizer was written for Rasa %sx; found %s: it works as Rasa's "
            "CountVectorsFeaturizer (all attributes, token rows too). Check the overrides.",
            RASA_VERSION,
            "; ".join(problems),
        )
    return not problems


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer for the text attribute, with sentence features only."""

    @staticmethod
    def _attributes_for(analyzer: str) -> list[str]:
        return [TEXT] if rasa_matches() else CountVectorsFeaturizer._attributes_for(analyzer)

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[scipy.sparse.spmatrix | None], list[scipy.sparse.spmatrix | None]]:
        if not rasa_matches():
            return super()._create_features(attribute, all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer:
            return [None], [None]
        sentences: list[scipy.sparse.spmatrix | None] = []
        for tokens in all_tokens:
            if not tokens:
                sentences.append(None)
                continue
            vector = vectorizer.transform([" ".join(tokens)])  # as Rasa makes the sentence row
            vector.sort_indices()
            sentences.append(vector.tocoo())
        return [None] * len(sentences), sentences


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class AnswerTextRemover(GraphComponent):
    """Takes the answer text off the knowledge training examples: nothing in our pipeline reads it."""

    @classmethod
    def create(
        cls,
        config: dict,
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AnswerTextRemover":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(RESPONSE) is not None:
                example.set(RESPONSE, None)  # spaCy and the tokenizer skip an attribute that is None
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        return messages  # a user message has no answer text
