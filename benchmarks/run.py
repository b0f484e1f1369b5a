"""``make bench`` / ``python -m benchmarks.run [--quick]``: run every benchmark, write docs/BENCHMARKS.md.

Two phases. A: the default pipeline's model (trained alone first when its inputs changed), then
two jobs at a time: cross-validation, held-out scores, seeding the insights databases, starting
the servers. B: the timings, one stage at a time. The run keeps to 25 minutes on 2 cores (a
24.75-minute budget): when the default pipeline had to be trained first, the timings use fewer
repeats (at least 2); a stage that still does not fit is skipped and listed under "Not measured
in this run". ``--quick`` is a tiny smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import yaml

from benchmarks.load import CHECKIN_OPENING, KNOWLEDGE, Checkin, LoadResult, run_load, verify_checkins
from benchmarks.report import ROOT, commit, header, table
from benchmarks.stats import LatencySummary, median, median_summary, summarize

REPORT = ROOT / "docs" / "BENCHMARKS.md"
DEFAULT_CONFIG = ROOT / "benchmarks" / "config_default.yml"
OUR_CONFIG = ROOT / "config.yml"
OUR_MODEL = ROOT / "models" / "current.tar.gz"
DEFAULT_STORE = ROOT / "models" / "bench"  # the default-pipeline model, kept while its inputs are unchanged
BIN = Path(sys.executable).parent
SECRET = "e2e-secret"  # noqa: S105 - tests.servers.Stack's PSEUDONYM_SECRET
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
GOAL_P95_MS = 150
PLAIN = "ours without speed-ups"  # the latency stage's A/B variant (RASA_SPEEDUPS=0)
AB_RUNS = {("saturation", 10)}  # the runs that include it


CHANGES = [
    "## What we changed because of these numbers",
    "",
    "- **Action-server replies: schema validated once** (`bot/rasa_speedups.py`). py-spy on Rasa under "
    "load showed about half of its CPU in `jsonschema.validate`, which re-checks Rasa's own response "
    "*schema* against the meta-schema on every action-server reply. The schema is now checked once; every "
    "reply is still validated. Measured in the A/B of section 2.",
    "- **SQLite tracker store: a connection pool in WAL mode** (same module). Rasa opened a new SQLite "
    "connection, in rollback-journal mode, for every tracker read and write; commits were the largest "
    "tracker-store cost in the profile. Also in the A/B of section 2.",
    "- **The loaded model frozen out of garbage collection** (same module, `gc.freeze()` after loading): "
    "Rasa holds ~670,000 long-lived objects once the model is loaded, and one full collection of them took "
    "~390 ms, stalling every conversation in flight.",
    "- **Policies: RulePolicy only** (`config.yml`). Every flow is a rule; MemoizationPolicy and TEDPolicy "
    "had no stories to learn from yet still built tracker states per message (~4% of Rasa's CPU).",
    "- **DIET without transformer layers, char n-grams 2–5 on lemmas** (`config.yml`): compare section 1 "
    "(quality), section 2 (throughput) and section 5 (training time) with the default pipeline's "
    "2-layer transformer.",
    "- **The channel guard no longer cancels slow messages** (`bot/rasa_channels.py`): under the 50-user "
    "load a message that outlived the 9-second reply timeout was cancelled and the check-in form lost its "
    "place; it now finishes in the background, and the user still gets the Dutch fallback message in time.",
    "- **Think-time users next to saturation** (section 2): the p95 goal is about what a teacher waits "
    "for; back-to-back users measure throughput, and their latency is queueing by construction. The first "
    "version let all users send their first message in the same instant, and that one burst made the p95 "
    "(~400 ms at 10 users); users now think before every message, as locust users are spawned gradually.",
    "",
]


@dataclass(frozen=True)
class Plan:
    """How much to do: full (``make bench``) or quick (smoke test of the harness)."""

    budget_s: float
    user_levels: tuple[int, ...]  # saturation runs (no think time)
    think_levels: tuple[int, ...]  # runs with think time between messages
    think_s: tuple[float, float]
    think_seconds: float
    repeats: int
    load_seconds: float
    scale_users: tuple[int, ...]
    insight_sizes: tuple[int, ...]  # target check-ins, cumulative
    pg_sizes: tuple[int, ...]
    train: bool
    cv_folds: int
    cv_epochs: int
    cv_fraction: float  # stratified share of the training data used for CV


FULL = Plan(24.75 * 60, (1, 10, 50), (10, 50), (1.0, 3.0), 8.0, 3, 5.0, (10, 50), (10_000, 100_000, 1_000_000),
            (10_000, 100_000, 1_000_000), True, 5, 20, 0.3)  # fmt: skip
QUICK = Plan(8 * 60, (1, 3), (3,), (0.1, 0.3), 2.0, 1, 2.0, (3,), (2_000, 6_000), (2_000,), False, 2, 1, 0.3)


LOG_LOCK = threading.Lock()
# For the jobs that run two at a time: one TensorFlow/OpenMP thread each. Measured on 2 cores: two
# 2-fold CVs side by side slowed each other ~40% with two threads each, ~3% with one each. Alone,
# a 5-fold CV of the default pipeline is faster on two threads (352 s vs ~490 s on one).
ONE_THREAD = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@dataclass
class Bench:
    plan: Plan
    quick: bool
    tmp: Path
    started: float = field(default_factory=time.monotonic)
    md: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    # the environment for subprocesses, read once: tests.servers.Stack.start changes os.environ for a
    # moment, and phase A starts servers while other jobs start subprocesses
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def log(self, message: str) -> None:
        with LOG_LOCK:  # phase A logs from two threads
            print(f"[bench {time.monotonic() - self.started:6.0f}s] {message}", flush=True)

    def left(self) -> float:
        return self.plan.budget_s - (time.monotonic() - self.started)

    def fits(self, stage: str, needs_s: float) -> bool:
        if self.left() >= needs_s:
            return True
        self.missing.append(f"{stage}: skipped, needed about {needs_s / 60:.0f} min, {self.left() / 60:.1f} min left")
        self.log(f"SKIP {stage} (time budget)")
        return False


# --------------------------------------------------------------------------- helpers


def timed_run(cmd: list[str], log_path: Path, env: dict[str, str] | None = None, echo=None) -> dict[str, float]:
    """Run ``cmd`` under /usr/bin/time -v; returns its ``time_v`` figures.

    Output goes to ``log_path``; Rasa's component lines and every 20% of epochs go to ``echo``.
    """
    time_bin = shutil.which("time") or "/usr/bin/time"
    full = [time_bin, "-v", *cmd] if Path(time_bin).exists() else cmd
    t0 = time.monotonic()
    with (
        open(log_path, "w") as out,
        subprocess.Popen(
            full, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as process,
    ):
        shown = -1
        for line in process.stdout:  # text mode: tqdm's carriage returns end lines too
            out.write(line)
            epochs = re.match(r"Epochs:\s+(\d+)%", line)
            if echo and " component '" in line:
                echo(line.split(" - ", 1)[-1].strip())
                shown = -1
            elif echo and epochs and int(epochs[1]) // 20 > shown:
                shown = int(epochs[1]) // 20
                echo(line.strip()[:72])  # "Epochs:  40%|####  | 40/100 [01:02<01:33, ..."
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, cmd, output=f"see {log_path}")
    wall = time.monotonic() - t0
    return {"wall_s": wall, "peak_mb": float("nan"), "cpu_s": float("nan"),
            **time_v(log_path.read_text(errors="replace"))}  # fmt: skip


def time_v(text: str) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB from `/usr/bin/time -v` output.

    CPU time hardly changes when another job shares the cores; wall time does.
    """
    found: dict[str, float] = {}
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", text)
    if wall:
        found["wall_s"] = int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])
    cpu = [float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text)]
    if len(cpu) == 2:
        found["cpu_s"] = sum(cpu)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if peak:
        found["peak_mb"] = int(peak[1]) / 1024
    return found


