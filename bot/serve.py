"""``python -m bot serve``: the action server, Rasa and the web app in one foreground command, supervised.

Ctrl-C (or SIGTERM) stops all three. A child that crashes is restarted while the others
keep running: after 1 s, then 2, 4, 8 and 16 s when it keeps crashing (a child that ran a
minute has its count reset), each restart logged. After five restarts in a row it gives
up, says which child and why, and stops everything with exit code 1. A child that stops
during start-up stops everything at once: that is a set-up error (a port in use, a broken
configuration) that restarting would not fix.

Before anything starts, the database is migrated (under its lock: bot/storage/migrate.py).
This process also runs the scheduler (``SCHEDULER``, default on: weekly mails, the release
of ended weeks, retention; bot/scheduler.py) and, when no SMTP_HOST is set, a local SMTP
server on 127.0.0.1:SMTP_PORT that writes every mail as an ``.eml`` file under
``var/mail/`` (bot/mail.py), so the embedded default sends real mail without a mail server.

``python -m bot run NAME`` starts one of the four (rasa, actions, web, scheduler) exactly
as serve does, for a service manager that supervises each on its own (deploy/systemd/).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, Settings, require_production_ready

MODEL_PATH = PROJECT_ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent
#: What ``python -m bot run`` can start.
RUNNABLE = ("rasa", "actions", "web", "scheduler")


@dataclass
class Service:
    """A child process of serve, and what the supervisor knows about it."""

    name: str
    cmd: list[str]
    health_url: str
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    #: Crashes since it last ran for ``RestartPolicy.stable_after`` seconds.
    crashes: int = 0
    #: When a crashed child is due to be started again.
    restart_at: float | None = None
    #: Its health URL answered since its last (re)start.
    up: bool = False


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment variables that endpoints.yml reads (see the README's configuration table)."""
    tracker = make_url(settings.tracker_db_url)
    env = {
        "ACTION_SERVER_URL": settings.action_server_url,
        "ACTION_SERVER_TOKEN": settings.action_server_token,
        "TRACKER_DB_URL": settings.tracker_db_url,
        "TRACKER_DB_DIALECT": tracker.get_backend_name(),
        "LOCK_STORE_TYPE": "in_memory",
        "LOCK_STORE_HOST": "",
        "LOCK_STORE_PORT": "6379",
        "LOCK_STORE_DB": "0",
    }
    if settings.redis_url:
        redis = make_url(settings.redis_url)
        env.update(
            LOCK_STORE_TYPE="redis",
            LOCK_STORE_HOST=redis.host or "127.0.0.1",
            LOCK_STORE_PORT=str(redis.port or 6379),
            LOCK_STORE_DB=str(redis.database or 0),
        )
    if tracker.get_backend_name() == "sqlite" and tracker.database:
        Path(tracker.database).parent.mkdir(parents=True, exist_ok=True)
    return env


def api_args() -> list[str]:
    """Rasa's HTTP API is off; RASA_ENABLE_API=true turns it on, and only with a JWT secret."""
    if os.environ.get("RASA_ENABLE_API", "").lower() not in {"1", "true", "yes"}:
        return []
    secret = os.environ.get("RASA_JWT_SECRET", "")
    if len(secret) < 32:
        raise SystemExit(
            "RASA_ENABLE_API=true needs RASA_JWT_SECRET (at least 32 characters): without it the HTTP API "
            "would expose every conversation. Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'"
        )
    return ["--enable-api", "--jwt-secret", secret, "--jwt-method", "HS256"]


def _ports(rasa_port: int | None, action_port: int | None) -> tuple[str, str]:
    return (
        str(rasa_port or os.environ.get("RASA_PORT", "5005")),
        str(action_port or os.environ.get("ACTION_PORT", "5055")),
    )


def rasa_command(settings: Settings, port: int | str) -> list[str]:
    """``rasa run`` with the trained model, our endpoints and channels, and the API off (see api_args)."""
    origins = dict.fromkeys(
        [f"http://{settings.web_host}:{settings.web_port}", f"http://localhost:{settings.web_port}"]
        + [settings.public_base_url]
    )
    return [
        str(BIN / "rasa"), "run", "--model", str(MODEL_PATH), "--endpoints", "endpoints.yml",
        "--credentials", "credentials.yml", "--port", str(port),
        "--interface", os.environ.get("RASA_INTERFACE", "127.0.0.1"),
        *(arg for origin in origins for arg in ("--cors", origin)),
        *api_args(),
    ]  # fmt: skip


def actions_command(port: int | str) -> list[str]:
    return [str(BIN / "python"), "-m", "actions.server", "--port", str(port)]


def web_command(settings: Settings, port: int | str | None = None) -> list[str]:
    """waitress with the web app. Behind TRUSTED_PROXIES proxies the app's ProxyFix reads
    X-Forwarded-For and -Proto; waitress would remove them first unless told not to."""
    proxied = ["--no-clear-untrusted-proxy-headers"] if settings.trusted_proxies else []
    return [
        str(BIN / "python"), "-m", "waitress", f"--host={settings.web_host}", f"--port={port or settings.web_port}",
        *proxied, "--call", "bot.web.app:from_env",
    ]  # fmt: skip


