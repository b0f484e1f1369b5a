"""The school's own help contacts: validation, storage (SQLite and PostgreSQL), the dashboard form, plain text."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.backend import Backend
from bot.services import contacts
from bot.services.contacts import BEDRIJFSARTS, VERTROUWENSPERSOON, clean_contact
from bot.services.coordinators import create_coordinator
from bot.services.teams import create_team
from bot.storage.models import School, SchoolContact
from bot.text.plain import markdown_literal as plain_text
from bot.web.app import create_app
from tests.test_dashboard_app import PASSWORD, csrf_token, login

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "phone": "030 123 4567",
    "email": "VP@School.nl",
    "url": "www.arbodienst.nl/spreekuur",
    "hours": "ma-do 8.30-16.00",
}


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "phone",
    ["030 123 4567", "030-1234567", "06-12345678", "06 1234 5678", "+31 6 12345678", "+31 (0)30 123 45 67",
     "0031 30 1234567", "0800-1234", "0900 123 4567", "(030) 123 45 67"],
)  # fmt: skip
def test_dutch_phone_numbers_are_accepted_as_typed(phone):
    cleaned = clean_contact({"phone": phone}, name_agreed=False)
    assert cleaned.errors == {} and cleaned.values["phone"] == " ".join(phone.split())


@pytest.mark.parametrize(
    "phone", ["12345", "030 123 456", "+32 2 123 45 67", "06-123456789", "bel me", "0612345678x", "112"]
)
def test_other_phone_numbers_are_refused(phone):
    assert clean_contact({"phone": phone}, name_agreed=False).errors == {"phone": contacts.PHONE}


@pytest.mark.parametrize("url", ["www.arbodienst.nl", "https://www.arbo.nl/spreekuur?school=3", "http://vp.school.nl"])
def test_web_addresses_are_accepted_with_a_scheme(url):
    cleaned = clean_contact({"url": url}, name_agreed=False)
    assert cleaned.errors == {} and cleaned.values["url"].startswith(("https://", "http://"))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.school.nl",
        "https://user:pw@arbo.nl",
        "arbodienst",
        "https://-x.nl",
        "www.arbo .nl",
    ],
)
def test_other_web_addresses_are_refused(url):
    errors = clean_contact({"url": url}, name_agreed=False).errors
    assert errors.get("url") in (contacts.URL, contacts.HTML)


@pytest.mark.parametrize("email", ["vertrouwenspersoon", "a@b", "a@@school.nl", "vp@school..nl"])
def test_invalid_email_addresses_are_refused(email):
    assert clean_contact({"email": email}, name_agreed=False).errors == {"email": contacts.EMAIL}


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "<script>alert(1)</script>"), ("hours", '<img src=x onerror="alert(1)">'), ("url", "https://x.nl/<b>"),
     ("name", "Anna &lt;b&gt;"), ("hours", "<b>ma</b>")],
)  # fmt: skip
def test_html_or_a_script_in_any_field_is_refused(field, value):
    cleaned = clean_contact({**GOOD, field: value}, name_agreed=True)
    assert cleaned.values is None and cleaned.errors[field] == contacts.HTML


@pytest.mark.parametrize("field", ["name", "phone", "email", "url", "hours"])
def test_a_5000_character_paste_is_refused_as_too_long(field):
    cleaned = clean_contact({**GOOD, field: "a" * 5000}, name_agreed=True)
    assert cleaned.values is None and cleaned.errors[field] == contacts.TOO_LONG


def test_control_characters_are_refused():
    assert clean_contact({**GOOD, "hours": "ma\u202e-vr"}, name_agreed=False).errors == {"hours": contacts.CONTROL}


def test_a_name_needs_the_persons_consent():
    assert clean_contact({**GOOD, "name": "Anna de Vries"}, name_agreed=False).errors == {
        "name": contacts.NAME_WITHOUT_CONSENT
    }
    cleaned = clean_contact({**GOOD, "name": "Anna de Vries"}, name_agreed=True)
    assert cleaned.values["name"] == "Anna de Vries" and cleaned.values["name_agreed"] is True


def test_consent_without_a_name_stores_no_consent():
    assert clean_contact(GOOD, name_agreed=True).values["name_agreed"] is False


def test_a_contact_needs_a_way_to_reach_it():
    cleaned = clean_contact({"hours": "ma-vr"}, name_agreed=False)
    assert cleaned.errors == {"contact": contacts.NO_WAY_TO_REACH}


def test_all_fields_empty_removes_the_contact():
    cleaned = clean_contact({"name": " ", "phone": "", "email": None}, name_agreed=True)
    assert cleaned.values is None and cleaned.errors == {}


def test_valid_values_are_tidied():
    values = clean_contact({**GOOD, "hours": "  ma-do   8.30-16.00 "}, name_agreed=False).values
    assert values["email"] == "vp@school.nl"
    assert values["url"] == "https://www.arbodienst.nl/spreekuur"
    assert values["hours"] == "ma-do 8.30-16.00"
    assert values["name"] is None


# --------------------------------------------------------------------------- storage


def test_contacts_are_stored_per_school_replaced_and_removed(any_backend: Backend):
    team = create_team(any_backend.uow(), "School A", "Team 1")
    other = create_team(any_backend.uow(), "School B", "Team B")
    vp = clean_contact({**GOOD, "name": "Anna de Vries"}, name_agreed=True)
    ba = clean_contact({"phone": "088 123 4567", "hours": "open spreekuur di 9-10"}, name_agreed=False)
    contacts.save_contacts(any_backend.uow(), team.school_id, {VERTROUWENSPERSOON: vp, BEDRIJFSARTS: ba})

    found = contacts.contacts_for_team(any_backend.uow(), team.code)
    assert [c.kind for c in found] == [VERTROUWENSPERSOON, BEDRIJFSARTS]
    assert found[0].details() == ["Anna de Vries", "030 123 4567", "vp@school.nl", "https://www.arbodienst.nl/spreekuur",
                                  "ma-do 8.30-16.00"]  # fmt: skip
    assert contacts.contacts_for_team(any_backend.uow(), other.code) == []
    assert contacts.contacts_for_team(any_backend.uow(), "NOPE0-NOPE0") == []

    empty = clean_contact({}, name_agreed=False)
    new_vp = clean_contact({"email": "nieuw@school.nl"}, name_agreed=False)
    contacts.save_contacts(any_backend.uow(), team.school_id, {VERTROUWENSPERSOON: new_vp, BEDRIJFSARTS: empty})
    [only] = contacts.school_contacts(any_backend.uow(), team.school_id)
    assert (only.kind, only.name, only.email) == (VERTROUWENSPERSOON, None, "nieuw@school.nl")


def test_invalid_contacts_are_never_saved(any_backend: Backend):
    team = create_team(any_backend.uow(), "School A", "Team 1")
    bad = clean_contact({"phone": "12"}, name_agreed=False)
    with pytest.raises(ValueError):
        contacts.save_contacts(any_backend.uow(), team.school_id, {VERTROUWENSPERSOON: bad})
    assert contacts.school_contacts(any_backend.uow(), team.school_id) == []


def test_the_database_refuses_a_name_without_consent_and_unknown_kinds(any_backend: Backend):
    team = create_team(any_backend.uow(), "School A", "Team 1")
    for row in (
        {"kind": VERTROUWENSPERSOON, "name": "Anna", "name_agreed": False},
        {"kind": "directeur", "phone": "0301234567", "name_agreed": False},
    ):
        with pytest.raises(IntegrityError), any_backend.database.session() as session:
            session.add(SchoolContact(school_id=team.school_id, **row))
            session.flush()


def test_deleting_a_school_deletes_its_contacts(any_backend: Backend):
    team = create_team(any_backend.uow(), "School A", "Team 1")
    contacts.save_contacts(any_backend.uow(), team.school_id, {BEDRIJFSARTS: clean_contact(GOOD, False)})
    with any_backend.database.session() as session:
        session.execute(delete(School).where(School.id == team.school_id))
        session.commit()
    with any_backend.database.session() as session:
        assert session.execute(select(SchoolContact)).scalars().all() == []


# --------------------------------------------------------------------------- the dashboard form


@pytest.fixture
def app(backend: Backend) -> Flask:
    app = create_app(backend.settings, backend)
    app.config["TESTING"] = True
    create_coordinator(backend.uow(), "School A", "a@example.org", PASSWORD)
    create_coordinator(backend.uow(), "School B", "b@example.org", PASSWORD)
    return app


def form_data(token: str, **fields: str) -> dict[str, str]:
    data = {"csrf_token": token}
    for key, value in fields.items():
        kind, _, field = key.partition("__")
        data[f"{kind}-{field}"] = value
    return data


def test_the_contacts_page_needs_a_login(app):
    assert app.test_client().get("/dashboard/hulp").status_code == 302


def test_bad_input_gets_clear_dutch_errors_and_nothing_is_saved(app, backend):
    client = app.test_client()
    login(client)
    token = csrf_token(client, "/dashboard/hulp")
    response = client.post(
        "/dashboard/hulp",
        data=form_data(
            token,
            vertrouwenspersoon__name="<script>alert('x')</script>",
            vertrouwenspersoon__name_agreed="y",
            vertrouwenspersoon__phone="12345",
            vertrouwenspersoon__hours="x" * 5000,
            bedrijfsarts__email="arbo-at-school",
            bedrijfsarts__url="javascript:alert(1)",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Er is niets opgeslagen" in page
    assert "geen HTML, geen scripts" in page
    assert "Dit is geen Nederlands telefoonnummer" in page
    assert "Dit is te lang: hoogstens 200 tekens" in page
    assert "Dit is geen geldig e-mailadres" in page
    assert "<script>alert" not in page  # what was typed comes back escaped
    assert 'aria-invalid="true"' in page
    with backend.database.session() as session:
        assert session.execute(select(SchoolContact)).scalars().all() == []


def test_a_name_without_consent_is_refused_in_the_form(app):
    client = app.test_client()
    login(client)
    token = csrf_token(client, "/dashboard/hulp")
    response = client.post(
        "/dashboard/hulp",
        data=form_data(token, vertrouwenspersoon__name="Anna", vertrouwenspersoon__phone="0301234567"),
    )
    assert response.status_code == 400
    assert "Vink aan dat deze persoon ermee instemt" in response.get_data(as_text=True)


def test_contacts_are_saved_shown_again_and_only_for_the_own_school(app, backend):
    client = app.test_client()
    login(client)
    token = csrf_token(client, "/dashboard/hulp")
    response = client.post(
        "/dashboard/hulp",
        data=form_data(
            token,
            vertrouwenspersoon__name="Anna de Vries",
            vertrouwenspersoon__name_agreed="y",
            vertrouwenspersoon__phone="06-12345678",
            bedrijfsarts__url="www.arbodienst.nl",
            bedrijfsarts__hours="open spreekuur di 9-10",
        ),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "De contactgegevens zijn opgeslagen" in page
    assert 'value="Anna de Vries"' in page and 'value="https://www.arbodienst.nl"' in page
    school_a = create_team(backend.uow(), "School A", "Team 1")
    school_b = create_team(backend.uow(), "School B", "Team 2")
    assert [c.kind for c in contacts.contacts_for_team(backend.uow(), school_a.code)] == [
        VERTROUWENSPERSOON,
        BEDRIJFSARTS,
    ]
    assert contacts.contacts_for_team(backend.uow(), school_b.code) == []
    other = app.test_client()
    login(other, "b@example.org")
    assert "Anna de Vries" not in other.get("/dashboard/hulp").get_data(as_text=True)


def test_the_contacts_form_needs_its_csrf_token(app):
    client = app.test_client()
    login(client)
    assert client.post("/dashboard/hulp", data={"vertrouwenspersoon-phone": "0301234567"}).status_code == 400


# --------------------------------------------------------------------------- plain text in the chat


HOSTILE_NAMES = [
    "[klik hier](https://evil.example)",
    "**Anna**",
    "<b>Anna</b>",
    "![x](https://evil.example/x.png)",
    "https://www.evil.example",
    "www.evil.example",
    "info@evil.example",
    "`code`",
    "Anna_de_Vries_",
]


MARKED = ROOT / "bot" / "web" / "node_modules" / "marked" / "lib" / "marked.cjs"


@pytest.mark.skipif(
    shutil.which("node") is None or not MARKED.exists(), reason="node and the widget's marked are needed"
)
def test_the_widgets_markdown_shows_a_contact_as_plain_text():
    """Rendered with the widget's own markdown settings (bot/web/static/widget.js): no link, no tag, no emphasis."""
    script = (
        f"const {{ Marked }} = require({json.dumps(str(MARKED))});"
        "const m = new Marked({ gfm: true, breaks: true, async: false });"
        "const lines = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(lines.map((l) => m.parse('**Vertrouwenspersoon**: ' + l))));"
    )
    escaped = [plain_text(n) for n in HOSTILE_NAMES]
    done = subprocess.run(
        ["node", "-e", script], input=json.dumps(escaped), capture_output=True, text=True, check=True, timeout=30
    )
    html = json.loads(done.stdout)
    assert len(html) == len(HOSTILE_NAMES)
    for rendered in html:
        body = rendered.split("</strong>: ", 1)[1]
        assert "<a" not in body and "<img" not in body and "<b>" not in body and "<em>" not in body, rendered
        assert "<code>" not in body and "<strong>" not in body, rendered
    assert "[klik hier](https://evil.example)" in html[0]
