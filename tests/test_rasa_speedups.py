"""bot/rasa_speedups.py: each fix keeps Rasa's behaviour, and switches itself off when Rasa changed."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups


@pytest.fixture(autouse=True)
def rasa_as_shipped_afterwards():
    yield
    rasa_speedups.uninstall()


@pytest.fixture
def action() -> RemoteAction:
    rasa_speedups.install()
    return RemoteAction("action_checkin_submit", None)


def test_installed_when_rasa_loads_our_channels():
    from bot.rasa_channels import GuardedRestInput

    async def handler(_message) -> None:
        return None

    # Rasa registers a channel by calling its blueprint() before it loads the model.
    GuardedRestInput().blueprint(handler)
    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result


def test_valid_response_passes(action):
    ok = {"events": [{"event": "slot", "name": "team", "value": "x"}], "responses": [{"text": "Dank je!"}]}
    assert action._validate_action_result(ok) is True
    assert action._validate_action_result({}) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"events": "not a list"},
        {"responses": [{"text": 3}], "events": [{"event": 1}]},
        {"events": [{"name": "no event key"}]},
    ],
)
def test_invalid_response_raises_like_rasa(action, bad):
    with pytest.raises(jsonschema.ValidationError) as ours:
        action._validate_action_result(bad)
    assert "Failed to validate Action server response" in ours.value.message
    # Same verdict as the original, uncached jsonschema.validate call.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, RemoteAction.action_response_format_spec())


def test_schema_is_checked_once(action, monkeypatch):
    first = rasa_speedups.response_validator()
    checks = []
    monkeypatch.setattr(type(first.full), "check_schema", classmethod(lambda cls, schema, **_: checks.append(schema)))
    for _ in range(3):
        assert action._validate_action_result({"events": [{"event": "slot", "name": "team", "value": "x"}]})
    assert rasa_speedups.response_validator() is first
    assert checks == []  # each response is validated; the schema itself is not checked again


RESPONSES = [
    {"events": [{"event": "slot", "name": "team", "value": "x", "timestamp": None}]},
    {"events": [{"event": "active_loop", "name": "checkin_form"}, {"event": "slot", "name": "requested_slot"}]},
    {"events": [{"event": "followup", "name": "utter_x"}, {"event": "reminder", "intent": "x", "date_time": "t"}]},
    {"events": [{"event": "bot", "text": "hoi", "data": {"buttons": [{"title": "a", "payload": "/b"}]}}]},
    {"events": [{"event": "user", "text": "x", "parse_data": {"intent": {"name": "a", "confidence": 1}}}]},
    {"events": [{"event": "restart"}, {"event": "session_started"}, {"event": "action", "name": "a"}]},
    {"responses": [{"text": "Dank je!", "buttons": [{"title": "Ja", "payload": "/ja"}]}]},
    {"events": []},
    {},
    # invalid ones
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [{"event": "user", "parse_data": "not an object"}]},
    {"events": [{"event": "action", "name": "a", "timestamp": "yesterday"}]},
    {"events": ["slot"]},
    {"events": [{"event": None}]},
    {"events": {"event": "slot"}},
    {"responses": "Dank je"},
    [],
    "events",
]


@pytest.mark.parametrize("response", RESPONSES)
def test_dispatch_by_event_type_gives_jsonschemas_verdict(action, response):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, schema)
        expected = None
    except jsonschema.ValidationError as exc:
        expected = exc.message
    if expected is None:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as ours:
            action._validate_action_result(response)
        assert ours.value.message.startswith(expected)  # the same error, with Rasa's hint after it


def test_a_changed_rasa_function_switches_its_patch_off(monkeypatch, caplog):
    """A Rasa upgrade that changes a patched function leaves that part as shipped, with a warning."""
    from rasa.shared.core.domain import Domain

    def is_empty(self, strict=False):  # a "newer" Rasa's function
        return False

    monkeypatch.setattr(Domain, "is_empty", is_empty)
    with caplog.at_level("WARNING"):
        installed = rasa_speedups.install()
    assert "domain_empty" not in installed and Domain.is_empty is is_empty
    assert "switched off" in caplog.text and "domain_empty" in caplog.text
    assert "validation" in installed  # the others still go in


def test_a_different_signature_switches_a_patch_off(monkeypatch):
    import dataclasses

    patch = next(p for p in rasa_speedups.PATCHES if p.name == "sqlite_pool")
    assert patch.problem() is None
    changed = dataclasses.replace(patch, signature="url, pool_size=5")
    assert "signature" in changed.problem()


def test_another_rasa_release_switches_every_patch_off(monkeypatch, caplog):
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with caplog.at_level("WARNING"):
        assert rasa_speedups.install() == []
    assert RemoteAction._validate_action_result is not rasa_speedups.validate_action_result
    assert caplog.text.count("switched off") == len(rasa_speedups.NAMES)


def test_single_patches_can_be_left_out():
    installed = rasa_speedups.install({"validation", "tracker_count"})
    assert set(installed) == set(rasa_speedups.NAMES) - {"validation", "tracker_count"}
    assert RemoteAction._validate_action_result is not rasa_speedups.validate_action_result


def test_sqlite_tracker_store_pools_connections_in_wal_mode(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy import text
    from sqlalchemy.pool import QueuePool

    rasa_speedups.install()
    domain = Domain.from_yaml("version: '3.1'\nslots:\n  team:\n    type: any\n    mappings:\n    - type: custom\n")
    store = SQLTrackerStore(domain, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL

    import asyncio

    tracker = DialogueStateTracker.from_events("s1", [UserUttered("hoi"), SlotSet("team", "ABC")])
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # saving again adds nothing
    again = asyncio.run(store.retrieve("s1"))
    assert again is not None and again.get_slot("team") == "ABC"
    assert [e.as_dict()["event"] for e in again.events] == ["user", "slot"]


def test_postgres_tracker_store_keeps_rasas_settings():
    kwargs = rasa_speedups.tracker_engine_kwargs("postgresql://u@127.0.0.1:5432/rasa")
    assert "poolclass" not in kwargs and kwargs["pool_size"] >= 1
    assert rasa_speedups.tracker_engine_kwargs("sqlite://") == {}  # in-memory: Rasa's default


def test_rasa_speedups_0_leaves_rasa_as_shipped():
    """The benchmark's A/B switch (and a kill switch after a Rasa upgrade)."""
    import os
    import subprocess
    import sys

    probe = (
        "import bot.rasa_channels as c, rasa.core.tracker_store as t; from bot import rasa_speedups as s; "
        "c.start_up(); "
        "from rasa.core.actions.action import RemoteAction as R; "
        "print(R._validate_action_result is s.validate_action_result, "
        "t.create_engine_kwargs is s.tracker_engine_kwargs)"
    )
    for value, expected in (("0", "False False"), ("1", "True True")):
        out = subprocess.run(
            [sys.executable, "-c", probe], env={**os.environ, "RASA_SPEEDUPS": value}, capture_output=True, text=True
        )
        assert out.stdout.strip().splitlines()[-1] == expected, out.stderr[-2000:]


