"""The coordinator dashboard in a real browser (Debian's chromium through Playwright, sync API).

Each test serves ``create_app(settings, backend)`` with waitress in a thread, on a free port,
against the test's own migrated SQLite database (the ``backend`` fixture), with two schools in it.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.backend import Backend
from bot.services.coordinators import create_coordinator
from bot.services.feedback import record
from bot.services.release import last_ended_week
from bot.services.scan import save_scan
from bot.services.teams import TeamInfo, create_team
from bot.vocabulary import SCAN_ITEMS, IsoWeek
from tests.test_signals import add_checkins, add_topics, uniform

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "coordinator@example.org", "een-veilig-wachtwoord"


def latest_week() -> IsoWeek:
    """The newest week the dashboard shows: the last closed (released) one."""
    return last_ended_week(date.today())


@dataclass(frozen=True)
class Site:
    url: str
    team: TeamInfo
    other_school_team: TeamInfo
    #: MIN_GROUP of the served app (the settings of this test).
    min_group: int

    @property
    def suppressed_text(self) -> str:
        return f"te weinig reacties om te tonen (minimaal {self.min_group})"


@pytest.fixture
def site(backend: Backend) -> Iterator[Site]:
    """Two teams in School A (team 1 has 4 respondents this week), one team in School B.

    School A also has two fundament-scans and 👍/👎 on two topics (one with too few reactions)."""
    from waitress import create_server

    from bot.web.app import create_app

    # Made for MIN_GROUP 5 or 6: team 1's 4 respondents are hidden, team 2's 6 and 6 👍/👎 are shown.
    assert 4 < backend.settings.min_group <= 6
    create_coordinator(backend.uow(), "School A", EMAIL, PASSWORD)
    team = create_team(backend.uow(), "School A", "Team Noord", size=12)
    second = create_team(backend.uow(), "School A", "Team Zuid", size=9)
    other = create_team(backend.uow(), "School B", "Team Elders")
    weeks = [latest_week().previous(i) for i in range(7, -1, -1)]
    for i, week in enumerate(weeks):
        if week == latest_week():
            add_checkins(backend, team.id, week, uniform(4))
        else:
            add_checkins(backend, team.id, week, uniform(8, werkdruk=4 if i < 4 else 2, verbinding=5))
        add_checkins(backend, second.id, week, uniform(6, energie=4))
    add_checkins(backend, other.id, latest_week(), uniform(9))
    add_topics(backend, team.id, latest_week().previous(), {"werkdruk": 4, "niet_begrepen": 1})
    now = datetime.now(timezone.utc)
    scan = dict.fromkeys(SCAN_ITEMS, 1)
    save_scan(backend.uow(), team.school_id, {**scan, "inwerken": 0}, when=now - timedelta(days=120))
    save_scan(backend.uow(), team.school_id, {**scan, "inwerken": 2, "maatje": 0, "geel": None}, when=now)
    for helpful in (True, True, True, True, False, False):
        record(backend.uow(), team.code, "werkdruk", helpful, latest_week())
    record(backend.uow(), second.code, "amplitie", False, latest_week())

    server = create_server(create_app(backend.settings, backend), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="dashboard-waitress", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.effective_port}", team, other, backend.settings.min_group)
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def page(browser, site) -> Iterator:
    """A fresh browser context; closed before the site stops, so no connection is left open."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.problems = []  # JavaScript errors and console errors (CSP violations end up there)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    yield page
    context.close()


def log_in(page, site: Site) -> None:
    page.goto(f"{site.url}/dashboard/")
    assert page.url.startswith(f"{site.url}/dashboard/login")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{site.url}/dashboard/")


