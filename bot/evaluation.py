"""``make eval``: NLU quality on the held-out test sets -> docs/EVAL.md.

Runs the same prediction code as ``rasa test nlu`` (rasa.nlu.test.get_eval_data) on
tests/nlu_heldout.yml and tests/nlu_heldout_moments.yml, then scores one label per example:
the intent, or for knowledge questions the topic the model chose
(``kennis/<topic>``), because a wrong topic is a wrong answer even when the intent ``kennis``
was right.

Every example also gets categories (:func:`categories`): single message, follow-up, each help
tier, asking for a person, English, out-of-scope, language switch. Each category is scored for
our model and, side by side, for the default pipeline's model (models/bench/default.tar.gz,
benchmarks/config_default.yml) when one has been trained.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bot.settings import PROJECT_ROOT

HELD_OUT = PROJECT_ROOT / "tests" / "nlu_heldout.yml"
MOMENTS = PROJECT_ROOT / "tests" / "nlu_heldout_moments.yml"  # held-out; never copy it into data/
MODEL = PROJECT_ROOT / "models" / "current.tar.gz"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "bench" / "default.tar.gz"  # the default pipeline, from `make bench`
DEFAULT_TRAIN_COMMAND = (
    ".venv/bin/rasa train --config benchmarks/config_default.yml --domain domain --data data "
    "--out models/bench --fixed-model-name default"
)
REPORT = PROJECT_ROOT / "docs" / "EVAL.md"
TARGET_MACRO_F1 = 0.95

#: The categories in report order: (name, what it holds).
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("single message", "Dutch knowledge topics and basic intents of `nlu_heldout.yml`"),
    ("knowledge, indirect Dutch", "Dutch `kennis/*` of `nlu_heldout_moments.yml` (indirect, colloquial)"),
    ("follow-up", "`vervolg_*`"),
    ("tier 1: crisis", "`crisis` (answered with 113)"),
    ("tier 2: zorg_ander", "`zorg_ander` (worried about someone else)"),
    ("tier 3: steun", "`steun` (distress, not acute)"),
    ("tier 3: steun_ander", "`steun_ander` (someone else's distress, not acute)"),
    ("help: mens_spreken", "`mens_spreken` (asks for a person)"),
    ("English", "examples the bot's language detector reads as English, any label"),
    ("out-of-scope", "`out_of_scope`"),
    ("language switch", "`taal_*`"),
)
#: Categories defined by their labels: their labels' F1 counts false alarms from the whole set.
LABEL_CATEGORIES = {
    "follow-up": lambda label: label.startswith("vervolg_"),
    "tier 1: crisis": lambda label: label == "crisis",
    "tier 2: zorg_ander": lambda label: label == "zorg_ander",
    "tier 3: steun": lambda label: label == "steun",
    "tier 3: steun_ander": lambda label: label == "steun_ander",
    "help: mens_spreken": lambda label: label == "mens_spreken",
    "out-of-scope": lambda label: label == "out_of_scope",
    "language switch": lambda label: label.startswith("taal_"),
}


@dataclass(frozen=True)
class Prediction:
    text: str
    target: str
    predicted: str
    confidence: float
    source: str = HELD_OUT.name  # the held-out file the example comes from


@dataclass(frozen=True)
class Scores:
    macro_f1: float
    accuracy: float
    per_label: dict[str, tuple[float, float, float, int]]  # precision, recall, f1, support
    confusions: list[tuple[str, str, int]]
    oos_precision: float
    oos_answered_with_topic: list[str]


async def predict(model_path: Path = MODEL, data_path: Path = HELD_OUT) -> list[Prediction]:
    """Predict every held-out example with the trained model."""
    return await predict_files(model_path, [data_path])


async def predict_files(model_path: Path, data_paths: list[Path]) -> list[Prediction]:
    """Predict the examples of several held-out files with one loaded model."""
    from rasa.core.agent import Agent
    from rasa.nlu.test import get_eval_data
    from rasa.shared.importers.importer import TrainingDataImporter

    agent = Agent.load(str(model_path))
    predictions = []
    for data_path in data_paths:
        importer = TrainingDataImporter.load_from_dict(training_data_paths=[str(data_path)])
        intents, responses, _ = await get_eval_data(agent.processor, importer.get_nlu_data())
        for i, intent in enumerate(intents):
            target, predicted = intent.intent_target, intent.intent_prediction or "None"
            if responses and i < len(responses):
                if target == "kennis":
                    target = responses[i].intent_response_key_target or target
                if predicted == "kennis":
                    predicted = responses[i].intent_response_key_prediction or predicted
            confidence = float(intent.confidence or 0.0)
            predictions.append(Prediction(intent.message, target, predicted, confidence, data_path.name))
    return predictions


def score(predictions: list[Prediction], fallback_threshold: float = 0.55) -> Scores:
    """Macro-F1 over all labels, the top confusions and out-of-scope safety."""
    from sklearn.metrics import precision_recall_fscore_support

    targets = [p.target for p in predictions]
    predicted = [p.predicted for p in predictions]
    labels = sorted(set(targets))
    precision, recall, f1, support = precision_recall_fscore_support(targets, predicted, labels=labels, zero_division=0)
    per_label = {lab: (precision[i], recall[i], f1[i], int(support[i])) for i, lab in enumerate(labels)}
    confusions = Counter((p.target, p.predicted) for p in predictions if p.target != p.predicted)
    said_oos = [p for p in predictions if p.predicted == "out_of_scope"]
    oos_precision = sum(p.target == "out_of_scope" for p in said_oos) / len(said_oos) if said_oos else 1.0
    # A topic answer is only given above the fallback threshold; below it the bot asks.
    answered = [
        p.text
        for p in predictions
        if p.target == "out_of_scope" and p.predicted.startswith("kennis") and p.confidence >= fallback_threshold
    ]
    return Scores(
        macro_f1=float(sum(f1) / len(f1)),
        accuracy=sum(t == p for t, p in zip(targets, predicted, strict=True)) / len(targets),
        per_label=per_label,
        confusions=[(t, p, n) for (t, p), n in confusions.most_common(15)],
        oos_precision=oos_precision,
        oos_answered_with_topic=answered,
    )


def english_texts(texts: list[str]) -> set[str]:
    """The texts the bot itself reads as English: bot.rasa_nlu.language.detect says ``"en"``."""
    from bot.rasa_nlu.language import ENGLISH, build_detector, detect

    detector = build_detector()
    return {t for t in texts if detect(t, detector) == ENGLISH}


def categories(p: Prediction, english: bool) -> set[str]:
    """The categories of one example (English overlaps the label categories)."""
    found = {name for name, belongs in LABEL_CATEGORIES.items() if belongs(p.target)}
    if english:
        found.add("English")
    elif not found:
        if p.source == HELD_OUT.name:
            found.add("single message")
        elif p.target.startswith("kennis"):
            found.add("knowledge, indirect Dutch")
    return found


@dataclass(frozen=True)
class CategoryScore:
    macro_f1: float
    accuracy: float
    n: int


def score_categories(predictions: list[Prediction], english: set[str]) -> dict[str, CategoryScore]:
    """Macro-F1, accuracy and n per category.

    A category defined by its labels (the tiers, follow-up, ...) takes its labels' F1 over all
    examples, so a false alarm from elsewhere (a steun message read as crisis) lowers the crisis
    precision. Single message, indirect knowledge and English are slices of examples: their
    macro-F1 is over the labels of the slice, counted within the slice.
    """
    from sklearn.metrics import precision_recall_fscore_support

    members: dict[str, list[Prediction]] = {name: [] for name, _ in CATEGORIES}
    for p in predictions:
        for name in categories(p, p.text in english):
            members[name].append(p)
    result = {}
    for name, examples in members.items():
        if not examples:
            continue
        labels = sorted({p.target for p in examples})
        population = predictions if name in LABEL_CATEGORIES else examples
        _, _, f1, _ = precision_recall_fscore_support(
            [p.target for p in population], [p.predicted for p in population], labels=labels, zero_division=0
        )
        accuracy = sum(p.target == p.predicted for p in examples) / len(examples)
        result[name] = CategoryScore(float(sum(f1) / len(f1)), accuracy, len(examples))
    return result


def steun_answered_with_113(predictions: list[Prediction]) -> list[str]:
    """Tier-3 examples (steun, steun_ander) read as a suicide tier: the bot would answer them with 113."""
    tier_3, with_113 = {"steun", "steun_ander"}, {"crisis", "zorg_ander"}
    return [p.text for p in predictions if p.target in tier_3 and p.predicted in with_113]


@dataclass(frozen=True)
class PipelineResult:
    """One model's results on both held-out sets."""

    name: str
    categories: dict[str, CategoryScore]
    steun_as_crisis: list[str]
    moments_confusions: tuple[tuple[str, str, int], ...] = ()  # the most frequent in nlu_heldout_moments.yml


