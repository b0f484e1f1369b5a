"""The benchmark harness (benchmarks/) on tiny inputs: correct maths, a working load client, the writer.

Correctness only, not speed: the real numbers come from `make bench`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import numpy as np
import pytest
import yaml

from benchmarks.load import Member, MemberPool, answers_for, most_senders, run_load, verify_checkins
from benchmarks.nlu_quality import with_epochs
from benchmarks.plan import FULL, PHASE_B_S, QUICK, Bench, fit_repeats
from benchmarks.report import header, nlu_verdict, table
from benchmarks.run import run
from benchmarks.stats import LatencySummary, median_summary, percentile, summarize
from benchmarks.training import DEFAULT_CONFIG, default_fingerprint, recorded_training, training_parts


@pytest.mark.parametrize("q", [0, 1, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(q):
    data = [0.3, 0.1, 0.7, 0.2, 0.9, 0.4, 1.5, 0.05, 0.6, 0.8, 2.0]
    assert percentile(data, q) == pytest.approx(float(np.percentile(data, q)))


def test_percentile_edge_cases():
    assert percentile([42.0], 99) == 42.0
    assert percentile(list(range(1, 101)), 50) == pytest.approx(50.5)
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_throughput_and_median_of_runs():
    s = summarize([0.010] * 90 + [0.100] * 10, seconds=4.0, errors=1)
    assert s.messages == 100 and s.errors == 1
    assert s.throughput == pytest.approx(25.0)
    assert s.p50_ms == pytest.approx(10.0) and s.p99_ms == pytest.approx(100.0)
    runs = [
        LatencySummary(100, 0, 10.0, 10, 20, 30),  # 10 msg/s
        LatencySummary(300, 1, 10.0, 30, 60, 90),  # 30 msg/s
        LatencySummary(200, 0, 10.0, 20, 40, 50),  # 20 msg/s
    ]
    m = median_summary(runs)
    assert m.throughput == pytest.approx(20.0)
    assert (m.p50_ms, m.p95_ms, m.p99_ms, m.errors) == (20, 40, 50, 1)


def test_markdown_table_and_header():
    lines = table(["a", "b"], [[1, "x|y"], [2.5, "z"]])
    assert lines == ["| a | b |", "|---|---|", "| 1 | x\\|y |", "| 2.5 | z |"]
    head = "\n".join(header("Benchmarks", quick=True, duration_s=90))
    assert head.startswith("# Benchmarks") and "commit `" in head and "cores" in head and "1.5 min" in head


def test_answers_are_deterministic_valid_and_varied():
    assert answers_for("a-u1-c1") == answers_for("a-u1-c1")
    all_answers = {answers_for(f"r-u{u}-c{k}") for u in range(10) for k in range(5)}
    assert all(len(a) == 5 and all(1 <= x <= 5 for x in a) for a in all_answers)
    assert len(all_answers) > 5  # different conversations give different answers


def test_default_config_is_the_rasa_init_pipeline(tmp_path):
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    names = [c["name"] for c in config["pipeline"]]
    assert names == [
        "WhitespaceTokenizer", "RegexFeaturizer", "LexicalSyntacticFeaturizer", "CountVectorsFeaturizer",
        "CountVectorsFeaturizer", "DIETClassifier", "EntitySynonymMapper", "ResponseSelector", "FallbackClassifier",
    ]  # fmt: skip
    reduced = yaml.safe_load(with_epochs(DEFAULT_CONFIG, 3, tmp_path / "c.yml").read_text())
    assert {c["epochs"] for c in reduced["pipeline"] if "epochs" in c} == {3}
    intents = yaml.safe_load(with_epochs(DEFAULT_CONFIG, 3, tmp_path / "i.yml", intents_only=True).read_text())
    assert "ResponseSelector" not in [c["name"] for c in intents["pipeline"]] and len(intents["pipeline"]) == 8


def fake_pool(n: int) -> MemberPool:
    """Members for a load against a stub server (their tokens are well-formed, the ids made up)."""
    return MemberPool(Member(i, f"{i:043d}") for i in range(n))


def test_load_client_refuses_non_loopback():
    with pytest.raises(ValueError):
        asyncio.run(run_load(["http://example.org:5005"], 1, fake_pool(1), 1.0))


def test_every_sender_is_its_own_member_and_sends_its_token():
    """Each conversation takes a member of its own; all its messages carry that member's token, no team code."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    bodies: list[dict] = []

    async def webhook(request):
        bodies.append(await request.json())
        return web.json_response([{"text": "ok"}])

    async def scenario(pool: MemberPool):
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        async with TestServer(app, host="127.0.0.1") as server:
            url = str(server.make_url("")).rstrip("/")
            return await run_load([url], 3, pool, 30, run_id="m", max_conversations_per_user=2)

    pool = fake_pool(10)
    result = asyncio.run(scenario(pool))
    assert result.conversations == 6 and len(pool) == 4 and result.short_of_members == 0
    tokens: dict[str, set[str]] = {}
    for body in bodies:
        assert set(body["metadata"]) == {"member_token"}
        tokens.setdefault(body["sender"], set()).add(body["metadata"]["member_token"])
    assert len(tokens) == 6 and all(len(t) == 1 for t in tokens.values())
    assert len(set.union(*tokens.values())) == 6  # no two senders share a member
    assert sorted(c.member_id for c in result.checkins) == sorted({c.member_id for c in result.checkins})
    assert len(bodies) == 3 * 2 + 3 * 7  # the mix is unchanged: 3 knowledge conversations, 3 check-ins

    bodies.clear()
    short = asyncio.run(scenario(fake_pool(4)))  # a pool too small: users stop, none shares a member
    assert short.conversations == 4 and short.short_of_members == 2  # the two users that found it empty
    assert len({b["metadata"]["member_token"] for b in bodies}) == 4


