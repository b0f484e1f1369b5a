"""Time the dashboard's team-page query at growing numbers of stored check-ins.

Run as ``python -m benchmarks.insights --team-id N --repeats R`` with DATABASE_URL set
(a subprocess, so settings and engine caches start clean); prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.stats import median


def measure(team_id: int, repeats: int) -> dict:
    from sqlalchemy import text

    from bot.services.signals import insights_json, team_insights
    from bot.storage.db import transaction

    with transaction() as session:
        total = session.execute(text("SELECT count(*) FROM checkins")).scalar_one()
        team_rows = session.execute(
            text("SELECT count(*) FROM checkins WHERE team_id = :t"), {"t": team_id}
        ).scalar_one()
    team_insights(team_id)  # warm-up: connection, catalogue texts, query plans
    page, as_json = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ins = team_insights(team_id)  # what the dashboard's team page calls
        t1 = time.perf_counter()
        json.dumps(insights_json(ins))  # what `insights --json` adds
        t2 = time.perf_counter()
        page.append((t1 - t0) * 1000)
        as_json.append((t2 - t0) * 1000)
    return {
        "total": int(total),
        "team_rows": int(team_rows),
        "team_page_ms": median(page),
        "insights_json_ms": median(as_json),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--team-id", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.team_id, args.repeats)))


if __name__ == "__main__":
    main()