TRAIN_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) .*?(Starting to train|Finished training|Restored) component '(\w+)'"
)
POLICIES = {"RulePolicy", "MemoizationPolicy", "TEDPolicy", "UnexpecTEDIntentPolicy", "AugmentedMemoizationPolicy"}


@dataclass(frozen=True)
class TrainingParts:
    """Seconds spent training NLU components and dialogue policies, from Rasa's training log."""

    nlu_s: float
    policies_s: float
    restored: tuple[str, ...]  # components restored from Rasa's training cache (not trained)


def training_parts(log: str) -> TrainingParts:
    """Pair Rasa's 'Starting to train' / 'Finished training component' log lines (1-s resolution)."""
    from datetime import datetime

    started: dict[str, list[datetime]] = {}
    nlu = policies = 0.0
    restored: list[str] = []
    for line in log.splitlines():
        match = TRAIN_LINE.match(line)
        if not match:
            continue
        when, what, name = datetime.fromisoformat(match[1]), match[2], match[3]
        if what == "Starting to train":
            started.setdefault(name, []).append(when)
        elif what == "Restored":
            restored.append(name)
        elif started.get(name):
            seconds = (when - started[name].pop(0)).total_seconds()
            if name in POLICIES:
                policies += seconds
            else:
                nlu += seconds
    return TrainingParts(nlu, policies, tuple(restored))


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a running process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


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


def create_team(database_url: str) -> str:
    """A real (non-demo) school and team for the load; returns its team code."""
    from sqlalchemy import text

    from bot.services.teams import new_code
    from bot.storage.db import make_engine

    code = new_code()
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (name, is_demo, created_at) VALUES ('Bench', :d, CURRENT_TIMESTAMP)"),
            {"d": False},
        )
        school_id = conn.execute(text("SELECT max(id) FROM schools")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO teams (school_id, name, code, is_demo, created_at) "
                "VALUES (:s, 'Bench team', :code, :d, CURRENT_TIMESTAMP)"
            ),
            {"s": school_id, "code": code, "d": False},
        )
    engine.dispose()
    return code


def fmt(x: float, digits: int = 0) -> str:
    return "–" if x != x else f"{x:,.{digits}f}"  # NaN -> dash


def load(urls: list[str], users: int, code: str, seconds: float, run_id: str, **kw) -> LoadResult:
    return asyncio.run(run_load(urls, users, code, seconds, run_id=run_id, **kw))


# --------------------------------------------------------------------------- 1. NLU quality


def heldout(model: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(macro-F1, out-of-scope precision, accuracy) on tests/nlu_heldout.yml, in a subprocess."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.heldout", str(model)], cwd=ROOT,
                         env={**env, **ONE_THREAD}, check=True, capture_output=True, text=True)  # fmt: skip
    m = json.loads(out.stdout.strip().splitlines()[-1])
    return m["macro_f1"], m["oos_precision"], m["accuracy"]


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
    with open(b.tmp / f"cv-{name}.log", "wb") as log:
        subprocess.run(
            [
                str(BIN / "rasa"),
                "test",
                "nlu",
                "--nlu",
                str(nlu),
                "--config",
                str(cfg),
                "--domain",
                "domain",
                "--cross-validation",
                "--folds",
                str(b.plan.cv_folds),
                "--out",
                str(out),
                "--no-plot",
            ],  # fmt: skip
            cwd=ROOT,
            env={**b.env, **ONE_THREAD},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,  # fmt: skip
        )
    report = json.loads((out / "intent_report.json").read_text())
    oos = report.get("out_of_scope", {}).get("precision", float("nan"))
    return report["macro avg"]["f1-score"], oos, time.monotonic() - t0


def nlu_verdict(rows: list[list[object]]) -> list[str]:
    """The goal line under the held-out table, and which spaCy pipeline our model used."""
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
                     "machine: blank Dutch pipeline, untrained tok2vec, lookup lemmas); its dense features carry "
                     "no trained word knowledge. The real model may change our row.")  # fmt: skip
    return [*lines, ""] if lines else []


# --------------------------------------------------------------------------- 2. latency


def latency_kinds(b: Bench) -> list[tuple[str, int]]:
    return [("saturation", u) for u in b.plan.user_levels] + [("think", u) for u in b.plan.think_levels]


