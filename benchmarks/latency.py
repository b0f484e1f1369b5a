"""Section 2, latency and throughput: both models side by side behind one action server.

Saturation runs (no think time) and runs with think time, interleaved in alternating order; in
``AB_RUNS`` (the first ``AB_REPEATS`` repeats) our model also without bot/rasa_speedups.py
(``RASA_SPEEDUPS=0``) and without each single speed-up (``RASA_SPEEDUPS_OFF=<name>``): the A/B of
every fix in the same run, each variant compared with the runs of ours just before and after it.
Then a py-spy profile of our process, of it without speed-ups and of the default pipeline's
(benchmarks/profile.py), and the time our model takes to load alone, with every speed-up and
without each start-up one (``STARTUP``, the A/B of those), on a quiet machine. The result is a
``LatencyResult`` in ``b.results["latency"]``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import CHECKIN_OPENING, KNOWLEDGE, Checkin, LoadResult, most_senders, run_load, verify_checkins
from benchmarks.plan import Bench
from benchmarks.processes import (
    BenchTeam,
    Servers,
    bench_team,
    cpu_seconds,
    rss_mb,
    start_rasa,
    start_stack,
    vm_hwm_mb,
    wait_until_quiet,
)
from benchmarks.stats import LatencySummary, median, summarize

PLAIN = "ours without speed-ups"  # the A/B variant (RASA_SPEEDUPS=0)
WITHOUT = "ours without "  # + a speed-up's name: the A/B of that one (RASA_SPEEDUPS_OFF=<name>)
CONTROL = "ours, a second process"  # the same as ours: how far two identical processes differ (the noise)
AB_RUNS = {("saturation", 10)}  # the runs that include the A/B variants
SHIPPED = "default on Rasa as shipped"  # the default pipeline without our speed-ups (RASA_SPEEDUPS=0)
SHIPPED_RUNS = {("saturation", 10), ("saturation", 50)}  # the runs that include it
BASELINE = "ours (baseline)"  # our process run again among the A/B variants (with_baselines)
AB_BASELINE_EVERY = 4  # A/B variants in a row before our process runs again
AB_REPEATS = 2  # repeats that include the A/B variants and Rasa as shipped: their CPU cost per message
# is steady to 2% in two, so the later repeats go to the ours/default pairs, whose ratio is noisier
PROFILED = ("ours", PLAIN, "default")  # profiled in turn, at saturation with 10 users
PROFILE_S = 6.0
LOAD_REPEATS = 2  # model loads per variant, alternating


def ab_variants() -> dict[str, dict[str, str]]:
    """The A/B variants of our model under load: name -> environment (start-up speed-ups: ``load_variants``)."""
    from bot.rasa_speedups import NAMES, STARTUP

    without = {WITHOUT + name: {"RASA_SPEEDUPS_OFF": name} for name in NAMES if name not in STARTUP}
    return {PLAIN: {"RASA_SPEEDUPS": "0"}, CONTROL: {}} | without


def is_ab(name: str) -> bool:
    return name in (PLAIN, CONTROL) or name.startswith(WITHOUT)


def with_baselines(order: list[str]) -> list[str]:
    """``order`` with our process run again (``BASELINE``) after every ``AB_BASELINE_EVERY`` A/B variants in a row.

    The machine drifts within tens of seconds: with one run of ours per repeat, a variant that ran
    90 s after it looked a third cheaper or dearer than it was (two identical processes differed
    by 34% once). Each variant is compared with the runs of ours just before and after it instead
    (``baseline``).
    """
    out: list[str] = [BASELINE] if order and is_ab(order[0]) else []  # every variant between two runs of ours
    streak = 0
    for name in order:
        if streak == AB_BASELINE_EVERY and is_ab(name):
            out.append(BASELINE)
            streak = 0
        out.append(name)
        streak = streak + 1 if is_ab(name) else 0
    return [*out, BASELINE] if streak else out  # without A/B variants: ``order`` itself


def run_id(rep: int, pos: int, name: str, kind: str, users: int) -> str:
    """The sender-id prefix of one load run: unique in the stage, though ``BASELINE`` recurs within a repeat."""
    return f"r{rep}-{name}{f'@{pos}' if name == BASELINE else ''}-{kind}-{users}"


def baseline(order: list[str], values: list[float | None], i: int) -> float | None:
    """What ours measured around position ``i`` of ``order``, or None when it never ran.

    ``values`` holds one figure per position (messages per second, CPU ms per message); a run of
    ours without a figure is passed over. Between a run of ours before and one after, the figure
    is interpolated by position, which cancels a steady drift; with one side only, that run's.
    """
    ours = [j for j, name in enumerate(order) if name in ("ours", BASELINE) and values[j] is not None]
    before = max((j for j in ours if j < i), default=None)
    after = min((j for j in ours if j > i), default=None)
    if before is None or after is None:
        side = after if before is None else before
        return None if side is None else values[side]
    return values[before] + (values[after] - values[before]) * (i - before) / (after - before)


Runs = dict[tuple[str, str, int], list[LatencySummary]]  # (kind, model, users) -> one summary per repeat


@dataclass(frozen=True)
class LatencyResult:
    repeats: int
    runs: Runs
    ratios: dict[tuple[str, int], list[float]]  # (kind or A/B variant, users) -> ours/other msg/s per repeat
    where: dict[str, float]  # "Where the time goes": step -> median ms
    memory: dict[str, tuple[float, float]]  # process -> (VmRSS, VmHWM) MB after the load runs
    verified: dict[str, tuple[int, list[str]]]  # model -> (check-ins right, problems)
    checkins: dict[str, list[Checkin]]
    profiles: dict  # name -> benchmarks.profile.Profile
    load_s: float | None  # our model alone, from start to serving (median)
    load_ab: dict[str, list[float]] = field(default_factory=dict)  # load variant -> seconds of each load
    # (A/B variant, users) -> its Rasa process's CPU ms per message over ours, per repeat (A/B runs only):
    # the cost of a message, far steadier on a shared machine than messages per second
    cpu_ratios: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    cpu_ms: dict[tuple[str, int], list[float]] = field(default_factory=dict)  # (name, users) -> CPU ms/message
    # (model, users) -> the action server's CPU ms per message while that model's process ran (saturation)
    action_cpu_ms: dict[tuple[str, int], list[float]] = field(default_factory=dict)


def load(urls: list[str], users: int, team: BenchTeam, seconds: float, run_id: str, **kw) -> LoadResult:
    """One load run, its senders each one of ``team``'s roster members (added before the run, not during it)."""
    team.top_up(most_senders(users, seconds, kw.get("max_conversations_per_user")))
    return asyncio.run(run_load(urls, users, team.pool, seconds, run_id=run_id, **kw))