def test_tracker_count_stores_each_event_once(tmp_path):
    """Read, add, write, twice over, with and without the remembered count: the same rows."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml("version: '3.1'\nslots:\n  team:\n    type: any\n    mappings:\n    - type: custom\n")

    def conversation(store: SQLTrackerStore) -> list[str]:
        async def run() -> list[str]:
            await store.save(DialogueStateTracker.from_events("s", [ActionExecuted("action_listen")]))
            for text in ("hoi", "ik wil inchecken", "4"):
                tracker = await store.retrieve("s")
                tracker.update(UserUttered(text))
                tracker.update(SlotSet("team", text))
                await store.save(tracker)
                await store.save(tracker)  # a second save of the same tracker adds nothing
            tracker = await store.retrieve("s")  # a new session: only its events count from here
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            await store.save(tracker)
            tracker = await store.retrieve("s")
            tracker.update(UserUttered("nog een"))
            await store.save(tracker)
            full = await store.retrieve_full_tracker("s")
            return [e.as_dict()["event"] + str(e.as_dict().get("text") or "") for e in full.events]

        return asyncio.run(run())

    shipped = conversation(SQLTrackerStore(domain, host=f"sqlite:///{tmp_path / 'a.db'}"))
    assert rasa_speedups.install() and SQLTrackerStore._additional_events is rasa_speedups.remembered_additional_events
    assert conversation(SQLTrackerStore(domain, host=f"sqlite:///{tmp_path / 'b.db'}")) == shipped
    assert shipped.count("userhoi") == 1 and shipped[-1] == "usernog een"


def test_tracker_count_counts_the_latest_session_as_rasa_does(tmp_path):
    """The count built once (``statements().since_session``) is Rasa's ``_event_query(...).count()``:
    no session start, one, and several, for two conversations side by side."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), host=f"sqlite:///{tmp_path / 't.db'}")
    table = store.SQLEvent.__table__
    clock = iter(range(1, 1000))

    def add(sender: str, *events) -> None:
        for e in events:
            e.timestamp = next(clock)
        tracker = DialogueStateTracker.from_events(sender, list(events))
        with store.session_scope() as session:
            session.execute(table.insert(), [
                {"sender_id": sender, "type_name": e.type_name, "timestamp": e.timestamp, "data": "{}"}
                for e in tracker.events
            ])  # fmt: skip
            session.commit()

    def both(sender: str) -> tuple[int, int]:
        with store.session_scope() as session:
            shipped = store._event_query(session, sender, fetch_events_from_all_sessions=False).count()
            ours = session.execute(rasa_speedups.statements(table).since_session, {"sender_id": sender}).scalar_one()
            return ours, shipped

    assert both("a") == (0, 0)
    add("a", ActionExecuted("action_listen"), UserUttered("hoi"))
    add("b", ActionExecuted("action_session_start"), SessionStarted(), UserUttered("x"))
    assert both("a") == (2, 2) and both("b") == (2, 2)
    add("a", ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"))
    add("b", UserUttered("y"), ActionExecuted("action_session_start"), SessionStarted(), UserUttered("z"))
    assert both("a") == (2, 2) and both("b") == (2, 2)
    add("b", UserUttered("w"))
    assert both("b") == (3, 3)
    with store.session_scope() as session:  # a purge of one conversation leaves the other's count
        session.execute(table.delete().where(table.c.sender_id == "b"))
        session.commit()
    assert both("b") == (0, 0) and both("a") == (2, 2)


def test_a_speed_up_of_two_functions_goes_in_whole_or_not_at_all(monkeypatch, caplog):
    from rasa.core.tracker_store import SQLTrackerStore

    def _additional_events(self, session, tracker, extra=None):
        return iter(())

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", _additional_events)
    with caplog.at_level("WARNING"):
        assert "tracker_count" not in rasa_speedups.install()
    assert SQLTrackerStore._retrieve is not rasa_speedups.remembering_retrieve  # its other half stays out too


# -- tracker_cache ------------------------------------------------------------------------------


@pytest.fixture
def stores(tmp_path):
    """Two tracker stores on one SQLite file, as two Rasa processes behind a proxy, speed-ups in."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    rasa_speedups.install()
    domain = Domain.from_yaml("version: '3.1'\nslots:\n  team:\n    type: any\n    mappings:\n    - type: custom\n")
    url = f"sqlite:///{tmp_path / 'trackers.db'}"
    return SQLTrackerStore(domain, host=url), SQLTrackerStore(domain, host=url)


def _say(store, text: str, sender: str = "s"):
    """One turn as Rasa's processor takes it: read (or create), add events, write."""
    import asyncio

    from rasa.shared.core.events import SlotSet, UserUttered

    async def turn():
        tracker = await store.get_or_create_tracker(sender)
        tracker.update(UserUttered(text))
        tracker.update(SlotSet("team", text))
        await store.save(tracker)
        return tracker

    return asyncio.run(turn())


def _texts(store, sender: str = "s") -> list[str]:
    import asyncio

    tracker = asyncio.run(store.retrieve(sender))
    return [e.text for e in tracker.events if e.type_name == "user"] if tracker else []


def _rows(store) -> int:
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()


def test_tracker_cache_returns_the_tracker_it_wrote_while_the_database_is_unchanged(stores):
    import asyncio

    a, _ = stores
    written = _say(a, "hoi")
    assert asyncio.run(a.retrieve("s")) is written  # no read and replay of the events
    again = _say(a, "4")
    assert again is written and _texts(a) == ["hoi", "4"] and _rows(a) == len(written.events)


def test_tracker_cache_sees_what_another_process_wrote(stores):
    a, b = stores
    _say(a, "hoi")
    _say(b, "ik wil inchecken")  # the next message went to the other Rasa process
    assert _texts(a) == ["hoi", "ik wil inchecken"]
    _say(a, "4")
    assert _texts(b) == ["hoi", "ik wil inchecken", "4"]


def test_tracker_cache_drops_a_tracker_changed_but_not_written(stores):
    import asyncio

    from rasa.shared.core.events import UserUttered

    a, _ = stores
    tracker = _say(a, "hoi")
    tracker.update(UserUttered("never saved: the message failed half-way"))
    fresh = asyncio.run(a.retrieve("s"))
    assert fresh is not tracker and [e.text for e in fresh.events if e.type_name == "user"] == ["hoi"]


def test_tracker_cache_sees_a_purge_and_a_deletion(stores):
    import asyncio

    import sqlalchemy as sa

    a, _ = stores
    _say(a, "hoi")
    kept = _say(a, "4")
    with a.engine.begin() as conn:  # what `python -m bot purge` and "delete my data" do
        conn.execute(sa.text("DELETE FROM events WHERE id = (SELECT min(id) FROM events)"))
    again = asyncio.run(a.retrieve("s"))
    assert again is not kept and len(again.events) == len(kept.events) - 1  # read again, without the purged row
    with a.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
    assert _texts(a) == []


def test_tracker_cache_reads_again_after_its_maximum_age(stores, monkeypatch):
    import asyncio

    a, _ = stores
    written = _say(a, "hoi")
    monkeypatch.setattr(rasa_speedups, "CACHE_MAX_AGE_S", 0.0)
    assert asyncio.run(a.retrieve("s")) is not written


def test_tracker_cache_keeps_a_bounded_number_of_conversations(stores, monkeypatch):
    import asyncio

    a, _ = stores
    monkeypatch.setattr(rasa_speedups, "CACHE_SIZE", 2)
    first = _say(a, "hoi", sender="one")
    _say(a, "hoi", sender="two")
    _say(a, "hoi", sender="three")
    assert len(rasa_speedups._trackers) == 2
    assert asyncio.run(a.retrieve("one")) is not first  # the oldest was let go, and is read again
    assert _texts(a, "one") == ["hoi"]


def test_tracker_cache_keeps_a_new_session_as_rasa_reads_it(stores):
    """After a session start Rasa's read returns only the new session: so does the cache, without a read."""
    import asyncio

    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

    a, b = stores
    tracker = _say(a, "hoi")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("team", "behouden"))
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("nieuwe sessie"))
    asyncio.run(a.save(tracker))

    def dump(t) -> list[dict]:
        return [e.as_dict() for e in t.events]

    read = asyncio.run(rasa_speedups._rasa_sql_retrieve_latest(b, "s"))  # Rasa's own read of the database
    cached = asyncio.run(a.retrieve("s"))
    assert cached is not tracker and cached is asyncio.run(a.retrieve("s"))  # kept, not read again
    assert dump(cached) == dump(read) and cached.current_state() == read.current_state()
    assert [e.text for e in cached.events if e.type_name == "user"] == ["nieuwe sessie"]
    _say(a, "4")  # the next turn writes only its own events
    assert _texts(b) == ["nieuwe sessie", "4"] and _rows(a) == len(dump(tracker)) + 2