def test_most_senders_bounds_a_run():
    assert most_senders(3, 30, max_conversations_per_user=2) == 6
    assert most_senders(10, 5.0) == 10 + 1500  # 600 msg/s for 5 s, at least 2 messages per finished conversation


def test_timed_run_stops_at_its_end_and_abandons_check_ins():
    """stop_at_deadline: nothing is sent after the end; a check-in in progress is abandoned, not finished."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    sent_at: list[float] = []

    async def webhook(request):
        sent_at.append(time.perf_counter())
        await asyncio.sleep(0.1)
        return web.json_response([{"text": "ok"}])

    async def scenario():
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        async with TestServer(app, host="127.0.0.1") as server:
            url = str(server.make_url("")).rstrip("/")
            started = time.perf_counter()
            result = await run_load([url], 4, fake_pool(100), 0.5, run_id="d", stop_at_deadline=True)
            return started, result

    started, result = asyncio.run(scenario())
    assert sent_at and max(sent_at) - started < 0.5 + 0.02  # nothing sent after the end
    assert result.seconds < 0.5 + 0.3  # only messages in flight were awaited: no ramp-down tail
    assert len(result.latencies) == len(sent_at) and result.errors == 0
    # users 1 and 3 start with a check-in (7 messages x 100 ms): cut off half-way, none claims to be saved
    assert result.checkins and all(c.abandoned and not c.confirmed for c in result.checkins)


def test_verify_counts_an_abandoned_check_in_right_only_if_nothing_was_stored(backend):
    from benchmarks.load import Checkin
    from benchmarks.processes import bench_team
    from bot.services.checkin import save_checkin
    from bot.services.links import token_hash
    from bot.vocabulary import DIMENSIONS

    team = bench_team(backend, 3)
    finished, half_way, half_way_stored = (team.pool.take() for _ in range(3))
    secret = backend.settings.pseudonym_secret
    scores = dict(zip(DIMENSIONS, (3, 4, 2, 5, 1), strict=True))
    for member in (finished, half_way_stored):  # through the member's link, as the action server stores it
        assert save_checkin(backend.uow(), token_hash(member.token), scores, secret) is not None
    checkins = [
        Checkin("finished", finished.id, (3, 4, 2, 5, 1), "Je antwoorden zijn opgeslagen."),
        Checkin("half-way", half_way.id, (1, 1, 1, 1, 1), "Hoe is je energie?", abandoned=True),
        Checkin("half-way-yet-stored", half_way_stored.id, (3, 4, 2, 5, 1), "", abandoned=True),
    ]
    exact, problems = verify_checkins(backend.uow(), checkins, secret)
    assert exact == 2 and len(problems) == 1 and "half-way-yet-stored: abandoned" in problems[0]
    exact, problems = verify_checkins(backend.uow(), checkins[:1], "another-secret")  # another pseudonym
    assert exact == 0 and problems == ["finished: answered (3, 4, 2, 5, 1), stored []"]
    twice = [checkins[0], Checkin("again", finished.id, (3, 4, 2, 5, 1), "Je antwoorden zijn opgeslagen.")]
    exact, problems = verify_checkins(backend.uow(), twice, secret)  # one member, two check-ins: a mix-up
    assert exact == 0 and len(problems) == 2 and all("used by another check-in" in p for p in problems)


def test_bench_team_is_a_roster_whose_links_work(backend, monkeypatch):
    """bench_team: a real team with an allowed domain and members whose links find them; top_up adds
    members as they are used, in a sibling team once one is full."""
    from benchmarks.processes import BENCH_DOMAIN, bench_team
    from bot.services import roster
    from bot.services.checkin import find_member
    from bot.services.links import token_hash
    from bot.services.teams import find_school_id, find_team, list_teams

    monkeypatch.setattr(roster, "MAX_MEMBERS", 3)
    team = bench_team(backend, 2)
    assert len(team.pool) == 2 and not find_team(backend.uow(), team.code).is_demo
    used = [team.pool.take(), team.pool.take()]
    team.top_up(4)  # one more in the first team, then a second team
    assert len(team.pool) == 4 and team.added == 6 and len(team.team_ids) == 2
    members = used + [team.pool.take() for _ in range(4)]
    assert len({m.id for m in members}) == 6
    school_id = find_school_id(backend.uow(), "Bench")
    with backend.uow() as uow:
        assert uow.schools.domains(school_id) == [BENCH_DOMAIN]
    assert {t.id for t in list_teams(backend.uow(), school_id)} == set(team.team_ids)
    for member in members:
        ref = find_member(backend.uow(), token_hash(member.token), backend.settings.pseudonym_secret)
        assert ref is not None and ref.id == member.id and ref.team_id in team.team_ids
        assert ref.person_key == roster.member_key(member.id, backend.settings.pseudonym_secret)


@pytest.mark.rasa
def test_load_client_against_a_real_stack(tmp_path, settings):
    """The harness's own path: start_stack + start_rasa, a bench roster, the load, the check-in verified."""
    from benchmarks.processes import OUR_MODEL, bench_team, start_rasa, start_stack, stop_servers

    b = Bench(QUICK, quick=True, tmp=tmp_path, settings=settings)
    try:
        s = start_stack(b, "stack", f"sqlite:///{tmp_path / 'stack.db'}")
        # the bench and its servers share both secrets: pseudonyms and links mean the same to both
        for name in ("pseudonym_secret", "link_secret"):
            assert getattr(s.stack.settings, name) == getattr(s.backend.settings, name) == getattr(settings, name)
        start_rasa(s, "ours", OUR_MODEL)
        s.stack.wait_all()
        team = bench_team(s.backend, 2)
        members = [team.pool.take(), team.pool.take()]
        # 2 users x 1 conversation: user 0 asks two knowledge questions, user 1 checks in
        result = asyncio.run(
            run_load([s.urls["ours"]], 2, MemberPool(members), 30, run_id="t", max_conversations_per_user=1,
                     think_s=(0.2, 0.3))
        )  # fmt: skip
        assert result.errors == 0 and result.conversations == 2
        assert result.checkins[0].member_id == members[1].id  # user 1's conversation used the second member
        assert len(result.latencies) == 2 + 7 and all(0 < x < 30 for x in result.latencies)
        assert len(result.checkins) == 1 and result.checkins[0].confirmed, result.checkins
        assert result.seconds >= 7 * 0.2  # the check-in's pause before each of its seven messages
        exact, problems = verify_checkins(s.backend.uow(), result.checkins, s.backend.settings.pseudonym_secret)
        assert (exact, problems) == (1, [])
        tracker = (tmp_path / "stack" / "tracker.db").read_bytes()  # Rasa's channel kept only the hashes
        assert not any(m.token.encode() in tracker for m in members)
    finally:
        stop_servers(b)


