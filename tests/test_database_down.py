"""The database going down during a check-in: no false "saved", no partial rows, recovery by itself.

PostgreSQL is reached through a small TCP proxy that the test cuts and restores, so the
application sees a real outage (refused and dropped connections) and a real recovery.
"""

from __future__ import annotations

import socket
import threading

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.checkin import ActionCheckinSubmit
from bot.backend import Backend
from bot.services import checkin
from bot.services.teams import create_team
from bot.settings import Settings
from bot.storage.models import CheckIn
from tests.conftest import _drop_postgres_schema, _fresh_postgres_schema
from tests.test_actions_checkin import Link, domain, join, make_tracker


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until ``cut()``; ``restore()`` reopens it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.connections: list[socket.socket] = []
        self.listener.listen(32)
        self.listener.settimeout(0.2)
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            if not self.up.is_set():
                client.close()  # the database is "down": refuse
                continue
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self.up.clear()
        for sock in self.connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connections.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.stopped.set()
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied_postgres(postgres_url, isolated_settings):
    """A migrated PostgreSQL schema, a proxy in front of it, and the backend that reaches it only via the proxy."""
    from sqlalchemy.engine import make_url

    from bot.storage.migrate import upgrade

    schema, direct_url = _fresh_postgres_schema(postgres_url)
    upgrade(direct_url)
    target = make_url(postgres_url)
    proxy = CuttableProxy((target.host or "127.0.0.1", target.port or 5432))
    proxied = direct_url.replace(f"{target.host}:{target.port or 5432}", f"127.0.0.1:{proxy.port}")
    backend = Backend.from_settings(Settings.from_env().with_changes(database_url=proxied))
    yield proxy, backend
    backend.database.dispose()
    proxy.close()
    _drop_postgres_schema(postgres_url, schema)


async def submit(backend: Backend, link: Link) -> list[str]:
    dispatcher = CollectingDispatcher()
    scores = {"energie": 4, "werkdruk": 2, "verbinding": 5, "waardering": 3, "plezier": 4}
    tracker = make_tracker("4", {"consent": True, **scores}, link=link)
    await ActionCheckinSubmit(backend).run(dispatcher, tracker, domain())
    return [m["response"] for m in dispatcher.messages]


def count_rows(backend: Backend) -> int:
    with backend.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(CheckIn)).scalar_one()


async def test_database_down_during_checkin_then_back(proxied_postgres):
    proxy, backend = proxied_postgres
    team = create_team(backend.uow(), "School A", "Team 1")
    warm_up, teacher = join(backend, team, "warm-up@school-a.nl"), join(backend, team, "teacher@school-a.nl")
    assert (await submit(backend, warm_up))[0] == "utter_checkin_saved"

    proxy.cut()
    responses = await submit(backend, teacher)
    assert responses == ["utter_checkin_save_failed"]  # never "opgeslagen"

    proxy.restore()
    assert count_rows(backend) == 1  # only the warm-up: no partial row of the failed save
    responses = await submit(backend, teacher)  # the same engine, no restart, no manual step
    assert responses[0] == "utter_checkin_saved"
    assert count_rows(backend) == 2
    [week] = checkin.history(backend.uow(), teacher.person_key)
    assert week.scores["werkdruk"] == 2


async def test_a_database_error_never_logs_the_answers_or_the_pseudonym(proxied_postgres, caplog):
    """The connection breaks while the check-in is written: the error names the SQL, never its values."""
    proxy, backend = proxied_postgres
    team = create_team(backend.uow(), "School A", "Team 1")
    teacher = join(backend, team, "canary-teacher@school-a.nl")
    assert (await submit(backend, join(backend, team, "warm-up@school-a.nl")))[0] == "utter_checkin_saved"
    proxy.cut()  # also drops the pooled connection that the next save will try first
    caplog.set_level("DEBUG")
    assert await submit(backend, teacher) == ["utter_checkin_save_failed"]
    proxy.restore()
    logged = caplog.text
    assert "Saving a check-in failed" in logged  # the failure is logged ...
    assert teacher.person_key not in logged and "canary-teacher" not in logged  # ... without its values
    assert "[parameters:" not in logged


async def test_the_tracker_store_never_puts_message_text_in_an_error(tmp_path, caplog):
    """Rasa's tracker store through our subclass: a failing write names no message text."""
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy import text as sql

    from bot.rasa_tracker_store import PrivateSQLTrackerStore

    store = PrivateSQLTrackerStore(host=f"sqlite:///{tmp_path / 'tracker.db'}", dialect="sqlite")
    assert store.engine.hide_parameters
    with store.engine.begin() as conn:
        conn.execute(sql("DROP TABLE events"))  # the next write fails inside the INSERT
    canary = "CANARY ik huil elke dag in de auto"
    with pytest.raises(Exception) as failure:
        await store.save(DialogueStateTracker.from_events("teacher", [UserUttered(canary)]))
    assert canary not in str(failure.value) and canary not in caplog.text
    assert "hidden due to hide_parameters" in str(failure.value)