# -- rule_text ----------------------------------------------------------------------------------


class _Rules:
    """The part of a RulePolicy that ``text_can_match`` reads: its lookup of rule keys."""

    def __init__(self, *keys: list[dict]) -> None:
        import json

        self.lookup = {"rules": {json.dumps(k): "utter_x" for k in keys}, "rules_for_loop_unhappy_path": {}}

    _rule_key_to_state = staticmethod(__import__("json").loads)


LISTEN = {"action_name": "action_listen"}


def test_no_rule_matches_a_message_by_text_when_every_rule_after_listening_names_an_intent():
    intent_rules = _Rules(
        [{"prev_action": LISTEN, "user": {"intent": "kennis"}}],
        [{"prev_action": LISTEN, "user": {"intent": "greet"}}, {"prev_action": {"action_name": "utter_greet"}}],
    )
    assert rasa_speedups.text_can_match(intent_rules) is False


@pytest.mark.parametrize(
    "last_state",
    [
        {"prev_action": LISTEN, "user": {"text": "hallo"}},  # an end-to-end rule
        {"prev_action": LISTEN},  # listening, no user part: matches whatever was said
        {"active_loop": {"name": "checkin_form"}},  # no previous action at all
    ],
)
def test_a_rule_that_could_match_by_text_keeps_rasas_search(last_state):
    assert rasa_speedups.text_can_match(_Rules([last_state])) is True