def start_latency_servers(b: Bench, models: dict[str, Path]) -> None:
    """One action server and a Rasa process per model (and the A/B variant), loading side by side.

    Stores (stack, {name: url}, database URL) in ``b.results["latency_servers"]``; the caller waits
    for them with ``stack.wait_all()``.
    """
    import tests.servers as servers

    var = b.tmp / "latency"
    var.mkdir()
    db_url = f"sqlite:///{var / 'app.db'}"
    stack = servers.Stack(var, db_url)
    urls: dict[str, str] = {}
    b.results["latency_servers"] = (stack, urls, db_url)  # stopped at the end, even after a failure
    stack.start(with_rasa=False)
    # our model once more without bot/rasa_speedups.py: the profiling fixes, A/B in the same run
    variants = {name: (model, {}) for name, model in models.items()}
    if AB_RUNS & set(latency_kinds(b)):
        variants[PLAIN] = (models["ours"], {"RASA_SPEEDUPS": "0"})
    b.log(f"latency: loading {len(variants)} Rasa processes side by side ({', '.join(variants)})")
    try:
        for name, (model, env) in variants.items():
            servers.MODEL = model  # Stack.start_rasa reads the module's MODEL
            urls[name] = stack.start_rasa(("--enable-api",), extra_env=env, wait=False)
    finally:
        servers.MODEL = OUR_MODEL


def latency_stage(b: Bench, models: dict[str, Path]) -> None:
    """Both models side by side behind one action server: saturation runs and runs with think time."""

    if "latency_servers" not in b.results:
        start_latency_servers(b, models)
        b.results["latency_servers"][0].wait_all()
    stack, urls, db_url = b.results["latency_servers"]
    all_checkins: dict[str, list[Checkin]] = {}
    kinds = latency_kinds(b)
    runs: dict[tuple[str, str, int], list[LatencySummary]] = {}
    ratios: dict[tuple[str, int], list[float]] = {}
    try:
        b.log("latency: " + ", ".join(f"{name} at {url}" for name, url in urls.items()))
        code = create_team(db_url)
        for name, url in urls.items():  # warm-up: one knowledge conversation + one check-in
            all_checkins[name] = load([url], 2, code, 60, f"warm-{name}", max_conversations_per_user=1).checkins
        for rep in range(b.plan.repeats):
            for kind, users in kinds:
                names = [n for n in urls if n != PLAIN or (kind, users) in AB_RUNS]
                order = names if rep % 2 == 0 else names[::-1]  # interleave, alternate order
                tp: dict[str, float] = {}
                for name in order:
                    think = b.plan.think_s if kind == "think" else (0.0, 0.0)
                    seconds = b.plan.think_seconds if kind == "think" else b.plan.load_seconds
                    r = load(
                        [urls[name]],
                        users,
                        code,
                        seconds,
                        f"r{rep}-{name}-{kind}-{users}",
                        think_s=think,
                        seed=f"r{rep}-{kind}-{users}",
                        stop_at_deadline=True,
                    )  # the same think times for every model
                    all_checkins[name].extend(r.checkins)
                    s = summarize(r.latencies, r.seconds, r.errors)
                    runs.setdefault((kind, name, users), []).append(s)
                    tp[name] = s.throughput
                    b.log(f"latency: {name} {kind} {users:>2} users rep {rep + 1}: p50 {s.p50_ms:.0f} ms "
                          f"p95 {s.p95_ms:.0f} ms, {s.throughput:.1f} msg/s, {s.errors} errors")  # fmt: skip
                if tp.get("default"):
                    ratios.setdefault((kind, users), []).append(tp["ours"] / tp["default"])
                if tp.get(PLAIN):
                    ratios.setdefault((PLAIN, users), []).append(tp["ours"] / tp[PLAIN])
        where = where_time_goes(urls["ours"], code)
        memory = {f"Rasa ({name})": vm_hwm_mb(p.pid) for name, p in zip(urls, stack.processes[1:], strict=True)}
        memory["action server"] = vm_hwm_mb(stack.processes[0].pid)
        verified = {name: verify_checkins(db_url, cs, SECRET) for name, cs in all_checkins.items()}
    finally:
        stack.stop()
    b.results["latency"] = {"runs": runs, "ratios": ratios, "where": where, "memory": memory}

    def rows_for(kind: str) -> list[list[object]]:
        rows = []
        for (k, name, users), rs in sorted(runs.items(), key=lambda kv: (kv[0][2], kv[0][1] != "ours")):
            if k != kind or name == PLAIN:
                continue
            m = median_summary(rs)
            ratio = median(ratios[(kind, users)]) if name == "ours" and ratios.get((kind, users)) else None
            rows.append([name, users, fmt(m.p50_ms), fmt(m.p95_ms), fmt(m.p99_ms), fmt(m.throughput, 1),
                         f"{ratio:.2f}×" if ratio else "", m.errors, sum(r.messages for r in rs)])  # fmt: skip
        return rows

    head = ["model", "users", "p50 ms", "p95 ms", "p99 ms", "msg/s", "ours/default msg/s", "errors", "messages"]
    low, high = b.plan.think_s
    b.md += ["## 2. Latency and throughput (REST channel, one Rasa process + action server)", ""]
    b.md += [
        "Simulated users (`benchmarks/load.py`, asyncio + aiohttp) run mixed conversations, each under a fresh "
        "sender id: two knowledge questions, or a whole check-in (start, consent, five answers, with team "
        "metadata). Both models run as separate Rasa processes against the same action server and database "
        "(SQLite, as in a single-server install), interleaved in alternating order; figures are medians over "
        f"{b.plan.repeats} repeats, and the ratio column is the median of per-repeat throughput ratios "
        "ours/default. Latency = HTTP round trip of one message on loopback. Every run is timed: no message is "
        "sent after its end (messages in flight still count), so a check-in in progress is abandoned there "
        "and must leave nothing stored.",
        "",
        f"**Users with think time** ({low:.0f}–{high:.0f} s between a reply and the next message, uniformly "
        "random, as locust's `between(1, 3)`; a teacher reads the reply and taps a button): what a person "
        f"waits for. {b.plan.think_seconds:.0f} s per run.",
        "",
    ]
    b.md += table(head, rows_for("think")) + [""]
    b.md += [
        f"**Saturation** (no think time: each user sends its next message the moment the reply arrives, "
        f"{b.plan.load_seconds:.0f} s per run): the most messages per second one Rasa process handles; "
        "latency then is mostly queueing (users ÷ throughput).",
        "",
    ]
    b.md += table(head, rows_for("saturation")) + [""]
    think10 = runs.get(("think", "ours", 10))
    if think10:
        p95 = median_summary(think10).p95_ms
        met = "**met**" if p95 <= GOAL_P95_MS else "**NOT met**"
        b.md.append(f"- Goal p95 ≤ {GOAL_P95_MS} ms at 10 concurrent users (with think time): {met} "
                    f"(median p95 {p95:.0f} ms).")  # fmt: skip
    sat10 = runs.get(("saturation", "ours", 10))
    if sat10:
        m = median_summary(sat10)
        b.md.append(f"- At 10 users without think time p95 is {m.p95_ms:.0f} ms: 10 users back to back at "
                    f"{m.throughput:.0f} msg/s queue for about 10 ÷ {m.throughput:.0f} s each; a p95 of "
                    f"{GOAL_P95_MS} ms there would need about {10 / (GOAL_P95_MS / 1000):.0f} msg/s from one "
                    "Rasa process on these 2 shared cores.")  # fmt: skip
    for users in b.plan.user_levels:
        if ratios.get(("saturation", users)):
            r = median(ratios[("saturation", users)])
            ahead = "**met**" if r > 1 else "**NOT met**"
            b.md.append(f"- Throughput ahead of the default pipeline at {users} users (saturation): {ahead} "
                        f"(ours/default {r:.2f}×).")  # fmt: skip
    ab = [(kind, users) for kind, users in AB_RUNS if (kind, PLAIN, users) in runs]
    if ab:
        b.md += ["", "**What profiling changed** (A/B in this run: our model with and without "
                 "`bot/rasa_speedups.py`, i.e. `RASA_SPEEDUPS=0`; see \"Where the time goes\" below):", ""]  # fmt: skip
        ab_rows = []
        for kind, users in ab:
            for name in ("ours", PLAIN):
                m = median_summary(runs[(kind, name, users)])
                ratio = median(ratios[(PLAIN, users)]) if name == "ours" and ratios.get((PLAIN, users)) else None
                ab_rows.append([name, kind, users, fmt(m.p50_ms), fmt(m.p95_ms), fmt(m.throughput, 1),
                                f"{ratio:.2f}×" if ratio else ""])  # fmt: skip
        b.md += table(["Rasa", "run", "users", "p50 ms", "p95 ms", "msg/s", "with/without msg/s"], ab_rows) + [""]
    for name, (exact, problems) in verified.items():
        shown = f"; problems: {problems[:3]}" if problems else "."
        b.md.append(f"- Check-ins with the {name} model: {checkin_tally(exact, all_checkins[name])}{shown}")
    b.md += ["", "### Where the time goes (our model, one user, sequential)", ""]
    b.md += table(["step", "median ms"], [[k, fmt(v, 1)] for k, v in where.items()])
    b.md += [
        "",
        "The NLU parse (`/model/parse`) is the model alone; a REST message adds the dialogue policies, the "
        "tracker store and, for check-in steps, the action server (form validation, the database write).",
        "",
    ]


