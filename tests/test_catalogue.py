"""The tools catalogue and the matching of tools to check-in answers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from bot.services.catalogue import (
    dimension_labels,
    intent_labels,
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
