"""The coordinator dashboard through Flask's test client: login security, access, pages, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from flask import Flask

from bot.backend import Backend
from bot.services import signals
from bot.services.coordinators import create_coordinator
from bot.services.release import last_ended_week
from bot.services.signals import nl_number
from bot.services.teams import create_team, get_team
from bot.settings import Settings
from bot.vocabulary import SCAN_ITEMS, IsoWeek
from bot.web.app import create_app
from tests.test_signals import add_checkins, add_topics, uniform

PASSWORD = "correct-horse-battery"


def latest_week() -> IsoWeek:
    """The newest week the dashboard shows: the last closed (released) one."""
    return last_ended_week(date.today())


@dataclass
class World:
    team_a: object
    team_a2: object
    team_b: object


@pytest.fixture
def app(backend: Backend) -> Flask:
    """The web app of this test's settings, on the test's migrated database."""
    app = create_app(backend.settings, backend)
    app.config["TESTING"] = True
    return app


def disposed(*apps: Flask) -> None:
    """Close the database engines of apps that built their own backend."""
    for app in apps:
        app.config["WELBEVINDEN_BACKEND"].database.dispose()


@pytest.fixture
def world(backend: Backend) -> World:
    """School A (two teams; this week team 1 has only 4 respondents) and School B."""
    create_coordinator(backend.uow(), "School A", "a@example.org", PASSWORD)
    create_coordinator(backend.uow(), "School B", "b@example.org", PASSWORD)
    a = create_team(backend.uow(), "School A", "Team Noord", size=10)
    a2 = create_team(backend.uow(), "School A", "=Team Zuid", size=8)
    b = create_team(backend.uow(), "School B", "Team B", size=6)
    now = latest_week()
    add_checkins(backend, a.id, now, uniform(4, energie=2))
    add_checkins(backend, a.id, now.previous(), uniform(6, energie=4))
    add_checkins(backend, a2.id, now, uniform(7))
    add_checkins(backend, a2.id, now.previous(), uniform(5))
    add_checkins(backend, b.id, now, uniform(6))
    add_topics(backend, a.id, now.previous(), {"werkdruk": 3})
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
    assert set(before) <= {"csrf_token", "_permanent"}  # an anonymous cookie: the form's token, no identity
    response = client.post(
        f"/dashboard/login?next=/dashboard/team/{world.team_a.id}",
        data={"csrf_token": token, "email": "a@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location.endswith(f"/dashboard/team/{world.team_a.id}")
    # Signed in, the cookie is only a random session id; the session lives on the server.
    cookie = client.get_cookie("session")
    assert re.fullmatch(r"s\.[A-Za-z0-9_-]{43}", cookie.value)
    assert csrf_token(client, "/dashboard/") != token  # the CSRF token was renewed
    # The cookie from before the login (what an attacker could have planted) is not logged in.
    other = app.test_client()
    other.set_cookie("session", old_cookie)
    assert other.get("/dashboard/").status_code == 302
    # Session cookie flags.
    assert cookie.http_only and cookie.same_site == "Lax"


def test_secure_cookie_setting(monkeypatch, world):
    monkeypatch.setenv("SECURE_COOKIES", "true")
    app = create_app(Settings.from_env())
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
    disposed(app)


def test_the_app_refuses_a_backend_built_from_other_settings(backend):
    """One source of settings per app: the pages must not apply another minimum than the app's."""
    with pytest.raises(ValueError, match="other settings"):
        create_app(backend.settings.with_changes(min_group=7), backend)


def test_open_redirects_after_login_are_refused(app, world):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/dashboard/login?next=//evil.example/dashboard",
        data={"csrf_token": token, "email": "a@example.org", "password": PASSWORD},
    )
    assert response.location.endswith("/dashboard/")