def test_rule_text_skips_only_the_search_by_text(monkeypatch):
    from rasa.core.policies.rule_policy import RulePolicy

    calls = []
    monkeypatch.setattr(
        rasa_speedups, "_rasa_find_action_from_rules", lambda *a: calls.append(a[-1]) or ("x", "k", False)
    )
    rasa_speedups.install()
    policy = _Rules([{"prev_action": LISTEN, "user": {"intent": "kennis"}}])
    assert RulePolicy._find_action_from_rules(policy, "tracker", "domain", True) == (None, None, False)
    assert RulePolicy._find_action_from_rules(policy, "tracker", "domain", False) == ("x", "k", False)
    texty = _Rules([{"prev_action": LISTEN, "user": {"text": "hallo"}}])
    assert RulePolicy._find_action_from_rules(texty, "tracker", "domain", True) == ("x", "k", False)
    assert calls == [False, True]


def test_our_trained_rules_can_be_matched_by_intent_only():
    """The rules of the trained model are all written on intents: rule_text applies to them."""
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    model = Path(__file__).resolve().parent.parent / "models" / "current.tar.gz"
    if not model.exists():
        pytest.skip("no trained model: run `make train`")
    nodes = Agent.load(str(model)).processor.graph_runner._instantiated_nodes.values()
    (policy,) = [n._component for n in nodes if isinstance(getattr(n, "_component", None), RulePolicy)]
    assert len(policy.lookup["rules"]) > 50
    assert rasa_speedups.text_can_match(policy) is False