def shortage(r: LoadResult) -> str:
    """A note for the log when users of a run stopped early for want of roster members."""
    return f", {r.short_of_members} users ran out of roster members" if r.short_of_members else ""


def latency_kinds(b: Bench) -> list[tuple[str, int]]:
    return [("saturation", u) for u in b.plan.user_levels] + [("think", u) for u in b.plan.think_levels]


def start_latency_servers(b: Bench, models: dict[str, Path]) -> Servers:
    """One action server (SQLite, as in a single-server install) and a Rasa process per model and variant.

    They load side by side; the caller waits for them with ``stack.wait_all()``.
    """
    s = b.results["latency_servers"] = start_stack(b, "latency", f"sqlite:///{b.tmp / 'latency' / 'app.db'}")
    variants = {name: (model, {}) for name, model in models.items()}
    if "default" in models and SHIPPED_RUNS & set(latency_kinds(b)):
        variants[SHIPPED] = (models["default"], {"RASA_SPEEDUPS": "0"})
    if AB_RUNS & set(latency_kinds(b)):
        variants |= {name: (models["ours"], env) for name, env in ab_variants().items()}
    b.log(f"latency: loading {len(variants)} Rasa processes side by side ({', '.join(variants)})")
    for name, (model, env) in variants.items():
        start_rasa(s, name, model, ("--enable-api",), env)
    return s


