"""The coordinator dashboard through Flask's test client: login security, access, pages, CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from bot.services.coordinators import create_coordinator
from bot.services.teams import create_team, get_team
from bot.services.weeks import this_week
from tests.test_signals import add_checkins, add_topics, uniform

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    team_a: object
    team_a2: object
    team_b: object


@pytest.fixture
def app(db):
    from bot.web.app import create_app

    app = create_app()
    app.config["TESTING"] = True
    return app


@pytest.fixture
def world(db) -> World:
    """School A (two teams; this week team 1 has only 4 respondents) and School B."""
    create_coordinator("School A", "a@example.org", PASSWORD)
    create_coordinator("School B", "b@example.org", PASSWORD)
    a = create_team("School A", "Team Noord", size=10)
    a2 = create_team("School A", "=Team Zuid", size=8)
    b = create_team("School B", "Team B", size=6)
    now = this_week()
    add_checkins(a.id, now, uniform(4, energie=2))
    add_checkins(a.id, now.previous(), uniform(6, energie=4))
    add_checkins(a2.id, now, uniform(7))
    add_checkins(a2.id, now.previous(), uniform(5))
    add_checkins(b.id, now, uniform(6))
    add_topics(a.id, now.previous(), {"werkdruk": 3})
    return World(a, a2, b)


def csrf_token(client, url: str = "/dashboard/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def login(client, email: str = "a@example.org", password: str = PASSWORD, **kwargs):
    token = csrf_token(client)
    return client.post("/dashboard/login", data={"csrf_token": token, "email": email, "password": password}, **kwargs)


def session_data(app, client) -> dict:
    cookie = client.get_cookie("session")
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_pages_need_a_login(app, world):
    client = app.test_client()
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.location.endswith("/dashboard/login?next=/dashboard/")
    assert client.get(f"/dashboard/team/{world.team_a.id}/export.csv").status_code == 302


def test_login_with_a_wrong_password_fails_in_dutch(app, world):
    client = app.test_client()
    response = login(client, password="wrong-password-123")
    assert response.status_code == 200
    assert "Inloggen lukte niet" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_login_starts_a_new_session_against_fixation(app, world):
    client = app.test_client()
    token = csrf_token(client)
    before = session_data(app, client)
    old_cookie = client.get_cookie("session").value
    assert before["sid"] and "coordinator_id" not in before
    response = client.post(
        f"/dashboard/login?next=/dashboard/team/{world.team_a.id}",
        data={"csrf_token": token, "email": "a@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location.endswith(f"/dashboard/team/{world.team_a.id}")
    after = session_data(app, client)
    assert after["sid"] != before["sid"]
    assert after.get("csrf_token") != before.get("csrf_token")
    assert after["coordinator_id"]
    # The cookie from before the login (what an attacker could have planted) is not logged in.
    other = app.test_client()
    other.set_cookie("session", old_cookie)
    assert other.get("/dashboard/").status_code == 302
    # Session cookie flags.
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_secure_cookie_setting(db, monkeypatch, world):
    from bot.settings import get_settings
    from bot.web.app import create_app

    monkeypatch.setenv("SECURE_COOKIES", "true")
    get_settings.cache_clear()
    app = create_app()
    client = app.test_client()
    page = client.get("/dashboard/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/dashboard/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/dashboard/login"},
        data={"csrf_token": token, "email": "a@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_open_redirects_after_login_are_refused(app, world):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/dashboard/login?next=//evil.example/dashboard",
        data={"csrf_token": token, "email": "a@example.org", "password": PASSWORD},
    )
    assert response.location.endswith("/dashboard/")


def test_posts_without_csrf_token_are_rejected(app, world):
    client = app.test_client()
    response = client.post("/dashboard/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulier verlopen" in response.get_data(as_text=True)
    login(client)
    code = get_team(world.team_a.id).code
    assert client.post(f"/dashboard/team/{world.team_a.id}/code").status_code == 400
    assert get_team(world.team_a.id).code == code
    assert client.post("/dashboard/teams", data={"name": "Nieuw"}).status_code == 400
    assert client.post("/dashboard/logout").status_code == 400
    assert client.post("/dashboard/teams", data={"name": "Nieuw", "csrf_token": "forged"}).status_code == 400


def test_login_is_rate_limited_per_ip(app, world):
    client = app.test_client()
    token = csrf_token(client)
    statuses = [
        client.post(
            "/dashboard/login", data={"csrf_token": token, "email": f"x{i}@example.org", "password": "wrong-password-1"}
        ).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    response = client.post(
        "/dashboard/login", data={"csrf_token": token, "email": "a@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429  # even the right password waits
    assert "Wacht een minuut" in response.get_data(as_text=True)
    # Another address is not affected.
    assert login(app.test_client(), environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


def test_login_is_rate_limited_per_email_address(app, world):
    statuses = []
    for i in range(6):
        client = app.test_client()
        token = csrf_token(client)
        statuses.append(
            client.post(
                "/dashboard/login",
                data={"csrf_token": token, "email": "A@example.org", "password": "wrong-password-1"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            ).status_code
        )
    assert statuses == [200] * 5 + [429]
    # Other accounts from a fresh address still work.
    assert login(app.test_client(), "b@example.org", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302


def test_with_redis_the_login_limit_is_shared_between_workers(db, world, monkeypatch):
    """Two app instances (two waitress processes in production) count attempts together."""
    import uuid

    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    from bot.settings import get_settings
    from bot.web.app import create_app

    monkeypatch.setenv("REDIS_URL", url)
    get_settings.cache_clear()
    workers = [create_app(), create_app()]
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    statuses = []
    for i in range(6):
        client = workers[i % 2].test_client()
        token = csrf_token(client)
        statuses.append(
            client.post(
                "/dashboard/login",
                environ_base=address,
                data={"csrf_token": token, "email": f"{uuid.uuid4().hex}@example.org", "password": "wrong-password-1"},
            ).status_code
        )
    assert statuses == [200] * 5 + [429]


def test_a_coordinator_never_sees_another_schools_team(app, world):
    client = app.test_client()
    login(client, "a@example.org")
    b = world.team_b.id
    assert client.get(f"/dashboard/team/{world.team_a.id}").status_code == 200
    for url in (
        f"/dashboard/team/{b}",
        f"/dashboard/team/{b}/export.csv",
        f"/dashboard/team/{b}/beheer",
        "/dashboard/team/999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Team B" not in response.get_data(as_text=True)
    token = csrf_token(client, f"/dashboard/team/{world.team_a.id}/beheer")
    code = get_team(b).code
    assert client.post(f"/dashboard/team/{b}/code", data={"csrf_token": token}).status_code == 404
    assert get_team(b).code == code
    overview = client.get("/dashboard/").get_data(as_text=True)
    assert "Team Noord" in overview and "Team B" not in overview
    assert "Team B" not in client.get("/dashboard/export.csv").get_data(as_text=True)


def test_team_page_shows_trends_suppression_signals_topics_and_next_steps(app, world):
    client = app.test_client()
    login(client)
    page = client.get(f"/dashboard/team/{world.team_a.id}").get_data(as_text=True)
    assert "Te weinig reacties om te tonen (minimaal 5)." in page  # this week: 4 respondents
    assert page.count('data-chart="dimension"') == 5 and 'data-chart="respondents"' in page
    assert '<script type="application/json" id="dashboard-data">' in page
    assert "De signalen hieronder gaan over week" in page
    assert "Werkdruk in het onderwijs" in page  # 3 questions in the shown week
    for heading in ("Groen: voor iedereen", "Geel: voor enkelen", "Rood: curatief"):
        assert heading in page
    assert page.index("Groen: voor iedereen") < page.index("Geel: voor enkelen") < page.index("Rood: curatief")
    # One table per chart, with a caption.
    assert page.count("<caption>") >= 6


def test_overview_hides_the_school_total_when_a_team_is_hidden(app, world):
    client = app.test_client()
    login(client)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Waarom is het schooltotaal verborgen?" in page
    assert "schooltotaal verborgen: anders kun je de cijfers van een team met te weinig reacties terugrekenen" in page
    last_week = this_week().previous().label()
    page = client.get(f"/dashboard/?week={last_week}").get_data(as_text=True)
    assert "Waarom is het schooltotaal verborgen?" not in page
    assert ">11<" in page  # 6 + 5 respondents in the school total


def test_team_csv_has_aggregates_only_and_marks_suppressed_cells(app, world):
    client = app.test_client()
    login(client)
    response = client.get(f"/dashboard/team/{world.team_a.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["week", "maandag", "groep", "soort", "onderdeel", "waarde", "n", "toelichting"]
    now = this_week().label()
    current = [r for r in rows if r[0] == now and r[3] == "reacties"]
    assert current == [
        [
            now,
            this_week().monday().isoformat(),
            "Team Noord",
            "reacties",
            "",
            "",
            "",
            "niet getoond: te weinig reacties om te tonen (minimaal 5)",
        ]
    ]
    previous = this_week().previous().label()
    means = {r[4]: r[5] for r in rows if r[0] == previous and r[3] == "gemiddelde"}
    assert means["Energie"] == "4,0"
    assert not [r for r in rows if r[0] == now and r[3] == "gemiddelde"]
    assert ["onderwerp", "Werkdruk in het onderwijs", "3"] in [r[3:6] for r in rows]
    assert not any("person" in cell or len(cell) == 64 for r in rows for cell in r)


def test_school_csv_escapes_formulas_and_hides_the_total(app, world):
    client = app.test_client()
    login(client)
    text = client.get("/dashboard/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert all(r[2] != "=Team Zuid" for r in rows) and any(r[2] == "'=Team Zuid" for r in rows)
    now = this_week().label()
    total = [r for r in rows if r[0] == now and r[2] == "hele school"]
    assert len(total) == 1 and total[0][5:7] == ["", ""] and "schooltotaal verborgen" in total[0][7]


def test_create_team_show_link_and_snippet_then_rotate_code(app, world, monkeypatch):
    client = app.test_client()
    login(client)
    token = csrf_token(client, "/dashboard/")
    response = client.post("/dashboard/teams", data={"csrf_token": token, "name": "Team Oost", "size": "9"})
    assert response.status_code == 302
    manage = client.get(response.location).get_data(as_text=True)
    team_id = int(re.search(r"/dashboard/team/(\d+)/code", manage).group(1))
    team = get_team(team_id)
    assert (team.name, team.size, team.school_name) == ("Team Oost", 9, "School A")
    assert f"http://localhost:8000/chat?team={team.code}" in manage
    assert (
        f"&lt;script src=&#34;http://localhost:8000/static/widget.js&#34; data-team-code=&#34;{team.code}&#34; "
        f"data-rasa-url=&#34;http://localhost:5005&#34; defer&gt;&lt;/script&gt;"
    ) in manage
    assert "Het team is aangemaakt" in manage
    response = client.post(f"/dashboard/team/{team_id}/code", data={"csrf_token": token})
    assert response.status_code == 302
    new_code = get_team(team_id).code
    assert new_code != team.code
    page = client.get(response.location).get_data(as_text=True)
    assert new_code in page and team.code not in page and "De oude code en link werken niet meer" in page
    # Same name again: refused with a Dutch message.
    response = client.post("/dashboard/teams", data={"csrf_token": token, "name": "team oost"})
    assert response.status_code == 400 and "Er is al een team met deze naam." in response.get_data(as_text=True)
    response = client.post(f"/dashboard/team/{team_id}/grootte", data={"csrf_token": token, "size": "0"})
    assert response.status_code == 400
    client.post(f"/dashboard/team/{team_id}/grootte", data={"csrf_token": token, "size": ""})
    assert get_team(team_id).size is None


def test_logout_ends_the_session(app, world):
    client = app.test_client()
    login(client)
    token = csrf_token(client, "/dashboard/")
    response = client.post("/dashboard/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Je bent uitgelogd" in client.get(response.location).get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302


def test_security_headers_and_no_inline_code(app, world):
    anonymous, client = app.test_client(), app.test_client()
    login(client)
    pages = [(anonymous, "/dashboard/login"), (anonymous, "/dashboard/privacy")] + [
        (client, url)
        for url in (
            "/dashboard/",
            f"/dashboard/team/{world.team_a.id}",
            f"/dashboard/team/{world.team_a.id}/beheer",
            "/dashboard/privacy",
            "/dashboard/fundament-scan",
        )
    ]
    for user, url in pages:
        response = user.get(url)
        assert response.status_code == 200, url
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page) if "application/json" not in s]
        assert inline == [], url
        assert " style=" not in page and "<style" not in page and " on" + "click=" not in page


# --------------------------------------------------------------------------- fundament-scan and feedback


def _scan_answers(**levels: int | None) -> dict:
    from bot.storage.models import SCAN_ITEMS

    return {item: levels.get(item, 1) for item in SCAN_ITEMS}


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def test_overview_without_a_scan_explains_it_and_links_to_the_scan_page(app, world):
    client = app.test_client()
    login(client)
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-scan")
    assert "12 korte vragen" in section
    assert 'href="/dashboard/fundament-scan"' in section and "Start de fundament-scan" in section
    assert "<table" not in section


def test_overview_shows_the_latest_scans_with_the_change(app, world):
    from bot.services.scan import save_scan

    school_a, school_b = world.team_a.school_id, world.team_b.school_id
    utc = timezone.utc
    save_scan(school_a, _scan_answers(inwerken=0, maatje=2, techniek=None), when=datetime(2026, 7, 3, 10, tzinfo=utc))
    save_scan(school_a, _scan_answers(inwerken=2, maatje=1, geel=None), when=datetime(2026, 11, 3, 23, 30, tzinfo=utc))
    save_scan(school_b, _scan_answers(visie=0), when=datetime(2026, 11, 10, tzinfo=utc))
    client = app.test_client()
    login(client)
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-scan")
    # Oldest first, Dutch dates (23:30 UTC is already 4 November in the Netherlands).
    assert section.index("3 juli 2026") < section.index("4 november 2026") < section.index("Verandering")
    assert "10 november 2026" not in section  # another school's scan
    rows = {
        re.sub(r"<[^>]+>|\s+", " ", m.group(1)).split()[0]: re.sub(r"<[^>]+>|[✓✗~↑↓=–]|\s+", " ", m.group(0))
        for m in re.finditer(r"<tr>\s*<th scope=\"row\">(.*?)</th>.*?</tr>", section, re.S)
    }
    assert len(rows) == 12
    squash = {k: " ".join(v.split()) for k, v in rows.items()}
    assert squash["Inwerken"] == "Inwerken (onboarding) ontbreekt staat goed beter"
    assert squash["Maatje"] == "Maatje of opleider in school staat goed kan beter minder"
    assert squash["Visie"] == "Visie van de school kan beter kan beter gelijk"
    assert squash["Ondersteunende"] == "Ondersteunende techniek geen antwoord kan beter niet te vergelijken"
    assert squash["Geel:"] == "Geel: extra voor sommigen kan beter geen antwoord niet te vergelijken"
    # Never colour alone: every level has its word and an icon; the change has an arrow.
    assert 'class="scan-level scan-level-0"><span class="scan-icon" aria-hidden="true">✗</span> ontbreekt' in section
    assert '<span aria-hidden="true">↑</span> beter' in section
    assert "Start een nieuwe fundament-scan" in section


def test_scan_table_shows_at_most_three_scans(app, world):
    from bot.services.scan import save_scan

    school = world.team_a.school_id
    for month in (1, 3, 5, 7):
        save_scan(school, _scan_answers(), when=datetime(2026, month, 15, 12, tzinfo=timezone.utc))
    client = app.test_client()
    login(client)
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-scan")
    assert "15 januari 2026" not in section
    assert all(f"15 {m} 2026" in section for m in ("maart", "mei", "juli"))


def test_scan_page_needs_a_login_and_carries_a_token_for_the_own_school_only_in_the_page(app, world):
    from bot.services.scan import read_scan_token
    from bot.settings import get_settings

    anonymous = app.test_client()
    response = anonymous.get("/dashboard/fundament-scan")
    assert response.status_code == 302 and "/dashboard/login" in response.location
    client = app.test_client()
    login(client, "b@example.org")
    response = client.get("/dashboard/fundament-scan")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    token = re.search(r'data-scan-token="([^"]+)"', page).group(1)
    secret = get_settings().web_secret_key
    assert read_scan_token(token, secret=secret) == world.team_b.school_id
    assert read_scan_token(token, secret="another-secret") is None
    # Only in the data attribute: not in any link, form action or script URL.
    assert page.count(token) == 1
    urls = re.findall(r'(?:href|src|action)="([^"]*)"', page)
    assert urls and not any(token in u for u in urls)
    assert 'data-start="scan"' in page and "widget.js" in page
    for words in ("staat goed", "kan beter", "ontbreekt", "12 korte vragen", "voor de school, niet voor jou"):
        assert words in page
    # The CSP lets the widget reach Rasa from this page.
    rasa = get_settings().rasa_url
    assert f"connect-src 'self' {rasa} {rasa.replace('http', 'ws', 1)};" in response.headers["Content-Security-Policy"]


def _add_feedback(team_code: str, topic: str, up: int, down: int, week) -> None:
    from bot.services.feedback import record

    for helpful in [True] * up + [False] * down:
        assert record(team_code, topic, helpful, week=week)


def test_overview_shows_answer_feedback_and_hides_small_groups(app, world):
    client = app.test_client()
    login(client)
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-feedback")
    assert "Nog geen reacties" in section and "<table" not in section

    now = this_week()
    _add_feedback(world.team_a.code, "werkdruk", 3, 1, now)
    _add_feedback(world.team_a2.code, "werkdruk", 2, 0, now.previous(3))  # same school: counts add up
    _add_feedback(world.team_a.code, "amplitie", 1, 4, now.previous())
    _add_feedback(world.team_a.code, "uitval", 2, 1, now)  # 3 reactions: hidden
    _add_feedback(world.team_a.code, "piramide", 5, 5, now.previous(8))  # too long ago
    _add_feedback(world.team_b.code, "uitval", 9, 0, now)  # another school
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-feedback")
    cells = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)]
    assert cells[1:] == ["Wat is amplitie? 1 4 20%", "Werkdruk in het onderwijs 5 1 83%"]  # least helpful first
    assert "1 onderwerp met minder dan 5 reacties tonen we niet" in " ".join(section.split())
    assert "week " + str(now.previous(7).week) in section


def test_demo_school_shows_two_scans_and_feedback_and_a_refresh_does_not_add_more(db):
    import json

    from bot.demo import DEMO_SCHOOL, ensure_demo, refresh_demo_data
    from bot.services.feedback import school_feedback
    from bot.services.scan import school_scans
    from bot.services.teams import find_school_id
    from bot.settings import get_settings
    from bot.web.app import create_app

    settings = get_settings()
    ensure_demo(settings)
    school = find_school_id(DEMO_SCHOOL)
    scans = school_scans(school)
    assert len(scans) == 2
    assert 100 <= (scans[0].created_at - scans[1].created_at).days <= 120  # about four months apart
    assert scans[0].answers["inwerken"] > scans[1].answers["inwerken"]  # some progress
    fb = school_feedback(school)
    assert len(fb.shown) == 3 and fb.hidden_topics == 3

    demo = json.loads((settings.var_dir / "demo.json").read_text())
    app = create_app()
    client = app.test_client()
    login(client, demo["email"], demo["password"])
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Verandering" in _section(page, "h-scan")
    assert "Werkdruk in het onderwijs" in _section(page, "h-feedback")

    assert refresh_demo_data() is False
    assert refresh_demo_data(until=this_week().previous(-10)) is True
    assert len(school_scans(school, limit=10)) == 2
    assert sum(t.total for t in school_feedback(school, until=this_week().previous(-10)).shown) == sum(
        t.total for t in fb.shown
    )