# -- graph_runner ---------------------------------------------------------------------------------


def _runner(needs: dict[str, dict[str, str]], calls: list[str]):
    """A graph runner over plain nodes: each returns its name and the outputs it was given."""
    from rasa.engine.graph import GraphComponent, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner

    def node(name: str):
        def run(*inputs):
            calls.append(name)
            if name == "broken":
                raise RuntimeError("node failed")
            return name, [i[1] if isinstance(i, tuple) else i for i in inputs]

        return run

    runner = DaskGraphRunner.__new__(DaskGraphRunner)
    schema = {name: SchemaNode(n, GraphComponent, "create", "run", {}) for name, n in needs.items()}
    runner._graph_schema = GraphSchema(schema)
    runner._instantiated_nodes = {name: node(name) for name in needs}
    runner._execution_context = None
    return runner


DIAMOND = {
    "tokens": {"message": "__message__"},
    "words": {"tokens": "tokens"},
    "chars": {"tokens": "tokens"},
    "intent": {"words": "words", "chars": "chars", "missing": "not_a_node"},
    "unused": {"tokens": "tokens"},
    "broken": {"tokens": "tokens"},
}


@pytest.mark.parametrize(
    ("inputs", "targets"),
    [
        ({"__message__": "hallo"}, ["intent"]),  # a diamond: every node once, a need that is no node as its name
        ({"__message__": "hallo"}, ["intent", "words"]),
        ({"words": ["w"], "__message__": "hallo"}, ["intent"]),  # an input in place of a node
        ({"__message__": "hallo"}, ["__message__", "tokens"]),  # an input as a target
    ],
)
def test_graph_runner_calls_what_dask_calls_and_returns_the_same(inputs, targets):
    dask_calls: list[str] = []
    ours: list[str] = []
    expected = rasa_speedups._rasa_graph_run(_runner(DIAMOND, dask_calls), inputs, targets)
    assert rasa_speedups.sequential_run(_runner(DIAMOND, ours), inputs, targets) == expected
    assert sorted(ours) == sorted(dask_calls)  # the same nodes, each once (order: any the needs allow)
    assert "unused" not in ours