RASA_LOG = """\
2026-11-24 20:47:30 INFO     rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-11-24 20:47:31 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-11-24 20:47:31 INFO     rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
Epochs:  10%|#         | 8/80 [00:21<02:42,  2.26s/it, t_loss=2.28]
2026-11-24 20:47:41 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-11-24 20:47:41 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.
2026-11-24 20:49:41 INFO     rasa.engine.training.hooks  - Finished training component 'DIETClassifier'.
2026-11-24 20:49:42 INFO     rasa.engine.training.hooks  - Restored component 'RulePolicy' from cache.
2026-11-24 20:49:43 INFO     rasa.engine.training.hooks  - Starting to train component 'TEDPolicy'.
2026-11-24 20:50:43 INFO     rasa.engine.training.hooks  - Finished training component 'TEDPolicy'.
"""


def test_training_parts_from_rasa_log():
    parts = training_parts(RASA_LOG)
    assert parts.nlu_s == 1 + 10 + 120  # the two featurizers are paired in order
    assert parts.policies_s == 60
    assert parts.restored == ("RulePolicy",)


def test_insights_stage_writes_a_report(tmp_path, capsys, postgres_url, settings):
    """The whole harness path for one stage, at a tiny size: seeding, measuring, the markdown."""
    tiny = replace(QUICK, insight_sizes=(400, 1_200), pg_sizes=(400,))
    out = tmp_path / "BENCH.md"
    assert run(tiny, quick=True, settings=settings, only={"insights"}, out=out) == 0
    report = out.read_text()
    assert report.startswith("# Benchmarks") and "--quick" in report
    section = report.split("## 4. Insights at scale", 1)[1].split("##", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| SQLite") or line.startswith("| PostgreSQL")]
    assert [r.split(" | ")[0] for r in rows] == ["| SQLite", "| SQLite", "| PostgreSQL"]
    totals = [int(r.split(" | ")[1].replace(",", "")) for r in rows]
    assert totals[0] < totals[1] and all(t > 0 for t in totals)
    assert "[bench" in capsys.readouterr().out  # progress is shown


def test_recorded_training_reads_make_trains_record(tmp_path):
    import os

    model = tmp_path / "current.tar.gz"
    model.write_bytes(b"model")
    log = tmp_path / "current.train.log"
    log.write_text("\n".join(line for line in RASA_LOG.splitlines() if "Restored" not in line))
    record = tmp_path / "current.time.txt"
    record.write_text(
        '\tCommand being timed: "rasa train"\n'
        "\tUser time (seconds): 391.50\n"
        "\tSystem time (seconds): 8.25\n"
        "\tElapsed (wall clock) time (h:mm:ss or m:ss): 5:32.10\n"
        "\tMaximum resident set size (kbytes): 1807360\n"
    )
    got = recorded_training(model)
    assert got["wall_s"] == pytest.approx(332.1) and got["peak_mb"] == pytest.approx(1765)
    assert got["cpu_s"] == pytest.approx(399.75)
    assert (got["nlu_s"], got["policies_s"]) == (131, 60)
    log.write_text(RASA_LOG)  # a component restored from Rasa's cache: not a full training
    assert recorded_training(model) is None
    log.write_text(RASA_LOG.replace("Restored", "Loaded"))
    os.utime(record, (model.stat().st_mtime - 3600,) * 2)  # the record of an earlier training
    assert recorded_training(model) is None


def test_time_v_reads_hours_and_tolerates_missing_lines():
    from benchmarks.processes import time_v

    assert time_v("\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03.5\n") == {"wall_s": 3723.5}
    assert time_v("no record") == {}


def test_timings_use_fewer_repeats_only_when_time_is_short(tmp_path, settings):
    """After training the default pipeline (~11 min) the timings use fewer repeats, never below 2."""
    stages = list(PHASE_B_S)
    plenty = Bench(FULL, quick=False, tmp=tmp_path, settings=settings)
    fit_repeats(plenty, stages)
    assert plenty.plan.repeats == FULL.repeats == 4
    need_4 = sum(fixed + 4 * per_repeat for fixed, per_repeat in PHASE_B_S.values())
    short = Bench(FULL, False, tmp_path, settings, started=time.monotonic() - (FULL.budget_s - need_4 + 30))
    fit_repeats(short, stages)
    assert short.plan.repeats == 3 and FULL.repeats == 4  # the shared plan itself is untouched
    hopeless = Bench(FULL, False, tmp_path, settings, started=time.monotonic() - FULL.budget_s)
    fit_repeats(hopeless, stages)
    assert hopeless.plan.repeats == 2  # then stages are skipped and listed, not repeated once


def test_default_fingerprint_is_stable_and_follows_the_inputs(tmp_path):
    assert default_fingerprint() == default_fingerprint()
    changed = tmp_path / DEFAULT_CONFIG.name
    changed.write_text(DEFAULT_CONFIG.read_text().replace("epochs: 100", "epochs: 99"))
    assert default_fingerprint(changed) != default_fingerprint()


def test_nlu_verdict_names_the_goal():
    behind = nlu_verdict([["ours", "0.970", "1.000", "0.971"], ["default", "0.978", "0.951", "0.978"]])
    assert "**NOT met**" in behind[0] and "0.970 vs 0.978" in behind[0]
    ahead = nlu_verdict([["ours", "0.980", "1.000", "0.98"], ["default", "0.978", "0.951", "0.978"]])
    assert "**met**" in ahead[0]


def test_profile_puts_each_sample_in_its_step_and_leaves_idle_out():
    from benchmarks.profile import classify

    raw = "\n".join(
        [
            "main (rasa/__main__.py:1);parse_message (rasa/core/processor.py:724);process (x.py:1) 50",
            "main (rasa/__main__.py:1);save (rasa/core/tracker_store.py:1456);execute (sqlalchemy/x.py:2) 30",
            "main (rasa/__main__.py:1);run (rasa/core/actions/action.py:780);RemoteAction (a.py:1) 10",
            "main (rasa/__main__.py:1);_predict_next_with_tracker (rasa/core/processor.py:1);p (r.py:3) 5",
            "main (rasa/__main__.py:1);handler (sanic/app.py:1) 5",
            "main (rasa/__main__.py:1);run_forever (asyncio/base_events.py:1);select (selectors.py:469) 400",
            "garbage line",
        ]
    )
    p = classify(raw)
    assert p.samples == 100  # the 400 idle samples are not CPU
    assert p.shares["NLU parse"] == pytest.approx(0.5) and p.shares["tracker store"] == pytest.approx(0.3)
    assert p.shares["action server"] == pytest.approx(0.1) and p.shares["policies"] == pytest.approx(0.05)
    assert p.shares["other"] == pytest.approx(0.05)
    assert p.top_frames[0] == ("execute (sqlalchemy/x.py:2)", pytest.approx(0.3))  # the parse is not in the gap
    assert classify("").samples == 0


def test_timing_report_states_every_target_and_ab(monkeypatch):
    from benchmarks.latency import PLAIN, SHIPPED, LatencyResult
    from benchmarks.profile import Profile
    from benchmarks.report import training_section
    from benchmarks.report_timings import latency_section

    def s(msg_s: float, p95: float) -> LatencySummary:
        return LatencySummary(int(msg_s * 10), 0, 10.0, p95 / 2, p95, p95 * 1.2)

    runs = {
        ("saturation", "ours", 10): [s(50, 250)],
        ("saturation", "default", 10): [s(20, 600)],
        ("saturation", SHIPPED, 10): [s(12, 900)],
        ("saturation", PLAIN, 10): [s(25, 500)],
        ("saturation", "ours without tracker_count", 10): [s(50, 250)],
        ("saturation", "ours without event_classes", 10): [s(45, 250)],
        ("saturation", "ours without validation", 10): [s(25, 250)],
        ("saturation", "ours, a second process", 10): [s(45, 250)],
        ("think", "ours", 10): [s(5, 80)],
        ("think", "ours", 50): [s(20, 350)],
    }
    ratios = {("saturation", 10): [2.5], (PLAIN, 10): [2.0], ("ours without tracker_count", 10): [0.8],
              ("ours without event_classes", 10): [1.05], ("ours without validation", 10): [2.0],
              ("ours, a second process", 10): [1.1], (SHIPPED, 10): [4.1]}  # fmt: skip
    profile = Profile(100, {"NLU parse": 0.5, "tracker store": 0.3, "other": 0.2}, [("execute (x.py:1)", 0.3)])
    where = {"knowledge question: NLU parse only": 10.0, "knowledge question: whole REST message": 20.0}
    memory = {"Rasa (ours)": (900.0, 1000.0)}
    loads = {"ours": [11.5, 12.5], "ours without domain_load": [14.0, 15.0]}
    r = LatencyResult(1, runs, ratios, where, memory, {}, {}, {"ours": profile}, 12.0, loads)
    # judged on CPU per message where measured: tracker_count then pays although its msg/s said otherwise
    cpu = {("ours, a second process", 10): [1.01], ("ours without tracker_count", 10): [1.3],
           ("ours without event_classes", 10): [1.005], ("ours without validation", 10): [0.9],
           (PLAIN, 10): [2.0]}  # fmt: skip
    by_cpu = replace(r, cpu_ratios=cpu, cpu_ms={("ours", 10): [20.0], ("ours without tracker_count", 10): [26.0]})
    cpu_text = "\n".join(latency_section(replace(FULL, user_levels=(10,)), by_cpu))
    cpu_rows = {line.split(" | ")[0].strip("| "): line for line in cpu_text.splitlines() if line.startswith("| ours")}
    assert cpu_rows["ours without tracker_count"].endswith("| 26.0 | 0.80× | 1.30× | pays |")
    assert "within the noise (±1%)" in cpu_rows["ours without event_classes"]
    assert cpu_rows["ours without validation"].endswith("does not pay |")
    text = "\n".join(latency_section(replace(FULL, user_levels=(10,)), r))
    assert "p95 ≤ 100 ms at 10 users with think time: **met**" in text
    assert "p95 ≤ 300 ms at 50 users with think time: **NOT met** (median p95 350 ms)" in text
    assert "≥ 2× the default pipeline at 10 users (saturation): **met** (ours/default 2.50×)" in text
    assert "Why 2× is hard" not in text  # said only when the goal is missed
    assert "the default pipeline on Rasa as shipped (`RASA_SPEEDUPS=0`: a `rasa init` bot) at 10 users" in text
    assert f"**met** (ours/{SHIPPED} 4.10×)" in text and f"| {SHIPPED} | 10 |" in text
    assert "| ours without tracker_count | saturation | 10 |" in text
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ours")}
    assert rows["ours without tracker_count"].endswith("does not pay |")  # 0.8 is beyond the ±10% noise
    assert "within the noise (±10%)" in rows["ours without event_classes"]
    assert rows["ours without validation"].endswith("| pays |")
    assert "≤ 1.5× its NLU parse (knowledge question): **NOT met** (2.00×" in text
    assert "under load: NLU parse 50%, tracker store 30%, action server 0%" in text
    assert "serialisation 0%, Sanic, asyncio and sockets 20%." in text
    assert "CPU time per message" not in text  # the default's cost was not measured
    costs = replace(r, cpu_ms={("ours", 10): [8.0], ("default", 10): [20.0]},
                    action_cpu_ms={("ours", 10): [2.5], ("default", 10): [2.0]})  # fmt: skip
    assert ("the Rasa process 8.0 ms with ours, 20.0 ms with the default pipeline (2.50×); the action server "
            "2.5 / 2.0 ms") in "\n".join(latency_section(replace(FULL, user_levels=(10,)), costs))  # fmt: skip
    assert "| tracker store | 30% |" in text and "`execute (x.py:1)`" in text
    figures = {"wall_s": 150.0, "cpu_s": 200.0, "nlu_s": 60.0, "policies_s": 10.0, "peak_mb": 1600.0}
    training = "\n".join(training_section([("ours (config.yml)", "now", figures)], r))
    assert "training ≤ 3 min: **met** (2.5 min)" in training and "1.5 GB peak: **NOT met**" in training
    assert "≤ 1.2 GB resident after the load runs: **met** (900 MB)" in training and "(12.0 s, the median)" in training
    assert "| ours without domain_load | 14.0, 15.0 | 14.5 |" in training


def test_start_up_speed_ups_are_timed_on_the_load_not_under_load():
    from benchmarks.latency import WITHOUT, ab_variants, load_variants
    from bot.rasa_speedups import NAMES, STARTUP

    assert STARTUP and set(STARTUP) <= set(NAMES)
    assert not {WITHOUT + name for name in STARTUP} & set(ab_variants())
    assert load_variants() == {"ours": {}} | {WITHOUT + n: {"RASA_SPEEDUPS_OFF": n} for n in STARTUP}


def test_cpu_time_of_a_process_and_of_the_machine_are_read_from_proc():
    import os

    from benchmarks.processes import cpu_busy, cpu_seconds

    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(3_000_000))  # some CPU work of this process
    assert cpu_seconds(os.getpid()) > before
    assert 0.0 <= cpu_busy(0.2) <= 1.0