def test_posts_without_csrf_token_are_rejected(app, world, backend):
    client = app.test_client()
    response = client.post("/dashboard/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulier verlopen" in response.get_data(as_text=True)
    login(client)
    code = get_team(backend.uow(), world.team_a.id).code
    assert client.post(f"/dashboard/team/{world.team_a.id}/code").status_code == 400
    assert get_team(backend.uow(), world.team_a.id).code == code
    assert client.post("/dashboard/teams", data={"name": "Nieuw"}).status_code == 400
    assert client.post("/dashboard/logout").status_code == 400
    assert client.post("/dashboard/teams", data={"name": "Nieuw", "csrf_token": "forged"}).status_code == 400


# Login limits, behind a proxy and with Redis: tests/test_login_limits.py.


def test_a_coordinator_never_sees_another_schools_team(app, world, backend):
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
    code = get_team(backend.uow(), b).code
    assert client.post(f"/dashboard/team/{b}/code", data={"csrf_token": token}).status_code == 404
    assert get_team(backend.uow(), b).code == code
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
    last_week = latest_week().previous().label()
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
    now = latest_week().label()
    current = [r for r in rows if r[0] == now and r[3] == "reacties"]
    assert current == [
        [
            now,
            latest_week().monday().isoformat(),
            "Team Noord",
            "reacties",
            "",
            "",
            "",
            "niet getoond: te weinig reacties om te tonen (minimaal 5)",
        ]
    ]
    previous = latest_week().previous().label()
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
    now = latest_week().label()
    total = [r for r in rows if r[0] == now and r[2] == "hele school"]
    assert len(total) == 1 and total[0][5:7] == ["", ""] and "schooltotaal verborgen" in total[0][7]


def test_create_team_show_link_and_snippet_then_rotate_code(app, world, backend):
    client = app.test_client()
    login(client)
    token = csrf_token(client, "/dashboard/")
    response = client.post("/dashboard/teams", data={"csrf_token": token, "name": "Team Oost", "size": "9"})
    assert response.status_code == 302
    manage = client.get(response.location).get_data(as_text=True)
    team_id = int(re.search(r"/dashboard/team/(\d+)/code", manage).group(1))
    team = get_team(backend.uow(), team_id)
    assert (team.name, team.size, team.school_name) == ("Team Oost", 9, "School A")
    assert f"http://localhost:8000/chat?team={team.code}" in manage
    assert (
        f"&lt;script src=&#34;http://localhost:8000/static/widget.js&#34; data-team-code=&#34;{team.code}&#34; "
        f"data-rasa-url=&#34;http://localhost:5005&#34; defer&gt;&lt;/script&gt;"
    ) in manage
    assert "Het team is aangemaakt" in manage
    response = client.post(f"/dashboard/team/{team_id}/code", data={"csrf_token": token})
    assert response.status_code == 302
    new_code = get_team(backend.uow(), team_id).code
    assert new_code != team.code
    page = client.get(response.location).get_data(as_text=True)
    assert new_code in page and team.code not in page and "De oude code en link werken niet meer" in page
    # Same name again: refused with a Dutch message.
    response = client.post("/dashboard/teams", data={"csrf_token": token, "name": "team oost"})
    assert response.status_code == 400 and "Er is al een team met deze naam." in response.get_data(as_text=True)
    response = client.post(f"/dashboard/team/{team_id}/grootte", data={"csrf_token": token, "size": "0"})
    assert response.status_code == 400
    client.post(f"/dashboard/team/{team_id}/grootte", data={"csrf_token": token, "size": ""})
    assert get_team(backend.uow(), team_id).size is None


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


def test_overview_shows_the_latest_scans_with_the_change(app, world, backend):
    from bot.services.scan import save_scan

    school_a, school_b = world.team_a.school_id, world.team_b.school_id
    utc = timezone.utc
    first, second = datetime(2026, 7, 3, 10, tzinfo=utc), datetime(2026, 11, 3, 23, 30, tzinfo=utc)
    save_scan(backend.uow(), school_a, _scan_answers(inwerken=0, maatje=2, techniek=None), when=first)
    save_scan(backend.uow(), school_a, _scan_answers(inwerken=2, maatje=1, geel=None), when=second)
    save_scan(backend.uow(), school_b, _scan_answers(visie=0), when=datetime(2026, 11, 10, tzinfo=utc))
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


def test_scan_table_shows_at_most_three_scans(app, world, backend):
    from bot.services.scan import save_scan

    school = world.team_a.school_id
    for month in (1, 3, 5, 7):
        save_scan(backend.uow(), school, _scan_answers(), when=datetime(2026, month, 15, 12, tzinfo=timezone.utc))
    client = app.test_client()
    login(client)
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-scan")
    assert "15 januari 2026" not in section
    assert all(f"15 {m} 2026" in section for m in ("maart", "mei", "juli"))


def test_scan_page_needs_a_login_and_carries_a_token_for_the_own_school_only_in_the_page(app, world, settings):
    from bot.services.scan import read_scan_token

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
    secret = settings.scan_token_secret
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
    rasa = settings.rasa_url
    assert f"connect-src 'self' {rasa} {rasa.replace('http', 'ws', 1)};" in response.headers["Content-Security-Policy"]


def _add_feedback(backend: Backend, team_code: str, topic: str, up: int, down: int, week) -> None:
    from bot.services.feedback import record

    for helpful in [True] * up + [False] * down:
        assert record(backend.uow(), team_code, topic, helpful, week=week)


def test_overview_shows_answer_feedback_and_hides_small_groups(app, world, backend):
    client = app.test_client()
    login(client)
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-feedback")
    assert "Nog geen reacties" in section and "<table" not in section

    now = latest_week()
    _add_feedback(backend, world.team_a.code, "werkdruk", 3, 1, now)
    _add_feedback(backend, world.team_a2.code, "werkdruk", 2, 0, now.previous(3))  # same school: counts add up
    _add_feedback(backend, world.team_a.code, "amplitie", 1, 4, now.previous())
    _add_feedback(backend, world.team_a.code, "uitval", 2, 1, now)  # 3 reactions: hidden
    _add_feedback(backend, world.team_a.code, "piramide", 5, 5, now.previous(8))  # too long ago
    _add_feedback(backend, world.team_b.code, "uitval", 9, 0, now)  # another school
    section = _section(client.get("/dashboard/").get_data(as_text=True), "h-feedback")
    cells = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)]
    assert cells[1:] == ["Wat is amplitie? 1 4 20%", "Werkdruk in het onderwijs 5 1 83%"]  # least helpful first
    assert "1 onderwerp met minder dan 5 reacties tonen we niet" in " ".join(section.split())
    assert "week " + str(now.previous(7).week) in section