def test_graph_runner_raises_rasas_errors():
    from rasa.engine.exceptions import GraphRunError

    for run in (rasa_speedups._rasa_graph_run, rasa_speedups.sequential_run):
        with pytest.raises(GraphRunError, match="Error running runner"):
            run(_runner(DIAMOND, []), {"__message__": "hallo"}, ["broken"])
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(_runner(DIAMOND, []), {"__message__": "tokens"}, ["intent"])


def test_graph_runner_plans_each_set_of_targets_once():
    calls: list[str] = []
    runner = _runner(DIAMOND, calls)
    for text in ("een", "twee"):
        rasa_speedups.sequential_run(runner, {"__message__": text}, ["intent"])
    assert list(getattr(runner, rasa_speedups.PLANS)) == [(("intent",), frozenset({"__message__"}))]
    assert calls.count("tokens") == 2


def test_graph_runner_parses_and_predicts_our_model_as_dask_does():
    """On the trained model: every message's parse and the next action the same with and without it."""
    import asyncio
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import UserUttered

    model = Path(__file__).resolve().parent.parent / "models" / "current.tar.gz"
    if not model.exists():
        pytest.skip("no trained model: run `make train`")
    processor = Agent.load(str(model)).processor
    texts = ["hoi", "wat is amplitie?", "ik wil inchecken", "4", "ik kan niet meer", "", "what is workload?"]

    def outputs() -> list:
        found = []
        for text in texts:
            parsed = asyncio.run(processor.parse_message(UserMessage(text)))
            tracker = asyncio.run(processor.get_tracker(f"graph-{text}"))
            tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed))
            prediction = processor._predict_next_with_tracker(tracker)
            found.append((parsed, prediction.probabilities, prediction.policy_name))
        return found

    expected = outputs()
    rasa_speedups.install({n for n in rasa_speedups.NAMES if n != "graph_runner"})
    assert DaskGraphRunner.run is rasa_speedups.sequential_run
    assert outputs() == expected


# -- tracker_copy ---------------------------------------------------------------------------------


