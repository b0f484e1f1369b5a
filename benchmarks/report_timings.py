"""The prose of docs/BENCHMARKS.md's timing sections: 2 latency, 3 scale-out, 4 insights at scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks.report import checkin_tally, fmt, table
from benchmarks.stats import median, median_summary

if TYPE_CHECKING:
    from benchmarks.latency import LatencyResult
    from benchmarks.plan import Plan
    from benchmarks.scale_out import ScaleResult

GOAL_P95_MS = 150


# --------------------------------------------------------------------------- 2. latency


def latency_section(plan: Plan, r: LatencyResult) -> list[str]:
    from benchmarks.latency import AB_RUNS, PLAIN

    def rows_for(kind: str) -> list[list[object]]:
        rows = []
        for (k, name, users), rs in sorted(r.runs.items(), key=lambda kv: (kv[0][2], kv[0][1] != "ours")):
            if k != kind or name == PLAIN:
                continue
            m = median_summary(rs)
            ratio = median(r.ratios[(kind, users)]) if name == "ours" and r.ratios.get((kind, users)) else None
            rows.append([name, users, fmt(m.p50_ms), fmt(m.p95_ms), fmt(m.p99_ms), fmt(m.throughput, 1),
                         f"{ratio:.2f}×" if ratio else "", m.errors, sum(s.messages for s in rs)])  # fmt: skip
        return rows

    head = ["model", "users", "p50 ms", "p95 ms", "p99 ms", "msg/s", "ours/default msg/s", "errors", "messages"]
    low, high = plan.think_s
    md = ["## 2. Latency and throughput (REST channel, one Rasa process + action server)", ""]
    md += [
        "Simulated users (`benchmarks/load.py`, asyncio + aiohttp) run mixed conversations, each under a fresh "
        "sender id: two knowledge questions, or a whole check-in (start, consent, five answers). Every sender is "
        "its own member of the bench team's roster and sends that member's personal-link token as message "
        "metadata, as the widget opened from the link does (check-ins are stored only that way). Both models "
        "run as separate Rasa processes against the same action server and database (SQLite, as in a "
        "single-server install), interleaved in alternating order; figures are medians over "
        f"{r.repeats} repeats, and the ratio column is the median of per-repeat throughput ratios "
        "ours/default. Latency = HTTP round trip of one message on loopback. Every run is timed: no message is "
        "sent after its end (messages in flight still count), so a check-in in progress is abandoned there "
        "and must leave nothing stored.",
        "",
        f"**Users with think time** ({low:.0f}–{high:.0f} s between a reply and the next message, uniformly "
        "random, as locust's `between(1, 3)`; a teacher reads the reply and taps a button): what a person "
        f"waits for. {plan.think_seconds:.0f} s per run.",
        "",
    ]
    md += table(head, rows_for("think")) + [""]
    md += [f"**Saturation** (no think time: each user sends its next message the moment the reply arrives, "
           f"{plan.load_seconds:.0f} s per run): the most messages per second one Rasa process handles; "
           "latency then is mostly queueing (users ÷ throughput).", ""]  # fmt: skip
    md += table(head, rows_for("saturation")) + [""]
    if think10 := r.runs.get(("think", "ours", 10)):
        p95 = median_summary(think10).p95_ms
        met = "**met**" if p95 <= GOAL_P95_MS else "**NOT met**"
        md.append(f"- Goal p95 ≤ {GOAL_P95_MS} ms at 10 concurrent users (with think time): {met} "
                  f"(median p95 {p95:.0f} ms).")  # fmt: skip
    if sat10 := r.runs.get(("saturation", "ours", 10)):
        m = median_summary(sat10)
        md.append(f"- At 10 users without think time p95 is {m.p95_ms:.0f} ms: 10 users back to back at "
                  f"{m.throughput:.0f} msg/s queue for about 10 ÷ {m.throughput:.0f} s each; a p95 of "
                  f"{GOAL_P95_MS} ms there would need about {10 / (GOAL_P95_MS / 1000):.0f} msg/s from one "
                  "Rasa process on these 2 shared cores.")  # fmt: skip
    for users in plan.user_levels:
        if r.ratios.get(("saturation", users)):
            x = median(r.ratios[("saturation", users)])
            md.append(f"- Throughput ahead of the default pipeline at {users} users (saturation): "
                      f"{'**met**' if x > 1 else '**NOT met**'} (ours/default {x:.2f}×).")  # fmt: skip
    if ab := [(kind, users) for kind, users in AB_RUNS if (kind, PLAIN, users) in r.runs]:
        md += ["", "**What profiling changed** (A/B in this run: our model with and without "
               "`bot/rasa_speedups.py`, i.e. `RASA_SPEEDUPS=0`; see \"Where the time goes\" below):", ""]  # fmt: skip
        ab_rows = []
        for kind, users in ab:
            for name in ("ours", PLAIN):
                m = median_summary(r.runs[(kind, name, users)])
                ratio = median(r.ratios[(PLAIN, users)]) if name == "ours" and r.ratios.get((PLAIN, users)) else None
                ab_rows.append([name, kind, users, fmt(m.p50_ms), fmt(m.p95_ms), fmt(m.throughput, 1),
                                f"{ratio:.2f}×" if ratio else ""])  # fmt: skip
        md += table(["Rasa", "run", "users", "p50 ms", "p95 ms", "msg/s", "with/without msg/s"], ab_rows) + [""]
    for name, (exact, problems) in r.verified.items():
        shown = f"; problems: {problems[:3]}" if problems else "."
        md.append(f"- Check-ins with the {name} model: {checkin_tally(exact, r.checkins[name])}{shown}")
    md += ["", "### Where the time goes (our model, one user, sequential)", ""]
    md += table(["step", "median ms"], [[k, fmt(v, 1)] for k, v in r.where.items()])
    md += [
        "",
        "The NLU parse (`/model/parse`) is the model alone; a REST message adds the dialogue policies, the "
        "tracker store and, for check-in steps, the action server (form validation, the database write).",
        "",
    ]
    return md


# --------------------------------------------------------------------------- 3. scale-out


def scale_section(r: ScaleResult) -> list[str]:
    rows = []
    for (n, users), rs in sorted(r.runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        m = median_summary(rs)
        rows.append([n, users, fmt(m.p50_ms), fmt(m.p95_ms), fmt(m.throughput, 1),
                     f"{median(r.ratios[users]):.2f}×" if n == 2 else "", m.errors])  # fmt: skip
    md = ["## 3. Scale-out: 2 Rasa processes, PostgreSQL tracker store, Redis lock store", ""]
    md += [
        "Same load client; with 2 processes it alternates every message round-robin between them (client-side "
        "round-robin), so each conversation's turns land on both processes and rely on the shared tracker store "
        "and lock store. 1-process and 2-process runs are interleaved against the same stack (app data and trackers "
        "on PostgreSQL). On a 2-core machine both Rasa processes, the action server, PostgreSQL and the client "
        "share the same cores, so the ratio shows the headroom of this machine, not of a 2-server deployment.",
        "",
    ]
    md += table(["Rasa processes", "users", "p50 ms", "p95 ms", "msg/s", "2 vs 1 msg/s", "errors"], rows)
    verdict = (
        f"; problems: {r.problems[:5]}"
        if r.problems
        else (
            " (every finished check-in confirmed by the bot and found in the database with exactly the five "
            "answers its conversation gave, under its own roster member's pseudonym; every one abandoned at the "
            "end of a run left nothing)."
        )
    )
    return md + ["", f"- Conversations mixed up or lost: **{checkin_tally(r.exact, r.checkins)}**{verdict}", ""]


# --------------------------------------------------------------------------- 4. insights at scale


def insights_section(results: dict) -> list[str]:
    """``results``: ``b.results["insights"]`` (see benchmarks.insights.insights_stage)."""
    from benchmarks.insights import MEMBERS, TEAM_SIZES, WEEKS

    rows = [[db.label, f"{db.stored:,}", f"{m['team_rows']:,}", fmt(m["team_page_ms"], 1),
             fmt(m["insights_json_ms"], 1), fmt(cli)] for db, m, cli in results["rows"]]  # fmt: skip
    md = ["## 4. Insights at scale", ""]
    md += [
        f"One database per size, each filled with `demo-seed` ({MEMBERS} members × {WEEKS} weeks per team) in the "
        "first phase of the run; every database starts with the same first seed, so the probe (its first team) and "
        "its own rows are the same in all of them while the total grows. *team page* = "
        "`signals.team_insights(team_id)` (what the dashboard's team page calls), in-process, median of 7 after a "
        "warm-up; *+ JSON* adds `insights_json`; *CLI* = wall time of `python -m bot insights --team CODE --json` "
        "(median of 3, including Python start-up and imports).",
        "",
    ]
    md += table(["database", "check-ins stored", "probe team's rows", "team page ms", "+ JSON ms", "CLI ms"], rows)
    if results["team_rows"]:
        sizes = "/".join(map(str, TEAM_SIZES))
        md += ["", f"Cost against the team's own size: three more teams of {sizes} members × 8 weeks in the "
               "largest SQLite database above (its total includes them):", ""]  # fmt: skip
        team_rows = [[f"{stored:,}", f"{t['team_rows']:,}", fmt(t["team_page_ms"], 1)]
                     for stored, t in results["team_rows"]]  # fmt: skip
        md += table(["check-ins stored", "team's rows", "team page ms"], team_rows)
    return md + [""]
