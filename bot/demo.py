"""Demo data created on first start (DEMO_DATA=true, the default; set false in production)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.settings import Settings
from bot.storage.db import transaction
from bot.storage.models import Team

DEMO_SCHOOL = "Demoschool De Regenboog (DEMO)"
DEMO_TEAM = "Demoteam bovenbouw (DEMO)"
DEMO_EMAIL = "demo-coordinator@example.org"


def ensure_demo(settings: Settings) -> str:
    """On an empty database, create a clearly marked demo team and coordinator.

    Returns the text to print: how to try everything, or why nothing was created.
    """
    if not settings.demo_data:
        return "[demo] DEMO_DATA is off: no demo data. Create a team with `python -m bot team create`."
    info_file = settings.var_dir / "demo.json"
    with transaction() as session:
        teams = session.execute(select(func.count()).select_from(Team)).scalar_one()
    if teams == 0:
        from bot.services.coordinators import create_coordinator, generate_password
        from bot.services.teams import create_team

        team = create_team(DEMO_SCHOOL, DEMO_TEAM, size=12, is_demo=True)
        password = generate_password()
        create_coordinator(DEMO_SCHOOL, DEMO_EMAIL, password, is_demo=True)
        info_file.write_text(json.dumps({"team_code": team.code, "email": DEMO_EMAIL, "password": password}))
        info_file.chmod(0o600)
    if not info_file.exists():
        return "[demo] the database already has teams; no demo data created."
    demo = json.loads(info_file.read_text())
    base = f"http://localhost:{settings.web_port}"
    return (
        "\n=== Try it (DEMO DATA, marked as such; turn off with DEMO_DATA=false) ===\n"
        f"  Chat as a teacher:   {base}/chat?team={demo['team_code']}\n"
        f"  Coordinator login:   {base}/dashboard  e-mail {demo['email']}  password {demo['password']}\n"
        f"  REST:  curl -s localhost:5005/webhooks/rest/webhook -d '{{\"sender\":\"a\",\"message\":\"hoi\"}}'\n"
    )
