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

from benchmarks.load import answers_for, run_load, verify_checkins
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


def test_load_client_refuses_non_loopback():
    with pytest.raises(ValueError):
        asyncio.run(run_load(["http://example.org:5005"], 1, "X", 1.0))


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
            result = await run_load([url], 4, "X", 0.5, run_id="d", stop_at_deadline=True)
            return started, result

    started, result = asyncio.run(scenario())
    assert sent_at and max(sent_at) - started < 0.5 + 0.02  # nothing sent after the end
    assert result.seconds < 0.5 + 0.3  # only messages in flight were awaited: no ramp-down tail
    assert len(result.latencies) == len(sent_at) and result.errors == 0
    # users 1 and 3 start with a check-in (7 messages x 100 ms): cut off half-way, none claims to be saved
    assert result.checkins and all(c.abandoned and not c.confirmed for c in result.checkins)


def test_verify_counts_an_abandoned_check_in_right_only_if_nothing_was_stored(uow, settings):
    from benchmarks.load import Checkin
    from bot.services.checkin import save_checkin
    from bot.services.pseudonym import person_key
    from bot.services.teams import create_team
    from bot.vocabulary import DIMENSIONS

    code = create_team(uow, "School", "Team").code
    scores = dict(zip(DIMENSIONS, (3, 4, 2, 5, 1), strict=True))
    for sender in ("finished", "half-way-yet-stored"):
        save_checkin(uow, person_key(sender, settings.pseudonym_secret), code, scores)
    checkins = [
        Checkin("finished", (3, 4, 2, 5, 1), "Je antwoorden zijn opgeslagen."),
        Checkin("half-way", (1, 1, 1, 1, 1), "Hoe is je energie?", abandoned=True),
        Checkin("half-way-yet-stored", (3, 4, 2, 5, 1), "", abandoned=True),
    ]
    exact, problems = verify_checkins(uow, checkins, settings.pseudonym_secret)
    assert exact == 2 and len(problems) == 1 and "half-way-yet-stored: abandoned" in problems[0]
    exact, problems = verify_checkins(uow, checkins[:1], "another-secret")  # another pseudonym: nothing stored
    assert exact == 0 and problems == ["finished: answered (3, 4, 2, 5, 1), stored []"]


@pytest.mark.rasa
def test_load_client_against_a_real_stack(tmp_path, settings):
    from benchmarks.processes import backend_for, bench_team
    from tests.servers import Stack

    db_url = f"sqlite:///{tmp_path / 'app.db'}"
    stack = Stack(tmp_path, db_url).start()
    backend = backend_for(settings, db_url, pseudonym_secret=stack.env["PSEUDONYM_SECRET"])
    try:
        code = bench_team(backend)
        # 2 users x 1 conversation: user 0 asks two knowledge questions, user 1 checks in
        result = asyncio.run(
            run_load([stack.rasa_url], 2, code, 30, run_id="t", max_conversations_per_user=1, think_s=(0.2, 0.3))
        )
    finally:
        stack.stop()
    assert result.errors == 0 and result.conversations == 2
    assert len(result.latencies) == 2 + 7 and all(0 < x < 30 for x in result.latencies)
    assert len(result.checkins) == 1 and result.checkins[0].confirmed, result.checkins
    assert result.seconds >= 7 * 0.2  # the check-in's pause before each of its seven messages
    exact, problems = verify_checkins(backend.uow(), result.checkins, backend.settings.pseudonym_secret)
    backend.database.dispose()
    assert (exact, problems) == (1, [])


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
    """After training the default pipeline (~11 min) the timings drop to 2 repeats, never below."""
    stages = list(PHASE_B_S)
    plenty = Bench(FULL, quick=False, tmp=tmp_path, settings=settings)
    fit_repeats(plenty, stages)
    assert plenty.plan.repeats == 3
    need_3 = sum(fixed + 3 * per_repeat for fixed, per_repeat in PHASE_B_S.values())
    short = Bench(FULL, False, tmp_path, settings, started=time.monotonic() - (FULL.budget_s - need_3 + 30))
    fit_repeats(short, stages)
    assert short.plan.repeats == 2 and FULL.repeats == 3  # the shared plan itself is untouched
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
