"""bot/rasa_nlu/linear_classifier.py: the output DIETClassifier + ResponseSelector gave, from one model."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix

from bot.rasa_nlu.linear_classifier import MODEL_FILE, LinearIntentClassifier

#: Three "words" per label, one-hot on 12 features: a toy task with exact answers.
LABELS = {"greet": 0, "goodbye": 3, "kennis/werkdruk": 6, "kennis/amplitie": 9}


def message(text: str, vector: list[float], label: str | None = None) -> Message:
    m = Message(data={TEXT: text})
    if label:
        intent, _, topic = label.partition("/")
        m.set("intent", intent)
        if topic:
            m.set(INTENT_RESPONSE_KEY, label)
    m.add_features(Features(csr_matrix(np.array([vector])), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return m


def one_hot(*positions: int) -> list[float]:
    v = [0.0] * 12
    for p in positions:
        v[p] = 1.0
    return v


@pytest.fixture
def trained(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear")
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.create({}, storage, resource, context)
    examples = [
        message(f"{label} {i}", one_hot(start + i % 3), label) for label, start in LABELS.items() for i in range(6)
    ]
    component.train(TrainingData(examples))
    return component, storage, resource, context


def test_intent_topic_and_the_response_selector_shape(trained):
    component, *_ = trained
    [m] = component.process([message("werkdruk", one_hot(6, 7))])
    assert m.get("intent")["name"] == "kennis" and m.get("intent")["confidence"] > 0.5
    assert {r["name"] for r in m.get("intent_ranking")} == {"greet", "goodbye", "kennis"}  # topics add up
    selected = m.get("response_selector")["kennis"]
    assert selected["response"]["intent_response_key"] == "kennis/werkdruk"
    assert selected["response"]["utter_action"] == "utter_kennis/werkdruk"
    assert sum(r["confidence"] for r in selected["ranking"]) == pytest.approx(1.0)  # shares of the intent
    assert m.get("response_selector")["all_retrieval_intents"] == ["kennis"]
    assert all(isinstance(r["confidence"], float) for r in m.get("intent_ranking"))  # JSON-safe, no numpy


def test_probabilities_are_those_of_the_fitted_model(trained):
    component, *_ = trained
    m = message("dag", one_hot(3, 4))
    probabilities = component.model.predict_proba(component.features([m]))[0]
    expected = dict(zip(component.model.classes_, probabilities, strict=True))
    [m] = component.process([m])
    ranking = {r["name"]: r["confidence"] for r in m.get("intent_ranking")}
    assert ranking["goodbye"] == pytest.approx(expected["goodbye"])
    assert ranking["kennis"] <= expected["kennis/werkdruk"] + expected["kennis/amplitie"] + 1e-9


def test_a_message_without_features_is_no_crash(trained):
    component, *_ = trained
    empty = Message(data={TEXT: ""})
    [m] = component.process([empty])
    assert m.get("intent")["name"] in {"greet", "goodbye", "kennis"}  # the input guard answers empty messages


def test_persisted_and_loaded_it_predicts_the_same(trained):
    component, storage, resource, context = trained
    loaded = LinearIntentClassifier.load({}, storage, resource, context)
    for vector in (one_hot(0), one_hot(9, 10), one_hot(1, 7)):
        a, b = component.process([message("x", vector)])[0], loaded.process([message("x", vector)])[0]
        assert a.get("intent_ranking") == b.get("intent_ranking")


def test_nothing_to_learn_from_leaves_messages_untouched(tmp_path):
    component = LinearIntentClassifier.create(
        {}, LocalModelStorage(tmp_path), Resource("x"), ExecutionContext(GraphSchema({}), "t")
    )
    component.train(TrainingData([]))
    [m] = component.process([message("hoi", one_hot(0))])
    assert m.get("intent") is None


def test_a_model_file_that_would_need_pickle_is_not_loaded(trained):
    component, storage, resource, context = trained
    with storage.write_to(resource) as directory:  # e.g. a tampered model: objects, not numbers
        np.savez(directory / MODEL_FILE, weights=np.array([object()]), bias=np.zeros(1), labels=np.array(["x"]))
    loaded = LinearIntentClassifier.load({}, storage, resource, context)
    [m] = loaded.process([message("hoi", one_hot(0))])
    assert m.get("intent") is None  # untrained: nothing unpickled, nothing predicted


def test_one_message_is_scored_as_the_training_matrix_scores_it(tmp_path):
    """``probabilities`` (the per-message path) and ``predict_proba`` over ``features`` (the
    training path) agree, with two sparse blocks and a dense vector as the featurizers give."""

    def featurized(label: str | None, words: list[int], chars: list[int], vector: list[float]) -> Message:
        m = message(label or "x", one_hot(*words), label)
        block = np.zeros((1, 7))
        block[0, chars] = [2.0, 1.0][: len(chars)]  # counts, as CountVectorsFeaturizer gives
        m.add_features(Features(csr_matrix(block), FEATURE_TYPE_SENTENCE, TEXT, "chars"))
        m.add_features(Features(np.array([vector]), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
        return m

    component = LinearIntentClassifier.create(
        {}, LocalModelStorage(tmp_path), Resource("x"), ExecutionContext(GraphSchema({}), "t")
    )
    rng = np.random.default_rng(1)
    component.train(TrainingData([
        featurized(label, [start + i % 3], [i % 7], list(rng.normal(size=3)))
        for label, start in LABELS.items() for i in range(6)
    ]))  # fmt: skip
    for m in (featurized(None, [6, 7], [2, 5], [0.5, -1.0, 2.0]), featurized(None, [0], [], [0.0, 0.0, 0.0])):
        expected = component.model.predict_proba(component.features([m]))[0]
        assert component.probabilities(m) == pytest.approx(expected, abs=1e-12)


def test_features_of_another_width_score_as_an_empty_message(trained, caplog):
    component, *_ = trained
    narrow = Message(data={TEXT: "x"})
    narrow.add_features(Features(csr_matrix(np.ones((1, 5))), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    expected = component.model.predict_proba(csr_matrix((1, 12)))[0]  # a row of zeros: the biases alone
    assert component.probabilities(narrow) == pytest.approx(expected)
    assert "retrain the model" in caplog.text
    assert component.probabilities(Message(data={TEXT: ""})) == pytest.approx(expected)
