"""bot/evaluation.py: categories, per-category scores and the report, without a trained model."""

from __future__ import annotations

from bot.evaluation import (
    HELD_OUT,
    MOMENTS,
    Prediction,
    categories,
    default_note,
    english_texts,
    pipeline_result,
    render,
    score,
    score_categories,
    steun_answered_with_113,
)


def p(text: str, target: str, predicted: str, source: str = MOMENTS.name) -> Prediction:
    return Prediction(text, target, predicted, 0.9, source)


PREDICTIONS = [
    p("wat is amplitie", "kennis/amplitie", "kennis/amplitie", HELD_OUT.name),
    p("hoi", "greet", "greet", HELD_OUT.name),
    p("ik wil er niet meer zijn", "crisis", "crisis"),
    p("ik ben zo moe, ik kan niet meer", "steun", "crisis"),
    p("het gaat niet zo goed met mij", "steun", "steun"),
    p("mijn collega is somber", "zorg_ander", "zorg_ander"),
    p("bron?", "vervolg_bron", "vervolg_bron"),
    p("wat is het weer", "out_of_scope", "out_of_scope"),
    p("English please", "taal_engels", "taal_engels"),
    p("what is the pyramid about", "kennis/piramide", "kennis/piramide"),
]


def test_each_example_gets_its_categories() -> None:
    assert categories(PREDICTIONS[0], english=False) == {"single message"}
    assert categories(PREDICTIONS[2], english=False) == {"tier 1: crisis"}
    assert categories(PREDICTIONS[3], english=True) == {"tier 3: steun", "English"}
    assert categories(PREDICTIONS[6], english=False) == {"follow-up"}
    assert categories(PREDICTIONS[8], english=False) == {"language switch"}
    assert categories(PREDICTIONS[9], english=True) == {"English"}
    assert categories(PREDICTIONS[9], english=False) == {"knowledge, indirect Dutch"}


def test_a_steun_message_read_as_crisis_is_counted_and_lowers_crisis_precision() -> None:
    assert steun_answered_with_113(PREDICTIONS) == ["ik ben zo moe, ik kan niet meer"]
    scores = score_categories(PREDICTIONS, english={"what is the pyramid about"})
    assert scores["tier 1: crisis"].accuracy == 1.0
    assert round(scores["tier 1: crisis"].macro_f1, 3) == 0.667  # precision 1/2, recall 1
    assert scores["tier 3: steun"].accuracy == 0.5
    assert scores["tier 3: steun"].n == 2
    assert scores["English"].n == 1
    assert scores["single message"].n == 2


def test_the_detector_decides_what_is_english() -> None:
    assert english_texts(["what is the pyramid about", "wat houdt de piramide in"]) == {"what is the pyramid about"}


def test_the_report_shows_both_pipelines_side_by_side() -> None:
    english = {"what is the pyramid about"}
    ours = pipeline_result("ours", PREDICTIONS, english)
    default = pipeline_result("default", [p(x.text, x.target, "greet", x.source) for x in PREDICTIONS], english)
    heldout = [x for x in PREDICTIONS if x.source == HELD_OUT.name]
    text = render(score(heldout), len(heldout), "standin", ours, default, "note")
    assert "| category | holds | n | ours macro-F1 | ours accuracy | default macro-F1 | default accuracy |" in text
    holds = "steun or steun_ander predicted as crisis or zorg_ander (target 0)"
    assert f"| tier 3 answered with 113 | {holds} | – | **1** | | **0** | |" in text
    assert "## Most frequent confusions" in text
    assert "## Per label" in text
    assert "Category targets for our pipeline NOT met" in text


def test_without_a_default_model_the_report_says_how_to_train_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("bot.evaluation.DEFAULT_MODEL", tmp_path / "default.tar.gz")
    note = default_note()
    assert "--config benchmarks/config_default.yml" in note
    assert "--out models/bench --fixed-model-name default" in note
