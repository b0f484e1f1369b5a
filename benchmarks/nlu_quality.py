"""Section 1, NLU quality: held-out scores of both models, and a cross-validation of both configs.

Both are phase-A jobs (scores, not timings): subprocesses on one TensorFlow thread each, two at
a time. Results go to ``b.results["heldout"]`` and ``b.results["cv"]``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from benchmarks.plan import Bench
from benchmarks.processes import BIN, ONE_THREAD, ROOT, last_line
from benchmarks.training import DEFAULT_CONFIG

OUR_CONFIG = ROOT / "config.yml"


def heldout(model: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(macro-F1, out-of-scope precision, accuracy) on tests/nlu_heldout.yml, in a subprocess."""
    m = json.loads(last_line(["benchmarks.heldout", str(model)], {**env, **ONE_THREAD}))
    return m["macro_f1"], m["oos_precision"], m["accuracy"]


def with_epochs(config: Path, epochs: int, out: Path, intents_only: bool = False) -> Path:
    """A copy of ``config`` with DIET and ResponseSelector epochs set to ``epochs``.

    ``intents_only`` drops the ResponseSelector: it does not change intent predictions (all
    knowledge questions are the one intent ``kennis``) and is the slowest part to train.
    """
    data = yaml.safe_load(config.read_text())
    if intents_only:
        data["pipeline"] = [c for c in data["pipeline"] if c["name"] != "ResponseSelector"]
    for component in data["pipeline"]:
        if component["name"] in {"DIETClassifier", "ResponseSelector"}:
            component["epochs"] = epochs
            component["evaluate_on_number_of_examples"] = 0
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def stratified_subset(fraction: float, out: Path) -> Path:
    """Every intent's first ``fraction`` of examples (at least 5) as one NLU file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    if fraction >= 1.0:
        return ROOT / "data" / "nlu"
    by_label: dict[str, list] = {}
    for ex in data.intent_examples:
        by_label.setdefault(ex.get_full_intent(), []).append(ex)
    lines = ["version: '3.1'", "nlu:"]
    for label, examples in sorted(by_label.items()):
        keep = examples[: max(5, round(len(examples) * fraction))]
        lines += [f"- intent: {label}", "  examples: |"]
        lines += [f"    - {ex.get('text')}" for ex in keep]
    regex = ROOT / "data" / "nlu" / "regex.yml"
    out.mkdir(parents=True, exist_ok=True)
    (out / "subset.yml").write_text("\n".join(lines) + "\n")
    if regex.exists():
        shutil.copy(regex, out / "regex.yml")
    return out


def cross_validate(b: Bench, name: str, config: Path, nlu: Path) -> tuple[float, float, float]:
    """``rasa test nlu --cross-validation``; returns (intent macro-F1, out-of-scope precision, seconds)."""
    out = b.tmp / f"cv-{name}"
    cfg = with_epochs(config, b.plan.cv_epochs, b.tmp / f"cv-{name}.yml", intents_only=True)
    t0 = time.monotonic()
    cmd = [str(BIN / "rasa"), "test", "nlu", "--nlu", str(nlu), "--config", str(cfg), "--domain", "domain",
           "--cross-validation", "--folds", str(b.plan.cv_folds), "--out", str(out), "--no-plot"]  # fmt: skip
    with open(b.tmp / f"cv-{name}.log", "wb") as log:
        subprocess.run(cmd, cwd=ROOT, env={**b.env, **ONE_THREAD}, stdout=log, stderr=subprocess.STDOUT, check=True)
    report = json.loads((out / "intent_report.json").read_text())
    oos = report.get("out_of_scope", {}).get("precision", float("nan"))
    return report["macro avg"]["f1-score"], oos, time.monotonic() - t0


def heldout_jobs(b: Bench, models: dict[str, Path]) -> list[Callable[[], None]]:
    """One job per model: its held-out scores into ``b.results["heldout"][name]``."""
    scores: dict[str, tuple[float, float, float]] = b.results.setdefault("heldout", {})

    def score(name: str) -> None:
        b.log(f"NLU held-out: {name} model ...")
        scores[name] = f1, oos, _ = heldout(models[name], b.env)
        b.log(f"NLU held-out: {name} macro-F1 {f1:.3f}, out-of-scope precision {oos:.3f}")

    return [lambda name=name: score(name) for name in models]


def cv_jobs(b: Bench) -> list[Callable[[], None]]:
    """Both configs' cross-validation, the default first (the longest), into ``b.results["cv"]``.

    Reduced equally for both configs (a stratified subset, fewer epochs); both or neither.
    """
    cv: dict[str, tuple[float, float, float]] = b.results.setdefault("cv", {})
    subset = stratified_subset(b.plan.cv_fraction, b.tmp / "cv-data")

    def cross_validation(name: str, config: Path) -> None:
        b.log(f"cross-validation {name}: {b.plan.cv_folds} folds, {b.plan.cv_epochs} epochs ...")
        cv[name] = f1, _, secs = cross_validate(b, name, config, subset)
        b.log(f"cross-validation {name}: macro-F1 {f1:.3f} in {secs:.0f} s")

    return [lambda: cross_validation("default", DEFAULT_CONFIG), lambda: cross_validation("ours", OUR_CONFIG)]