def services(settings: Settings, rasa_port: int | None = None, action_port: int | None = None) -> list[Service]:
    """The three children of serve, on RASA_PORT, ACTION_PORT and WEB_PORT unless given."""
    rasa, action = _ports(rasa_port, action_port)
    return [
        Service("actions", actions_command(action), f"http://127.0.0.1:{action}/health"),
        Service("rasa", rasa_command(settings, rasa), f"http://127.0.0.1:{rasa}/"),
        Service("web", web_command(settings), f"http://127.0.0.1:{settings.web_port}/healthz"),
    ]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status < 500
    except OSError:
        return False


def describe_exit(returncode: int) -> str:
    """``exit code 1`` or ``killed by SIGKILL``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass(frozen=True)
class RestartPolicy:
    """When a crashed child is started again, and when the supervisor gives up on it."""

    #: Seconds before the first restart; doubled for each crash in a row.
    first_delay: float = 1.0
    max_delay: float = 30.0
    #: Restarts in a row; the next crash ends serve.
    max_restarts: int = 5
    #: A child that ran this long before it crashed starts counting again from one.
    stable_after: float = 60.0

    def delay(self, crashes: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** (crashes - 1))


class Supervisor:
    """Starts the children, restarts a crashed one with backoff, stops them all."""

    def __init__(
        self,
        children: list[Service],
        env: Mapping[str, str],
        policy: RestartPolicy | None = None,
        cwd: Path = PROJECT_ROOT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = children
        self.env = dict(env)
        self.policy = policy or RestartPolicy()
        self.cwd = cwd
        self.clock = clock

    def start(self, child: Service) -> None:
        child.process = subprocess.Popen(child.cmd, cwd=self.cwd, env=self.env)
        child.started_at = self.clock()
        child.restart_at = None
        child.up = False

    def start_all(self) -> None:
        for child in self.children:
            print(f"[serve] starting {child.name}: {' '.join(child.cmd[:4])} ...", flush=True)
            self.start(child)

    def wait_until_up(self, timeout: float, stop: threading.Event) -> bool:
        """Wait until every child answers on its health URL; False (and why, printed) if one stops or is late."""
        started = self.clock()
        pending = list(self.children)
        while pending and not stop.is_set():
            for child in list(pending):
                if child.process.poll() is not None:
                    print(
                        f"[serve] {child.name} stopped during start-up ({describe_exit(child.process.returncode)}).",
                        file=sys.stderr,
                        flush=True,
                    )
                    return False
                if _up(child.health_url):
                    child.up = True
                    print(f"[serve] {child.name} is up ({child.health_url})", flush=True)
                    pending.remove(child)
            if pending and self.clock() - started > timeout:
                names = ", ".join(c.name for c in pending)
                print(f"[serve] {names} did not start within {timeout:.0f} s.", file=sys.stderr, flush=True)
                return False
            stop.wait(0.5)
        return not pending

    def check(self) -> str | None:
        """One round of supervision: note crashes, restart when due, see restarted children come up.

        Returns why serve gives up (a child crashed after its last allowed restart), else None.
        """
        now = self.clock()
        for child in self.children:
            if child.process is None:
                if child.restart_at is not None and now >= child.restart_at:
                    print(f"[serve] restarting {child.name} ...", flush=True)
                    self.start(child)
                continue
            returncode = child.process.poll()
            if returncode is None:
                if not child.up and _up(child.health_url):
                    child.up = True
                    print(f"[serve] {child.name} is up again ({child.health_url})", flush=True)
                continue
            ran = now - child.started_at
            if ran >= self.policy.stable_after:
                child.crashes = 0
            child.crashes += 1
            child.process = None
            how = f"{describe_exit(returncode)} after {ran:.0f} s"
            if child.crashes > self.policy.max_restarts:
                return (
                    f"[serve] {child.name} crashed {child.crashes} times in a row (last: {how}); giving up. "
                    f"Its output above says why; fix that and start `python -m bot serve` again."
                )
            delay = self.policy.delay(child.crashes)
            child.restart_at = now + delay
            others = [c.name for c in self.children if c is not child]
            print(
                f"[serve] {child.name} crashed ({how}); restarting it in {delay:g} s "
                f"(restart {child.crashes} of at most {self.policy.max_restarts} in a row); "
                f"{' and '.join(others)} {'keeps' if len(others) == 1 else 'keep'} running.",
                file=sys.stderr,
                flush=True,
            )
        return None

    def stop(self, timeout: float = 15.0) -> None:
        running = [c.process for c in self.children if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_mailbox(settings: Settings):
    """On the embedded default (no SMTP_HOST): the local SMTP server, and settings that send to it.

    Returns ``(settings, mailbox)``; ``mailbox`` is None when SMTP_HOST points at a real
    server. Raises SystemExit with what to do when the port is taken.
    """
    if settings.smtp_host:
        return settings, None
    from bot.mail import DEV_SMTP_HOST, DevMailbox

    mailbox = DevMailbox(settings.mail_dir, DEV_SMTP_HOST, settings.smtp_port)
    try:
        mailbox.start()
    except OSError as exc:
        raise SystemExit(
            f"[serve] cannot start the local mail server on {DEV_SMTP_HOST}:{settings.smtp_port} "
            f"({exc.strerror or type(exc).__name__}). Set SMTP_PORT to a free port, or SMTP_HOST to a real server."
        ) from None
    local = settings.with_changes(smtp_host=DEV_SMTP_HOST, smtp_tls="none", smtp_user="", smtp_password="")
    return local, mailbox


def migrate(settings: Settings) -> None:
    """Bring the application database up to date (once, however many processes start together; logged)."""
    from bot.storage.migrate import upgrade

    upgrade(settings.database_url)


def serve(settings: Settings, wait_timeout: float = 300.0) -> int:
    """Start all three services, print how to try them, and supervise them until Ctrl-C."""
    require_production_ready(settings, "serve")  # APP_ENV=production: refuse unsafe settings, one list
    if not MODEL_PATH.exists():
        print(f"No trained model at {MODEL_PATH}. Run `make run` (it trains) or `make train`.", file=sys.stderr)
        return 1
    migrate(settings)
    settings, mailbox = start_mailbox(settings)
    if mailbox is not None:
        print(
            f"[serve] local mail server on {mailbox.host}:{mailbox.port}: every mail lands as an .eml file "
            f"in {settings.mail_dir}",
            flush=True,
        )
    else:
        print(f"[serve] mail goes to {settings.smtp_host}:{settings.smtp_port} ({settings.smtp_tls})", flush=True)
    try:
        return _serve(settings, wait_timeout, local_mail=mailbox is not None)
    finally:
        if mailbox is not None:
            mailbox.stop()


def _stop_on_signals(stop: threading.Event) -> None:
    def on_signal(_signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def _serve(settings: Settings, wait_timeout: float, local_mail: bool) -> int:
    env = {**os.environ, **rasa_env(settings), "PYTHONUNBUFFERED": "1"}
    supervisor = Supervisor(services(settings), env)
    stop = threading.Event()
    _stop_on_signals(stop)
    supervisor.start_all()
    if not supervisor.wait_until_up(wait_timeout, stop):
        supervisor.stop()
        return 0 if stop.is_set() else 1

    from bot.backend import Backend
    from bot.demo import ensure_demo

    backend = Backend.from_settings(settings)
    print(ensure_demo(backend), flush=True)
    stop_scheduler = threading.Event()
    scheduler = None
    if settings.scheduler:
        from bot.scheduler import run_as_owner

        scheduler = threading.Thread(target=run_as_owner, args=(backend, stop_scheduler), name="scheduler")
        scheduler.start()
    if local_mail:
        print(f"[serve] mails land in {settings.mail_dir} (one .eml file each)", flush=True)
    print("[serve] all running. Press Ctrl-C to stop.", flush=True)
    exit_code = 0
    while not stop.wait(0.5):
        gave_up = supervisor.check()
        if gave_up:
            print(gave_up, file=sys.stderr, flush=True)
            exit_code = 1
            break
    print("[serve] stopping ...", flush=True)
    stop_scheduler.set()
    supervisor.stop()
    if scheduler is not None:
        scheduler.join(timeout=10)
    backend.database.dispose()
    return exit_code


def run_one(name: str, settings: Settings, port: int | None = None) -> int:
    """``python -m bot run NAME``: one service in the foreground, started as serve starts it.

    rasa, actions and web replace this process (``exec``), so a service manager sees and
    signals the server itself; the action server and the web app migrate the database at
    their start. The scheduler runs here until SIGTERM (bot/scheduler.py ``run_as_owner``).
    """
    if name not in RUNNABLE:
        raise ValueError(f"Unknown service {name!r}: choose one of {', '.join(RUNNABLE)}.")
    require_production_ready(settings, name)  # APP_ENV=production: this process's secrets, one list
    if name == "scheduler":
        return run_scheduler(settings)
    if name == "rasa" and not MODEL_PATH.exists():
        print(f"No trained model at {MODEL_PATH}: ship models/current.tar.gz (make train).", file=sys.stderr)
        return 1
    rasa, action = _ports(port, port)
    cmd = {
        "rasa": lambda: rasa_command(settings, rasa),
        "actions": lambda: actions_command(action),
        "web": lambda: web_command(settings, port),
    }[name]()
    os.chdir(PROJECT_ROOT)  # endpoints.yml and credentials.yml are found relative to it
    env = {**os.environ, **rasa_env(settings)} if name == "rasa" else dict(os.environ)
    os.execve(cmd[0], cmd, env)  # noqa: S606 - our own command line, no shell
    return 1  # not reached


def run_scheduler(settings: Settings) -> int:
    """The scheduler alone, until SIGINT or SIGTERM; it stands by while another process owns it."""
    from bot.backend import Backend
    from bot.scheduler import run_as_owner

    migrate(settings)
    backend = Backend.from_settings(settings)
    stop = threading.Event()
    _stop_on_signals(stop)
    try:
        run_as_owner(backend, stop)
    finally:
        backend.database.dispose()
    return 0
