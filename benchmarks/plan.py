"""How much a benchmark run does, and the state it carries: the plan, the time budget, the log.

``make bench`` keeps to 25 minutes on 2 cores (a 24.75-minute budget): when the default pipeline
had to be trained first, the timings use fewer repeats (at least 2); a stage that still does not
fit is skipped and listed under "Not measured in this run".
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.settings import Settings


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


# CV on a fifth of the data: at 30% the default pipeline's 5 folds took 19 minutes on this machine
# once the data had grown to ~6,000 examples, and phase A waits for it (docs/BENCHMARKS.md).
FULL = Plan(24.75 * 60, (1, 10, 50), (10, 50), (1.0, 3.0), 8.0, 4, 5.0, (10, 50), (10_000, 100_000, 1_000_000),
            (10_000, 100_000, 1_000_000), True, 5, 20, 0.2)  # fmt: skip
QUICK = Plan(8 * 60, (1, 3), (3,), (0.1, 0.3), 2.0, 1, 2.0, (3,), (2_000, 6_000), (2_000,), False, 2, 1, 0.3)

# Seconds each timing stage takes on 2 cores (full plan): (fixed, per repeat). Latency = warm-ups of
# the 18 Rasa processes, the sequential timings, 3 profiles, 4 model loads and, in the first two
# repeats only (latency.AB_REPEATS), 16 A/B runs, 4 more of ours between them (latency.with_baselines)
# and 2 of the default pipeline on Rasa as shipped (fixed), and per repeat 10 timed runs of both
# models; scale = warm-up + 4 runs (servers start in phase A).
PHASE_B_S = {"latency": (430, 75), "scale": (15, 25), "insights": (40, 0)}

LOG_LOCK = threading.Lock()


@dataclass
class Bench:
    """One run: its plan, settings (built once by the entry point), work directory and results so far."""

    plan: Plan
    quick: bool
    tmp: Path
    settings: Settings  # the entry point's; the base of the run's own databases (``with_changes``)
    started: float = field(default_factory=time.monotonic)
    missing: list[str] = field(default_factory=list)  # the report's "Not measured in this run"
    results: dict = field(default_factory=dict)  # per stage; "servers": started stacks, "schemas": to drop
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