def test_demo_school_shows_two_scans_and_feedback_and_a_refresh_does_not_add_more(app, backend):
    from bot.demo import DEMO_SCHOOL, ensure_demo, refresh_demo_data
    from bot.services.feedback import school_feedback
    from bot.services.scan import school_scans
    from bot.services.teams import find_school_id

    settings = backend.settings
    ensure_demo(backend)
    school = find_school_id(backend.uow(), DEMO_SCHOOL)
    scans = school_scans(backend.uow(), school)
    assert len(scans) == 2
    assert 100 <= (scans[0].created_at - scans[1].created_at).days <= 120  # about four months apart
    assert scans[0].answers["inwerken"] > scans[1].answers["inwerken"]  # some progress
    fb = school_feedback(backend.uow(), school, settings.min_group)
    assert len(fb.shown) == 3 and fb.hidden_topics == 3

    demo = json.loads((settings.var_dir / "demo.json").read_text())
    client = app.test_client()
    login(client, demo["email"], demo["password"])
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Verandering" in _section(page, "h-scan")
    assert "Werkdruk in het onderwijs" in _section(page, "h-feedback")

    later = latest_week().previous(-10)
    assert refresh_demo_data(backend.uow()) is False
    assert refresh_demo_data(backend.uow(), until=later) is True
    assert len(school_scans(backend.uow(), school, limit=10)) == 2
    after = school_feedback(backend.uow(), school, settings.min_group, until=later)
    assert sum(t.total for t in after.shown) == sum(t.total for t in fb.shown)


# --------------------------------------------------------------------------- the numbers the pages state


@pytest.fixture
def apps_with_min_group(settings: Settings) -> Iterator:
    """``apps(3, 6)``: web apps side by side, each from its own settings, on the same database."""
    built: list[Flask] = []

    def make(*min_groups: int) -> list[Flask]:
        for n in min_groups:
            built.append(create_app(settings.with_changes(min_group=n)))
        return built[-len(min_groups) :]

    yield make
    disposed(*built)


