"""Retention: old conversation text is purged from Rasa's real SQLTrackerStore; aggregates stay."""

from __future__ import annotations

import time

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.cli import main
from bot.services import checkin
from bot.services.retention import purge_conversations
from bot.services.teams import create_team
from tests.members import add_member

DAY = 86_400


async def test_purge_removes_only_text_older_than_the_retention(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", host=url)
    now = time.time()
    tracker = DialogueStateTracker.from_events(
        "teacher",
        [UserUttered("oud bericht", timestamp=now - 40 * DAY), UserUttered("nieuw bericht", timestamp=now - DAY)],
    )
    await store.save(tracker)

    result = purge_conversations(url, retention_days=30, now=now)

    assert result.deleted_events == 1
    kept = await store.retrieve("teacher")
    texts = [e.text for e in kept.events if isinstance(e, UserUttered)]
    assert texts == ["nieuw bericht"]


def test_purge_on_an_empty_store_is_harmless(tmp_path):
    result = purge_conversations(f"sqlite:///{tmp_path / 'none.db'}", retention_days=30)
    assert result.deleted_events == 0


async def test_purge_command_keeps_aggregates(backend, tmp_path, monkeypatch, capsys):
    team = create_team(backend.uow(), "School A", "Team 1")
    member = add_member(backend, team.id, "s1")
    me = member.person_key
    checkin.save_checkin(backend.uow(), member.ref, {"energie": 4}, backend.settings.pseudonym_secret)
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", host=url)
    now = time.time()
    await store.save(DialogueStateTracker.from_events("s1", [UserUttered("oud bericht", timestamp=now - 40 * DAY)]))
    monkeypatch.setenv("TRACKER_DB_URL", url)  # main() builds Settings.from_env()
    monkeypatch.setenv("RETENTION_DAYS", "30")
    assert main(["purge"]) == 0
    assert "[purge] deleted 1 conversation events older than 30 days" in capsys.readouterr().out
    assert len(checkin.history(backend.uow(), me)) == 1
