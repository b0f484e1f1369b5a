"""The three help tiers never mixed up, by pattern (no model): own crisis, worry about someone else, distress.

Also the input guard's other model-independent decisions: a crisis guess without crisis
words on a tired message becomes ``steun``, near-domain questions become ``out_of_scope``,
and the themes it tags have an answer in every language.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_nlu.input_guard import InputGuard
from bot.services.catalogue import load_tools
from bot.text.crisis import CRISIS, SELF, ZORG_ANDER, crisis_tier, is_crisis, is_worry_about_other
from bot.text.themes import (
    GENERAL,
    distress_owner,
    near_domain_theme,
    near_domain_themes,
    steun_theme,
    steun_themes,
)

ROOT = Path(__file__).resolve().parent.parent

OWN_CRISIS = [
    "ik zie het niet meer zitten",
    "ik wil dood",
    "ik denk aan zelfmoord, ook al heeft mijn collega geen idee",
    "iedereen is beter af zonder mij",
    "ik wil er een eind aan maken, mijn leidinggevende weet van niks",
    "ik heb zelfmoordgedachten",
    "zelfmoord",
    "ik denk aan zelfmoord omdat mijn collega zelfmoord pleegde",
    # English, also indirect
    "I don't see the point of going on",
    "everyone would be better off without me",
    "I want to die",
    "I keep thinking about ending my life",
    "I'm suicidal",
    "sometimes I wish I was dead",
    "I don't want to live anymore",
    "my colleagues would be better off without me",
    "I have been hurting myself again",
    "I'm not safe with myself tonight",
]

SOMEONE_ELSE = [
    "mijn collega zegt dat ze dood wil",
    "mijn collega wil er een eind aan maken",
    "een leerling praat over zelfmoord",
    "ik maak me zorgen om mijn collega, ze praat steeds over de dood",
    "een collega zei tegen mij dat ze er een eind aan wil maken",
    "ik heb een collega met zelfmoordgedachten",
    "ik denk dat hij zelfmoord wil plegen",
    "een leerling snijdt zichzelf, ik zag de wondjes",
    "mijn duocollega zei dat iedereen beter af is zonder haar",
    "hoe bespreek ik zelfdoding met mijn klas",
    "ze ziet het niet meer zitten",
    "my colleague said she wants to die",
    "a student told me he wants to kill himself",
    "I think he wants to kill himself",
    "what should I do if a pupil talks about suicide?",
    "my coworker keeps talking about ending her life",
]

NOT_A_CRISIS = [
    "ik ben zo moe, ik kan niet meer",
    "ik kan niet meer",
    "ik trek het niet meer met al dat nakijkwerk",
    "ik huil elke dag in de auto na school",
    "ik ben doodmoe",
    "ik ga dood van het nakijkwerk",
    "ze had het over de dood van haar vader",
    "mijn collega is zo moe en huilt steeds",
    "mijn leerling lag dubbel, hij ging bijna dood van het lachen",
    "I can't do this anymore",
    "I'm so tired, I can't do this anymore",
    "I'm dead tired",
    "this job is killing me",
    "my boss will kill me if I'm late",
    "I am going to die of boredom in this meeting",
    "I don't see the point of this meeting",
    "I'm dying for the holidays",
]


@pytest.mark.parametrize("text", OWN_CRISIS)
def test_own_suicidal_thoughts_are_tier_one(text):
    assert crisis_tier(text) == CRISIS and is_crisis(text)


@pytest.mark.parametrize("text", SOMEONE_ELSE)
def test_worry_about_someone_else_is_tier_two(text):
    assert crisis_tier(text) == ZORG_ANDER and is_worry_about_other(text) and not is_crisis(text)


@pytest.mark.parametrize("text", NOT_A_CRISIS)
def test_tiredness_and_idioms_are_neither(text):
    assert crisis_tier(text) is None


def _examples(path: Path, intent: str) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        line[2:].strip()
        for item in data["nlu"]
        if item.get("intent") == intent
        for line in item["examples"].splitlines()
        if line.startswith("- ")
    ]


def test_every_worry_training_example_is_caught_as_someone_else():
    examples = _examples(ROOT / "data" / "nlu" / "zorg_ander.yml", "zorg_ander")
    assert len(examples) >= 40
    assert [e for e in examples if crisis_tier(e) != ZORG_ANDER] == []


def test_no_distress_training_example_gets_113():
    examples = _examples(ROOT / "data" / "nlu" / "steun.yml", "steun")
    assert len(examples) >= 100
    assert [e for e in examples if crisis_tier(e) is not None] == []


def test_no_training_example_of_someone_elses_distress_gets_113_or_is_read_as_the_writers():
    """The guard turns a steun_ander guess on the writer's own words into steun: never one it learned."""
    examples = _examples(ROOT / "data" / "nlu" / "steun_ander.yml", "steun_ander")
    assert len(examples) >= 80
    assert [e for e in examples if crisis_tier(e) is not None or distress_owner(e) == SELF] == []