def pipeline_result(name: str, predictions: list[Prediction], english: set[str]) -> PipelineResult:
    confusions = Counter(
        (p.target, p.predicted) for p in predictions if p.source == MOMENTS.name and p.target != p.predicted
    )
    return PipelineResult(
        name,
        score_categories(predictions, english),
        steun_answered_with_113(predictions),
        tuple((t, p, n) for (t, p), n in confusions.most_common(15)),
    )


def git_commit() -> str:
    """The short commit of the working tree, marked when it has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def render_categories(ours: PipelineResult, default: PipelineResult | None, default_note: str) -> list[str]:
    """The per-category section: our pipeline and the default pipeline side by side."""
    pipelines = [ours] + ([default] if default else [])
    head = "| category | holds | n |" + "".join(f" {r.name} macro-F1 | {r.name} accuracy |" for r in pipelines)
    lines = [
        "## Per category, our pipeline and the default pipeline",
        "",
        "Both held-out sets together (`tests/nlu_heldout.yml` and `tests/nlu_heldout_moments.yml`; "
        "the second was written apart from the training data and is never copied into `data/`). "
        f"Target: macro-F1 ≥ {TARGET_MACRO_F1} in every category, and no tier-3 (steun, steun_ander) message "
        "answered with 113.",
        "",
        "Categories: a label category (follow-up, the tiers, mens_spreken, out-of-scope, language switch) "
        "holds every example with its labels, in either language, and its macro-F1 uses each label's F1 over "
        "all examples, so false alarms from other categories count. *English* holds every example for which "
        "the bot's own detector (`bot.rasa_nlu.language.detect`) says `en`, whatever its label; single "
        "message and indirect knowledge hold the remaining (not English) examples of their file. English, "
        "single message and indirect knowledge are scored within their own examples.",
        "",
        f"{default_note}",
        "",
        head,
        "|---|---|---|" + "---|---|" * len(pipelines),
    ]
    for name, holds in CATEGORIES:
        score = ours.categories.get(name)
        if not score:
            continue
        row = f"| {name} | {holds} | {score.n} |"
        for r in pipelines:
            s = r.categories.get(name)
            mark = "" if s and s.macro_f1 >= TARGET_MACRO_F1 else " ✗"
            row += f" **{s.macro_f1:.3f}**{mark} | {s.accuracy:.3f} |" if s else " – | – |"
        lines.append(row)
    row = "| tier 3 answered with 113 | steun or steun_ander predicted as crisis or zorg_ander (target 0) | – |"
    row += "".join(f" **{len(r.steun_as_crisis)}** | |" for r in pipelines)
    lines.append(row)
    below = [name for name, s in ours.categories.items() if s.macro_f1 < TARGET_MACRO_F1]
    met = not below and not ours.steun_as_crisis
    lines += ["", f"Category targets for our pipeline {'met' if met else 'NOT met'}"
              + (f" (below {TARGET_MACRO_F1}: {', '.join(below)})." if below else "."), ""]  # fmt: skip
    for r in pipelines:
        if r.steun_as_crisis:
            lines += [f"Tier-3 examples {r.name} answers with 113:", ""]
            lines += [f"- {t}" for t in r.steun_as_crisis] + [""]
    for r in pipelines:
        lines += [f"Most frequent confusions of {r.name} in `tests/nlu_heldout_moments.yml`:", ""]
        lines += ["| expected | predicted | count |", "|---|---|---|"]
        lines += [f"| {t} | {p} | {c} |" for t, p, c in r.moments_confusions] or ["| – | – | 0 |"]
        lines.append("")
    return lines


def render(
    scores: Scores,
    n: int,
    spacy_kind: str,
    ours: PipelineResult | None = None,
    default: PipelineResult | None = None,
    default_note: str = "",
) -> str:
    ok = "met" if scores.macro_f1 >= TARGET_MACRO_F1 and not scores.oos_answered_with_topic else "NOT met"
    lines = [
        "# NLU evaluation on the held-out set",
        "",
        f"Generated by `make eval` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{git_commit()}`, "
        f"{platform.machine()} with {os.cpu_count()} cores. spaCy model: **{spacy_kind}**.",
        "",
        f"Held-out set: `tests/nlu_heldout.yml`, {n} examples written separately from the training data. "
        "Each example is scored on one label: its intent, or for knowledge questions the topic "
        "(`kennis/<topic>`) the model chose.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| macro-F1 (all labels) | **{scores.macro_f1:.3f}** | ≥ {TARGET_MACRO_F1} |",
        f"| accuracy | {scores.accuracy:.3f} | |",
        f"| out-of-scope precision | {scores.oos_precision:.3f} | |",
        f"| out-of-scope examples answered with a topic | {len(scores.oos_answered_with_topic)} | 0 |",
        "",
        f"Targets {ok}.",
        "",
    ]
    if scores.oos_answered_with_topic:
        lines += ["Out-of-scope examples that would get a topic answer:", ""]
        lines += [f"- {t}" for t in scores.oos_answered_with_topic] + [""]
    if ours:
        lines += render_categories(ours, default, default_note)
    lines += ["## Most frequent confusions", "", "| expected | predicted | count |", "|---|---|---|"]
    lines += [f"| {t} | {p} | {c} |" for t, p, c in scores.confusions] or ["| – | – | 0 |"]
    lines += ["", "## Per label", "", "| label | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for label, (p, r, f, s) in scores.per_label.items():
        lines.append(f"| {label} | {p:.2f} | {r:.2f} | {f:.2f} | {s} |")
    return "\n".join(lines) + "\n"


def run_eval() -> int:
    from bot.nlp_model import installed_kind

    if not MODEL.exists():
        print(f"No model at {MODEL}: run `make train` first.")
        return 1
    files = [HELD_OUT, MOMENTS]
    print(f"[eval] predicting {', '.join(f.name for f in files)} with {MODEL.name} ...", flush=True)
    predictions = asyncio.run(predict_files(MODEL, files))
    scores = score([p for p in predictions if p.source == HELD_OUT.name])
    english = english_texts([p.text for p in predictions])
    ours = pipeline_result("ours", predictions, english)
    default = None
    if DEFAULT_MODEL.exists():
        print(f"[eval] predicting with the default pipeline's {DEFAULT_MODEL.name} ...", flush=True)
        default = pipeline_result("default", asyncio.run(predict_files(DEFAULT_MODEL, files)), english)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    n = sum(p.source == HELD_OUT.name for p in predictions)
    text = render(scores, n, installed_kind() or "missing", ours, default, default_note())
    REPORT.write_text(text, encoding="utf-8")
    print(
        f"[eval] macro-F1 {scores.macro_f1:.3f}, accuracy {scores.accuracy:.3f}, "
        f"out-of-scope answered with a topic: {len(scores.oos_answered_with_topic)} -> {REPORT}"
    )
    for name, _ in CATEGORIES:
        row = f"[eval]   {name:<26}"
        for r in (ours, default):
            c = r.categories.get(name) if r else None
            if c:
                row += f" {r.name} F1 {c.macro_f1:.3f} acc {c.accuracy:.3f} n {c.n}  "
        print(row)
    counts = ", ".join(f"{r.name} {len(r.steun_as_crisis)}" for r in (ours, default) if r)
    print(f"[eval]   steun answered with 113: {counts}")
    return 0


def default_note() -> str:
    """Where the default pipeline's column comes from, or how to get one."""
    if not DEFAULT_MODEL.exists():
        return (
            "The default pipeline has no column yet: no model at `models/bench/default.tar.gz`. Train one "
            f"(about 12 min on 2 cores) with `{DEFAULT_TRAIN_COMMAND}`, or let `make bench` train and keep "
            "it, then run `make eval` again."
        )
    import json

    from benchmarks.training import default_fingerprint

    meta_path = DEFAULT_MODEL.with_name("default.json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("fingerprint") == default_fingerprint():
        freshness = f"trained {meta.get('trained_at', '?')} on the current config, domain and data"
    elif meta:
        freshness = f"trained {meta.get('trained_at', '?')} on an EARLIER config, domain or data: retrain it"
    else:
        freshness = "trained outside `make bench` (no fingerprint; it may predate the current data)"
    return (
        "The default column is Rasa's default pipeline (`benchmarks/config_default.yml`) trained on the same "
        f"data: `models/bench/default.tar.gz`, {freshness}. It has no input guard "
        "(`bot/rasa_nlu/input_guard.py` forces crisis, zorg_ander, steun, steun_ander and out_of_scope "
        "by pattern in ours)."
    )
