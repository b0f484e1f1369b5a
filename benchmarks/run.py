"""``make bench`` / ``python -m benchmarks.run [--quick]``: run every benchmark, write docs/BENCHMARKS.md.

Two phases. A: the default pipeline's model (trained alone first when its inputs changed), then
two jobs at a time: cross-validation, held-out scores, seeding the insights databases, starting
the servers. B: the timings, one stage at a time. The run keeps to 25 minutes on 2 cores (a
24.75-minute budget, benchmarks/plan.py): when the default pipeline had to be trained first, the
timings use fewer repeats (at least 2); a stage that still does not fit is skipped and listed
under "Not measured in this run". ``--quick`` is a tiny smoke run.

The stages: nlu_quality.py (1), latency.py (2), scale_out.py (3), insights.py (4), training.py
(5); processes.py starts and stops the servers; report.py and report_timings.py write the prose.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from benchmarks.insights import insights_stage, prepare_insights
from benchmarks.latency import latency_stage, start_latency_servers
from benchmarks.nlu_quality import cv_jobs, heldout_jobs
from benchmarks.plan import FULL, PHASE_B_S, QUICK, Bench, Plan, fit_repeats, stage_need
from benchmarks.processes import OUR_MODEL, services_up, stop_servers
from benchmarks.report import REPORT, write_report
from benchmarks.scale_out import scale_stage, start_scale_servers
from benchmarks.training import train_stage
from bot.settings import Settings

STAGES = ("train", "nlu", "latency", "scale", "insights", "cv")


def start_servers(b: Bench, models: dict[str, Path], want: Callable[[str], bool]) -> None:
    """Phase A's last job: start the servers of the timing stages, so phase B spends no time loading."""
    started = []
    if want("latency"):
        started.append(start_latency_servers(b, models))
    if want("scale") and all(services_up()):
        started.append(start_scale_servers(b, models["ours"]))
    for servers in started:
        # 20 Rasa processes (18 for latency, 2 for scale-out) load beside the cross-validation: minutes
        servers.stack.wait_all(timeout=900)
    b.log("servers for the timings are up")


def phase_a(b: Bench, training: bool, want: Callable[[str], bool]) -> dict[str, Path]:
    """The default pipeline's model first (trained alone: its wall time is a result), then two jobs
    at a time: the cross-validation of both configs, the held-out scores of both models, the
    seeding of the insights databases and the start of the servers.

    The scoring jobs are subprocesses (rasa test nlu, benchmarks.heldout) whose results are scores,
    not timings; each runs TensorFlow on one thread, so two share the 2 cores without slowing each
    other. Returns the models by name.
    """
    models = train_stage(b) if training else {"ours": OUR_MODEL}
    jobs: list[Callable[[], None]] = []  # the longest first
    if want("cv"):
        jobs += cv_jobs(b)
    if want("insights"):
        jobs.append(lambda: prepare_insights(b))
    if want("nlu"):
        jobs += heldout_jobs(b, models)
    if want("latency") or want("scale"):
        jobs.append(lambda: start_servers(b, models, want))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    return models


def phase_b(b: Bench, models: dict[str, Path], want: Callable[[str], bool]) -> None:
    """The timings (2, 3, 4), one stage at a time on an otherwise quiet machine, within the budget."""
    fit_repeats(b, [stage for stage in PHASE_B_S if want(stage)])
    if want("latency") and b.fits("latency", stage_need(b, "latency")):
        latency_stage(b, models)
    if want("scale") and b.fits("scale-out", stage_need(b, "scale")):
        if all(services_up()):
            scale_stage(b, models["ours"])
        else:
            b.missing.append("scale-out: PostgreSQL (5432) or Redis (6379) not reachable")
    if want("insights") and b.fits("insights", stage_need(b, "insights")):
        insights_stage(b, b.results["insights_dbs"])


def run(plan: Plan, quick: bool, settings: Settings, only: set[str] | None = None, out: Path = REPORT) -> int:
    """Run the stages (``only``: a subset of ``STAGES``) and write ``out``.

    ``settings``: the entry point's, the base of every database the run makes. Our model is always
    models/current.tar.gz (`make train`). The train stage adds the default pipeline's model and both
    training records; without it (``--quick``, or ``--only`` without train) the default pipeline is
    left out.
    """

    def want(stage: str) -> bool:
        return only is None or stage in only

    training = plan.train and want("train")
    if not OUR_MODEL.exists() and any(map(want, ("train", "nlu", "latency", "scale"))):
        print(f"No model at {OUR_MODEL}: run `make train` first (`make bench` does).")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    b = Bench(plan, quick, tmp, settings)
    b.log(f"work dir {tmp}; budget {plan.budget_s / 60:.0f} min")
    try:
        # Phase A (1, 5 and the data for 4): scores and seeding, not timings; two jobs at a time
        models = phase_a(b, training, want)
        if not training:
            b.missing.append("training and the default pipeline: not in this run (--quick or --only without train)")
        phase_b(b, models, want)
    except BaseException as exc:  # noqa: BLE001 - recorded in the report, then re-raised
        b.missing.append(f"the run stopped early: {type(exc).__name__}: {exc}; later stages are missing")
        raise
    finally:
        write_report(b, time.monotonic() - b.started, out)
        stop_servers(b)  # and closes the run's databases, drops every PostgreSQL schema of the run
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run of the whole harness")
    parser.add_argument("--budget-min", type=float, help="override the time budget in minutes")
    parser.add_argument("--only", help=f"comma-separated stages: {','.join(STAGES)}")
    parser.add_argument("--out", type=Path, default=REPORT, help="report path (default docs/BENCHMARKS.md)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.budget_min:
        plan = replace(plan, budget_s=args.budget_min * 60)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa's tracker store, imported here
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # from Rasa's and spaCy's imports
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    only = set(args.only.split(",")) if args.only else None
    return run(plan, args.quick, Settings.from_env(), only=only, out=args.out)


if __name__ == "__main__":
    sys.exit(main())