def test_two_apps_each_state_and_apply_their_own_minimum_group_size(apps_with_min_group, world):
    """Nothing global: an app with MIN_GROUP 3 and one with 6 in the same process, same database.

    Team Noord has 4 respondents this week (and 6 last week)."""
    three, six = apps_with_min_group(3, 6)
    pages = {}
    for n, app in ((3, three), (6, six)):
        client = app.test_client()
        privacy = client.get("/dashboard/privacy").get_data(as_text=True)
        assert f"Alleen groepen van minstens {n} mensen" in privacy
        assert f"minimaal {n})" in " ".join(privacy.split())
        login(client)
        pages[n] = (
            client.get(f"/dashboard/team/{world.team_a.id}").get_data(as_text=True),
            client.get(f"/dashboard/team/{world.team_a.id}/export.csv").get_data(as_text=True).lstrip("\ufeff"),
            client.get("/dashboard/").get_data(as_text=True),
        )
    now = latest_week().label()

    page, export, overview = pages[3]
    assert "cijfers alleen als minstens 3 mensen reageerden" in " ".join(page.split())
    assert "Te weinig reacties om te tonen" not in page
    assert '<dt>Reacties</dt><dd>4 <span class="stat-of">van 10</span>' in page  # this week's figures
    assert '<span class="tag tag-low">laag</span>' in page  # energie 2,0 this week
    rows = list(csv.reader(io.StringIO(export), delimiter=";"))
    assert [r[3:7] for r in rows if r[0] == now][:2] == [["reacties", "", "4", "4"], ["deelname", "", "40%", "4"]]
    assert ["gemiddelde", "Energie", "2,0", "4"] in [r[3:7] for r in rows if r[0] == now]
    assert "Waarom is het schooltotaal verborgen?" not in overview
    assert ">11<" in _section(overview, "h-week")  # 4 + 7 respondents in this week's school total

    page, export, overview = pages[6]
    assert "cijfers alleen als minstens 6 mensen reageerden" in " ".join(page.split())
    assert "Te weinig reacties om te tonen (minimaal 6)." in page
    assert "<dt>Reacties</dt>" not in page
    rows = list(csv.reader(io.StringIO(export), delimiter=";"))
    assert [r[3:] for r in rows if r[0] == now] == [
        ["reacties", "", "", "", "niet getoond: te weinig reacties om te tonen (minimaal 6)"]
    ]
    assert ["gemiddelde", "Energie", "4,0", "6"] in [r[3:7] for r in rows]  # last week: 6 respondents
    assert "Waarom is het schooltotaal verborgen?" in overview
    assert "deze week minder dan 6 reacties" in " ".join(overview.split())


@pytest.mark.parametrize(("low", "strong"), [(None, None), (2.2, 4.3)], ids=["the-constants", "changed-constants"])
def test_team_page_states_the_signal_thresholds_of_the_signal_rules(app, world, monkeypatch, low, strong):
    """The thresholds in the text and the chart are LOW_MEAN / STRONG_MEAN, never a copy."""
    if low is not None:
        monkeypatch.setattr(signals, "LOW_MEAN", low)
        monkeypatch.setattr(signals, "STRONG_MEAN", strong)
    low_text, strong_text = nl_number(signals.LOW_MEAN), nl_number(signals.STRONG_MEAN)
    client = app.test_client()
    login(client)
    page = client.get(f"/dashboard/team/{world.team_a2.id}").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert f"“Laag” betekent een gemiddelde van {low_text} of lager; “sterk punt” {strong_text} of hoger." in text
    assert f"De stippellijn is de grens voor “laag” ({low_text})." in text
    assert page.count(f'data-low-label="grens laag ({low_text})"') == 5
    chart = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page, re.S).group(1))
    assert chart["low"] == signals.LOW_MEAN
    if low is not None:
        assert "2,5" not in text and "4,0 of hoger" not in text


def test_privacy_and_login_pages_state_the_limits_in_force(app, world, monkeypatch):
    """The topic minimum and the login limit on the pages follow the constant and the app's setting."""
    monkeypatch.setattr(signals, "TOPIC_MIN_COUNT", 4)
    app.config["LOGIN_RATE_LIMIT"] = "3/hour"
    client = app.test_client()
    privacy = " ".join(client.get("/dashboard/privacy").get_data(as_text=True).split())
    assert "een onderwerp alleen als er minstens 4 vragen over waren" in privacy
    assert "Na 3 mislukte pogingen binnen een uur moet je even wachten." in client.get("/dashboard/login").get_data(
        as_text=True
    )
    token = csrf_token(client)
    data = {"csrf_token": token, "email": "a@example.org", "password": "wrong-password-1"}
    statuses = [client.post("/dashboard/login", data=data).status_code for _ in range(4)]
    assert statuses == [200] * 3 + [429]
    locked = " ".join(client.post("/dashboard/login", data=data).get_data(as_text=True).split())
    assert re.search(r"Wacht nog (1 uur|5\d minuten) en probeer het dan opnieuw\.", locked), locked
    # The default: 5 per minute, as the error page of test_login_is_rate_limited_per_ip says.
    fresh = create_app(app.config["WELBEVINDEN_BACKEND"].settings, app.config["WELBEVINDEN_BACKEND"])
    login_page = fresh.test_client().get("/dashboard/login").get_data(as_text=True)
    assert "Na 5 mislukte pogingen binnen een minuut" in login_page
