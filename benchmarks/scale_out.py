"""Section 3, scale-out: 2 Rasa processes against 1, PostgreSQL tracker store, Redis lock store.

With 2 processes the load client alternates every message between them, so each conversation
relies on the shared tracker and lock stores; every check-in is then checked in the database.
The result is a ``ScaleResult`` in ``b.results["scale"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.latency import load, shortage
from benchmarks.load import Checkin, verify_checkins
from benchmarks.plan import Bench
from benchmarks.processes import Servers, bench_team, create_tracker_tables, pg_schema, start_rasa, start_stack
from benchmarks.stats import LatencySummary, summarize

REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class ScaleResult:
    runs: dict[tuple[int, int], list[LatencySummary]]  # (Rasa processes, users) -> one summary per repeat
    ratios: dict[int, list[float]]  # users -> 2-process / 1-process msg/s per repeat
    checkins: list[Checkin]
    exact: int  # check-ins right
    problems: list[str]


def start_scale_servers(b: Bench, model: Path) -> Servers:
    """Action server + 2 Rasa processes on PostgreSQL (app data, trackers) and Redis (locks).

    They load in the background; the caller waits for them with ``stack.wait_all()``.
    """
    app_url, tracker_url = pg_schema(b), pg_schema(b)
    create_tracker_tables(tracker_url)  # before the two processes, which would race to create them
    s = start_stack(b, "scale", app_url, extra_env={"TRACKER_DB_URL": tracker_url, "REDIS_URL": REDIS_URL})
    b.results["scale_servers"] = s
    start_rasa(s, "rasa-1", model)
    start_rasa(s, "rasa-2", model)
    return s


def scale_stage(b: Bench, model: Path) -> ScaleResult:
    """Per repeat and user level: 1 and 2 processes in turn (order alternating), then the check-ins verified."""
    s: Servers | None = b.results.get("scale_servers")
    if s is None:
        s = start_scale_servers(b, model)
    s.stack.wait_all()
    urls = list(s.urls.values())
    checkins: list[Checkin] = []
    ratios: dict[int, list[float]] = {}
    runs: dict[tuple[int, int], list[LatencySummary]] = {}
    try:
        b.log(f"scale-out: 2 Rasa processes up ({s.stack.env.get('LOCK_STORE_TYPE')} lock store, "
              f"{s.stack.env.get('TRACKER_DB_DIALECT')} tracker store)")  # fmt: skip
        team = bench_team(s.backend)
        checkins += load(urls, 2, team, 60, "warm-scale", max_conversations_per_user=2).checkins
        for rep in range(b.plan.repeats):
            for users in b.plan.scale_users:
                tp = {}
                for n in [1, 2] if rep % 2 == 0 else [2, 1]:
                    r = load(urls[:n], users, team, b.plan.load_seconds, f"s{rep}-{n}-{users}", stop_at_deadline=True)
                    checkins += r.checkins
                    m = summarize(r.latencies, r.seconds, r.errors)
                    runs.setdefault((n, users), []).append(m)
                    tp[n] = m.throughput
                    b.log(f"scale-out: {n} Rasa, {users} users rep {rep + 1}: {m.throughput:.1f} msg/s, "
                          f"p95 {m.p95_ms:.0f} ms, {m.errors} errors{shortage(r)}")  # fmt: skip
                ratios.setdefault(users, []).append(tp[2] / tp[1] if tp[1] else float("nan"))
        exact, problems = verify_checkins(s.backend.uow(), checkins, s.backend.settings.pseudonym_secret)
    finally:
        s.stack.stop()
    result = ScaleResult(runs, ratios, checkins, exact, problems)
    b.results["scale"] = result
    return result