def latency_stage(b: Bench, models: dict[str, Path]) -> LatencyResult:
    """Warm-up, then every kind and user level per repeat, each model in turn (order alternating)."""
    s: Servers | None = b.results.get("latency_servers")
    if s is None:
        s = start_latency_servers(b, models)
    s.stack.wait_all()
    urls = s.urls
    all_checkins: dict[str, list[Checkin]] = {}
    runs: Runs = {}
    ratios: dict[tuple[str, int], list[float]] = {}
    cpu_ratios: dict[tuple[str, int], list[float]] = {}
    cpu_ms: dict[tuple[str, int], list[float]] = {}
    action_cpu_ms: dict[tuple[str, int], list[float]] = {}
    action_pid = s.stack.processes[0].pid
    pids = dict(zip(urls, (p.pid for p in s.rasa_processes()), strict=True))
    try:
        b.log("latency: " + ", ".join(f"{name} at {url}" for name, url in urls.items()))
        team = bench_team(s.backend)
        for name, url in urls.items():  # warm-up: one knowledge conversation + one check-in
            all_checkins[name] = load([url], 2, team, 60, f"warm-{name}", max_conversations_per_user=1).checkins
        for rep in range(b.plan.repeats):
            for kind, users in latency_kinds(b):
                names = [n for n in urls if (not is_ab(n) or ((kind, users) in AB_RUNS and rep < AB_REPEATS))
                         and (n != SHIPPED or ((kind, users) in SHIPPED_RUNS and rep < AB_REPEATS))]  # fmt: skip
                order = with_baselines(names if rep % 2 == 0 else names[::-1])  # interleave, alternate order
                tp: list[float | None] = []  # per position in order
                cpu: list[float | None] = []
                for pos, name in enumerate(order):
                    think = b.plan.think_s if kind == "think" else (0.0, 0.0)
                    seconds = b.plan.think_seconds if kind == "think" else b.plan.load_seconds
                    process = "ours" if name == BASELINE else name
                    cpu_before, action_before = cpu_seconds(pids[process]), cpu_seconds(action_pid)
                    r = load([urls[process]], users, team, seconds, run_id(rep, pos, name, kind, users), think_s=think,
                             seed=f"r{rep}-{kind}-{users}", stop_at_deadline=True)  # fmt: skip # same think times
                    all_checkins[process].extend(r.checkins)
                    m = summarize(r.latencies, r.seconds, r.errors)
                    if name != BASELINE:  # a baseline is only the A/B's comparison, not another repeat of ours
                        runs.setdefault((kind, name, users), []).append(m)
                    if name in ("ours", "default") and kind == "saturation" and m.messages:
                        action_ms = (cpu_seconds(action_pid) - action_before) * 1000 / m.messages
                        action_cpu_ms.setdefault((name, users), []).append(action_ms)
                    tp.append(m.throughput)
                    cpu.append((cpu_seconds(pids[process]) - cpu_before) * 1000 / m.messages if m.messages else None)
                    b.log(f"latency: {name} {kind} {users:>2} users rep {rep + 1}: p50 {m.p50_ms:.0f} ms p95 "
                          f"{m.p95_ms:.0f} ms, {m.throughput:.1f} msg/s, {m.errors} errors{shortage(r)}")  # fmt: skip
                at = {name: i for i, name in enumerate(order) if name != BASELINE}
                ours_tp = tp[at["ours"]]
                if "default" in at and tp[at["default"]]:
                    ratios.setdefault((kind, users), []).append(ours_tp / tp[at["default"]])
                if SHIPPED in at and tp[at[SHIPPED]]:
                    ratios.setdefault((SHIPPED, users), []).append(ours_tp / tp[at[SHIPPED]])
                for name, i in at.items():
                    if is_ab(name) and tp[i] and (ours_near := baseline(order, tp, i)):
                        ratios.setdefault((name, users), []).append(ours_near / tp[i])
                    if (kind, users) in AB_RUNS and cpu[i] is not None:
                        cpu_ms.setdefault((name, users), []).append(cpu[i])
                        if is_ab(name) and (ours_cost := baseline(order, cpu, i)):
                            cpu_ratios.setdefault((name, users), []).append(cpu[i] / ours_cost)
        where = where_time_goes(urls["ours"], team)
        memory = {f"Rasa ({name})": memory_mb(pid) for name, pid in pids.items()}
        memory["action server"] = memory_mb(s.stack.processes[0].pid)
        profiles = profile_processes(b, urls, pids, team)
        secret = s.backend.settings.pseudonym_secret
        verified = {name: verify_checkins(s.backend.uow(), cs, secret) for name, cs in all_checkins.items()}
    finally:
        s.stack.stop()
    loads = time_model_loads(b, models["ours"])
    result = LatencyResult(b.plan.repeats, runs, ratios, where, memory, verified, all_checkins, profiles,
                           median(loads["ours"]) if loads.get("ours") else None, loads, cpu_ratios, cpu_ms,
                           action_cpu_ms)  # fmt: skip
    b.results["latency"] = result
    return result


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB: resident now, and at its peak."""
    return rss_mb(pid), vm_hwm_mb(pid)


def profile_processes(b: Bench, urls: dict[str, str], pids: dict[str, int], team: BenchTeam) -> dict:
    """A py-spy profile of each of ``PROFILED`` under a saturation load of 10 users (not a timed run)."""
    from benchmarks import profile

    if profile.py_spy() is None:
        b.missing.append("profiles: py-spy not installed (make install puts it in .venv)")
        return {}
    found = {}
    for name in (n for n in PROFILED if n in urls):
        result: dict = {}

        def sample(pid: int = pids[name], out: dict = result) -> None:
            out["profile"] = profile.profile_pid(pid, PROFILE_S)

        sampler = threading.Thread(target=sample)
        sampler.start()
        load([urls[name]], 10, team, PROFILE_S + 1, f"profile-{name}", stop_at_deadline=True)
        sampler.join()
        found[name] = result.get("profile")
        b.log(f"latency: profiled {name}: {found[name].samples if found[name] else 0} samples")
    return {name: p for name, p in found.items() if p is not None}


def load_variants() -> dict[str, dict[str, str]]:
    """Our model with every speed-up, and without each one that only changes its load: name -> environment."""
    from bot.rasa_speedups import STARTUP

    return {"ours": {}} | {WITHOUT + name: {"RASA_SPEEDUPS_OFF": name} for name in STARTUP}


def time_model_loads(b: Bench, model: Path) -> dict[str, list[float]]:
    """Seconds from starting a Rasa process with our model until it serves, per load variant.

    Each load waits for a quiet machine first (the processes of the timings before it may still be
    winding down) and the variants alternate, ``LOAD_REPEATS`` loads each.
    """
    variants = list(load_variants().items())
    found: dict[str, list[float]] = {name: [] for name, _ in variants}
    for rep in range(LOAD_REPEATS):
        for name, env in variants if rep % 2 == 0 else variants[::-1]:
            seconds = time_model_load(b, model, env, f"model-load-{rep}-{name.split()[-1]}")
            if seconds is None:
                return found
            found[name].append(seconds)
            b.log(f"latency: {name}: model loaded and serving in {seconds:.1f} s")
    return found


def time_model_load(b: Bench, model: Path, env: dict[str, str], stage: str) -> float | None:
    """Seconds from starting one Rasa process with ``model`` (on a quiet machine) until it serves."""
    s = start_stack(b, stage, f"sqlite:///{b.tmp / (stage + '.db')}")
    try:
        wait_until_quiet()
        started = time.monotonic()
        start_rasa(s, "ours", model, (), env)
        s.stack.wait_all()
        return time.monotonic() - started
    except Exception as exc:  # noqa: BLE001 - a missing figure, reported
        b.missing.append(f"model load time: {type(exc).__name__}: {exc}")
        return None
    finally:
        s.stack.stop()


def where_time_goes(url: str, team: BenchTeam, n: int = 5) -> dict[str, float]:
    """NLU parse time vs full REST round trip, same texts, one at a time (each sender a roster member)."""

    def post(path: str, body: dict) -> float:
        request = urllib.request.Request(  # noqa: S310 - loopback http URL only
            f"{url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback http URL only
            response.read()
        return (time.perf_counter() - t0) * 1000

    team.top_up(2 * n)
    members = [team.pool.take() for _ in range(2 * n)]
    parse_k, rest_k, parse_c, rest_c = [], [], [], []
    for i in range(n):
        text = KNOWLEDGE[i % len(KNOWLEDGE)]
        parse_k.append(post("/model/parse", {"text": text}))
        rest_k.append(post("/webhooks/rest/webhook", {"sender": f"where-k{i}", "message": text,
                                                     "metadata": members[i].metadata()}))  # fmt: skip
    for i in range(n):
        sender, metadata = f"where-c{i}", members[n + i].metadata()
        for text in [*CHECKIN_OPENING, "3", "4", "2", "5", "3"]:
            parse_c.append(post("/model/parse", {"text": text}))
            rest_c.append(post("/webhooks/rest/webhook", {"sender": sender, "message": text,
                                                         "metadata": metadata}))  # fmt: skip
    return {
        "knowledge question: NLU parse only": median(parse_k),
        "knowledge question: whole REST message": median(rest_k),
        "check-in step: NLU parse only": median(parse_c),
        "check-in step: whole REST message (incl. action server)": median(rest_c),
    }
