"""Servers and browsers for the widget tests.

Started once per test session, on free ports, and stopped at the end:

* ``stack``: the real thing. A migrated SQLite database with one team, the action server
  (``python -m actions.server``, as ``make run``), Rasa (``rasa run`` with models/current.tar.gz and the env of
  ``bot.serve.rasa_env``) and the web app (``create_app`` in a waitress thread).
* ``fake_rasa``: a tiny Socket.IO server speaking Rasa's protocol, for what a real bot
  never does: send HTML in its answers, or not answer at all. What it received is in
  ``fake_rasa_received``.
* ``web_for(rasa_url)``: the web app pointed at any Rasa URL (the CSP follows it).

Every server gets its settings handed in (``browser_settings``; nothing is read from a
global), so the other tests of the same pytest run are not affected.

Chromium is Debian's (``make browser``); Playwright cannot download browsers here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.backend import Backend
from bot.serve import MODEL_PATH, rasa_env
from bot.settings import PROJECT_ROOT, Settings

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 240  # Rasa loads TensorFlow and the model: ~20 s here, more on a busy CI runner


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http_ok(url: str, data: bytes | None = None) -> bool:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


class Service:
    """A background process with its output in a log file."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        # Own process group, so teardown also stops anything it started.
        self.process = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_until(self, ready: Callable[[], bool], timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not start within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


class WebServer:
    """``create_app(settings)`` served by waitress in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        from waitress import create_server

        from bot.web.app import create_app

        self.app = create_app(settings)
        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)
        self.app.config["WELBEVINDEN_BACKEND"].database.dispose()


@dataclass(frozen=True)
class Stack:
    web_url: str
    rasa_url: str
    team_code: str
    settings: Settings

    def chat_url(self, team: str | None = None) -> str:
        return f"{self.web_url}/chat?team={team or self.team_code}"

    def member_token(self) -> str:
        """A new roster member of the team; returns the token of their personal link."""
        from bot.backend import Backend
        from bot.services.teams import find_team
        from tests.members import add_member

        backend = Backend.from_settings(self.settings)
        try:
            team = find_team(backend.uow(), self.team_code)
            return add_member(backend, team.id, f"browser-{uuid.uuid4().hex[:8]}").token
        finally:
            backend.database.dispose()

    def member_url(self) -> str:
        """The page behind a new member's personal link (opens the check-in)."""
        return f"{self.web_url}/c/{self.member_token()}"

    def as_member(self, page, origin: str | None = None) -> None:
        """This browser opened a personal link before: the widget keeps its token (localStorage)."""
        page.goto(f"{origin or self.web_url}/healthz" if origin is None else origin)
        page.evaluate("token => localStorage.setItem('welbevinden.member', token)", self.member_token())


@pytest.fixture(scope="session")
def browser_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the test servers: own var/ dir, database, tracker store and ports.

    The environment is changed only while the settings are read, so other tests in the
    same pytest run do not see these values."""
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = {
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'welbevinden.db'}",
        "TRACKER_DB_URL": f"sqlite:///{var_dir / 'tracker.db'}",
        "PSEUDONYM_SECRET": "browser-test-pseudonym-secret",
        "WEB_SECRET_KEY": "browser-test-web-secret",
        "ACTION_SERVER_TOKEN": "browser-test-action-token",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}/webhook",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "DEMO_DATA": "false",
        "REDIS_URL": "",
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        settings = Settings.from_env()
    return settings


@pytest.fixture(scope="session")
def browser_backend(browser_settings: Settings) -> Iterator[Backend]:
    """The test servers' database, migrated (``bot.storage.migrate.upgrade``)."""
    from bot.storage.migrate import upgrade

    upgrade(browser_settings.database_url)
    backend = Backend.from_settings(browser_settings)
    yield backend
    backend.database.dispose()


@pytest.fixture(scope="session")
def team_code(browser_backend: Backend) -> str:
    """The code of the one team in the test servers' database."""
    from bot.services.teams import create_team

    return create_team(browser_backend.uow(), "Basisschool De Vlinderboom", "Onderbouw", size=12).code


@pytest.fixture(scope="session")
def web_for(browser_settings: Settings) -> Iterator[Callable[[str], str]]:
    """Start (once per URL) the web app for a given Rasa URL; returns the app's base URL."""
    servers: dict[str, WebServer] = {}

    def start(rasa_url: str) -> str:
        if rasa_url not in servers:
            servers[rasa_url] = WebServer(browser_settings.with_changes(rasa_url=rasa_url))
        return servers[rasa_url].url

    yield start
    for server in servers.values():
        server.close()


@pytest.fixture(scope="session")
def stack(browser_settings: Settings, team_code: str, web_for) -> Iterator[Stack]:
    """Action server + Rasa + web app, as `make run` starts them, on free ports."""
    if not MODEL_PATH.exists():
        pytest.skip(f"No trained model at {MODEL_PATH}: run `make train` first.")
    settings = browser_settings
    env = {
        **os.environ,
        **rasa_env(settings),
        "VAR_DIR": str(settings.var_dir),
        "DATABASE_URL": settings.database_url,
        "PSEUDONYM_SECRET": settings.pseudonym_secret,
        "WEB_SECRET_KEY": settings.web_secret_key,
        "SCAN_TOKEN_SECRET": settings.scan_token_secret,
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONHASHSEED": "0",
    }
    action_port = settings.action_server_url.rsplit(":", 1)[1].split("/")[0]
    rasa_port = settings.rasa_url.rsplit(":", 1)[1]
    log_dir = settings.var_dir
    # The hardened rasa_sdk action server, started as bot.serve starts it.
    actions = Service("actions", [str(BIN / "python"), "-m", "actions.server", "--port", action_port], env, log_dir)
    rasa = Service(
        "rasa",
        [
            str(BIN / "rasa"), "run", "--model", str(MODEL_PATH), "--endpoints", "endpoints.yml",
            "--credentials", "credentials.yml", "--port", rasa_port, "--interface", "127.0.0.1", "--cors", "*",
        ],
        env,
        log_dir,
    )  # fmt: skip
    try:
        actions.wait_until(lambda: _http_ok(f"http://127.0.0.1:{action_port}/health"))
        # The REST channel answers once the model is loaded; the first answers also warm up
        # TensorFlow and the action server, so the widget's 10-second limit holds in the tests.
        for message in ("hallo", "wat is amplitie?", "ik wil inchecken"):
            body = f'{{"sender": "warmup-{uuid.uuid4().hex}", "message": "{message}"}}'.encode()
            rasa.wait_until(lambda body=body: _http_ok(f"{settings.rasa_url}/webhooks/rest/webhook", body))
        yield Stack(web_for(settings.rasa_url), settings.rasa_url, team_code, settings)
    finally:
        rasa.stop()
        actions.stop()


@pytest.fixture(scope="session")
def fake_rasa_received() -> list[dict]:
    """Every ``user_uttered`` payload the fake Rasa received (all tests of the session)."""
    return []


@pytest.fixture
def coordinator_login(browser_backend: Backend, team_code: str) -> tuple[str, str]:
    """(e-mail, password) of a coordinator of the school of ``team_code``, in the database
    the test servers (``web_for``, ``stack``) use."""
    from bot.services.coordinators import authenticate, create_coordinator

    email, password = "coordinator@example.org", "browser-test-password"
    if authenticate(browser_backend.uow(), email, password) is None:
        create_coordinator(browser_backend.uow(), "Basisschool De Vlinderboom", email, password)
    return email, password


@pytest.fixture(scope="session")
def fake_rasa(fake_rasa_received: list[dict]) -> Iterator[str]:
    """A Socket.IO server with Rasa's events. It greets with hostile markdown and HTML,
    stays silent on "stil", and otherwise answers "Ontvangen."."""
    import socketio
    from werkzeug.serving import make_server

    sio = socketio.Server(async_mode="threading", cors_allowed_origins="*", transports=["polling"])

    @sio.on("session_request")
    def session_request(sid, data):
        session_id = (data or {}).get("session_id") or uuid.uuid4().hex
        sio.enter_room(sid, session_id)
        sio.emit("session_confirm", session_id, to=sid)

    @sio.on("user_uttered")
    def user_uttered(sid, data):
        fake_rasa_received.append(data)
        text = data.get("message", "")
        if text == "/greet":
            sio.emit("bot_uttered", {"text": HOSTILE_BOT_TEXT}, to=sid)
            sio.emit(
                "bot_uttered",
                {
                    "text": "Kies maar.",
                    "quick_replies": [{"title": "<b>Vet</b> <img src=x onerror=alert(3)>", "payload": "/greet"}],
                },
                to=sid,
            )
        elif text != "stil":
            sio.emit("bot_uttered", {"text": f"Ontvangen, team {data.get('customData', {}).get('team_code')}."}, to=sid)

    server = make_server("127.0.0.1", 0, socketio.WSGIApp(sio), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="fake-rasa", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def unreachable_rasa_url() -> str:
    """A Rasa URL on a port where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


class IntranetSite:
    """Another origin (localhost instead of 127.0.0.1) serving pages given by the tests.

    A real server, not page.route: Chrome blocks pages it cannot place in the local
    network from loading scripts from loopback addresses (Private Network Access)."""

    def __init__(self) -> None:
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Response

        self.pages: dict[str, str] = {}

        def app(environ, start_response):
            html = self.pages.get(environ.get("PATH_INFO", ""))
            response = Response(html or "not found", status=200 if html else 404, content_type="text/html")
            return response(environ, start_response)

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, name="intranet", daemon=True).start()

    def page(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url + path


@pytest.fixture(scope="session")
def intranet() -> Iterator[IntranetSite]:
    site = IntranetSite()
    yield site
    site.server.shutdown()


HOSTILE_BOT_TEXT = (
    "**Vet** en *schuin*. <img src=x onerror=alert(1)> <script>alert(2)</script> "
    '<svg onload=alert(4)></svg> <iframe src="javascript:alert(5)"></iframe> '
    "[gevaarlijk](javascript:alert(6)) en [veilig](https://www.example.org/)."
)


# Module scope, not session: Playwright's sync API keeps an event loop running while it is
# open, and pytest-asyncio cannot run the async tests of later modules inside it.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What went wrong in a page: JavaScript errors, dialogs (alert) and CSP violations."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., tuple]]:
    """``new_page(width=1280, height=800)`` -> (page, problems), in a fresh context
    (own localStorage, so a fresh Rasa session)."""
    contexts = []

    def make(width: int = 1280, height: int = 800, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL", **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems = PageProblems()
        page.on("pageerror", lambda exc: problems.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and problems.console_errors.append(msg.text))

        def on_dialog(dialog):
            problems.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page, problems

    yield make
    for context in contexts:
        context.close()
