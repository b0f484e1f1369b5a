"""Faults: the action server down or hanging never leaves a user in silence or falsely "saved"."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import text

from bot.storage.db import make_engine
from tests.servers import Stack, Teacher, free_port, team_with_roster
from tests.test_rest_e2e import say, texts

pytestmark = pytest.mark.rasa
FAILURE = "Er ging iets mis"


def make_teacher(stack: Stack) -> Teacher:
    """A team with one teacher on its roster (their personal link opens the check-in)."""
    _team, [teacher] = team_with_roster(stack, "S", "T", ["teacher@school.nl"])
    return teacher


def stored(database_url: str) -> int:
    with make_engine(database_url).connect() as conn:
        return conn.execute(text("SELECT count(*) FROM checkins")).scalar_one()


def checkin(stack: Stack, sender: str, teacher: Teacher) -> list[str]:
    replies = []
    for message in ["ik wil inchecken", "ja", "4", "4", "4", "4", "4"]:
        started = time.monotonic()
        replies.append(texts(say(stack, sender, message, member=teacher)))
        assert time.monotonic() - started < 10, f"no reply within 10 s to {message!r}"
        assert replies[-1], f"silence after {message!r}"
    return replies


def test_action_server_down_then_back(tmp_path):
    port = free_port()  # nothing listens here until we start the action server
    stack = Stack(tmp_path, f"sqlite:///{tmp_path / 'app.db'}").start(with_actions=False, action_port=port)
    try:
        teacher = make_teacher(stack)
        # The 113 answer needs neither the action server nor the database.
        assert "113" in texts(say(stack, "someone", "ik zie het niet meer zitten", member=teacher))
        replies = checkin(stack, "teacher", teacher)
        # The check-in cannot start without the action server: the user is told at once,
        # every later message still gets an answer, and nothing claims to be saved.
        assert FAILURE in replies[0]
        assert not any("opgeslagen" in r and "niets opgeslagen" not in r for r in replies)
        assert stored(stack.database_url) == 0

        stack.start_actions()
        say(stack, "teacher", "stop", member=teacher)  # leave whatever half-state the failure left
        replies = checkin(stack, "teacher", teacher)
        assert "zijn opgeslagen" in replies[-1]
        assert stored(stack.database_url) == 1
    finally:
        stack.stop()


def test_hanging_action_server_gets_an_answer_within_10_seconds(tmp_path):
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # accepts connections, never answers
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        hung.settimeout(0.5)
        while not stop.is_set():
            try:
                accepted.append(hung.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept_forever, daemon=True).start()
    stack = Stack(tmp_path, f"sqlite:///{tmp_path / 'app.db'}").start(
        with_actions=False, action_port=hung.getsockname()[1]
    )
    try:
        started = time.monotonic()
        reply = texts(say(stack, "teacher", "hoe ging het de afgelopen weken?"))
        assert time.monotonic() - started < 10
        assert FAILURE in reply
    finally:
        stop.set()
        stack.stop()
        for conn in accepted:
            conn.close()
        hung.close()
