"""The Dutch spaCy model: the installed-package path and the logged stand-in path.

Both build a small pipeline package, pip-install it into a temporary directory under a
test name and load it with ``spacy.load`` -- the same call Rasa's SpacyNLP makes.
"""

from __future__ import annotations

import importlib
import logging
import sys

import pytest
import spacy

from bot import nlp_model


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("spacy-packages")
    nlp_model.install_pipeline_package("nl_testpipe_sm", "1.0.0", standin=False, target=target)
    nlp_model.install_pipeline_package("nl_teststandin_sm", "0.0.0", standin=True, target=target)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))


def test_installed_package_loads_without_warning(package_dir, caplog):
    assert nlp_model.installed_kind("nl_testpipe_sm") == "real"
    with caplog.at_level(logging.WARNING):
        nlp = spacy.load("nl_testpipe_sm")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    doc = nlp("De leraren hebben een hoge werkdruk")
    assert doc.lang_ == "nl" and doc[0].vector.shape[0] > 0


def test_standin_loads_through_the_same_path_and_warns(package_dir, caplog):
    assert nlp_model.installed_kind("nl_teststandin_sm") == "standin"
    with caplog.at_level(logging.WARNING):
        nlp = spacy.load("nl_teststandin_sm")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("STAND-IN" in w and "spacy download nl_core_news_sm-3.4.0" in w for w in warnings)
    assert [t.lemma_ for t in nlp("gesprekken liep")] == [
        "gesprek",
        "lopen",
    ]  # lookup lemmatizer from spacy-lookups-data
    assert nlp.pipe_names == ["lemmatizer"]  # no tok2vec: Rasa reads no features from it (only word vectors)
    # its tokenizer comes from the config, not from disk: the same tokens as blank Dutch
    text = "m'n collega's: 't is z.s.m. klaar 😀 (zie https://example.nl/a.b) KiVa-programma's e.d."
    assert [t.text for t in nlp(text)] == [t.text for t in spacy.blank("nl")(text)]


def test_missing_package_is_reported():
    assert nlp_model.installed_kind("nl_does_not_exist_sm") is None


def test_ensure_model_builds_standin_when_download_fails(monkeypatch):
    calls = []
    monkeypatch.setattr(nlp_model, "installed_kind", lambda name=nlp_model.MODEL_NAME: None)
    monkeypatch.setattr(nlp_model, "try_download", lambda timeout=300: False)
    monkeypatch.setattr(nlp_model, "install_pipeline_package", lambda *a, **k: calls.append((a, k)))
    assert nlp_model.ensure_model() == "standin"
    assert calls == [((nlp_model.MODEL_NAME, nlp_model.STANDIN_VERSION), {"standin": True})]


def test_ensure_model_prefers_the_real_model(monkeypatch):
    monkeypatch.setattr(nlp_model, "installed_kind", lambda name=nlp_model.MODEL_NAME: "standin")
    monkeypatch.setattr(nlp_model, "try_download", lambda timeout=300: True)
    assert nlp_model.ensure_model() == "real"


def test_ensure_model_rebuilds_a_stand_in_of_another_version(monkeypatch):
    calls = []
    monkeypatch.setattr(nlp_model, "installed_kind", lambda name=nlp_model.MODEL_NAME: "standin")
    monkeypatch.setattr(nlp_model, "try_download", lambda timeout=300: False)
    monkeypatch.setattr(nlp_model, "install_pipeline_package", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(nlp_model, "installed_version", lambda name=nlp_model.MODEL_NAME: "0.0.0")
    assert nlp_model.ensure_model() == "standin"
    assert calls == [((nlp_model.MODEL_NAME, nlp_model.STANDIN_VERSION), {"standin": True})]
    monkeypatch.setattr(nlp_model, "installed_version", lambda name=nlp_model.MODEL_NAME: nlp_model.STANDIN_VERSION)
    assert nlp_model.ensure_model() == "standin" and len(calls) == 1  # the current one is kept
