"""English and follow-ups end to end: the real model, Rasa's REST channel and the action server.

The conversation tests (tests/test_vervolg.yml) prove the intents and actions; these prove what
a person reads: the slot `language` chosen in the Rasa process picks the English variation, and
the slot `laatste_onderwerp` set by the action server makes "bron?" about the topic just discussed.
"""

from __future__ import annotations

import uuid

import pytest

from tests.servers import Stack
from tests.test_rest_e2e import say

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("language-e2e")
    running = Stack(var_dir, f"sqlite:///{var_dir / 'app.db'}").start()
    yield running
    running.stop()


def texts(stack: Stack, sender: str, message: str) -> str:
    return "\n".join(m.get("text", "") for m in say(stack, sender, message))


def test_dutch_by_default_english_when_written_and_back(stack):
    sender = str(uuid.uuid4())
    assert "Bron: TNO" in texts(stack, sender, "hoe hoog is de werkdruk op scholen?")
    english = texts(stack, sender, "why do beginning teachers quit?")
    assert "personal circumstances" in english and "Source: Kennisrotonde" in english
    say(stack, sender, "ok")  # too short to tell: the language stays English
    assert "Source: Ouweneel" in texts(stack, sender, "amplitie?")  # one word: the language stays
    assert "Bron: Ouweneel" in texts(stack, sender, "wat is amplitie precies?")


def test_asking_for_english_switches_and_the_check_in_buttons_keep_their_payloads(stack):
    sender = str(uuid.uuid4())
    assert "from now on I will answer in English" in texts(stack, sender, "English please")
    assert "What is amplitie?" in str(say(stack, sender, "hoi"))  # greeting buttons in English
    assert "vanaf nu antwoord ik weer in het Nederlands" in texts(stack, sender, "Nederlands graag")


@pytest.mark.parametrize(
    "question, follow_up, expected",
    [
        ("hoe hoog is de werkdruk in het onderwijs?", "bron?", "TNO-rapport werkdruk in het onderwijs"),
        ("wat betekenen groen, geel en rood voor ons team?", "en rood?", "**Rood** in de piramide"),
        ("what is the healthy mind platter?", "who made that model?", "made by **David Rock and Daniel J. Siegel**"),
        (
            "what does TNO say about teacher workload?",
            "and between primary and secondary?",
            "no substantial differences",
        ),
        ("wat zit er in het fundament van een team?", "wat bedoel je met cyclisch?", "Cyclische waarderingsgesprekken"),
    ],
)
def test_a_follow_up_answers_about_the_topic_just_discussed(stack, question, follow_up, expected):
    sender = str(uuid.uuid4())
    texts(stack, sender, question)
    assert expected in texts(stack, sender, follow_up)


def test_a_follow_up_without_a_topic_asks_what_it_is_about(stack):
    assert "Waar wil je meer over weten?" in texts(stack, str(uuid.uuid4()), "waar staat dat?")
