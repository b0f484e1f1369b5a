"""Scale-out: two Rasa processes share the PostgreSQL tracker store and the Redis lock store.

Each conversation's messages alternate between the two processes, several conversations at
once; every check-in must end exactly as the person answered it.
"""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from sqlalchemy import text

from bot.storage.db import make_engine
from tests.conftest import _drop_postgres_schema, _fresh_postgres_schema
from tests.servers import Stack, Teacher, team_with_roster

pytestmark = pytest.mark.rasa
REDIS = ("127.0.0.1", 6379)
CONVERSATIONS = 6


def redis_available() -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(REDIS) == 0


def say_to(url: str, sender: str, message: str, teacher: Teacher) -> str:
    body = json.dumps({"sender": sender, "message": message, "metadata": teacher.metadata()}).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return "\n".join(m.get("text", "") for m in json.loads(response.read()))


@pytest.fixture
def shared_stores(postgres_url, tmp_path):
    if not redis_available():
        pytest.skip(f"Redis not reachable at {REDIS[0]}:{REDIS[1]}: the scale-out test needs the Redis lock store")
    app_schema, app_url = _fresh_postgres_schema(postgres_url)
    tracker_schema, tracker_url = _fresh_postgres_schema(postgres_url)
    yield app_url, tracker_url
    for schema in (app_schema, tracker_schema):
        _drop_postgres_schema(postgres_url, schema)


def test_two_rasa_processes_keep_every_conversation_consistent(shared_stores, tmp_path):
    app_url, tracker_url = shared_stores
    stack = Stack(tmp_path, app_url).start(
        extra_env={"TRACKER_DB_URL": tracker_url, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    )
    try:
        assert stack.env["LOCK_STORE_TYPE"] == "redis" and stack.env["TRACKER_DB_DIALECT"] == "postgresql"
        second = stack.start_rasa()
        urls = [stack.rasa_url, second]
        _team, teachers = team_with_roster(stack, "S", "T", [f"scale-{i}@school.nl" for i in range(CONVERSATIONS)])

        finals: dict[str, str] = {}
        errors: list[BaseException] = []

        def conversation(i: int) -> None:
            sender = f"scale-{i}"
            answers = [str(1 + (i + k) % 5) for k in range(5)]
            try:
                for step, message in enumerate(["ik wil inchecken", "ja", *answers]):
                    reply = say_to(urls[step % 2], sender, message, teachers[i])  # alternate the processes
                finals[sender] = reply
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=conversation, args=(i,)) for i in range(CONVERSATIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

        assert errors == [] and len(finals) == CONVERSATIONS
        assert all("zijn opgeslagen" in reply for reply in finals.values()), finals
        with make_engine(app_url).connect() as conn:
            rows = {
                r[0]: tuple(r[1:])
                for r in conn.execute(
                    text("SELECT person_key, energie, werkdruk, verbinding, waardering, plezier FROM checkins")
                )
            }
        assert len(rows) == CONVERSATIONS
        for i in range(CONVERSATIONS):
            expected = tuple(1 + (i + k) % 5 for k in range(5))
            assert rows[teachers[i].person_key] == expected
    finally:
        stack.stop()