def checkin_tally(right: int, checkins: list[Checkin]) -> str:
    """How many check-ins came out right, and what right means for finished and abandoned ones."""
    abandoned = sum(c.abandoned for c in checkins)
    return (f"{right} of {len(checkins)} right ({len(checkins) - abandoned} finished: confirmed and stored exactly "
            f"as answered; {abandoned} abandoned at a run's end: nothing stored)")  # fmt: skip


def where_time_goes(url: str, code: str, n: int = 5) -> dict[str, float]:
    """NLU parse time vs full REST round trip, same texts, one at a time."""
    import tests.servers  # noqa: F401 - same import path as the stage

    def post(path: str, body: dict) -> float:
        request = urllib.request.Request(  # noqa: S310 - loopback http URL only
            f"{url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback http URL only
            response.read()
        return (time.perf_counter() - t0) * 1000

    parse_k, rest_k, parse_c, rest_c = [], [], [], []
    for i in range(n):
        text = KNOWLEDGE[i % len(KNOWLEDGE)]
        parse_k.append(post("/model/parse", {"text": text}))
        rest_k.append(post("/webhooks/rest/webhook", {"sender": f"where-k{i}", "message": text,
                                                     "metadata": {"team_code": code}}))  # fmt: skip
    for i in range(n):
        sender = f"where-c{i}"
        for text in [*CHECKIN_OPENING, "3", "4", "2", "5", "3"]:
            parse_c.append(post("/model/parse", {"text": text}))
            rest_c.append(post("/webhooks/rest/webhook", {"sender": sender, "message": text,
                                                         "metadata": {"team_code": code}}))  # fmt: skip
    return {
        "knowledge question: NLU parse only": median(parse_k),
        "knowledge question: whole REST message": median(rest_k),
        "check-in step: NLU parse only": median(parse_c),
        "check-in step: whole REST message (incl. action server)": median(rest_c),
    }


# --------------------------------------------------------------------------- 3. scale-out


def services_up() -> tuple[bool, bool]:
    import socket

    def port_open(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(2)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return port_open(5432), port_open(6379)


def pg_schema() -> tuple[str, str]:
    from tests.conftest import _fresh_postgres_schema

    return _fresh_postgres_schema(POSTGRES_URL)


def drop_schema(schema: str) -> None:
    from tests.conftest import _drop_postgres_schema

    _drop_postgres_schema(POSTGRES_URL, schema)


def create_tracker_tables(url: str) -> None:
    """Rasa's SQL tracker store tables, as Rasa itself creates them at start-up."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    engine.dispose()


def start_scale_servers(b: Bench, model: Path) -> None:
    """Action server + 2 Rasa processes on PostgreSQL (app data, trackers) and Redis (locks).

    Stores (stack, urls, app database URL) in ``b.results["scale_servers"]`` and the schemas in
    ``b.results["schemas"]``; the caller waits for them with ``stack.wait_all()``.
    """
    import tests.servers as servers

    (app_schema, app_url), (tr_schema, tr_url) = pg_schema(), pg_schema()
    b.results.setdefault("schemas", []).extend([app_schema, tr_schema])  # dropped at the end
    var = b.tmp / "scale"
    var.mkdir()
    stack = servers.Stack(var, app_url)
    urls: list[str] = []
    b.results["scale_servers"] = (stack, urls, app_url)  # stopped at the end, even after a failure
    create_tracker_tables(tr_url)  # before the two processes, which would race to create them
    stack.start(with_rasa=False, extra_env={"TRACKER_DB_URL": tr_url, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    servers.MODEL = model
    try:
        urls += [stack.start_rasa(wait=False), stack.start_rasa(wait=False)]
    finally:
        servers.MODEL = OUR_MODEL


def start_servers(b: Bench, models: dict[str, Path], want) -> None:
    """Phase A's last job: start the servers of the timing stages, so phase B spends no time loading."""
    if want("latency"):
        start_latency_servers(b, models)
    if want("scale") and all(services_up()):
        start_scale_servers(b, models["ours"])
    for key in ("latency_servers", "scale_servers"):
        if key in b.results:
            b.results[key][0].wait_all()
    b.log("servers for the timings are up")


def stop_servers(b: Bench) -> None:
    for key in ("latency_servers", "scale_servers"):
        if key in b.results:
            b.results[key][0].stop()
    for schema in b.results.get("schemas", []):
        drop_schema(schema)


def scale_stage(b: Bench, model: Path) -> None:
    if not all(services_up()):
        b.missing.append("scale-out: PostgreSQL (5432) or Redis (6379) not reachable")
        return
    if "scale_servers" not in b.results:
        start_scale_servers(b, model)
        b.results["scale_servers"][0].wait_all()
    stack, urls, app_url = b.results["scale_servers"]
    checkins = []
    ratios: dict[int, list[float]] = {}
    runs: dict[tuple[int, int], list[LatencySummary]] = {}
    try:
        b.log(f"scale-out: 2 Rasa processes up ({stack.env.get('LOCK_STORE_TYPE')} lock store, "
              f"{stack.env.get('TRACKER_DB_DIALECT')} tracker store)")  # fmt: skip
        code = create_team(app_url)
        checkins += load(urls, 2, code, 60, "warm-scale", max_conversations_per_user=2).checkins
        for rep in range(b.plan.repeats):
            for users in b.plan.scale_users:
                tp = {}
                for n in [1, 2] if rep % 2 == 0 else [2, 1]:
                    r = load(urls[:n], users, code, b.plan.load_seconds, f"s{rep}-{n}-{users}", stop_at_deadline=True)
                    checkins += r.checkins
                    s = summarize(r.latencies, r.seconds, r.errors)
                    runs.setdefault((n, users), []).append(s)
                    tp[n] = s.throughput
                    b.log(f"scale-out: {n} Rasa, {users} users rep {rep + 1}: {s.throughput:.1f} msg/s, "
                          f"p95 {s.p95_ms:.0f} ms, {s.errors} errors")  # fmt: skip
                ratios.setdefault(users, []).append(tp[2] / tp[1] if tp[1] else float("nan"))
        exact, problems = verify_checkins(app_url, checkins, SECRET)
    finally:
        stack.stop()
    rows = []
    for (n, users), rs in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        m = median_summary(rs)
        rows.append([n, users, fmt(m.p50_ms), fmt(m.p95_ms), fmt(m.throughput, 1),
                     f"{median(ratios[users]):.2f}×" if n == 2 else "", m.errors])  # fmt: skip
    b.md += ["## 3. Scale-out: 2 Rasa processes, PostgreSQL tracker store, Redis lock store", ""]
    b.md += [
        "Same load client; with 2 processes it alternates every message round-robin between them (client-side "
        "round-robin), so each conversation's turns land on both processes and rely on the shared tracker store "
        "and lock store. 1-process and 2-process runs are interleaved against the same stack (app data and trackers "
        "on PostgreSQL). On a 2-core machine both Rasa processes, the action server, PostgreSQL and the client "
        "share the same cores, so the ratio shows the headroom of this machine, not of a 2-server deployment.",
        "",
    ]
    b.md += table(["Rasa processes", "users", "p50 ms", "p95 ms", "msg/s", "2 vs 1 msg/s", "errors"], rows)
    verdict = (
        f"; problems: {problems[:5]}"
        if problems
        else (
            " (every finished check-in confirmed by the bot and found in the database with exactly the five "
            "answers its conversation gave, under its own pseudonym; every one abandoned at the end of a run "
            "left nothing)."
        )
    )
    b.md += ["", f"- Conversations mixed up or lost: **{checkin_tally(exact, checkins)}**{verdict}", ""]
    b.results["scale"] = {"ratios": ratios, "exact": exact, "total": len(checkins)}


# --------------------------------------------------------------------------- 4. insights


def seed(url: str, target_total: int, current: int, seed_no: int, env: dict[str, str]) -> float:
    """demo-seed until about ``target_total`` check-ins; returns seconds."""
    members, weeks = 20, 26
    per_team = members * weeks * 0.8  # ~turnout of the demo data
    teams = max(1, round((target_total - current) / per_team))
    t0 = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "demo-seed",
            "--teams",
            str(teams),
            "--members",
            str(members),
            "--weeks",
            str(weeks),
            "--seed",
            str(seed_no),
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # fmt: skip
    )
    return time.monotonic() - t0


@dataclass(frozen=True)
class InsightsDb:
    """One seeded database of the insights stage."""

    label: str  # SQLite or PostgreSQL
    url: str
    size: int  # check-ins aimed for
    team_ids: tuple[int, ...] = ()  # the extra 1-team seeds of TEAM_SIZES members (team-size scaling)


TEAM_SIZES = (10, 100, 1000)  # members of the extra teams in the largest SQLite database


def prepare_insights(b: Bench) -> None:
    """Seed one database per size into ``b.results["insights_dbs"]`` (phase A: seeding is not timed).

    Every database starts with the same first seed, so the probe (its first team) and its rows
    are identical everywhere while the total grows. The largest SQLite database also gets three
    teams of 10, 100 and 1000 members x 8 weeks, for the cost against a team's own size.
    """
    from sqlalchemy import text

    from bot.storage.db import make_engine

    pg, _ = services_up()
    if not pg:
        b.missing.append("insights on PostgreSQL: not reachable at 127.0.0.1:5432")
    backends = [("SQLite", b.plan.insight_sizes)] + ([("PostgreSQL", b.plan.pg_sizes)] if pg else [])
    dbs: list[InsightsDb] = b.results.setdefault("insights_dbs", [])  # dropped at the end, even after a failure
    for label, sizes in backends:
        for size in sizes:
            schema, url = pg_schema() if label == "PostgreSQL" else ("", f"sqlite:///{b.tmp / f'insights-{size}.db'}")
            dbs.append(InsightsDb(label, url, size))
            if schema:
                b.results.setdefault("schemas", []).append(schema)  # dropped at the end
            env = insights_env(b, url)
            subprocess.run([sys.executable, "-m", "bot", "db", "upgrade", "--url", url], cwd=ROOT, env=env,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            secs = seed(url, sizes[0], 0, 100, env)
            if size > sizes[0]:
                secs += seed(url, size, sizes[0], 101, env)
            b.log(f"insights: {label} database of ~{size:,} check-ins seeded in {secs:.0f} s")
    largest = max((d for d in dbs if d.label == "SQLite"), key=lambda d: d.size)
    env, team_ids = insights_env(b, largest.url), []
    for i, members in enumerate(TEAM_SIZES):
        subprocess.run([sys.executable, "-m", "bot", "demo-seed", "--teams", "1", "--members", str(members),
                        "--weeks", "8", "--seed", str(900 + i)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        engine = make_engine(largest.url)
        with engine.connect() as conn:
            team_ids.append(conn.execute(text("SELECT max(id) FROM teams")).scalar_one())
        engine.dispose()
    dbs[dbs.index(largest)] = replace(largest, team_ids=tuple(team_ids))


def insights_env(b: Bench, url: str) -> dict[str, str]:
    return {**b.env, "DATABASE_URL": url, "VAR_DIR": str(b.tmp / "insights-var")}


def measure_team(b: Bench, url: str, team_id: int) -> dict:
    """benchmarks.insights in a subprocess: settings and engine caches start clean."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.insights", "--team-id", str(team_id)], cwd=ROOT,
                         env=insights_env(b, url), check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def insights_stage(b: Bench, dbs: list[InsightsDb]) -> None:
    """Time the team page and `insights --json` on every prepared database."""
    from sqlalchemy import text

    from bot.storage.db import make_engine

    rows: list[list[object]] = []
    team_rows: list[list[object]] = []
    for db in dbs:
        engine = make_engine(db.url)
        with engine.connect() as conn:  # the probe team: the first seeded team
            team_id, code = conn.execute(text("SELECT id, code FROM teams ORDER BY id LIMIT 1")).one()
        engine.dispose()
        m = measure_team(b, db.url, team_id)
        cli = []
        for _ in range(3):
            t0 = time.monotonic()
            subprocess.run([sys.executable, "-m", "bot", "insights", "--team", code, "--json"], cwd=ROOT,
                           env=insights_env(b, db.url), check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
            cli.append((time.monotonic() - t0) * 1000)
        b.log(f"insights {db.label}: {m['total']:,} check-ins: team page {m['team_page_ms']:.1f} ms, "
              f"insights --json {median(cli):.0f} ms")  # fmt: skip
        rows.append([db.label, f"{m['total']:,}", f"{m['team_rows']:,}", fmt(m["team_page_ms"], 1),
                     fmt(m["insights_json_ms"], 1), fmt(median(cli))])  # fmt: skip
        for team in db.team_ids:
            t = measure_team(b, db.url, team)
            team_rows.append([f"{t['total']:,}", f"{t['team_rows']:,}", fmt(t["team_page_ms"], 1)])
    b.md += ["## 4. Insights at scale", ""]
    b.md += [
        "One database per size, each filled with `demo-seed` (20 members × 26 weeks per team) in the first phase "
        "of the run; every database starts with the same first seed, so the probe (its first team) and its own "
        "rows are the same in all of them while the total grows. *team page* = `signals.team_insights(team_id)` "
        "(what the dashboard's team page calls), in-process, median of 7 after a warm-up; *+ JSON* adds "
        "`insights_json`; *CLI* = wall time of `python -m bot insights --team CODE --json` (median of 3, "
        "including Python start-up and imports).",
        "",
    ]
    b.md += table(["database", "check-ins stored", "probe team's rows", "team page ms", "+ JSON ms", "CLI ms"], rows)
    if team_rows:
        sizes = "/".join(map(str, TEAM_SIZES))
        b.md += ["", f"Cost against the team's own size: three more teams of {sizes} members × 8 weeks in the "
                 "largest SQLite database above (its total includes them):", ""]  # fmt: skip
        b.md += table(["check-ins stored", "team's rows", "team page ms"], team_rows)
    b.md += [""]


# --------------------------------------------------------------------------- 5. training


def recorded_training(model: Path = OUR_MODEL) -> dict | None:
    """What `make train` recorded for ``model``: /usr/bin/time -v output and Rasa's training log."""
    name = model.name.split(".")[0]
    record, log = model.with_name(f"{name}.time.txt"), model.with_name(f"{name}.train.log")
    if not (model.exists() and record.exists() and log.exists()):
        return None
    if abs(record.stat().st_mtime - model.stat().st_mtime) > 120:  # a record of an earlier training
        return None
    figures = time_v(record.read_text(errors="replace"))
    if not {"wall_s", "peak_mb"} <= figures.keys():
        return None
    parts = training_parts(log.read_text(errors="replace"))
    if parts.restored:  # trained partly from Rasa's cache: not a training time
        return None
    return {
        "cpu_s": float("nan"),
        **figures,
        "nlu_s": parts.nlu_s,
        "policies_s": parts.policies_s,
        "trained_at": datetime.fromtimestamp(model.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def default_fingerprint(config: Path = DEFAULT_CONFIG) -> str:
    """What the default-pipeline model depends on: its config, the domain, the training data, Rasa."""
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    for path in [config, *sorted((ROOT / "domain").rglob("*.yml")), *sorted((ROOT / "data").rglob("*.yml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def default_model(b: Bench) -> tuple[Path | None, dict | None]:
    """The default-pipeline model: reused from models/bench/ if its inputs are unchanged, else trained.

    Its 100-epoch transformer DIET takes ~12 min on 2 cores, half the budget; keeping the model
    (fingerprinted like `make train` keeps ours) lets every later run spend that time measuring.
    """
    model, meta_path = DEFAULT_STORE / "default.tar.gz", DEFAULT_STORE / "default.json"
    fingerprint = default_fingerprint()
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if model.exists() and meta.get("fingerprint") == fingerprint:
        b.log(f"default pipeline: reusing {model.relative_to(ROOT)} (trained {meta['trained_at']}, inputs unchanged)")
        return model, {**meta, "when": f"in an earlier `make bench`, {meta['trained_at']} (same config and data)"}
    if not b.fits("training the default pipeline", 14 * 60):
        return None, None
    b.log("training the default pipeline (rasa train under /usr/bin/time -v; ~12 min on 2 cores) ...")
    DEFAULT_STORE.mkdir(parents=True, exist_ok=True)
    log = DEFAULT_STORE / "default.train.log"
    cmd = [str(BIN / "rasa"), "train", "--config", str(DEFAULT_CONFIG), "--out", str(DEFAULT_STORE),
           "--fixed-model-name", "default"]  # fmt: skip
    # an empty training cache: otherwise Rasa reuses cached components and the time means nothing
    env = {**b.env, "RASA_CACHE_DIRECTORY": str(b.tmp / "train-cache")}
    figures = timed_run(cmd, log, env=env, echo=lambda line: b.log(f"train default: {line}"))
    parts = training_parts(log.read_text(errors="replace"))
    meta = {"fingerprint": fingerprint, **figures, "nlu_s": parts.nlu_s, "policies_s": parts.policies_s,
            "trained_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit()}  # fmt: skip
    meta_path.write_text(json.dumps(meta, indent=2))
    b.log(f"trained the default pipeline in {figures['wall_s']:.0f} s (CPU {figures['cpu_s']:.0f} s, NLU "
          f"{parts.nlu_s:.0f} s), peak RSS {figures['peak_mb']:.0f} MB")  # fmt: skip
    return model, {**meta, "when": "in this run"}


def training_row(config: str, when: str, figures: dict) -> list[object]:
    nan = float("nan")
    return [config, when, fmt(figures["wall_s"] / 60, 1), fmt(figures.get("cpu_s", nan) / 60, 1),
            fmt(figures["nlu_s"]), fmt(figures["policies_s"]), fmt(figures["peak_mb"])]  # fmt: skip


def train_stage(b: Bench) -> dict[str, Path]:
    """Our model is `make train`'s (with its record); the default pipeline's is trained or reused."""
    rows = []
    ours = recorded_training()
    if ours:
        rows.append(training_row("ours (config.yml)", f"by `make train`, {ours['trained_at']}", ours))
    else:
        b.missing.append("training time of our config: models/current.tar.gz has no record of `make train` "
                         "(models/current.time.txt); run `make clean train` to record one")  # fmt: skip
    models = {"ours": OUR_MODEL}
    model, meta = default_model(b)
    if model and meta:
        models["default"] = model
        rows.append(training_row("Rasa default (benchmarks/config_default.yml)", meta["when"], meta))
    else:
        b.missing.append("the default pipeline (held-out score, latency comparison, training time): its training "
                         "did not fit the time budget of this run")  # fmt: skip
    b.results["training"] = rows
    return models


# --------------------------------------------------------------------------- phases


def phase_a(b: Bench, training: bool, want) -> tuple[dict[str, Path], list[list[object]], list[list[object]]]:
    """The default pipeline's model first (trained alone: its wall time is a result), then two jobs
    at a time: the cross-validation of both configs, the held-out scores of both models and the
    seeding of the insights databases (``b.results["insights_dbs"]``).

    Those jobs are subprocesses (rasa test nlu, benchmarks.heldout, demo-seed) whose results are
    scores or data, not timings; each runs TensorFlow on one thread (``ONE_THREAD``), so two share
    the 2 cores without slowing each other. Returns (models, held-out rows, CV rows).
    """
    models = train_stage(b) if training else {"ours": OUR_MODEL}
    scores: dict[str, tuple[float, float, float]] = {}
    cv: dict[str, tuple[float, float, float]] = {}

    def score(name: str) -> None:
        b.log(f"NLU held-out: {name} model ...")
        scores[name] = f1, oos, _ = heldout(models[name], b.env)
        b.log(f"NLU held-out: {name} macro-F1 {f1:.3f}, out-of-scope precision {oos:.3f}")

    def cross_validation(name: str, config: Path) -> None:
        b.log(f"cross-validation {name}: {b.plan.cv_folds} folds, {b.plan.cv_epochs} epochs ...")
        cv[name] = f1, _, secs = cross_validate(b, name, config, subset)
        b.log(f"cross-validation {name}: macro-F1 {f1:.3f} in {secs:.0f} s")

    jobs = []  # the longest first
    if want("cv"):  # reduced equally for both configs; both or neither
        subset = stratified_subset(b.plan.cv_fraction, b.tmp / "cv-data")
        jobs += [lambda: cross_validation("default", DEFAULT_CONFIG), lambda: cross_validation("ours", OUR_CONFIG)]
    if want("insights"):
        jobs.append(lambda: prepare_insights(b))
    if want("nlu"):
        jobs += [lambda name=name: score(name) for name in models]
    if want("latency") or want("scale"):
        jobs.append(lambda: start_servers(b, models, want))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    labels = {"ours": "ours (config.yml)", "default": "Rasa default pipeline"}
    nlu_rows = [[labels[n], *(f"{x:.3f}" for x in scores[n])] for n in ("ours", "default") if n in scores]
    cv_rows = [[n, f"{cv[n][0]:.3f}", fmt(cv[n][1], 3)] for n in ("ours", "default") if n in cv]
    return models, nlu_rows, cv_rows


# Seconds each timing stage takes on 2 cores (full plan): (fixed, per repeat). Measured by make bench:
# latency = warm-up + 11 timed runs per repeat; scale = warm-up + 4 runs (servers start in phase A).
PHASE_B_S = {"latency": (15, 75), "scale": (15, 25), "insights": (40, 0)}


def stage_need(b: Bench, stage: str) -> float:
    """Seconds ``stage`` needs with the current number of repeats (a minute or less in --quick)."""
    fixed, per_repeat = PHASE_B_S[stage]
    return 60.0 if b.quick else fixed + per_repeat * b.plan.repeats


def fit_repeats(b: Bench, stages: list[str]) -> None:
    """Fewer repeats (at least 2) when all of ``stages`` would not fit the time left otherwise.

    This happens on the first run after the data changed, when the default pipeline had to be
    trained first (~11 min); the report states the number of repeats it used.
    """
    if b.quick:
        return

    repeats = b.plan.repeats
    while repeats > 2 and sum(PHASE_B_S[s][0] + PHASE_B_S[s][1] * repeats for s in stages) > b.left():
        repeats -= 1
    if repeats != b.plan.repeats:
        b.log(f"{b.left() / 60:.1f} min left: {repeats} repeats instead of {b.plan.repeats} for the timings")
        b.plan = replace(b.plan, repeats=repeats)


# --------------------------------------------------------------------------- main


def run(plan: Plan, quick: bool, only: set[str] | None = None, out: Path = REPORT) -> int:
    """Run the stages (``only``: a subset of train, nlu, latency, scale, insights, cv) and write ``out``.

    Our model is always models/current.tar.gz (`make train`). The train stage adds the default
    pipeline's model and both training records; without it (``--quick``, or ``--only`` without
    train) the default pipeline is left out.
    """

    def want(stage: str) -> bool:
        return only is None or stage in only

    training = plan.train and want("train")
    if not OUR_MODEL.exists() and any(map(want, ("train", "nlu", "latency", "scale"))):
        print(f"No model at {OUR_MODEL}: run `make train` first (`make bench` does).")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    b = Bench(plan, quick, tmp)
    b.log(f"work dir {tmp}; budget {plan.budget_s / 60:.0f} min")
    nlu_rows: list[list[object]] = []
    cv_rows: list[list[object]] = []
    try:
        # Phase A (1, 5 and the data for 4): scores and seeding, not timings; two jobs at a time
        models, nlu_rows, cv_rows = phase_a(b, training, want)
        if not training:
            b.missing.append("training and the default pipeline: not in this run (--quick or --only without train)")
        # Phase B (2, 3, 4): timings, one stage at a time on an otherwise quiet machine
        fit_repeats(b, [stage for stage in PHASE_B_S if want(stage)])
        if want("latency") and b.fits("latency", stage_need(b, "latency")):
            latency_stage(b, models)
        if want("scale") and b.fits("scale-out", stage_need(b, "scale")):
            scale_stage(b, models["ours"])
        if want("insights") and b.fits("insights", stage_need(b, "insights")):
            insights_stage(b, b.results["insights_dbs"])
    except BaseException as exc:  # noqa: BLE001 - recorded in the report, then re-raised
        b.missing.append(f"the run stopped early: {type(exc).__name__}: {exc}; later stages are missing")
        raise
    finally:
        md = header("Benchmarks", quick, time.monotonic() - b.started)
        md += ["## 1. NLU quality", ""]
        md += ["Held-out set `tests/nlu_heldout.yml` (never used in training), scored as in `make eval` "
               "(`bot/evaluation.py`): one label per example, the intent or for knowledge questions the chosen "
               "topic `kennis/<topic>`. Both models at full epochs (ours 80, default 100; see section 5 for when "
               "each was trained). The default pipeline is `benchmarks/config_default.yml`: the `rasa init` "
               "pipeline, trained on the same data with the same policies.", ""]  # fmt: skip
        md += table(["config", "macro-F1", "out-of-scope precision", "accuracy"], nlu_rows) + [""]
        md += nlu_verdict(nlu_rows)
        if cv_rows:
            subset = "all training data" if plan.cv_fraction >= 1 else f"a stratified {plan.cv_fraction:.0%} subset"
            md += [f"{plan.cv_folds}-fold cross-validation (`rasa test nlu --cross-validation`) on {subset}, "
                   f"with DIET **reduced to {plan.cv_epochs} epochs** and without the ResponseSelector in BOTH "
                   "configs (at full epochs that is 10 trainings of 5–11 min, far beyond the 25-minute budget); "
                   "intent-level macro-F1 (`kennis` counted as one intent, which the ResponseSelector does not "
                   "change), so absolute numbers are lower than at full epochs and on all data: compare the two "
                   "rows with each other; section 1 has both at full epochs.", ""]  # fmt: skip
            md += table(["config", "intent macro-F1 (CV)", "out-of-scope precision (CV)"], cv_rows)
            md += [""]
        md += b.md
        md += ["## 5. Training time and peak memory", ""]
        trained = b.results.get("training")
        if trained:
            md += ["`rasa train` under `/usr/bin/time -v`: wall time and peak resident memory of the whole "
                   "command; NLU and policy seconds summed from Rasa's 'Starting/Finished training component' "
                   "log lines. Ours is recorded by `make train` next to the model (models/current.time.txt, "
                   "models/current.train.log); the default pipeline's model is trained by `make bench` with an "
                   "empty training cache and kept in models/bench/ while its config, the domain and the data "
                   "are unchanged, because its 100-epoch transformer DIET alone takes about half the budget. "
                   "Both are trained with nothing else running; CPU time is user + system time of all threads.",
                   ""]  # fmt: skip
            md += table(["config", "trained", "wall time min", "CPU time min", "NLU training s",
                         "policies training s", "peak RSS MB"], trained) + [""]  # fmt: skip
        mem = b.results.get("latency", {}).get("memory")
        if mem:
            md += ["Peak resident memory (VmHWM from /proc/<pid>/status) after the latency runs:", ""]
            md += table(["process", "VmHWM MB"], [[k, fmt(v)] for k, v in mem.items()]) + [""]
        md += CHANGES
        if b.missing:
            md += ["## Not measured in this run", ""] + [f"- {m}" for m in b.missing] + [""]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(md).rstrip() + "\n")
        b.log(f"wrote {out}")
        stop_servers(b)  # and drops every PostgreSQL schema of the run
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run of the whole harness")
    parser.add_argument("--budget-min", type=float, help="override the time budget in minutes")
    parser.add_argument("--only", help="comma-separated stages: train,nlu,latency,scale,insights,cv")
    parser.add_argument("--out", type=Path, default=REPORT, help="report path (default docs/BENCHMARKS.md)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.budget_min:
        plan = Plan(**{**plan.__dict__, "budget_s": args.budget_min * 60})
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa's tracker store, imported here
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # from Rasa's and spaCy's imports
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    only = set(args.only.split(",")) if args.only else None
    return run(plan, args.quick, only=only, out=args.out)


if __name__ == "__main__":
    sys.exit(main())