def _varied_trackers():
    """Trackers in the states a conversation passes through: slots of each kind, a form, its interruption."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        FollowupAction,
        LoopInterrupted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml(
        "version: '3.1'\nintents: [hoi, kennis]\nslots:\n"
        "  antwoord: {type: float, mappings: [{type: custom}]}\n"
        "  lijst: {type: list, mappings: [{type: custom}]}\n"
        "  taal: {type: categorical, values: [nl, en], mappings: [{type: custom}]}\n"
        "forms:\n  checkin_form: {required_slots: [antwoord]}\n"
    )
    steps = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hoi", {"name": "hoi", "confidence": 1.0}),
        SlotSet("taal", "nl"),
        ActionExecuted("checkin_form"),
        ActiveLoop("checkin_form"),
        BotUttered("Hoe gaat het?", {"buttons": []}),
        ActionExecuted("action_listen"),
        UserUttered("wat is amplitie?", {"name": "kennis", "confidence": 0.9}),
        LoopInterrupted(True),
        SlotSet("lijst", ["a", "b"]),
        FollowupAction("utter_x"),
        UserUtteranceReverted(),
        UserUttered("4", {"name": "hoi", "confidence": 1.0}),
        SlotSet("antwoord", 4.0),
        ActiveLoop(None),
    ]
    tracker = DialogueStateTracker("s", domain.slots)
    tracker.model_id = "model"
    for event in steps:
        tracker.update(event, domain)
        yield tracker, domain
    yield DialogueStateTracker("zonder-slots", None), domain  # Rasa's slot dict that makes any slot


def _state(tracker) -> dict:
    state = dict(vars(tracker))
    state["slots"] = {name: (type(s), vars(s)) for name, s in tracker.slots.items()}
    state["events"] = [e.as_dict() for e in tracker.events]
    for name in ("latest_message", "latest_bot_utterance"):  # without the time a placeholder was made
        event = getattr(tracker, name)
        state[name] = {k: v for k, v in event.as_dict().items() if k != "timestamp"} if event else None
    return state


def test_tracker_copy_is_the_copy_rasas_replay_makes():
    from rasa.shared.core.events import LoopInterrupted, SlotSet

    for tracker, domain in _varied_trackers():
        theirs, ours = rasa_speedups._rasa_tracker_copy(tracker), rasa_speedups.state_copy(tracker)
        assert type(ours) is type(theirs) and _state(ours) == _state(theirs)
        assert ours.past_states(domain) == theirs.past_states(domain)
        before = _state(tracker)
        ours.update(SlotSet("antwoord", 1.0), domain)  # a change to the copy stays in the copy
        ours.update(LoopInterrupted(True), domain)
        ours.slots.get("lijst") and ours.slots["lijst"].reset()
        assert _state(tracker) == before


# -- form_tracker ---------------------------------------------------------------------------------


def _timeless(state: dict) -> dict:
    """A tracker's state without event times (each call makes the form's own two events anew)."""
    return {**state, "events": [{k: v for k, v in e.items() if k != "timestamp"} for e in state["events"]]}


def test_form_tracker_is_the_tracker_rasas_replay_makes():
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Restarted, SlotSet, UserUttered

    form = FormAction("checkin_form", None)
    for tracker, domain in _varied_trackers():
        if tracker.sender_id != "s":  # the tracker without domain slots: not one a form sees
            continue
        added = [SlotSet("antwoord", 3.0), SlotSet("lijst", ["c"])]
        theirs = rasa_speedups._rasa_form_tracker(form, tracker, added, domain)
        ours = rasa_speedups.state_form_tracker(form, tracker, added, domain)
        assert _timeless(_state(ours)) == _timeless(_state(theirs))
        assert ours.past_states(domain) == theirs.past_states(domain)
    # after a restart, or with slots that are not the domain's, Rasa's own way (the same result)
    tracker = next(t for t, _ in _varied_trackers() if t.sender_id == "s")
    tracker.update(Restarted())
    tracker.update(UserUttered("opnieuw", {"name": "hoi", "confidence": 1.0}))
    other = Domain.from_yaml("version: '3.1'\nslots:\n  ander: {type: text, mappings: [{type: custom}]}\n")
    for current, in_domain in ((tracker, domain), (tracker, other)):
        theirs = rasa_speedups._rasa_form_tracker(form, current, [], in_domain)
        ours = rasa_speedups.state_form_tracker(form, current, [], in_domain)
        assert _timeless(_state(ours)) == _timeless(_state(theirs))
        assert [e.text for e in ours.events if e.type_name == "user"] == ["opnieuw"]


# -- domain_load --------------------------------------------------------------------------------


def _load_domain(model_dir, resource_dir_name: str = "domain_provider"):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.graph_components.providers.domain_provider import DomainProvider

    storage = LocalModelStorage(model_dir)
    return DomainProvider.load({}, storage, Resource(resource_dir_name), None).provide_inference()


@pytest.fixture
def persisted_domain(tmp_path):
    """A model storage holding the project's domain as Rasa persists it at training."""
    from rasa.shared.core.domain import Domain

    from tests.servers import ROOT

    directory = tmp_path / "domain_provider"
    directory.mkdir()
    Domain.load(str(ROOT / "domain")).persist(directory / "domain.yml")
    return tmp_path


def test_domain_load_builds_the_same_domain_from_one_read(persisted_domain, monkeypatch):
    from rasa.shared.core.domain import Domain

    shipped = _load_domain(persisted_domain)
    rasa_speedups.install()
    monkeypatch.setattr(Domain, "from_path", lambda *_: pytest.fail("read Rasa's way"))
    fast = _load_domain(persisted_domain)
    assert fast.as_dict() == shipped.as_dict()
    assert fast.responses["utter_crisis"] == shipped.responses["utter_crisis"]
    assert fast.fingerprint() == shipped.fingerprint()


def test_domain_load_leaves_an_unexpected_persisted_domain_to_rasa(persisted_domain, monkeypatch):
    from rasa.shared.core.domain import Domain

    (persisted_domain / "domain_provider" / "extra.yml").write_text("intents:\n- extra_intent\n")
    rasa_speedups.install()
    rasa_way = Domain.from_path
    calls = []
    monkeypatch.setattr(Domain, "from_path", classmethod(lambda cls, path: calls.append(path) or rasa_way(path)))
    domain = _load_domain(persisted_domain)
    assert calls and "extra_intent" in domain.intents