def test_login_and_read_a_team_page_with_charts_and_suppression(page, site):
    log_in(page, site)
    assert page.get_by_role("heading", name="Overzicht", level=1).is_visible()
    page.get_by_role("link", name="Team Noord").first.click()
    page.wait_for_url(f"{site.url}/dashboard/team/{site.team.id}")
    assert page.get_by_role("heading", name="Team Noord", level=1).is_visible()
    # This week has 4 respondents: the page says so instead of showing figures.
    notice = page.locator(".notice-hidden").first
    assert site.suppressed_text in notice.inner_text().lower()
    # Charts are drawn by dashboard.js with the vendored Chart.js (no inline scripts).
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == 6
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')].every(c => window.Chart && Chart.getChart(c))"
    )
    box = canvases.first.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    values = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-dimension=werkdruk]')).data.datasets[0].data"
    )
    assert values[:-1] == [4, 4, 4, 4, 2, 2, 2] and values[-1] is None  # hidden week: a gap
    # The table next to the chart has the same numbers and the reason for the gap.
    table = page.get_by_role("table", name="Werkdruk te doen: gemiddelde per week")
    assert "2,0" in table.inner_text() and "te weinig reacties" in table.inner_text()
    signals = page.locator(".signals").inner_text()
    assert "Werkdruk te doen scoort laag" in signals
    assert page.get_by_role("heading", name="Groen: voor iedereen").is_visible()
    assert page.problems == []


def test_csv_export_downloads_aggregates_with_the_suppression(page, site):
    log_in(page, site)
    page.goto(f"{site.url}/dashboard/team/{site.team.id}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("welbevinden-team-noord-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    this = [r for r in rows if r[0] == latest_week().label()]
    assert this and all(r[5] == "" for r in this)
    assert any(site.suppressed_text in r[7] for r in this)
    assert ["gemiddelde", "Werkdruk te doen", "2,0", "8"] in [r[3:7] for r in rows]


def test_another_schools_team_is_not_found(page, site):
    log_in(page, site)
    response = page.goto(f"{site.url}/dashboard/team/{site.other_school_team.id}")
    assert response.status == 404
    assert "Team Elders" not in page.content()
    assert page.get_by_role("heading", name="Niet gevonden").is_visible()


def test_overview_shows_the_fundament_scan_and_answer_feedback(page, site):
    log_in(page, site)
    table = page.get_by_role("table", name=re.compile("Uitkomst van de fundament-scan.*de laatste 2 scans"))
    headers = table.locator("thead th").all_inner_texts()
    assert headers[0] == "Onderdeel" and headers[-1] == "Verandering" and len(headers) == 4
    row = table.get_by_role("row", name="Inwerken (onboarding)")
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == ["✗ ontbreekt", "✓ staat goed", "↑ beter"]
    row = table.get_by_role("row", name="Maatje of opleider in school")
    assert row.locator("td").last.inner_text().strip() == "↓ minder"
    assert table.locator("tbody tr").count() == 12

    feedback = page.get_by_role("table", name=re.compile("Reacties op de antwoorden"))
    assert feedback.locator("tbody tr").all_inner_texts() == ["Werkdruk in het onderwijs\t4\t2\t67%"]
    hidden = f"1 onderwerp met minder dan {site.min_group} reacties tonen we niet"  # amplitie: 1 reaction
    assert hidden in page.locator("main").inner_text()

    # A new scan opens the chat page; the token is never part of the address.
    page.get_by_role("link", name="Start een nieuwe fundament-scan").click()
    page.wait_for_url(f"{site.url}/dashboard/fundament-scan")
    assert page.get_by_role("heading", name="Fundament-scan", level=1).is_visible()
    token = page.locator("#welbevinden-chat").get_attribute("data-scan-token")
    assert token and token not in page.url


def test_phone_width_has_no_sideways_scrolling_and_no_accessibility_violations(browser, site):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="nl-NL", is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, site)
        pages = (
            f"/dashboard/team/{site.team.id}",
            "/dashboard/",  # with the scan table and the feedback table
            f"/dashboard/team/{site.team.id}/beheer",
            "/dashboard/fundament-scan",
        )
        for url in pages:
            page.goto(site.url + url)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, url
            # axe-core (vendored, same origin, so the CSP allows it): no serious or critical issues.
            page.add_script_tag(url="/static/vendor/axe.min.js")
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.help)"
            )
            assert violations == [], url
    finally:
        context.close()


def test_keyboard_focus_is_visible_and_skip_link_works(page, site):
    log_in(page, site)
    page.goto(f"{site.url}/dashboard/team/{site.team.id}")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Naar de inhoud"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#inhoud"
