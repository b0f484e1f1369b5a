"""Section 4, insights at scale: the dashboard's team page and `insights --json` on growing databases.

``prepare_insights`` (phase A, not timed) seeds one database per size with ``bot.demo.demo_seed``;
``insights_stage`` (phase B) times each. The in-process timing runs as
``python -m benchmarks.insights --url URL --team-id N [--repeats R]`` (a fresh process next to
no loaded Rasa), which prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, replace

from benchmarks.plan import Bench
from benchmarks.processes import ROOT, backend_for, last_line, migrate, pg_schema, services_up
from benchmarks.stats import median
from bot.backend import Backend
from bot.services.teams import TeamInfo
from bot.storage.unit_of_work import UnitOfWork

TEAM_SIZES = (10, 100, 1000)  # members of the extra teams in the largest SQLite database
MEMBERS, WEEKS = 20, 26  # per team of the main seeds
FIRST_SEED, SECOND_SEED = 100, 101


@dataclass(frozen=True)
class InsightsDb:
    """One seeded database of the insights stage."""

    label: str  # SQLite or PostgreSQL
    url: str
    size: int  # check-ins aimed for
    stored: int  # check-ins stored (demo_seed's count, including the extra teams)
    probe: TeamInfo  # the first seeded team: the same team with the same rows in every database
    team_ids: tuple[int, ...] = ()  # the extra 1-team seeds of TEAM_SIZES members (team-size scaling)


# --------------------------------------------------------------------------- measuring (subprocess)


def stored_rows(uow: UnitOfWork, team_id: int, n_weeks: int = 53) -> int:
    """The team's stored check-ins (every seeded week lies within the last ``n_weeks``)."""
    from bot.vocabulary import last_weeks

    with uow:
        return sum(week.n for week in uow.checkins.aggregate([team_id], last_weeks(n_weeks)).values())


def measure(backend: Backend, team_id: int, repeats: int) -> dict:
    from bot.services.signals import insights_json, team_insights

    min_group = backend.settings.min_group
    uow = backend.uow()
    rows = stored_rows(uow, team_id)
    team_insights(uow, team_id, min_group)  # warm-up: connection, catalogue texts, query plans
    page, as_json = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ins = team_insights(uow, team_id, min_group)  # what the dashboard's team page calls
        t1 = time.perf_counter()
        json.dumps(insights_json(ins))  # what `insights --json` adds
        t2 = time.perf_counter()
        page.append((t1 - t0) * 1000)
        as_json.append((t2 - t0) * 1000)
    return {"team_rows": rows, "team_page_ms": median(page), "insights_json_ms": median(as_json)}


