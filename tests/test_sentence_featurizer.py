"""bot/rasa_nlu/sentence_featurizer.py: Rasa's sentence features of the text, nothing else."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import rasa
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_nlu import sentence_featurizer
from bot.rasa_nlu.sentence_featurizer import AnswerTextRemover, SentenceCountVectorsFeaturizer

TEXTS = ["wat is amplitie?", "de werkdruk in het po is hoog", "bron?", "ik ben zo moe 😭", "Where can I read more?"]
CONFIGS = [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}]


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def tokenized(texts: list[str], answer: str | None = None) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = []
    for text in texts:
        m = Message(data={TEXT: text, "intent": "kennis"})
        if answer:
            m.set(RESPONSE, answer)
        messages.append(m)
    tokenizer.process_training_data(TrainingData(messages))
    return messages


def trained(cls, config: dict, tmp_path, name: str):
    settings = {**cls.get_default_config(), **config}
    component = cls.create(settings, LocalModelStorage(tmp_path), Resource(name), context())
    component.train(TrainingData(tokenized(TEXTS, answer="Amplitie is een aanpak voor alle medewerkers.")))
    return component


def features(message: Message) -> dict[tuple[str, str], np.ndarray]:
    return {(f.attribute, f.type): f.features.toarray() for f in message.features}


@pytest.mark.parametrize("config", CONFIGS, ids=["words", "char n-grams"])
def test_the_sentence_features_of_the_text_are_rasas_and_there_is_nothing_else(config, tmp_path):
    ours = trained(SentenceCountVectorsFeaturizer, config, tmp_path, "ours")
    theirs = trained(CountVectorsFeaturizer, config, tmp_path, "theirs")
    new = ["wat is amplietie", "werkdruk?", "hoe gaat het met de werkdruk in het vo"]
    for a, b in zip(ours.process(tokenized(new)), theirs.process(tokenized(new)), strict=True):
        mine, rasas = features(a), features(b)
        assert list(mine) == [(TEXT, FEATURE_TYPE_SENTENCE)]  # no token rows, no answer text
        assert (TEXT, FEATURE_TYPE_SEQUENCE) in rasas
        np.testing.assert_array_equal(mine[(TEXT, FEATURE_TYPE_SENTENCE)], rasas[(TEXT, FEATURE_TYPE_SENTENCE)])
    assert set(ours.vectorizers) == {TEXT}


def test_persisted_and_loaded_it_makes_the_same_features(tmp_path):
    ours = trained(SentenceCountVectorsFeaturizer, CONFIGS[1], tmp_path, "ours")
    config = {**SentenceCountVectorsFeaturizer.get_default_config(), **CONFIGS[1]}
    loaded = SentenceCountVectorsFeaturizer.load(config, LocalModelStorage(tmp_path), Resource("ours"), context())
    [a], [b] = ours.process(tokenized(["wat is amplitie?"])), loaded.process(tokenized(["wat is amplitie?"]))
    sentence = (TEXT, FEATURE_TYPE_SENTENCE)
    np.testing.assert_array_equal(features(a)[sentence], features(b)[sentence])


def test_an_unknown_rasa_switches_it_back_to_rasas_own_featurizer(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    sentence_featurizer.rasa_matches.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            ours = trained(SentenceCountVectorsFeaturizer, {}, tmp_path, "ours")
        [m] = ours.process(tokenized(["wat is amplitie?"]))
        assert (TEXT, FEATURE_TYPE_SEQUENCE) in features(m)  # Rasa's behaviour: token rows too
        assert RESPONSE in ours.vectorizers
        assert "written for Rasa 3.6.x; found Rasa 3.7.0" in caplog.text
    finally:
        monkeypatch.undo()
        sentence_featurizer.rasa_matches.cache_clear()
    assert sentence_featurizer.rasa_matches()


def test_the_answer_texts_are_taken_off_training_examples_only():
    remover = AnswerTextRemover.create({}, None, Resource("x"), context())
    examples = [Message(data={TEXT: "wat is amplitie?", "intent": "kennis", RESPONSE: "Amplitie is ..."})]
    remover.process_training_data(TrainingData(examples))
    assert examples[0].get(RESPONSE) is None and examples[0].get(TEXT) == "wat is amplitie?"
    user = Message(data={TEXT: "hoi"})
    assert remover.process([user]) == [user]
