"""Screenshots of the coordinator dashboard with the demo data, for docs/screenshots/.

    .venv/bin/python scripts/dashboard_screenshots.py [--out DIR]

Uses a throw-away database with the demo school (``bot.demo.ensure_demo``), serves the web
app with waitress in a thread and drives Debian's chromium through Playwright. Writes
dashboard-team.png (1280x900), dashboard-mobile.png (360 px wide) and, for review,
dashboard-team-full.png (the whole team page). The tests never write into docs/: this
script (and scripts/widget_screenshots.py) are the only makers of these files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the PNG files go (default {OUT})")
    out: Path = parser.parse_args(argv).out
    var_dir = Path(tempfile.mkdtemp(prefix="dashboard-shots-"))
    # This script is an entry point: its settings come from this environment, read once.
    os.environ.update(VAR_DIR=str(var_dir), DATABASE_URL=f"sqlite:///{var_dir / 'demo.db'}", DEMO_DATA="true")
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from waitress import create_server

    from bot.backend import Backend
    from bot.demo import DEMO_SCHOOL, DEMO_TEAM, ensure_demo
    from bot.services.teams import find_school_id, list_teams
    from bot.settings import Settings
    from bot.storage.migrate import upgrade
    from bot.web.app import create_app

    settings = Settings.from_env()
    upgrade(settings.database_url)
    backend = Backend.from_settings(settings)
    ensure_demo(backend)
    demo = json.loads((settings.var_dir / "demo.json").read_text())
    school_id = find_school_id(backend.uow(), DEMO_SCHOOL)
    team = next(t for t in list_teams(backend.uow(), school_id) if t.name == DEMO_TEAM)
    server = create_server(create_app(settings, backend), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width, height, name in ((1280, 900, "dashboard-team"), (360, 780, "dashboard-mobile")):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="nl-NL", reduced_motion="reduce"
                )
                page = context.new_page()
                page.goto(f"{base}/dashboard/login")
                page.get_by_label("E-mailadres").fill(demo["email"])
                page.get_by_label("Wachtwoord").fill(demo["password"])
                page.get_by_role("button", name="Inloggen").click()
                page.wait_for_url(f"{base}/dashboard/")
                page.goto(f"{base}/dashboard/team/{team.id}")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('canvas[data-chart]')]"
                    ".every(c => window.Chart && Chart.getChart(c))"
                )
                page.screenshot(path=str(out / f"{name}.png"))
                if width > 1000:
                    page.screenshot(path=str(out / f"{name}-full.png"), full_page=True)
                print(f"[screenshots] {out / name}.png")
                context.close()
            browser.close()
    finally:
        server.close()
        thread.join(timeout=5)
        backend.database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
