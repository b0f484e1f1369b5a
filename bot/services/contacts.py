"""Help at school: how staff reach the school's vertrouwenspersoon and bedrijfsarts / arbodienst.

A coordinator enters them on the dashboard (bot/web/dashboard.py, "Hulp op school");
the bot names them in the third help tier and when someone asks for a person
(actions/steun.py). Every value is plain text: :func:`clean_contact` refuses HTML,
control characters, over-long pastes and malformed phone numbers, addresses and web
addresses, and :func:`bot.text.plain.markdown_literal` escapes what is left for the chat's markdown, so a
contact named like a link never becomes one. A person's name is kept only when the
coordinator confirms that the person agreed to be named.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from bot.services.roster import normalise_email
from bot.storage.models import SchoolContact
from bot.storage.unit_of_work import UnitOfWork

VERTROUWENSPERSOON = "vertrouwenspersoon"
BEDRIJFSARTS = "bedrijfsarts"
#: The kinds of contact, in the order the dashboard and the chat show them.
KINDS = (VERTROUWENSPERSOON, BEDRIJFSARTS)
#: The fields of a contact (besides the name's consent), in the order the chat names them.
FIELDS = ("name", "phone", "email", "url", "hours")
#: Longest value per field (the database columns have the same lengths).
MAX_LENGTH = {"name": 100, "phone": 32, "email": 254, "url": 300, "hours": 200}
#: Longest input looked at: a 5,000-character paste is refused without being parsed.
_INPUT_LIMIT = 1000

# Error codes; the Dutch sentences are in bot/web/templates/dashboard/contacts.html.
TOO_LONG = "te_lang"
HTML = "html"
CONTROL = "tekens"
PHONE = "telefoon"
EMAIL = "email"
URL = "url"
NAME_WITHOUT_CONSENT = "naam_zonder_toestemming"
NO_WAY_TO_REACH = "geen_bereik"

_PHONE_FORMATS = (
    re.compile(r"0[1-9]\d{8}"),  # 030 123 4567, 06-12345678
    re.compile(r"(\+|00)31[1-9]\d{8}"),  # +31 30 123 4567, 0031 6 12345678
    re.compile(r"0(800|900|906|909)\d{4}(\d{3})?"),  # 0800-1234, 0900-1234567
)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HTML_LIKE = re.compile(r"[<>]|&[#a-z0-9]+;|javascript:|data:", re.IGNORECASE)


@dataclass(frozen=True)
class Contact:
    """One contact as the chat names it: the name only when the person agreed."""

    kind: str
    name: str | None
    phone: str | None
    email: str | None
    url: str | None
    hours: str | None

    def details(self) -> list[str]:
        """The given values, name first, hours last."""
        return [v for v in (self.name, self.phone, self.email, self.url, self.hours) if v]


@dataclass(frozen=True)
class Cleaned:
    """What :func:`clean_contact` made of one contact's form fields."""

    #: The values to store (None: nothing entered, the contact is removed).
    values: dict[str, object] | None
    #: Error codes by field ("contact" for the contact as a whole); empty when valid.
    errors: dict[str, str]


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in text)


def clean_phone(text: str) -> str | None:
    """The number as typed (spaces tidied) if it is a Dutch phone number, else None."""
    digits = re.sub(r"[\s\-./()]", "", text.replace("(0)", ""))
    if not any(f.fullmatch(digits) for f in _PHONE_FORMATS):
        return None
    return _squash(text)


def clean_url(text: str) -> str | None:
    """An http(s) address with a real host name ("www.school.nl" gets https://), else None."""
    candidate = text if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) else f"https://{text}"
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
    except ValueError:
        return None
    labels = host.split(".")
    if (
        parts.scheme.lower() not in {"http", "https"}
        or parts.username is not None
        or parts.password is not None
        or " " in candidate
        or len(labels) < 2
        or not all(_HOST_LABEL.match(label) for label in labels)
        or not re.fullmatch(r"[a-z]{2,}", labels[-1])
    ):
        return None
    return candidate


def clean_contact(fields: Mapping[str, str | None], name_agreed: bool) -> Cleaned:
    """Check one contact's form fields; the values to store, or error codes per field."""
    raw = {f: _squash((fields.get(f) or "")[:_INPUT_LIMIT]) for f in FIELDS}
    errors: dict[str, str] = {}
    for field, value in raw.items():
        given = fields.get(field) or ""
        if len(given.strip()) > MAX_LENGTH[field]:
            errors[field] = TOO_LONG
        elif _HTML_LIKE.search(value):
            errors[field] = HTML
        elif _has_control(given.replace("\n", "").replace("\r", "").replace("\t", "")):
            errors[field] = CONTROL
    values: dict[str, object] = dict(raw)
    if raw["phone"] and "phone" not in errors:
        values["phone"] = clean_phone(raw["phone"])
        if values["phone"] is None:
            errors["phone"] = PHONE
    if raw["email"] and "email" not in errors:
        values["email"] = normalise_email(raw["email"])
        if values["email"] is None:
            errors["email"] = EMAIL
    if raw["url"] and "url" not in errors:
        values["url"] = clean_url(raw["url"])
        if values["url"] is None or len(str(values["url"])) > MAX_LENGTH["url"]:
            errors["url"] = URL
    if raw["name"] and not name_agreed and "name" not in errors:
        errors["name"] = NAME_WITHOUT_CONSENT
    if not any(raw.values()):
        return Cleaned(None, errors)
    if not (raw["phone"] or raw["email"] or raw["url"]):
        errors["contact"] = NO_WAY_TO_REACH
    if errors:
        return Cleaned(None, errors)
    stored = {f: (values[f] or None) for f in FIELDS}
    stored["name_agreed"] = bool(stored["name"])
    stored["updated_at"] = datetime.now(timezone.utc)
    return Cleaned(stored, {})


def _contact(row: SchoolContact) -> Contact:
    return Contact(
        kind=row.kind,
        name=row.name if row.name_agreed else None,
        phone=row.phone,
        email=row.email,
        url=row.url,
        hours=row.hours,
    )


def _ordered(rows: list[SchoolContact]) -> list[Contact]:
    return sorted((_contact(r) for r in rows if r.kind in KINDS), key=lambda c: KINDS.index(c.kind))


def school_contacts(uow: UnitOfWork, school_id: int) -> list[Contact]:
    """The school's contacts, vertrouwenspersoon first."""
    with uow:
        return _ordered(uow.schools.contacts(school_id))


def contacts_for_team(uow: UnitOfWork, team_code: str) -> list[Contact]:
    """The contacts of the school a team belongs to (none for an unknown code)."""
    with uow:
        team = uow.schools.team_with_code(team_code)
        return _ordered(uow.schools.contacts(team.school_id)) if team is not None else []


def save_contacts(uow: UnitOfWork, school_id: int, contacts: Mapping[str, Cleaned]) -> None:
    """Store every kind's cleaned values at once (a kind without values is removed)."""
    if any(c.errors for c in contacts.values()) or not set(contacts) <= set(KINDS):
        raise ValueError("Only valid contacts of known kinds can be saved.")
    with uow:
        for kind, cleaned in contacts.items():
            uow.schools.set_contact(school_id, kind, cleaned.values)
        uow.commit()
