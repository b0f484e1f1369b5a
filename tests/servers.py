"""Start the real action server and Rasa (and optionally the web app) for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.backend import Backend
    from bot.services.teams import TeamInfo
    from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[:3]} exited with {process.returncode} during start-up{log_tail(process)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout} s")


def log_tail(process: subprocess.Popen, lines: int = 15) -> str:
    """The last lines of what ``process`` wrote to its log file (``Stack._log``), to say why it stopped."""
    log = getattr(process, "log_path", None)
    if log is None or not Path(log).exists():
        return ""
    tail = Path(log).read_text(errors="replace").splitlines()[-lines:]
    return f"; the end of {log}:\n" + "\n".join(tail)


@dataclass
class Stack:
    """A running action server + Rasa on free ports, with their own databases."""

    var_dir: Path
    database_url: str
    rasa_url: str = ""
    action_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    #: The settings the servers read from ``env`` (secrets included), set by ``start``.
    settings: "Settings | None" = None
    processes: list[subprocess.Popen] = field(default_factory=list)
    starting: list[tuple[str, subprocess.Popen]] = field(default_factory=list)  # start_rasa(wait=False)

    def start(
        self,
        with_rasa: bool = True,
        with_actions: bool = True,
        action_port: int | None = None,
        extra_rasa_args: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
    ) -> "Stack":
        """Start the action server (unless ``with_actions`` is false) and Rasa.

        ``action_port`` fixes the port Rasa calls, so a test can start the action server
        later (``start_actions``) or point Rasa at a port where nothing answers.
        ``extra_env`` overrides settings (e.g. TRACKER_DB_URL, REDIS_URL) for all processes.
        """
        from bot.serve import rasa_env
        from bot.settings import Settings
        from bot.storage.migrate import upgrade

        if with_rasa and not MODEL.exists():  # before anything starts: nothing is left running
            raise RuntimeError(f"No trained model at {MODEL}: run `make train` first.")
        action_port = action_port or free_port()
        self.action_url = f"http://127.0.0.1:{action_port}"
        self.env = {
            **os.environ,
            "VAR_DIR": str(self.var_dir),
            "DATABASE_URL": self.database_url,
            "TRACKER_DB_URL": f"sqlite:///{self.var_dir / 'tracker.db'}",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
            "PSEUDONYM_SECRET": "e2e-secret",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            **(extra_env or {}),
        }
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            self.settings = settings = Settings.from_env()
            self.env.update(rasa_env(settings))
            upgrade(self.database_url)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            if with_actions:
                self.start_actions()
            if with_rasa:
                self.rasa_url = self.start_rasa(extra_rasa_args)
        except BaseException:
            self.stop()  # a failed start leaves no server running behind the test
            raise
        return self

    def start_rasa(
        self, extra_rasa_args: tuple[str, ...] = (), extra_env: dict[str, str] | None = None, wait: bool = True
    ) -> str:
        """Start one more Rasa process on a free port (``extra_env`` for it alone); returns its URL.

        ``wait=False`` returns at once, so several models load side by side; ``wait_all`` then
        waits until all of them answer.
        """
        if not MODEL.exists():
            raise RuntimeError(f"No trained model at {MODEL}: run `make train` first.")
        port = free_port()
        cmd = [str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
               "--credentials", "credentials.yml", "--port", str(port), "--interface", "127.0.0.1",
               "--cors", "*", *extra_rasa_args]  # fmt: skip
        env = {**self.env, **(extra_env or {})}
        log = self._log(f"rasa-{port}")
        rasa = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        rasa.log_path = log.name  # what wait_until_up shows when it stops during start-up
        self.processes.append(rasa)
        url = f"http://127.0.0.1:{port}"
        self.starting.append((f"{url}/", rasa))
        if wait:
            self.wait_all()
        return url

    def wait_all(self, timeout: float = 240) -> None:
        """Wait until every process started with ``wait=False`` so far answers (each within ``timeout``)."""
        while self.starting:
            wait_until_up(*self.starting.pop(0), timeout=timeout)

    def backend(self) -> "Backend":
        """A backend on the stack's database with the servers' own settings (to set up teams and rosters)."""
        from bot.backend import Backend

        assert self.settings is not None, "start() the stack first"
        return Backend.from_settings(self.settings)

    def _log(self, name: str):
        return open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process

    def logs(self) -> str:
        """Everything the servers logged so far."""
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.var_dir.glob("*.log")))

    def start_actions(self) -> subprocess.Popen:
        port = self.action_url.rsplit(":", 1)[1]
        actions = subprocess.Popen(
            [str(BIN / "python"), "-m", "actions.server", "--port", port],
            cwd=ROOT,
            env=self.env,
            stdout=self._log("actions"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(actions)
        wait_until_up(f"{self.action_url}/health", actions)
        return actions

    def start_service(self, name: str, port: int, wait: bool = True) -> subprocess.Popen:
        """Start ``python -m bot run NAME --port PORT``, the command of deploy/systemd/, with the stack's env.

        ``name`` is rasa, actions or web. ``wait=False`` returns at once, so several load side
        by side; ``wait_all`` then waits until they answer.
        """
        health = {"rasa": "/", "actions": "/health", "web": "/healthz"}[name]
        process = subprocess.Popen(
            [str(BIN / "python"), "-m", "bot", "run", name, "--port", str(port)],
            cwd=ROOT,
            env=self.env,
            stdout=self._log(f"{name}-{port}"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        self.starting.append((f"http://127.0.0.1:{port}{health}", process))
        if wait:
            self.wait_all()
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass(frozen=True)
class Teacher:
    """A member of a team's roster as a test drives them: their personal link and their pseudonym."""

    email: str
    #: The token of their personal link; the widget sends it as message metadata ``member_token``.
    token: str
    #: The pseudonym their check-ins are stored under.
    person_key: str

    def metadata(self) -> dict[str, str]:
        from bot.services.links import TOKEN_METADATA

        return {TOKEN_METADATA: self.token}


def team_with_roster(stack: Stack, school: str, team: str, emails: list[str]) -> tuple["TeamInfo", list[Teacher]]:
    """Create a team in the stack's database, as the operator and the coordinator do, with these addresses."""
    from bot.services import roster
    from bot.services.links import member_token
    from bot.services.teams import create_team

    backend = stack.backend()
    try:
        info = create_team(backend.uow(), school, team)
        roster.set_domains(backend.uow(), school, sorted({e.partition("@")[2] for e in emails}))
        change = roster.add_members(backend.uow(), info.id, "\n".join(emails), "test", backend.settings.link_secret)
        assert change.done == emails, change.errors
        settings = backend.settings
        with backend.uow() as uow:
            members = uow.members.with_emails(emails)
            teachers = [
                Teacher(
                    e,
                    member_token(members[e].id, members[e].token_version, settings.link_secret),
                    roster.member_key(members[e].id, settings.pseudonym_secret),
                )
                for e in emails
            ]
    finally:
        backend.database.dispose()
    return info, teachers


def make_jwt(secret: str) -> str:
    """A HS256 token as Rasa's --jwt-secret expects (PyJWT comes with Rasa)."""
    import jwt

    return jwt.encode({"user": {"username": "admin", "role": "admin"}}, secret, algorithm="HS256")
