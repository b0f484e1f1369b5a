"""docs/BENCHMARKS.md: the markdown prose around each stage's results (``write_report``)."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.stats import median
from bot.evaluation import git_commit as commit  # one implementation for both reports
from bot.settings import PROJECT_ROOT as ROOT

if TYPE_CHECKING:
    from benchmarks.load import Checkin
    from benchmarks.plan import Bench, Plan

REPORT = ROOT / "docs" / "BENCHMARKS.md"

CHANGES = [
    "## What we changed because of these numbers",
    "",
    "- **One linear model for intent and knowledge topic** (`bot/rasa_nlu/linear_classifier.py`, "
    "`config.yml`) in place of DIETClassifier + ResponseSelector: the profile showed the two TensorFlow "
    "calls as most of the parse, and their training as most of `make train`. A logistic regression over the "
    "same features (sublinear counts, rows L2-normalised) predicts in well under a millisecond; held-out "
    "quality in section 1 and per category in docs/EVAL.md. Its weights are kept as one C-ordered array: "
    "scikit-learn's `predict_proba` multiplied by a transposed view that scipy copied on every message "
    "(10% of the process's CPU in the first profile). A single message is scored from its non-zero "
    "features with numpy (0.07 ms, where a scipy row per message took 0.5 ms), and the model is fitted "
    "with Newton-CG: the same optimum as lbfgs, with a third of its memory (training's peak in section 5).",
    "- **Speed-ups of Rasa's hot path** (`bot/rasa_speedups.py`), each measured in the A/B of section 2 "
    "and each switching itself off when Rasa is not 3.6 or the patched function's parameters changed: "
    "`validation` (each event of an action-server reply checked against its own type's schema, not all 23, "
    "compiled with fastjsonschema), "
    "`sqlite_pool` (a pooled SQLite tracker store in WAL mode), `tracker_count` (no count query before each "
    "tracker write), `tracker_cache` (the "
    "tracker store keeps the tracker it wrote and returns it after one indexed query shows the conversation's "
    "rows unchanged, instead of reading and replaying every event, also right after a session start; new "
    "events in one multi-row insert), "
    "`rule_text` (RulePolicy's second search per message, by text for end-to-end rules, skipped when no "
    "trained rule can match by text), `tracker_copy` (the tracker copied before each action from its state, "
    "not by replaying all its events), `form_tracker` (a form's temporary tracker made the same way), "
    "`graph_runner` (the NLU and policy graphs of a message called node "
    "after node in a fixed order, without dask's scheduler: about a tenth of the process's CPU), "
    "`domain_empty` (Rasa's per-message check that the domain is not empty answered from its responses, "
    "actions and forms, without turning the whole domain into a dict). The "
    "tracker store's hot SQL is built once per table, not per call (part of `tracker_count` and "
    "`tracker_cache`). A cached task plan inside dask (`graph_plan`) did not pay in the A/B and was "
    "taken out again, and so were `gc_freeze`, `event_classes`, `action_session` and `domain_json` once "
    "the tracker cache and the action calls without the domain left them nothing to save (in two runs "
    "each was at or below the difference between two identical processes). One changes only the start-up "
    "and is timed on the model's load (section 5), not "
    "under load: `domain_load` (the domain Rasa wrote into the model read and built once; Rasa reads it "
    "three times and validates it against its schema).",
    "- **The action server's share of the 2 cores** (`bot/storage/db.py`, `actions/`): in a py-spy profile of 10 users "
    "(a training running beside it) it took as much CPU per message as the Rasa process, about 12 ms, on the "
    "same cores. SQLAlchemy 1.4 opened a new SQLite connection, "
    "PRAGMAs included, for every unit of work (now a pool); the standard `json` read each request; rasa_sdk "
    "asks a form's `required_slots` three times per call, and each time the member behind the personal link "
    "was read in two queries (now once per call, in one); and every check-in answer carried the whole "
    "~160 KB domain, which the form validators read only for their own slots (now they know them, tested "
    "against domain/, and Rasa sends them no domain). The same profile after each step: 4.9, 3.9, then 2.5 ms; "
    "the bench measures 1–2 ms (the CPU line of section 2).",
    "- **The spaCy stand-in's tokenizer from its config** (`bot/nlp_model.py`): loading it also read the "
    "saved copy of the same tokenizer from disk, a second or so of every start (same tokens, tested).",
    "- **The spaCy stand-in without tok2vec; SpacyFeaturizer and LexicalSyntacticFeaturizer out of the "
    "pipeline** (`bot/nlp_model.py`, `config.yml`): Rasa's SpacyFeaturizer reads only word vectors, which "
    "neither the stand-in nor nl_core_news_sm has, so the stand-in's untrained tok2vec was half of every "
    "parse and fed nothing; LexicalSyntacticFeaturizer makes per-token features for entity extraction, "
    "which our classifier (sentence features) does not read.",
    "- **Featurize only what the classifier reads** (`bot/rasa_nlu/sentence_featurizer.py`, `config.yml`): "
    "Rasa fills in every knowledge example's answer text (for ResponseSelector), and spaCy, the tokenizer, "
    "both CountVectorsFeaturizers and the training cache's fingerprints then worked through ~2,000 long "
    "answers; the featurizers also made a row per token (for DIET and entities). Taking the answer texts "
    "off first and counting the text as one sentence row gives the same sentence features (tested) and "
    "took `make train` from 3:38 to 2:15 min and its peak from 1.55 to 1.33 GB on a quiet machine (A/B of "
    "two `make train` runs on the same data); the classifier is stored as plain numpy arrays, not skops, "
    "whose import alone took seconds of every training and model load.",
    "- **The classifier fits only features found in 2+ training examples** (`min_feature_examples`): the "
    "fit raised training's memory by 500 MB with every character n-gram, 42% of which occur once; without "
    "those the peak fell from 1.6 to 1.4 GB, held-out macro-F1 from 0.970 to 0.968.",
    "- **Rankings of 4** (`config.yml`, `ranking_length`): every user message is stored with its intent "
    "and topic rankings and sent to the action server inside every tracker; the fallback's buttons use the "
    "best 3 intents and 2 topics, so 10 of each was mostly payload.",
    "- **Policies: RulePolicy only** (`config.yml`). Every flow is a rule; MemoizationPolicy and TEDPolicy "
    "had no stories to learn from yet still built tracker states per message.",
    "- **The channel guard no longer cancels slow messages** (`bot/rasa_channels.py`): a message that "
    "outlives the reply timeout finishes in the background (the form keeps its place), and the user still "
    "gets the Dutch fallback message in time.",
    "- **Think-time users next to saturation** (section 2): the p95 goals are about what a teacher waits "
    "for; back-to-back users measure throughput, and their latency is queueing by construction.",
    "",
]

#: Issue 18's targets for training and the running server.
GOAL_TRAIN_MIN = 3.0
GOAL_TRAIN_MB = 1536
GOAL_SERVER_MB = 1229  # 1.2 GB resident after the load runs
GOAL_LOAD_S = 20.0


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub markdown table; cells are str()-ed, pipes escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def fmt(x: float, digits: int = 0) -> str:
    return "–" if x != x else f"{x:,.{digits}f}"  # NaN -> dash


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f"{mem_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        mem = "unknown RAM"
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {mem}, {system}, Python {platform.python_version()}"


def header(title: str, quick: bool, duration_s: float) -> list[str]:
    mode = " (**--quick**: tiny smoke run, numbers not meaningful)" if quick else ""
    return [
        f"# {title}",
        "",
        f"Generated by `make bench` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC{mode}; "
        f"commit `{commit()}`; run took {duration_s / 60:.1f} min.",
        "",
        f"Machine: {machine()}. The machine is shared and noisy: figures are medians over repeated runs, "
        "and comparisons are ratios measured in the same run (interleaved).",
        "",
    ]


def checkin_tally(right: int, checkins: list[Checkin]) -> str:
    """How many check-ins came out right, and what right means for finished and abandoned ones."""
    abandoned = sum(c.abandoned for c in checkins)
    return (f"{right} of {len(checkins)} right ({len(checkins) - abandoned} finished: confirmed and stored exactly "
            f"as answered; {abandoned} abandoned at a run's end: nothing stored)")  # fmt: skip


# --------------------------------------------------------------------------- 1. NLU quality


def nlu_verdict(rows: list[list[object]]) -> list[str]:
    """The goal line under the held-out table, and which spaCy pipeline our model used."""
    import warnings

    from bot.nlp_model import installed_kind

    with warnings.catch_warnings():  # spaCy's imports warn about their own dependencies
        warnings.simplefilter("ignore")
        kind = installed_kind()
    lines = []
    if len(rows) == 2:
        (_, f1, oos, _), (_, d_f1, d_oos, _) = rows
        ahead = float(f1) > float(d_f1) and float(oos) > float(d_oos)
        lines.append(f"- Goal ours ahead on both: {'**met**' if ahead else '**NOT met**'} (macro-F1 {f1} vs {d_f1}, "
                     f"out-of-scope precision {oos} vs {d_oos}).")  # fmt: skip
    if kind == "standin":
        lines.append("- Our SpacyNLP ran on the logged **stand-in** for nl_core_news_sm (no internet on this "
                     "machine: blank Dutch pipeline with lookup lemmas); the real model's lemmas may change our "
                     "row.")  # fmt: skip
    return [*lines, ""] if lines else []


def nlu_section(plan: Plan, heldout: dict[str, tuple], cv: dict[str, tuple]) -> list[str]:
    labels = {"ours": "ours (config.yml)", "default": "Rasa default pipeline"}
    rows = [[labels[n], *(f"{x:.3f}" for x in heldout[n])] for n in ("ours", "default") if n in heldout]
    md = ["## 1. NLU quality", ""]
    md += ["Held-out set `tests/nlu_heldout.yml` (never used in training), scored as in `make eval` "
           "(`bot/evaluation.py`): one label per example, the intent or for knowledge questions the chosen "
           "topic `kennis/<topic>` (see section 5 for when each model was trained). The default pipeline is "
           "`benchmarks/config_default.yml`: the `rasa init` "
           "pipeline, trained on the same data with the same policies.", ""]  # fmt: skip
    md += table(["config", "macro-F1", "out-of-scope precision", "accuracy"], rows) + [""]
    md += nlu_verdict(rows)
    cv_rows = [[n, f"{cv[n][0]:.3f}", fmt(cv[n][1], 3)] for n in ("ours", "default") if n in cv]
    if cv_rows:
        subset = "all training data" if plan.cv_fraction >= 1 else f"a stratified {plan.cv_fraction:.0%} subset"
        md += [f"{plan.cv_folds}-fold cross-validation (`rasa test nlu --cross-validation`) on {subset}; the "
               f"default pipeline's DIET **reduced to {plan.cv_epochs} epochs** and without its ResponseSelector "
               "(at full epochs its 5 trainings alone would take most of the 25-minute budget); ours as "
               "configured (its classifier has no epochs). Intent-level macro-F1 (`kennis` counted as one "
               "intent), so absolute numbers differ from section 1: compare the two rows with each other.",
               ""]  # fmt: skip
        md += table(["config", "intent macro-F1 (CV)", "out-of-scope precision (CV)"], cv_rows) + [""]
    return md


# --------------------------------------------------------------------------- 5. training


def training_section(trained: list[tuple[str, str, dict]], latency: object | None) -> list[str]:
    """``trained``: (config, when, figures) per model (benchmarks.training); ``latency``: its memory and load time."""
    nan, md = float("nan"), ["## 5. Training time and memory", ""]
    if trained:
        md += ["`rasa train` under `/usr/bin/time -v`: wall time and peak resident memory of the whole "
               "command, from an empty training cache; NLU and policy seconds summed from Rasa's "
               "'Starting/Finished training component' log lines. Ours is recorded by `make train` next to the "
               "model (models/current.time.txt, models/current.train.log); the default pipeline's model is "
               "trained by `make bench` and kept in models/bench/ while its config, the domain and the data are "
               "unchanged. CPU time is user + system time of all threads.", ""]  # fmt: skip
        rows = [[config, when, fmt(f["wall_s"] / 60, 1), fmt(f.get("cpu_s", nan) / 60, 1), fmt(f["nlu_s"]),
                 fmt(f["policies_s"]), fmt(f["peak_mb"])] for config, when, f in trained]  # fmt: skip
        md += table(["config", "trained", "wall time min", "CPU time min", "NLU training s",
                     "policies training s", "peak RSS MB"], rows) + [""]  # fmt: skip
        ours = next((f for config, _, f in trained if config.startswith("ours")), None)
        if ours:
            wall, peak = ours["wall_s"] / 60, ours["peak_mb"]
            verdict = "**met**" if wall <= GOAL_TRAIN_MIN else "**NOT met**"
            md.append(f"- Goal training ≤ {GOAL_TRAIN_MIN:.0f} min: {verdict}"
                      f" ({wall:.1f} min); ≤ {GOAL_TRAIN_MB / 1024:.1f} GB peak: "
                      f"{'**met**' if peak <= GOAL_TRAIN_MB else '**NOT met**'} ({peak:,.0f} MB).")  # fmt: skip
            md.append("")
    memory = getattr(latency, "memory", None)
    if memory:
        md += [
            "Resident memory of each server after the latency runs (VmRSS now, VmHWM its peak; /proc/<pid>/status):",
            "",
        ]
        md += table(
            ["process", "VmRSS MB", "VmHWM MB"], [[k, fmt(rss), fmt(hwm)] for k, (rss, hwm) in memory.items()]
        ) + [""]
        if rss := memory.get("Rasa (ours)"):
            md.append(f"- Goal our Rasa server ≤ 1.2 GB resident after the load runs: "
                      f"{'**met**' if rss[0] <= GOAL_SERVER_MB else '**NOT met**'} ({rss[0]:,.0f} MB).")  # fmt: skip
    load_s = getattr(latency, "load_s", None)
    if load_s:
        md.append(f"- Goal model load at start ≤ {GOAL_LOAD_S:.0f} s (our model, from starting `rasa run` until it "
                  f"serves, nothing else running): {'**met**' if load_s <= GOAL_LOAD_S else '**NOT met**'} "
                  f"({load_s:.1f} s, the median).")  # fmt: skip
    if loads := getattr(latency, "load_ab", None):
        md += ["", "Model load, our model with every speed-up and without each one that only changes the load "
               "(each load on a quiet machine, the variants alternating):", ""]  # fmt: skip
        md += table(["Rasa", "loads s", "median s"],
                    [[name, ", ".join(f"{v:.1f}" for v in values), fmt(median(values), 1) if values else "–"]
                     for name, values in loads.items()])  # fmt: skip
    return [*md, ""]


# --------------------------------------------------------------------------- the document


def write_report(b: Bench, duration_s: float, out: Path = REPORT) -> None:
    """Every section with results in ``b.results``, in the report's order; then the changes and the gaps."""
    from benchmarks.report_timings import insights_section, latency_section, scale_section

    results = b.results
    md = header("Benchmarks", b.quick, duration_s)
    md += nlu_section(b.plan, results.get("heldout", {}), results.get("cv", {}))
    if "latency" in results:
        md += latency_section(b.plan, results["latency"])
    if "scale" in results:
        md += scale_section(results["scale"])
    if "insights" in results:
        md += insights_section(results["insights"])
    md += training_section(results.get("training", []), results.get("latency"))
    md += CHANGES
    if b.missing:
        md += ["## Not measured in this run", ""] + [f"- {m}" for m in b.missing] + [""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(md).rstrip() + "\n")
    b.log(f"wrote {out}")
