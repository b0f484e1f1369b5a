"""Intent and knowledge topic in one linear model: DIETClassifier + ResponseSelector, faster.

One scikit-learn ``LogisticRegression`` over the sentence features of the featurizers before
it (sparse word and character n-grams, spaCy's dense vector) learns one label per training
example: the intent, or for the retrieval intent ``kennis`` the full key ``kennis/<topic>``.
At prediction time the probabilities of all ``kennis/*`` labels add up to the intent
``kennis``, and the topic's share of them is the response selector's confidence, so the output
has exactly the shape of DIETClassifier + ResponseSelector (``intent``, ``intent_ranking``,
``response_selector``) and the rest of Rasa (FallbackClassifier, ``utter_kennis``, rules,
``rasa test nlu``) works unchanged.

Why (docs/BENCHMARKS.md): the two TensorFlow models cost most of a message's NLU time and most
of the training time; this model predicts in well under a millisecond and trains in seconds,
with the same held-out quality (docs/EVAL.md). The response texts are not copied into every
message (ResponseSelector does): ``utter_kennis`` takes them from the domain by name.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

logger = logging.getLogger(__name__)

#: The trained weights, biases and labels, as plain numpy arrays (loaded without pickle).
MODEL_FILE = "linear_classifier.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent):
    """Intents and the topic of the retrieval intent from one logistic regression."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": "kennis",
            # Inverse regularisation strength of the logistic regression (chosen on the held-out set, docs/EVAL.md).
            "C": 100.0,
            # Newton-CG rather than scikit-learn's lbfgs: the same optimum (it ends a little closer to it,
            # the same predictions on every training example) in about the same time (40 s), and its fit
            # adds 130 MB to training's peak where lbfgs's added 430 MB (measured on our data).
            "solver": "newton-cg",
            "tol": 1e-3,
            "max_iter": 2000,
            "ranking_length": 10,
            # The retrieval intent's confidence is the sum of its topics' probabilities, at most this
            # many times its best topic's: a message that says nothing ("4", "hmm") spreads a little
            # over all 40 topics, and those little bits must not add up to a confident knowledge answer.
            "topic_spread_cap": 2.0,
            "random_seed": 42,
            # Features (words, character n-grams) found in fewer training examples than this are left
            # out of the fit (their weight is 0): one that occurs once cannot generalise. They were 42%
            # of the columns, and the solver's memory grows with classes x columns: the fit had raised
            # training's peak to 1.6 GB, without them it is 1.4 GB (docs/BENCHMARKS.md).
            "min_feature_examples": 2,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        #: The fitted scikit-learn model, after training only (a loaded model has its arrays).
        self.model: LogisticRegression | None = None
        # The weights as one C-ordered (features x labels) array: ``features @ weights`` then reads
        # it row by row. ``predict_proba`` multiplies by ``coef_.T``, a transposed view that scipy
        # copies (features x labels numbers) on every single message.
        self._weights = None if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
        self._bias = None if bias is None else np.asarray(bias, dtype=np.float64)
        self.labels = labels or []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    # -- features ---------------------------------------------------------------------------

    @staticmethod
    def features(messages: list[Message]) -> csr_matrix:
        """Sentence features of the messages as one matrix (the training path): sublinear counts
        (``log1p``) of the sparse features beside the L2-normalised dense vector, each row
        L2-normalised (long and short messages alike).

        The featurizers' blocks are put side by side, in pipeline order, as
        ``Message.get_sparse_features`` would, without its scipy ``hstack`` per message. A message
        the featurizers gave nothing (a text of punctuation only) gets a row of zeros.
        """
        entries = [LinearIntentClassifier._entries(message) for message in messages]
        width = max((w for _, _, w in entries), default=0)
        if any(0 < w != width for _, _, w in entries):
            raise ValueError(f"{LinearIntentClassifier.__name__}: the messages' features differ in width")
        rows = [(c, v) if w else (c[:0], v[:0]) for c, v, w in entries]
        indptr = np.cumsum([0, *(c.size for c, _ in rows)])
        columns = np.concatenate([c for c, _ in rows] or [np.zeros(0, dtype=np.int64)])
        values = np.concatenate([v for _, v in rows] or [np.zeros(0)])
        return normalize(csr_matrix((values, columns, indptr), shape=(len(rows), width)))

    @staticmethod
    def _entries(message: Message) -> tuple[np.ndarray, np.ndarray, int]:
        """A message's feature row before its L2 normalisation, as its non-zero columns, their values
        and the row's width: ``log1p`` of each sparse block's counts, then the dense vector normalised."""
        columns, values, width, dense = [], [], 0, []
        for feature in message.features:
            if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
                continue
            if feature.is_sparse():
                block = feature.features.tocoo()
                columns.append(block.col + width)
                values.append(np.log1p(block.data, dtype=np.float64))
                width += block.shape[1]
            else:
                dense.append(np.asarray(feature.features, dtype=np.float64).ravel())
        vector = np.concatenate(dense) if dense else np.zeros(0)
        if vector.size:
            norm = np.linalg.norm(vector)
            columns.append(width + np.arange(vector.size))
            values.append(vector / norm if norm else vector)
            width += vector.size
        if not columns:
            return np.zeros(0, dtype=np.int64), np.zeros(0), width
        return np.concatenate(columns).astype(np.int64, copy=False), np.concatenate(values), width

    def label(self, message: Message) -> str:
        """The label one training example teaches: its intent, or ``kennis/<topic>``."""
        intent = message.get(INTENT)
        return message.get_full_intent() if intent == self.config["retrieval_intent"] else intent

    # -- training ---------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s is not trained.", type(self).__name__)
            return self._resource
        self.model = LogisticRegression(
            C=self.config["C"],
            solver=self.config["solver"],
            tol=self.config["tol"],
            max_iter=self.config["max_iter"],
            random_state=self.config["random_seed"],
            class_weight="balanced",
        )
        matrix = self.features(examples)
        # examples per column: each example has at most one entry in a column
        kept = np.flatnonzero(np.diff(matrix.tocsc().indptr) >= self.config["min_feature_examples"])
        started = time.perf_counter()
        self.model.fit(matrix[:, kept], [self.label(m) for m in examples])
        logger.info("Fitted %d labels on %d examples x %d features in %.1f s (%d iterations).",
                    len(self.model.classes_), len(examples), len(kept), time.perf_counter() - started,
                    int(np.max(self.model.n_iter_)))  # fmt: skip
        if len(self.model.classes_) < 3:  # two labels: a binary model, whose coef_ has one row
            raise ValueError(f"{type(self).__name__} needs at least three intents, found {len(self.model.classes_)}")
        coef = np.zeros((self.model.coef_.shape[0], matrix.shape[1]))
        coef[:, kept] = self.model.coef_
        self.model.coef_, self.model.n_features_in_ = coef, matrix.shape[1]  # as if fitted on every column
        self._weights, self._bias = np.ascontiguousarray(coef.T), np.asarray(self.model.intercept_)
        self.labels = [str(label) for label in self.model.classes_]
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, weights=self._weights, bias=self._bias, labels=np.array(self.labels))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / MODEL_FILE, allow_pickle=False) as arrays:  # arrays only, no code
                    weights, bias, labels = arrays["weights"], arrays["bias"], arrays["labels"].tolist()
        except (ValueError, KeyError, OSError):
            logger.debug("No trained %s in the model: an untrained one.", cls.__name__)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, weights, bias, labels)

    # -- prediction -------------------------------------------------------------------------

    def process(self, messages: list[Message]) -> list[Message]:
        if self._weights is None:
            return messages
        for message in messages:
            self._set_prediction(message, self.labels, self.probabilities(message))
        return messages

    def probabilities(self, message: Message) -> np.ndarray:
        """``predict_proba`` of one message: the softmax of its linear scores.

        Computed from the row's non-zero entries alone (the weight rows they select, summed), with
        numpy: 0.07 ms a message, where building a scipy row, normalising it and multiplying the
        sparse matrix took 0.5 ms (our model, the 586 held-out messages, a quiet core). ``features`` stays the training
        path; tests/test_linear_classifier.py holds the two to the same numbers.
        """
        columns, values, width = self._entries(message)
        if width != self._weights.shape[0]:
            if width:  # the featurizers differ from training's
                logger.warning("Message features do not match the trained %s (%d wide): retrain the model.",
                               type(self).__name__, self._weights.shape[0])  # fmt: skip
            columns, values = columns[:0], values[:0]
        norm = np.linalg.norm(values)
        scores = (values / norm if norm else values) @ self._weights[columns] + self._bias
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def _set_prediction(self, message: Message, labels: list[str], row: np.ndarray) -> None:
        retrieval = self.config["retrieval_intent"]
        prefix = f"{retrieval}/"
        intents: dict[str, float] = defaultdict(float)
        topics: list[tuple[float, str]] = []
        for label, p in zip(labels, row.tolist(), strict=True):
            if label.startswith(prefix):
                intents[retrieval] += p
                topics.append((p, label))
            else:
                intents[label] += p
        all_topics = intents.get(retrieval, 0.0)
        if topics:
            intents[retrieval] = min(all_topics, self.config["topic_spread_cap"] * max(topics)[0])
        n = self.config["ranking_length"]
        ranking = sorted(({"name": k, "confidence": v} for k, v in intents.items()), key=lambda r: -r["confidence"])
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking[:n], add_to_output=True)
        if topics:
            self._set_topic(message, retrieval, sorted(topics, reverse=True)[:n], all_topics)

    @staticmethod
    def _set_topic(message: Message, retrieval: str, topics: list[tuple[float, str]], total: float) -> None:
        """The ``response_selector`` output of ResponseSelector, confidences relative to the intent."""
        total = total or 1.0
        ranking = [{"confidence": p / total, "intent_response_key": key} for p, key in topics]
        best = ranking[0]
        selected = message.get("response_selector") or {}
        selected["all_retrieval_intents"] = [retrieval]
        selected[retrieval] = {
            "response": {
                "responses": [],  # taken from the domain by utter_kennis (see the module docstring)
                "confidence": best["confidence"],
                "intent_response_key": best["intent_response_key"],
                "utter_action": f"utter_{best['intent_response_key']}",
            },
            "ranking": ranking,
        }
        message.set("response_selector", selected, add_to_output=True)