def test_a_quiet_wait_waits_until_the_cpu_is_idle_or_times_out(monkeypatch):
    import benchmarks.processes as processes

    shares = iter([0.9, 0.6, 0.1, 0.9])
    monkeypatch.setattr(processes, "cpu_busy", lambda: next(shares))
    assert processes.wait_until_quiet(busy_below=0.15) == 0.1  # waited through two busy samples
    assert next(shares) == 0.9  # and stopped sampling once quiet

    monkeypatch.setattr(processes, "cpu_busy", lambda: 0.9)
    assert processes.wait_until_quiet(busy_below=0.15, timeout_s=0.0) == 0.9  # a busy machine: gives up


def test_each_ab_variant_is_compared_with_the_runs_of_ours_around_it():
    from benchmarks.latency import (
        AB_BASELINE_EVERY,
        BASELINE,
        CONTROL,
        PLAIN,
        WITHOUT,
        baseline,
        run_id,
        with_baselines,
    )

    variants = [PLAIN, CONTROL, *(WITHOUT + f"fix{n}" for n in range(9))]
    for names in (["ours", "default", *variants], ["ours", "default", *variants][::-1]):
        order = with_baselines(names)
        assert [n for n in order if n != BASELINE] == names
        ids = [run_id(0, pos, name, "saturation", 10) for pos, name in enumerate(order)]
        assert len(set(ids)) == len(ids) > len(names)  # each run of ours among the variants talks as new senders
        for i, name in enumerate(order):  # no variant further than AB_BASELINE_EVERY runs from a run of ours
            if name in variants:
                near = [j for j, n in enumerate(order) if n in ("ours", BASELINE) and abs(j - i) <= AB_BASELINE_EVERY]
                assert near, (i, order)
        # A machine that slows down steadily, every process alike: each variant costs what ours
        # costs around it, while the one main run of ours would make the farthest ones look far off.
        cost = [10.0 + 0.5 * i for i in range(len(order))]
        ratios = [cost[i] / baseline(order, cost, i) for i, n in enumerate(order) if n in variants]
        assert max(abs(r - 1) for r in ratios) < 1e-9
        assert max(abs(cost[i] / cost[order.index("ours")] - 1) for i, n in enumerate(order) if n in variants) > 0.3
    assert baseline(["ours", PLAIN, BASELINE], [10.0, 12.0, None], 1) == 10.0  # a run without a figure is passed over
    assert baseline([PLAIN], [12.0], 0) is None
