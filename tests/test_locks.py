"""Database locks (bot/storage/locks.py) and the one scheduler they allow, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from bot import scheduler
from bot.backend import Backend
from bot.storage.locks import database_lock


def test_a_lock_is_held_by_one_holder_at_a_time(any_db):
    with database_lock(any_db, "job") as first:
        assert first and first.still_held()
        with database_lock(any_db, "job", wait=False) as second:
            assert not second
        with database_lock(any_db, "other job", wait=False) as other:
            assert other  # another name is another lock
    with database_lock(any_db, "job", wait=False) as again:
        assert again  # released at the end of the block


def test_a_waiting_holder_gets_the_lock_when_it_is_released(any_db):
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait(10)
        with database_lock(any_db, "job"):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with database_lock(any_db, "job"):
        inside.set()
        time.sleep(0.3)  # the second holder is waiting now
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]


class FakeScheduler:
    def __init__(self, running: list[str], name: str) -> None:
        self.running, self.name = running, name
        running.append(name)

    def shutdown(self, wait: bool = False) -> None:
        self.running.remove(self.name)


def test_one_process_runs_the_scheduler_and_another_takes_over(any_backend: Backend, monkeypatch):
    poll = 0.05
    running: list[str] = []
    names = iter(["a", "b"])
    monkeypatch.setattr(scheduler, "start_scheduler", lambda backend: FakeScheduler(running, next(names)))
    stops = [threading.Event(), threading.Event()]
    owners = [
        threading.Thread(target=scheduler.run_as_owner, args=(any_backend, stop, poll), daemon=True) for stop in stops
    ]
    owners[0].start()
    deadline = time.monotonic() + 10
    while running != ["a"] and time.monotonic() < deadline:
        time.sleep(0.01)
    owners[1].start()
    time.sleep(poll * 6)
    assert running == ["a"]  # the second one stands by

    stops[0].set()  # the owner stops: the one standing by takes over
    owners[0].join(timeout=10)
    deadline = time.monotonic() + 10
    while running != ["b"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running == ["b"]
    stops[1].set()
    owners[1].join(timeout=10)
    assert running == []


def test_two_scheduler_units_run_the_jobs_once(tmp_path):
    """`python -m bot run scheduler` twice (deploy/systemd/ on two machines): one runs, one stands by."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = []
    try:
        for log in logs:
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen([sys.executable, "-m", "bot", "run", "scheduler"], env=env, stdout=out, stderr=out)
                )
            deadline = time.monotonic() + 60
            while "[scheduler]" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=30) for process in processes]
    first, second = (log.read_text() for log in logs)
    assert "[scheduler] running" in first and "[db] migrated from an empty database" in first
    assert "[scheduler] another process runs the scheduler; this one stands by" in second
    assert "migrated" not in second
    assert codes == [0, 0]
