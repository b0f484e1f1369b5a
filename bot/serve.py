"""``python -m bot serve``: run the action server, Rasa and the web app in one foreground command.

Ctrl-C (or SIGTERM) stops all three. If one of them dies, the others are stopped too and
the exit code says so: a half-running assistant is worse than a stopped one.

In this process also run the scheduler (``SCHEDULER``, default on: weekly mails, the
release of ended weeks, retention; bot/scheduler.py) and, when no SMTP_HOST is set, a local
SMTP server on 127.0.0.1:SMTP_PORT that writes every mail as an ``.eml`` file under
``var/mail/`` (bot/mail.py), so the embedded default sends real mail without a mail server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, Settings

MODEL_PATH = PROJECT_ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent


@dataclass
class Service:
    name: str
    cmd: list[str]
    health_url: str
    process: subprocess.Popen | None = None


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


def services(settings: Settings) -> list[Service]:
    rasa_port = os.environ.get("RASA_PORT", "5005")
    action_port = os.environ.get("ACTION_PORT", "5055")
    interface = os.environ.get("RASA_INTERFACE", "127.0.0.1")
    return [
        Service(
            "actions",
            [str(BIN / "python"), "-m", "actions.server", "--port", action_port],
            f"http://127.0.0.1:{action_port}/health",
        ),
        Service(
            "rasa",
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(MODEL_PATH),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--port",
                rasa_port,
                "--interface",
                interface,
                "--cors",
                f"http://{settings.web_host}:{settings.web_port}",
                "--cors",
                f"http://localhost:{settings.web_port}",
                *api_args(),
            ],
            f"http://127.0.0.1:{rasa_port}/",
        ),
        Service(
            "web",
            [
                str(BIN / "python"),
                "-m",
                "waitress",
                f"--host={settings.web_host}",
                f"--port={settings.web_port}",
                "--call",
                "bot.web.app:from_env",
            ],
            f"http://127.0.0.1:{settings.web_port}/healthz",
        ),
    ]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status < 500
    except OSError:
        return False


def _stop(running: list[Service]) -> None:
    for service in running:
        if service.process and service.process.poll() is None:
            service.process.terminate()
    deadline = time.monotonic() + 15
    for service in running:
        if service.process:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.process.kill()


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


def serve(settings: Settings, wait_timeout: float = 300.0) -> int:
    """Start all three services, print how to try them, and wait until Ctrl-C."""
    if not MODEL_PATH.exists():
        print(f"No trained model at {MODEL_PATH}. Run `make run` (it trains) or `make train`.", file=sys.stderr)
        return 1
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


def _serve(settings: Settings, wait_timeout: float, local_mail: bool) -> int:
    env = {**os.environ, **rasa_env(settings), "PYTHONUNBUFFERED": "1"}
    running = services(settings)
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for service in running:
        print(f"[serve] starting {service.name}: {' '.join(service.cmd[:4])} ...", flush=True)
        service.process = subprocess.Popen(service.cmd, cwd=PROJECT_ROOT, env=env)

    started = time.monotonic()
    pending = list(running)
    while pending and not stopping:
        for service in list(pending):
            if service.process.poll() is not None:
                print(
                    f"[serve] {service.name} stopped during start-up (exit {service.process.returncode}).",
                    file=sys.stderr,
                )
                _stop(running)
                return 1
            if _up(service.health_url):
                print(f"[serve] {service.name} is up ({service.health_url})", flush=True)
                pending.remove(service)
        if time.monotonic() - started > wait_timeout:
            print(
                f"[serve] {', '.join(s.name for s in pending)} did not start within {wait_timeout:.0f} s.",
                file=sys.stderr,
            )
            _stop(running)
            return 1
        time.sleep(0.5)

    scheduler = None
    if not stopping:
        from bot.backend import Backend
        from bot.demo import ensure_demo

        backend = Backend.from_settings(settings)
        print(ensure_demo(backend), flush=True)
        if settings.scheduler:
            from bot.scheduler import start_scheduler

            scheduler = start_scheduler(backend)
            print(
                "[serve] scheduler running: weekly invitations and reminders, release of ended weeks, retention",
                flush=True,
            )
        if local_mail:
            print(f"[serve] mails land in {settings.mail_dir} (one .eml file each)", flush=True)
        print("[serve] all running. Press Ctrl-C to stop.", flush=True)
    exit_code = 0
    while not stopping:
        for service in running:
            if service.process.poll() is not None:
                print(
                    f"[serve] {service.name} exited ({service.process.returncode}); stopping the others.",
                    file=sys.stderr,
                )
                stopping, exit_code = True, 1
        time.sleep(0.5)
    print("[serve] stopping ...", flush=True)
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    _stop(running)
    return exit_code