def test_domain_load_switches_off_when_rasa_changed_the_load(monkeypatch, caplog):
    """A classmethod is checked as the class holds it: a changed one is left as shipped."""
    from rasa.graph_components.providers.domain_provider import DomainProvider

    def load(cls, config, model_storage, resource, execution_context, strict=True, **kwargs):  # a "newer" Rasa's
        return None

    newer = classmethod(load)
    monkeypatch.setattr(DomainProvider, "load", newer)
    with caplog.at_level("WARNING"):
        installed = rasa_speedups.install()
    assert "domain_load" not in installed and "graph_runner" in installed
    assert "domain_load" in caplog.text and "switched off" in caplog.text
    assert DomainProvider.__dict__["load"] is newer


# -- domain_empty -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "yaml",
    [
        "version: '3.1'\n",
        "version: '3.1'\nintents:\n- groet\n",
        "version: '3.1'\nslots:\n  team:\n    type: any\n    mappings:\n    - type: custom\n",
        "version: '3.1'\nresponses:\n  utter_hoi:\n  - text: hoi\n",
        "version: '3.1'\nactions:\n- action_kennis\n",
        "version: '3.1'\nforms:\n  checkin_form:\n    required_slots: []\n",
        "version: '3.1'\nentities:\n- team\n",
    ],
)
def test_domain_empty_gives_rasas_verdict(yaml):
    from rasa.shared.core.domain import Domain

    shipped = Domain.from_yaml(yaml).is_empty()
    rasa_speedups.install()
    assert Domain.is_empty is rasa_speedups.quick_is_empty
    assert Domain.from_yaml(yaml).is_empty() is shipped
    assert Domain.empty().is_empty() is True


def test_domain_empty_on_our_domain_skips_the_comparison(our_domain, monkeypatch):
    from rasa.shared.core.domain import Domain

    rasa_speedups.install()
    monkeypatch.setattr(Domain, "as_dict", lambda self: pytest.fail("compared as a dict"))
    assert our_domain.is_empty() is False


@pytest.fixture(scope="module")
def our_domain():
    from rasa.shared.core.domain import Domain

    return Domain.load("domain")


def _json_values():
    from hypothesis import strategies as st

    scalars = (
        st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, 1.0, 2.5, -1.0]) | st.text(max_size=3)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
        max_leaves=4,
    )


def _events():
    """Events of every type Rasa's schema knows (and a few it does not), their fields of any JSON type."""
    from hypothesis import strategies as st

    schema = RemoteAction.action_response_format_spec()
    branches = schema["properties"]["events"]["items"]["oneOf"]
    types = [b["properties"]["event"]["const"] for b in branches] + ["no_such_event", 3, None]
    fields = sorted({name for b in branches for name in b["properties"]} | {"timestamp", "metadata"} - {"event"})
    value = _json_values()
    # The user event's nested parse data, valid-looking or not
    parse_data = st.fixed_dictionaries(
        {}, optional={"intent": st.fixed_dictionaries({}, optional={"name": value, "confidence": value}),
                      "entities": st.lists(st.fixed_dictionaries({}, optional={"entity": value, "value": value,
                                                                               "start": value}), max_size=2),
                      "response_selector": st.dictionaries(st.sampled_from(["all_retrieval_intents", "kennis"]), value),
                      "text": value},
    )  # fmt: skip
    return st.builds(
        lambda kind, extra, pd: {"event": kind, **extra, **({"parse_data": pd} if pd is not None else {})},
        st.sampled_from(types),
        st.dictionaries(st.sampled_from(fields), value, max_size=4),
        st.none() | parse_data,
    )


def test_the_compiled_schemas_give_jsonschemas_verdict_on_any_events():
    """fastjsonschema (compiled, per event type) and jsonschema (Rasa's check) agree on arbitrary replies."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    validator = rasa_speedups.response_validator()
    schema = RemoteAction.action_response_format_spec()
    replies = st.fixed_dictionaries(
        {}, optional={"events": st.lists(_events(), max_size=3) | _json_values(), "responses": _json_values()}
    )
    verdicts = []

    @settings(max_examples=400, deadline=None)
    @given(replies)
    def agree(reply):
        expected = jsonschema.validators.validator_for(schema)(schema).is_valid(reply)
        assert validator._valid(reply) is expected
        verdicts.append(expected)

    agree()
    assert True in verdicts and False in verdicts  # both kinds were tried