def test_english_crisis_training_examples_are_caught():
    examples = [
        e for e in _examples(ROOT / "data" / "nlu" / "crisis.yml", "crisis") if e.isascii() and " i" in f" {e.lower()}"
    ]
    assert len(examples) >= 20
    assert [e for e in examples if not is_crisis(e)] == []


# --------------------------------------------------------------------------- the input guard


def predicted(text: str, intent: str = "kennis", confidence: float = 0.97) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}], add_to_output=True)
    return message


def guarded(text: str, intent: str = "kennis") -> Message:
    [message] = InputGuard().process([predicted(text, intent)])
    return message


def entity(message: Message, name: str) -> dict | None:
    return next((e for e in message.get("entities") or [] if e["entity"] == name), None)


@pytest.mark.parametrize(("text", "model", "expected"), [
    ("I don't see the point of going on", "out_of_scope", "crisis"),
    ("mijn collega zegt dat ze dood wil", "kennis", "zorg_ander"),
    ("mijn collega zegt dat ze dood wil", "crisis", "zorg_ander"),
    ("a student told me he wants to kill himself", "greet", "zorg_ander"),
    ("ik wil dood", "zorg_ander", "crisis"),
])  # fmt: skip
def test_the_tiers_override_the_model(text, model, expected):
    message = guarded(text, model)
    assert message.get("intent") == {"name": expected, "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == expected


@pytest.mark.parametrize("text", ["ik ben zo moe, ik kan niet meer", "I can't do this anymore, I'm exhausted"])
@pytest.mark.parametrize("model", ["crisis", "zorg_ander"])
def test_a_tier_guess_without_crisis_words_on_tiredness_becomes_distress(text, model):
    message = guarded(text, model)
    assert message.get("intent")["name"] == "steun"
    assert entity(message, "steun_thema")["value"] == "uitputting"


def test_a_tier_guess_without_crisis_or_distress_words_stands():
    """Recall first: the model may know a way of saying it that no pattern knows."""
    assert guarded("het heeft allemaal geen zin meer voor me", "crisis").get("intent")["name"] == "crisis"


@pytest.mark.parametrize(("text", "theme"), [
    ("ik slaap al weken slecht", "slaap"),
    ("ik ben al weken uitgeput en huil in de auto na school", "huilen"),
    ("ik heb elke ochtend buikpijn voordat ik naar school ga", "tegenop"),
    ("ik heb ruzie met mijn leidinggevende", "conflict"),
    ("ik ben bang dat ik een burn-out krijg", "burnout"),
    ("I lie awake every night", "slaap"),
])  # fmt: skip
def test_distress_is_tagged_with_its_theme_where_the_word_is(text, theme):
    message = guarded(text, "steun")
    assert message.get("intent")["name"] == "steun"
    tagged = entity(message, "steun_thema")
    assert tagged["value"] == theme
    assert text[tagged["start"] : tagged["end"]].strip() == text[tagged["start"] : tagged["end"]] != ""


@pytest.mark.parametrize(("text", "model"), [
    ("mijn collega zit er helemaal doorheen en ik weet niet hoe ik haar moet helpen", "kennis"),
    ("Ik maak me zorgen om mijn duocollega, ze huilt bijna elke pauze", "crisis"),
    ("mijn teamleider zit al weken thuis met een burn-out", "zorg_ander"),
    ("my colleague is exhausted and I don't know how to help her", "thanks"),
    ("een leerling van mij slaapt slecht en is steeds gespannen", "zorg_ander"),  # no words about suicide
    ("mijn collega is overspannen, hoe kan ik hem steunen?", "out_of_scope"),
    ("my co-teacher cries in the staff room most days", "goodbye"),
])  # fmt: skip
def test_someone_elses_distress_gets_how_to_be_there_for_them(text, model):
    message = guarded(text, model)
    assert message.get("intent") == {"name": "steun_ander", "confidence": 1.0}
    assert entity(message, "steun_thema") is None  # the empathic sentence is for the writer's own distress


@pytest.mark.parametrize(("text", "model"), [
    ("een collega kleineert me steeds in het bijzijn van anderen", "zorg_ander"),
    ("door mijn collega slaap ik slecht", "out_of_scope"),
    ("sinds mijn duo weg is ben ik zo moe", "crisis"),
    ("mijn collega is overspannen en nu ben ik ook doodmoe", "zorg_ander"),
    ("er is een conflict met mijn duocollega en ik weet niet hoe ik verder moet", "crisis"),
    ("a colleague keeps bullying me", "goodbye"),
])  # fmt: skip
def test_the_writers_own_distress_stays_theirs_whoever_caused_it(text, model):
    assert guarded(text, model).get("intent")["name"] == "steun"


@pytest.mark.parametrize("text", [
    "die nieuwe collega maakt me zo onzeker dat ik bijna ga huilen voor de les",
    "sinds mijn collega met burn-out thuis zit ben ik zo moe",
])  # fmt: skip
def test_a_guess_of_someone_elses_distress_on_the_writers_own_words_is_theirs(text):
    assert guarded(text, "steun_ander").get("intent")["name"] == "steun"


@pytest.mark.parametrize("text", [
    "ik ben bang dat mijn collega een burn-out krijgt",
    "I'm afraid my colleague is heading for a breakdown",
    "mijn teamgenoot heeft het zwaar, ze zegt dat ze het niet meer trekt met haar klas",
])  # fmt: skip
def test_worry_about_someone_elses_state_is_theirs(text):
    assert guarded(text, "steun_ander").get("intent")["name"] == "steun_ander"
    assert guarded(text, "zorg_ander").get("intent")["name"] == "steun_ander"


def test_a_steun_guess_about_someone_else_stays():
    """Whose distress it is needs grammar here: the writer is the one who snaps at the partner."""
    assert guarded("ik schiet uit tegen mijn partner door de spanning", "steun").get("intent")["name"] == "steun"


def test_a_knowledge_guess_on_someone_elses_distress_stays():
    assert guarded("hoe herken je een burn-out bij een collega?", "kennis").get("intent")["name"] == "kennis"


def test_someone_else_who_talks_about_suicide_stays_tier_two():
    text = "mijn collega is al weken uitgeput en zei gisteren dat ze niet meer wil leven"
    assert guarded(text, "steun_ander").get("intent")["name"] == "zorg_ander"


def test_distress_without_a_theme_word_has_no_entity():
    """The slot then falls back to "algemeen" (its from_intent mapping, domain/steun.yml)."""
    assert entity(guarded("het valt me allemaal niet mee op het moment", "steun"), "steun_thema") is None


@pytest.mark.parametrize(("text", "theme"), [
    ("hoe kunnen we de werkdrukmiddelen het beste besteden?", "geld"),
    ("wat staat er in de cao over werkdruk?", "cao"),
    ("welk antipestprogramma is het beste, KiVa?", "programma"),
    ("hoe werkt de wet verbetering poortwachter", "regels"),
    ("how does my pension work?", "cao"),
])  # fmt: skip
@pytest.mark.parametrize("model", ["kennis", "nlu_fallback", "out_of_scope"])
def test_near_domain_questions_never_get_a_knowledge_answer(text, theme, model):
    message = guarded(text, model)
    assert message.get("intent")["name"] == "out_of_scope"
    assert entity(message, "buiten_bereik")["value"] == theme


@pytest.mark.parametrize("text", ["wat zegt TNO over werkdruk?", "wat is amplitie", "hoe werk je aan een gezond team"])
def test_knowledge_questions_keep_their_answer(text):
    message = guarded(text, "kennis")
    assert message.get("intent")["name"] == "kennis" and message.get("entities") in (None, [])


@pytest.mark.parametrize("model", ["out_of_scope", "checkin_history", "nlu_fallback"])
def test_asking_after_a_colleagues_checkin_gets_the_honest_answer(model):
    message = guarded("heeft mijn collega Mark al ingecheckt?", model)
    assert message.get("intent")["name"] == "out_of_scope"
    assert entity(message, "buiten_bereik")["value"] == "persoon"


def test_a_specific_person_otherwise_needs_the_model_to_say_out_of_scope():
    assert (
        entity(guarded("hoe gaat het met mijn collega Sanne?", "out_of_scope"), "buiten_bereik")["value"] == "persoon"
    )
    assert guarded("hoe gaat het met mijn collega Sanne?", "kennis").get("intent")["name"] == "kennis"
    assert guarded("heb ik deze week al ingecheckt?", "checkin_history").get("intent")["name"] == "checkin_history"


def test_button_payloads_are_left_alone():
    message = guarded('/kennis_vervolg{"onderwerp":"werkdruk"}', "kennis_vervolg")
    assert message.get("intent")["name"] == "kennis_vervolg"


# --------------------------------------------------------------------------- themes and answers


def _domain_conditions(path: Path, response: str, slot: str) -> set[tuple[str, str]]:
    variations = yaml.safe_load(path.read_text(encoding="utf-8"))["responses"][response]
    found = set()
    for variation in variations:
        condition = {c["name"]: c["value"] for c in variation.get("condition", [])}
        if slot in condition:
            found.add((condition[slot], condition.get("language")))
    return found


def test_every_distress_theme_has_a_dutch_and_an_english_sentence_and_a_tool():
    conditions = _domain_conditions(ROOT / "domain" / "steun.yml", "utter_steun_erkenning", "steun_thema")
    tool_ids = {t.id for t in load_tools()}
    for theme in [t.id for t in steun_themes()] + [GENERAL]:
        assert {(theme, "nl"), (theme, "en")} <= conditions, theme
    assert all(t.tool in tool_ids for t in steun_themes())
    assert {t for t, _ in conditions} == {t.id for t in steun_themes()} | {GENERAL}


def test_every_near_domain_theme_has_a_dutch_and_an_english_answer_that_says_i_dont_know():
    path = ROOT / "domain" / "fallback.yml"
    conditions = _domain_conditions(path, "utter_out_of_scope", "buiten_bereik")
    for theme in [t.id for t in near_domain_themes()] + [GENERAL]:
        assert {(theme, "nl"), (theme, "en")} <= conditions, theme
    for variation in yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]["utter_out_of_scope"]:
        condition = {c["name"]: c["value"] for c in variation.get("condition", [])}
        if condition.get("buiten_bereik") not in (None, GENERAL):
            assert variation["text"].startswith(
                "Dat weet ik niet." if condition["language"] == "nl" else "I don't know."
            )


