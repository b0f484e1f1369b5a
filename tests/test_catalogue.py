"""The tools catalogue and the matching of tools to check-in answers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.services import scan
from bot.services.catalogue import (
    CATALOGUE_DIR,
    dimension_labels,
    intent_labels,
    load_labels,
    load_tools,
    next_steps_by_level,
    tools_for,
    topic_labels,
)
from bot.services.checkin import reflect
from bot.vocabulary import DIMENSIONS, LEVELS

DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"


def test_catalogue_is_rich_enough():
    tools = load_tools()
    assert len(tools) >= 20
    per_dimension = Counter(d for t in tools for d in t.dimensies)
    assert all(per_dimension[d] >= 4 for d in DIMENSIONS)
    assert {t.niveau for t in tools} == set(LEVELS)
    assert {"bedrijfsarts", "vertrouwenspersoon"} <= {w for t in tools for w in t.id.split("_")}


def test_lowest_dimension_chooses_the_tools():
    for dim in DIMENSIONS:
        chosen = tools_for([dim])
        assert 1 <= len(chosen) <= 3
        assert dim in chosen[0].dimensies
        assert all(t.niveau != "rood" for t in chosen)  # curative routes come as a gentle pointer instead


def test_two_weak_dimensions_each_get_a_tool():
    chosen = tools_for(["werkdruk", "verbinding"])
    assert "werkdruk" in chosen[0].dimensies
    assert any("verbinding" in t.dimensies for t in chosen)


def test_reflection_names_a_strength_and_a_point_of_attention():
    result = reflect({"energie": 5, "werkdruk": 1, "verbinding": 3, "waardering": None, "plezier": 4})
    assert result.strength == "energie"
    assert result.attention == "werkdruk" and result.attention_score == 1
    assert "werkdruk" in result.tools[0].dimensies
    all_good = reflect({d: 5 for d in DIMENSIONS})
    assert all_good.attention is None and len(all_good.tools) == 1
    assert reflect({d: None for d in DIMENSIONS}).tools == []


def test_next_steps_are_grouped_by_pyramid_level():
    steps = next_steps_by_level(["verbinding"])
    assert list(steps) == list(LEVELS)
    assert all(t.niveau == level for level, tools in steps.items() for t in tools)


def test_labels_exist_for_every_topic_dimension_and_button_intent():
    assert len(topic_labels()) == 25
    assert list(dimension_labels()) == list(DIMENSIONS)
    assert set(intent_labels()) <= {"checkin_start", "checkin_history", "delete_my_data", "bot_capabilities"}


def _kennis_responses(path: Path) -> set[str]:
    """The topics of the ``utter_kennis/<topic>`` responses in one domain file."""
    responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
    return {name.partition("/")[2] for name in responses if name.startswith("utter_kennis/")}


def test_every_knowledge_answer_has_a_topic_label_and_every_label_an_answer():
    """actions/kennis.py counts only topics in onderwerpen.yml: a missing label is never counted."""
    answered = _kennis_responses(DOMAIN_DIR / "kennis.yml")
    assert len(answered) >= 20
    labels = topic_labels()
    assert sorted(answered - set(labels)) == [], (
        "utter_kennis/<topic> without an entry in bot/catalogue/onderwerpen.yml"
    )
    assert sorted(set(labels) - answered) == [], "onderwerpen.yml entry without an utter_kennis/<topic> answer"
    assert all(isinstance(label, str) and label.strip() for label in labels.values())
    # Knowledge answers live in domain/kennis.yml only, so the check above sees all of them.
    elsewhere = {p.name: _kennis_responses(p) for p in DOMAIN_DIR.rglob("*.yml") if p.name != "kennis.yml"}
    assert {name: topics for name, topics in elsewhere.items() if topics} == {}


# ---------------------------------------------------------------- Dutch and English


LABELS = {"topic": topic_labels, "dimension": dimension_labels, "intent": intent_labels}


@pytest.mark.parametrize("kind", list(LABELS))
def test_every_label_has_an_english_one_and_dutch_stays_the_default(kind):
    labels = LABELS[kind]
    dutch, english = labels(), labels("en")
    assert labels("nl") == labels(None) == labels("fr") == dutch  # anything but "en" is Dutch
    assert list(english) == list(dutch)  # the same keys, in the same order
    assert all(isinstance(v, str) and v.strip() for v in english.values())
    # Translated, not copied: only names that are the same in both languages may repeat.
    same = {key for key in dutch if english[key] == dutch[key]}
    assert same <= {"amplitie_team", "healthy_mind_platter"}, sorted(same)


def test_known_labels_in_both_languages():
    assert topic_labels()["amplitie_leiding"] == "Amplitie: rol van leidinggevenden"
    assert topic_labels("en")["amplitie_leiding"] == "Amplitie: the role of leaders"
    assert intent_labels("en")["checkin_start"] == "Do the weekly check-in"
    assert dimension_labels()["energie"] == "Energie" and dimension_labels("en")["energie"] == "Energy"


def test_every_tool_has_an_english_name_and_description():
    for tool in load_tools():
        assert tool.name_in("en") == tool.naam_en and tool.description_in("en") == tool.beschrijving_en
        assert tool.name_in("nl") == tool.name_in(None) == tool.naam
        assert tool.description_in("nl") == tool.description_in(None) == tool.beschrijving
        assert tool.beschrijving_en != tool.beschrijving, tool.id
        assert tool.beschrijving_en.endswith(".") and len(tool.beschrijving_en.split()) <= 30, tool.id
    slaap = next(t for t in load_tools() if t.id == "hmp_slaap")
    assert (slaap.name_in("nl"), slaap.name_in("en")) == ("Slaaptijd", "Sleep Time")


def test_every_scan_element_has_an_english_label_and_compliment():
    for element in scan.elements().values():
        assert element.label_in("nl") == element.label and element.sterk_in(None) == element.sterk
        assert element.label_in("en") == element.label_en and element.sterk_in("en") == element.sterk_en
        assert element.sterk_en.strip() and element.sterk_en != element.sterk, element.key
    assert scan.elements()["visie"].label_in("en") == "The school's vision"


def _tools_file(tmp_path: Path, drop: str) -> Path:
    """tools.yml with ``drop`` removed from its first tool."""
    data = yaml.safe_load((CATALOGUE_DIR / "tools.yml").read_text(encoding="utf-8"))
    first = data["tools"][0]
    first.pop(drop)
    path = tmp_path / "tools.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("missing", ["naam_en", "beschrijving_en", "naam", "beschrijving"])
def test_a_tool_without_a_text_in_either_language_fails_loading(tmp_path, missing):
    path = _tools_file(tmp_path, missing)
    with pytest.raises(ValueError, match=rf"tool 'hmp_slaap' has no text '{missing}'"):
        load_tools(path)
    load_tools.cache_clear()


@pytest.mark.parametrize(
    "content",
    [
        'programma: {nl: "Wat is Welbevinden op School?"}\n',  # English missing
        'programma: {nl: "Wat is Welbevinden op School?", en: ""}\n',  # English empty
        'programma: "Wat is Welbevinden op School?"\n',  # the old, Dutch-only format
        'programma: {en: "What is Welbevinden op School?"}\n',  # Dutch missing
    ],
)
def test_a_label_without_both_languages_fails_loading(tmp_path, content):
    path = tmp_path / "onderwerpen.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="'programma' has no text"):
        load_labels(path)


@pytest.mark.parametrize("missing", ["label_en", "sterk_en"])
def test_a_scan_element_without_english_fails_loading(tmp_path, missing):
    data = yaml.safe_load((CATALOGUE_DIR / "fundament.yml").read_text(encoding="utf-8"))
    data["elementen"]["leiderschap"].pop(missing)
    path = tmp_path / "fundament.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"element 'leiderschap' has no text '{missing}'"):
        scan._catalogue(path)
    scan._catalogue.cache_clear()