def main() -> None:
    from bot.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the database to measure")
    parser.add_argument("--team-id", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    backend = Backend.from_settings(Settings.from_env().with_changes(database_url=args.url))
    try:
        print(json.dumps(measure(backend, args.team_id, args.repeats)))
    finally:
        backend.database.dispose()


# --------------------------------------------------------------------------- the stage


def seed(backend: Backend, target_total: int, current: int, seed_no: int) -> tuple[int, float]:
    """demo-seed until about ``target_total`` check-ins; returns (check-ins stored, seconds)."""
    from bot.demo import demo_seed

    per_team = MEMBERS * WEEKS * 0.8  # ~turnout of the demo data
    teams = max(1, round((target_total - current) / per_team))
    result = demo_seed(backend.uow(), teams, MEMBERS, WEEKS, seed_no)
    return result.checkins, result.seconds


def first_team(backend: Backend, seed_no: int) -> TeamInfo:
    """The first team ``demo_seed(seed=seed_no)`` made (in its school 'Demo-seed N: school 1 (DEMO)')."""
    from bot.services.teams import find_school_id, list_teams

    school_id = find_school_id(backend.uow(), f"Demo-seed {seed_no}: school 1 (DEMO)")
    if school_id is None:
        raise LookupError(f"no school of demo seed {seed_no}: did bot.demo change how it names them?")
    return min(list_teams(backend.uow(), school_id), key=lambda team: team.id)


def prepare_insights(b: Bench) -> None:
    """Seed one database per size into ``b.results["insights_dbs"]`` (phase A: seeding is not timed).

    Every database starts with the same first seed, so the probe (its first team) and its rows
    are identical everywhere while the total grows. The largest SQLite database also gets three
    teams of 10, 100 and 1000 members x 8 weeks, for the cost against a team's own size.
    """
    from bot.demo import demo_seed

    pg, _ = services_up()
    if not pg:
        b.missing.append("insights on PostgreSQL: not reachable at 127.0.0.1:5432")
    kinds = [("SQLite", b.plan.insight_sizes)] + ([("PostgreSQL", b.plan.pg_sizes)] if pg else [])
    dbs: list[InsightsDb] = b.results.setdefault("insights_dbs", [])
    backends: list[Backend] = b.results.setdefault("backends", [])  # closed at the end, even after a failure
    by_url: dict[str, Backend] = {}
    for label, sizes in kinds:
        for size in sizes:
            url = pg_schema(b) if label == "PostgreSQL" else f"sqlite:///{b.tmp / f'insights-{size}.db'}"
            migrate(url)
            backend = by_url[url] = backend_for(b.settings, url)
            backends.append(backend)
            stored, secs = seed(backend, sizes[0], 0, FIRST_SEED)
            if size > sizes[0]:
                more, more_s = seed(backend, size, sizes[0], SECOND_SEED)
                stored, secs = stored + more, secs + more_s
            dbs.append(InsightsDb(label, url, size, stored, first_team(backend, FIRST_SEED)))
            b.log(f"insights: {label} database of ~{size:,} check-ins seeded in {secs:.0f} s")
    largest = max((d for d in dbs if d.label == "SQLite"), key=lambda d: d.size)
    backend, team_ids, stored = by_url[largest.url], [], largest.stored
    for i, members in enumerate(TEAM_SIZES):
        stored += demo_seed(backend.uow(), 1, members, 8, 900 + i).checkins
        team_ids.append(first_team(backend, 900 + i).id)
    dbs[dbs.index(largest)] = replace(largest, stored=stored, team_ids=tuple(team_ids))


def insights_env(b: Bench, url: str) -> dict[str, str]:
    return {**b.env, "DATABASE_URL": url, "VAR_DIR": str(b.tmp / "insights-var")}


def measure_team(b: Bench, url: str, team_id: int) -> dict:
    """``measure`` in a subprocess: a process of its own, as the dashboard's, not the bench's big one."""
    return json.loads(last_line(["benchmarks.insights", "--url", url, "--team-id", str(team_id)], insights_env(b, url)))


def cli_ms(b: Bench, url: str, code: str, n: int = 3) -> float:
    """Median wall time of `python -m bot insights --team CODE --json`, start-up and imports included."""
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "bot", "insights", "--team", code, "--json"], cwd=ROOT,
                       env=insights_env(b, url), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # fmt: skip
        times.append((time.monotonic() - t0) * 1000)
    return median(times)


def insights_stage(b: Bench, dbs: list[InsightsDb]) -> None:
    """Time the team page and `insights --json` on every prepared database, into ``b.results["insights"]``.

    Rows: (database, probe's figures, CLI ms); team rows: (database's stored total, team's figures).
    """
    rows: list[tuple[InsightsDb, dict, float]] = []
    team_rows: list[tuple[int, dict]] = []
    for db in dbs:
        m, cli = measure_team(b, db.url, db.probe.id), cli_ms(b, db.url, db.probe.code)
        b.log(f"insights {db.label}: {db.stored:,} check-ins: team page {m['team_page_ms']:.1f} ms, "
              f"insights --json {cli:.0f} ms")  # fmt: skip
        rows.append((db, m, cli))
        team_rows += [(db.stored, measure_team(b, db.url, team)) for team in db.team_ids]
    b.results["insights"] = {"rows": rows, "team_rows": team_rows}


if __name__ == "__main__":
    main()
