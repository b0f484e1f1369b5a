"""Screenshots of the chat widget with the real assistant, for docs/screenshots/.

    .venv/bin/python scripts/widget_screenshots.py [--out DIR]

Needs the trained model (models/current.tar.gz, ``make train``) and Debian's chromium
(``make browser``). Starts the action server, Rasa and the web app on free ports with a
throw-away var/ directory and database (one team), asks "wat is amplitie?" and writes:

* widget-desktop.png (1280x800) and widget-mobile.png (360x740): the chat page;
* widget-embed.png: the embed snippet on an intranet page of another origin, opened, at
  the start of a check-in.

The browser tests check the same pages but never write into docs/.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 240
ANSWER_TIMEOUT_MS = 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str, data: bytes | None = None) -> bool:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except OSError:
        return False


def wait_until(name: str, process: subprocess.Popen, ready, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}; see {log}")
        if ready():
            return
        time.sleep(0.5)
    raise SystemExit(f"{name} did not start within {START_TIMEOUT_S} s; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def wait_until_answered(page) -> None:
    """No typing dots, and no new bot message for a moment (Rasa sends a reply in parts)."""
    from playwright.sync_api import expect

    expect(page.locator(".wb-typing")).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    count = -1
    while count != page.locator(".wb-msg--bot").count():
        count = page.locator(".wb-msg--bot").count()
        page.wait_for_timeout(700)


def open_chat(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator(".wb-msg--bot").first).to_contain_text("Welbevinden-assistent", timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)


def say(page, text: str) -> None:
    from playwright.sync_api import expect

    before = page.locator(".wb-msg--bot").count()
    box = page.get_by_role("textbox", name="Je bericht")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".wb-msg--bot")).not_to_have_count(before, timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)


def intranet(pages: dict[str, str]):
    """A page server on another origin (localhost, not 127.0.0.1), like a school intranet."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    def app(environ, start_response):
        html = pages.get(environ.get("PATH_INFO", ""))
        response = Response(html or "not found", status=200 if html else 404, content_type="text/html")
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="intranet", daemon=True).start()
    return server, f"http://localhost:{server.server_port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the PNG files go (default {OUT})")
    out: Path = parser.parse_args(argv).out
    sys.path.insert(0, str(ROOT))
    from bot.serve import MODEL_PATH, rasa_env

    if not MODEL_PATH.exists():
        print(f"No trained model at {MODEL_PATH}: run `make train` first.", file=sys.stderr)
        return 1
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium).", file=sys.stderr)
        return 1

    var_dir = Path(tempfile.mkdtemp(prefix="widget-shots-"))
    action_port, rasa_port = free_port(), free_port()
    # This script is an entry point: its settings come from this environment, read once. The
    # servers it starts get the same environment (and the same var/secrets.json).
    os.environ.update(
        VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'welbevinden.db'}",
        TRACKER_DB_URL=f"sqlite:///{var_dir / 'tracker.db'}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook",
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
        DEMO_DATA="false",
        REDIS_URL="",
    )
    from jinja2 import Environment, FileSystemLoader
    from playwright.sync_api import expect, sync_playwright
    from waitress import create_server

    from bot.backend import Backend
    from bot.services.teams import create_team
    from bot.settings import Settings
    from bot.storage.migrate import upgrade
    from bot.web.app import create_app

    settings = Settings.from_env()
    upgrade(settings.database_url)
    backend = Backend.from_settings(settings)
    team_code = create_team(backend.uow(), "Basisschool De Vlinderboom", "Onderbouw", size=12).code
    env = {
        **os.environ,
        **rasa_env(settings),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONHASHSEED": "0",
    }
    processes: list[subprocess.Popen] = []

    def start(name: str, cmd: list[str]) -> tuple[subprocess.Popen, Path]:
        log = var_dir / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        processes.append(process)
        return process, log

    web = None
    site = None
    try:
        print("[screenshots] starting the action server and Rasa (Rasa takes a while to load) ...", flush=True)
        actions, actions_log = start(
            "actions", [str(BIN / "python"), "-m", "actions.server", "--port", str(action_port)]
        )
        rasa, rasa_log = start(
            "rasa",
            [
                str(BIN / "rasa"), "run", "--model", str(MODEL_PATH), "--endpoints", "endpoints.yml",
                "--credentials", "credentials.yml", "--port", str(rasa_port), "--interface", "127.0.0.1",
                "--cors", "*",
            ],
        )  # fmt: skip
        wait_until("actions", actions, lambda: http_ok(f"http://127.0.0.1:{action_port}/health"), actions_log)
        for message in ("hallo", "wat is amplitie?", "ik wil inchecken"):  # warm up TensorFlow and the actions
            body = f'{{"sender": "warmup-{uuid.uuid4().hex}", "message": "{message}"}}'.encode()
            wait_until("rasa", rasa, lambda b=body: http_ok(f"{settings.rasa_url}/webhooks/rest/webhook", b), rasa_log)

        web = create_server(create_app(settings, backend), host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=web.run, name="waitress", daemon=True).start()
        web_url = f"http://127.0.0.1:{web.effective_port}"
        html = (
            Environment(loader=FileSystemLoader(ROOT / "bot" / "web" / "templates"), autoescape=True)
            .get_template("embed-example.html")
            .render(widget_url=f"{web_url}/static/widget.js", rasa_url=settings.rasa_url, team_code=team_code)
        )
        site, site_url = intranet({"/intranet/": html})
        out.mkdir(parents=True, exist_ok=True)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, width, height in (("widget-desktop", 1280, 800), ("widget-mobile", 360, 740)):
                context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
                page = context.new_page()
                open_chat(page, f"{web_url}/chat?team={team_code}")
                say(page, "wat is amplitie?")
                page.locator(".wb-input").blur()
                page.screenshot(path=str(out / f"{name}.png"))
                print(f"[screenshots] {out / name}.png", flush=True)
                context.close()

            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
            page = context.new_page()
            page.add_init_script("delete Crypto.prototype.randomUUID")  # plain-http intranet: no randomUUID
            page.goto(f"{site_url}/intranet/")
            page.get_by_role("button", name="Welbevinden-assistent").click()
            expect(page.locator(".wb-msg--bot").first).to_contain_text(
                "Welbevinden-assistent", timeout=ANSWER_TIMEOUT_MS
            )
            wait_until_answered(page)
            before = page.locator(".wb-msg--bot").count()
            page.locator("button.wb-choice:enabled").filter(
                has_text=re.compile(r"^Inchecken \(1 minuut\)$")
            ).last.click()
            expect(page.locator(".wb-msg--bot")).not_to_have_count(before, timeout=ANSWER_TIMEOUT_MS)
            wait_until_answered(page)
            expect(page.get_by_role("log")).to_contain_text("Doe je mee?")
            page.screenshot(path=str(out / "widget-embed.png"))
            print(f"[screenshots] {out / 'widget-embed.png'}", flush=True)
            context.close()
            browser.close()
    finally:
        if site is not None:
            site.shutdown()
        if web is not None:
            web.close()
        for process in reversed(processes):
            stop(process)
        backend.database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