def test_distress_answers_never_mention_113():
    responses = yaml.safe_load((ROOT / "domain" / "steun.yml").read_text(encoding="utf-8"))["responses"]
    names = ("utter_steun_erkenning", "utter_steun_routes", "utter_steun_tool", "utter_steun_checkin")
    for name in (*names, "utter_steun_ander", "utter_steun_ander_zelf"):
        assert all("113" not in v["text"] and "112" not in v["text"] for v in responses[name]), name


def test_themes_of_words_alone():
    assert steun_theme("niets bijzonders") is None
    assert near_domain_theme("wat is amplitie") is None
    assert near_domain_theme("hoeveel verdient een leraar", strong_only=True) is None  # "verdient" alone is weak
    assert near_domain_theme("hoeveel verdient een leraar").theme == "cao"


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("ik zit al drie weken thuis met hoofdpijn en lig wakker van mijn werk", "kennis"),
        ("mijn buik draait om als ik aan maandag denk", "out_of_scope"),
        ("ik voel me de laatste tijd erg alleen in het team", "kennis"),
        ("mijn teamleider doet steeds heel onaardig tegen me", "nlu_fallback"),
        ("ik ben al weken uitgeput en huil in de auto na school", "goodbye"),
        ("I feel so tired all the time", "kennis"),
    ],
)
def test_own_distress_never_gets_a_knowledge_answer_or_a_goodbye(text, model):
    assert guarded(text, model).get("intent")["name"] == "steun"


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("ik heb een vraag over werkdruk", "kennis"),
        ("hoe voorkom ik een burn-out in mijn team", "kennis"),
        ("hoe zorg ik dat mijn team niet uitgeput raakt", "kennis"),
        ("wat is slaaptijd in de healthy mind platter", "kennis"),
        ("ik heb weinig energie", "affirm"),  # an answer in the check-in form is left to the form
        ("ik ben moe", "checkin_start"),
    ],
)
def test_knowledge_questions_with_distress_words_keep_their_intent(text, model):
    assert guarded(text, model).get("intent")["name"] == model


def test_it_does_not_work_for_me_to_sleep_is_own_distress():
    assert guarded("het lukt me niet meer om te slapen sinds de inspectie", "kennis").get("intent")["name"] == "steun"


@pytest.mark.parametrize(
    "text",
    ["het lukt me niet meer om te ontspannen, ook 's avonds niet", "ik kom nooit tot rust", "I can't unwind"],
)
def test_not_being_able_to_relax_is_distress_not_a_crisis(text):
    """A model's crisis guess on it becomes the third tier: no 113 without words about death."""
    assert crisis_tier(text) is None and steun_theme(text) is not None
    message = Message.build(text=text)
    message.set("intent", {"name": CRISIS, "confidence": 0.8}, add_to_output=True)
    InputGuard().process([message])
    assert message.get("intent")["name"] == "steun"
