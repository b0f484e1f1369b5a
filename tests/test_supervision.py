"""``python -m bot serve`` keeps the assistant running when one of its children crashes.

The supervisor's rules (bot/serve.py ``Supervisor``) on tiny stand-in children with a
clock the test moves: restart after 1, 2, 4, 8, 16 s, give up on the sixth crash in a row,
count from one again after a child ran a minute. Then the real thing: the action server of
a running ``python -m bot serve`` is killed in the middle of a check-in.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.serve import MODEL_PATH, RestartPolicy, Service, Supervisor, describe_exit
from bot.storage.db import make_engine
from tests.servers import free_port

FAILURE = "Er ging iets mis"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def http_child(name: str) -> Service:
    """A child that answers HTTP on a free port (its health URL), until it is killed."""
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return Service(name, cmd, f"http://127.0.0.1:{port}/")


def crashing_child(name: str, code: int = 3) -> Service:
    return Service(name, [sys.executable, "-c", f"import sys; sys.exit({code})"], "http://127.0.0.1:1/")


def wait_for_exit(child: Service) -> None:
    child.process.wait(timeout=20)


def test_exit_is_described_in_words():
    assert describe_exit(1) == "exit code 1"
    assert describe_exit(-9) == "killed by SIGKILL"


def test_a_killed_child_is_restarted_and_the_others_keep_running(tmp_path, capsys):
    steady, flaky = http_child("web"), http_child("actions")
    supervisor = Supervisor([steady, flaky], os.environ, RestartPolicy(first_delay=0.2), cwd=tmp_path)
    supervisor.start_all()
    try:
        assert supervisor.wait_until_up(20, threading.Event())
        steady_pid, flaky_pid = steady.process.pid, flaky.process.pid
        flaky.process.kill()
        wait_for_exit(flaky)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (flaky.process and flaky.process.pid != flaky_pid and flaky.up):
            assert supervisor.check() is None
            time.sleep(0.05)
        assert flaky.up and flaky.process.pid != flaky_pid
        assert steady.process.pid == steady_pid and steady.process.poll() is None
    finally:
        supervisor.stop()
    captured = capsys.readouterr()
    assert re.search(
        r"\[serve\] actions crashed \(killed by SIGKILL after \d+ s\); restarting it in 0.2 s", captured.err
    )
    assert "web keeps running" in captured.err
    assert "[serve] actions is up again" in captured.out


def test_restarts_back_off_and_give_up_on_the_sixth_crash_in_a_row(tmp_path, capsys):
    clock = Clock()
    steady, broken = http_child("web"), crashing_child("actions")
    supervisor = Supervisor([steady, broken], os.environ, cwd=tmp_path, clock=clock)
    supervisor.start_all()
    try:
        delays = []
        for _ in range(5):
            wait_for_exit(broken)
            assert supervisor.check() is None  # noticed: restart scheduled
            delays.append(broken.restart_at - clock.now)
            clock.now = broken.restart_at - 0.01
            supervisor.check()
            assert broken.process is None  # not before its time
            clock.now = broken.restart_at
            supervisor.check()
            assert broken.process is not None  # restarted
        wait_for_exit(broken)
        gave_up = supervisor.check()
        assert steady.process.poll() is None  # the others ran all along
    finally:
        supervisor.stop()
    assert delays == [1, 2, 4, 8, 16]
    assert gave_up is not None
    assert "actions crashed 6 times in a row (last: exit code 3 after 0 s); giving up" in gave_up
    err = capsys.readouterr().err
    assert len(re.findall(r"\[serve\] actions crashed \(exit code 3", err)) == 5
    assert "(restart 5 of at most 5 in a row)" in err


def test_a_child_that_ran_a_minute_counts_its_crashes_from_one_again(tmp_path):
    clock = Clock()
    broken = crashing_child("actions")
    supervisor = Supervisor([broken], os.environ, cwd=tmp_path, clock=clock)
    supervisor.start_all()
    try:
        for expected in (1, 2):
            wait_for_exit(broken)
            supervisor.check()
            assert broken.crashes == expected
            clock.now = broken.restart_at
            supervisor.check()
        clock.now += 61  # this time it "ran" a minute before it crashed
        wait_for_exit(broken)
        supervisor.check()
        assert broken.crashes == 1 and broken.restart_at - clock.now == 1
    finally:
        supervisor.stop()


# ---------------------------------------------------------------- the real serve


def say(rasa_url: str, sender: str, message: str, token: str) -> str:
    from bot.services.links import TOKEN_METADATA

    body = json.dumps({"sender": sender, "message": message, "metadata": {TOKEN_METADATA: token}}).encode()
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return "\n".join(m.get("text", "") for m in json.loads(response.read()))


def children(pid: int) -> dict[str, int]:
    """The child processes of ``pid`` by what they run: {"actions": pid, "rasa": pid, "web": pid}."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for name, marker in (("actions", "actions.server"), ("rasa", "rasa run"), ("web", "waitress")):
            if marker in cmdline:
                found[name] = int(child)
    return found


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, log.read_text(errors="replace")):
            return
        if process.poll() is not None:
            raise RuntimeError(f"serve exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    raise TimeoutError(f"no {pattern!r} in the serve log within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def serve_env(tmp_path, monkeypatch):
    """The environment of a `python -m bot serve` on free ports, its own var/ and SQLite files."""
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    env = {
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'app.db'}",
        "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'var' / 'tracker.db'}",
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "WEB_PORT": str(web_port),
        "SMTP_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "DEMO_DATA": "false",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {**os.environ}


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python -m bot serve` in its own process group, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], cwd=MODEL_PATH.parent.parent, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop_serve(serve: subprocess.Popen) -> int:
    """Stop it as Ctrl-C would (SIGTERM), killing the group only if it hangs; its exit code."""
    serve.send_signal(signal.SIGTERM)
    try:
        return serve.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(serve.pid, signal.SIGKILL)
        return serve.wait()


@pytest.mark.rasa
def test_killing_the_action_server_mid_checkin_loses_nothing(serve_env, tmp_path):
    """The supervisor restarts the killed action server; the same conversation finishes the check-in."""
    if not MODEL_PATH.exists():
        pytest.skip(f"No trained model at {MODEL_PATH}: run `make train` first.")
    from bot.backend import Backend
    from bot.services.teams import create_team
    from bot.settings import Settings
    from bot.storage.migrate import upgrade
    from tests.members import add_member

    settings = Settings.from_env()  # the same environment (and generated secrets) as serve's
    upgrade(settings.database_url)
    backend = Backend.from_settings(settings)
    team = create_team(backend.uow(), "Supervisie school", "Team A")
    member = add_member(backend, team.id, "kill-test")
    backend.database.dispose()

    log = tmp_path / "serve.log"
    serve = start_serve(serve_env, log)
    rasa_url = serve_env["RASA_URL"]
    try:
        wait_for_line(log, r"\[serve\] all running", serve, timeout=300)
        before = children(serve.pid)
        assert set(before) == {"actions", "rasa", "web"}, before

        assert "Doe je mee?" in say(rasa_url, "kill-test", "ik wil inchecken", member.token)
        assert "Vraag 1 van 5" in say(rasa_url, "kill-test", "ja", member.token)
        assert "Vraag 2 van 5" in say(rasa_url, "kill-test", "4", member.token)
        assert "Vraag 3 van 5" in say(rasa_url, "kill-test", "2", member.token)

        os.kill(before["actions"], signal.SIGKILL)  # a crash, in the middle of the check-in
        started = time.monotonic()
        reply = say(rasa_url, "kill-test", "5", member.token)
        assert time.monotonic() - started < 10
        assert FAILURE in reply and "opgeslagen" not in reply  # the friendly failure text, no false "saved"

        wait_for_line(log, r"\[serve\] actions is up again", serve, timeout=120)
        after = children(serve.pid)
        assert after["actions"] != before["actions"]
        assert after["rasa"] == before["rasa"] and after["web"] == before["web"]  # they kept running

        # The same conversation goes on where it was: question 3 is asked again, 1 and 2 are kept.
        assert "Vraag 4 van 5" in say(rasa_url, "kill-test", "5", member.token)
        assert "Laatste vraag" in say(rasa_url, "kill-test", "3", member.token)
        assert "zijn opgeslagen" in say(rasa_url, "kill-test", "4", member.token)
    finally:
        code = stop_serve(serve)
    output = log.read_text(errors="replace")
    assert re.search(r"\[serve\] actions crashed \(killed by SIGKILL after \d+ s\); restarting it in 1 s", output)
    assert code == 0, output[-3000:]

    with make_engine(settings.database_url).connect() as conn:
        rows = conn.execute(
            text("SELECT person_key, energie, werkdruk, verbinding, waardering, plezier FROM checkins")
        ).all()
    assert [tuple(r) for r in rows] == [(member.person_key, 4, 2, 5, 3, 4)]  # stored once, the answers given


@pytest.mark.rasa
def test_production_starts_everything_when_everything_is_set(serve_env, tmp_path):
    """APP_ENV=production with every setting right: all three servers come up and are safe to reach."""
    if not MODEL_PATH.exists():
        pytest.skip(f"No trained model at {MODEL_PATH}: run `make train` first.")
    from tests.test_production import safe_env

    var = Path(serve_env["VAR_DIR"])
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": serve_env["SMTP_PORT"], "SMTP_TLS": "none", "SMTP_USER": ""}
    production = {**safe_env(var), "DATABASE_URL": serve_env["DATABASE_URL"], **mail, "SMTP_PASSWORD": ""}
    env = {**serve_env, **production}
    log = tmp_path / "serve.log"
    serve = start_serve(env, log)
    rasa_url, web_url = env["RASA_URL"], f"http://127.0.0.1:{env['WEB_PORT']}"
    try:
        wait_for_line(log, r"\[serve\] all running", serve, timeout=300)
        assert set(children(serve.pid)) == {"actions", "rasa", "web"}
        body = json.dumps({"sender": "prod-1", "message": "wat is amplitie?"}).encode()

        def rest(headers: dict[str, str]) -> tuple[int, str]:
            request = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body,
                                             headers={"Content-Type": "application/json", **headers})  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, ""

        assert rest({})[0] == 401  # the REST channel needs its token in production
        status, replies = rest({"Authorization": f"Bearer {env['REST_TOKEN']}"})
        assert status == 200 and "amplitie" in replies.lower()
        with urllib.request.urlopen(f"{web_url}/dashboard/login", timeout=30) as response:
            assert response.status == 200
            cookie = response.headers.get("Set-Cookie") or ""  # the session that carries the login form's CSRF token
            assert "Secure" in cookie and "HttpOnly" in cookie
        with urllib.request.urlopen(f"{web_url}/healthz", timeout=30) as response:
            assert response.status == 200
    finally:
        code = stop_serve(serve)
    output = log.read_text(errors="replace")
    assert code == 0, output[-3000:]
    assert "refuses to start" not in output and "DEMO_DATA is off" in output
    assert "Unclosed client session" not in output
    assert not (var / "secrets.json").exists()  # every secret came from the environment
