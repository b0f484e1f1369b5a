"""The jsonschema speed-up keeps Rasa's check of action-server responses intact."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups


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
    monkeypatch.setattr(type(first), "check_schema", classmethod(lambda cls, schema, **_: checks.append(schema)))
    for _ in range(3):
        assert action._validate_action_result({"events": [{"event": "slot", "name": "team", "value": "x"}]})
    assert rasa_speedups.response_validator() is first
    assert checks == []  # each response is validated; the schema itself is not checked again


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


def test_model_objects_are_frozen_out_of_garbage_collection_after_loading(monkeypatch):
    import asyncio
    import gc

    import rasa.core.run as rasa_run

    calls = []

    async def fake_load(*args, **kwargs):
        calls.append(args)
        return "agent"

    monkeypatch.setattr(rasa_speedups, "_rasa_load_agent_on_start", fake_load)
    rasa_speedups.install()
    assert rasa_run.load_agent_on_start is rasa_speedups.load_agent_then_freeze
    try:
        assert asyncio.run(rasa_run.load_agent_on_start("model", "endpoints", None, "app", "loop")) == "agent"
        assert calls == [("model", "endpoints", None, "app", "loop")]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
