"""The crisis safety net: high recall on distress, no alarm on ordinary work stress."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.text.crisis import CRISIS, ZORG_ANDER, crisis_tier, is_crisis

ROOT = Path(__file__).resolve().parent.parent


def _examples(path: Path, intent: str) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in data["nlu"]:
        if item.get("intent") == intent:
            return [line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")]
    return []


def test_every_crisis_training_example_is_caught_by_a_pattern():
    examples = _examples(ROOT / "data" / "nlu" / "crisis.yml", "crisis")
    missed = [e for e in examples if not is_crisis(e)]
    assert len(examples) >= 45 and missed == []


def test_held_out_crisis_examples_are_caught():
    examples = _examples(ROOT / "tests" / "nlu_heldout.yml", "crisis")
    missed = [e for e in examples if not is_crisis(e)]
    assert len(missed) <= 1, missed


def test_ordinary_stress_is_not_a_crisis():
    lines = (ROOT / "tests" / "data" / "crisis_negatives.txt").read_text(encoding="utf-8").splitlines()
    negatives = [line for line in lines if line.strip() and not line.startswith("#")]
    assert len(negatives) >= 30
    assert [n for n in negatives if is_crisis(n)] == []


@pytest.mark.parametrize(
    "text,tier",
    [
        ("mijn duo zei gisteren: ik wil er niet meer zijn. wat moet ik doen?", "zorg_ander"),
        ('hij appte me: "ik maak er een eind aan"', "zorg_ander"),
        ("a student texted me 'i want to kill myself'", "zorg_ander"),
        ("ik zei tegen mezelf: ik wil niet meer leven", "crisis"),
        ("mijn moeder zei: je ziet er moe uit. ik wil dood", "crisis"),  # the quote ended
        ("mijn collega zei dat het goed ging, maar ik wil dood", "crisis"),  # no quote
    ],
)
def test_someone_elses_words_quoted_are_theirs(text, tier):
    assert crisis_tier(text) == tier


def test_wounds_on_a_pupils_arms_typed_without_diaeresis_are_worry():
    assert crisis_tier("een meisje uit mijn klas heeft sneeen in haar armen") == "zorg_ander"


@pytest.mark.parametrize(
    "text",
    [
        "ik zie het niet meer zitten",
        "Ik wil dood",
        "ik wil er een eind aan maken",
        "IK WIL NIET MEER LEVEN",
        "ik denk aan zelfmoord",
    ],
)
def test_issue_examples(text):
    assert is_crisis(text)


@pytest.mark.parametrize("text", ["", None, "/checkin_start", "ik ben doodmoe", "werkdruk is hoog"])
def test_no_alarm(text):
    assert not is_crisis(text)


# A denial right before the words about suicide is read as one; everything else stays a crisis.
@pytest.mark.parametrize(
    "text",
    [
        "ik ben niet suïcidaal hoor, maar wel heel erg moe",
        "geen zelfmoordgedachten, ik slaap alleen al weken slecht",
        "ik denk echt niet aan zelfmoord maar mijn werk vreet me op",
        "I'm not suicidal, I just can't cope with the marking",
        "no self-harm or anything, just exhausted",
    ],
)
def test_a_denied_crisis_word_is_no_crisis(text):
    assert crisis_tier(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "ik wil niet meer leven",  # the "niet" is the crisis, not a denial
        "ik dacht vroeger nooit aan zelfmoord, maar nu wel",
        "ik ben niet suïcidaal, alleen soms denk ik aan zelfmoord",
        "niet suïcidaal. maar ik wil wel dood",
        "ik ben niet suïcidaal maar ik snij mezelf soms",
        "ik weet niet of ik nog wel wil leven",
        "I'm not sure I want to live anymore",
    ],
)
def test_what_is_not_a_denial_stays_a_crisis(text):
    assert crisis_tier(text) == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "sterven voelt als de laatste uitweg",
        "ik heb vannacht gegoogeld hoe ik er een eind aan kan maken",
        "ik zit nu op het dak en weet het niet meer",
        "I'm standing on the bridge",
    ],
)
def test_method_place_and_last_way_out_are_a_crisis(text):
    assert crisis_tier(text) == CRISIS


def test_waiting_for_a_train_is_no_crisis():
    assert crisis_tier("ik sta bij het spoor te wachten op de trein, vertraging weer") is None


@pytest.mark.parametrize(
    "text,tier",
    [
        ("ze schreef in haar dagboek dat ze een einde aan alles wil maken", "zorg_ander"),
        ("my student says he can't see any reason to go on", "zorg_ander"),
        ("mijn mentorleerling zei dat niemand haar zou missen", "zorg_ander"),
        ("a colleague has scars on her wrists and I don't know what to say", "zorg_ander"),
        ("ik zie zelf geen reden meer om te leven", "crisis"),
        ("no one would miss me anyway", "crisis"),
    ],
)
def test_an_end_to_everything_no_reason_to_live_and_wounds_say_whose(text, tier):
    assert crisis_tier(text) == tier


@pytest.mark.parametrize(
    "text",
    ["geen reden om je zorgen te maken over de planning", "we maken een einde aan alles wat dubbel werk is"],
)
def test_everyday_phrases_near_those_are_no_alarm(text):
    assert crisis_tier(text) is None


@pytest.mark.parametrize(
    "text",
    ["zelfmoordgedachtes, ze gaan niet meer weg", "suïcidale gedachten, ze blijven maar komen"],
)
def test_a_pronoun_after_one_crisis_word_is_not_someone_else(text):
    assert crisis_tier(text) == CRISIS


def test_a_person_named_after_one_crisis_word_is_someone_else():
    assert crisis_tier("zelfmoord, mijn leerling zegt het steeds") == ZORG_ANDER


@pytest.mark.parametrize(
    "text",
    [
        "heb vannacht weer in mn arm gesneden, ik weet niet hoe ik moet stoppen",
        "mijn bovenbenen zitten vol krassen, ik heb weer in mijn been gesneden",
        "mijn vriend staat voor de deur en dreigt me iets aan te doen",
        "ik ben nu in gevaar, help",
        "my partner is threatening to hurt me, I'm hiding in the bathroom",
    ],
)
def test_self_harm_without_ik_and_acute_danger_from_someone_are_tier_one(text):
    assert crisis_tier(text) == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "mijn arm is gekrast door de kat",
        "een leerling dreigde vorige week dat hij me zou slaan",
        "ik heb in mijn vinger gesneden",
    ],
)
def test_a_scratch_or_a_past_threat_is_not_tier_one(text):
    assert crisis_tier(text) is None
