"""Team rosters: staff by e-mail address, the school's allowed domains, and the audit list.

Only addresses on a roster can check in (through their personal link, bot.services.links).
The operator sets which e-mail domains a school may use (CLI); the coordinator adds and
removes addresses. Every change goes into ``roster_events`` with the address shortened.

Padding protection: members added after a team's first import count towards the minimum
group only from the first ISO week that starts at least ``PADDING_DELAY_DAYS`` days after
they were added (see :func:`counts_from`), and members can ask in the chat how many were
added lately (:func:`roster_summary`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.links import member_token, token_hash
from bot.services.pseudonym import person_key
from bot.storage.models import Member, RosterEvent, utcnow
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import IsoWeek

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
#: New members after the first import count only from a week starting this many days later.
PADDING_DELAY_DAYS = 14
#: The most addresses one team can have, and one import can hold.
MAX_MEMBERS = 2000
MAX_LINES = 20_000
_EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@([a-z0-9-]+(\.[a-z0-9-]+)+)$")
_DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_SPLIT_RE = re.compile(r"[\s,;]+")

# Reasons a line is refused; the dashboard and the CLI explain each (templates, JSON).
INVALID = "ongeldig"
OUTSIDE_DOMAIN = "ander_domein"
DUPLICATE = "dubbel"
ALREADY_IN_TEAM = "al_in_team"
IN_OTHER_TEAM = "ander_team"
TOO_MANY = "te_veel"
NOT_ON_ROSTER = "niet_gevonden"


class RosterFileError(ValueError):
    """The uploaded file cannot be read as text (wrong encoding)."""


@dataclass(frozen=True)
class Entry:
    line: int
    text: str


@dataclass(frozen=True)
class LineError:
    line: int
    text: str
    reason: str


@dataclass
class RosterChange:
    """What an import or a removal did, per line; never a token or a link."""

    done: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    size: int = 0

    def as_json(self) -> dict:
        return {
            "done": len(self.done),
            "roster_size": self.size,
            "errors": [{"line": e.line, "address": e.text, "reason": e.reason} for e in self.errors],
        }


def mask(email: str) -> str:
    """``jan.jansen@school.nl`` -> ``j…@school.nl`` (for the audit list)."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def normalise_email(text: str) -> str | None:
    """The address in lower case, or None when it is not a plausible address."""
    email = text.strip().strip("<>\"'").lower()
    if len(email) > 254 or not _EMAIL_RE.match(email) or ".." in email:
        return None
    return email


def normalise_domain(text: str) -> str | None:
    domain = text.strip().lower().lstrip("@")
    return domain if len(domain) <= 253 and _DOMAIN_RE.match(domain) else None


def decode_upload(data: bytes) -> str:
    """An uploaded roster file as text: UTF-8 (with or without BOM) or UTF-16 with a BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError("not UTF-8") from exc


def parse_entries(text: str) -> list[Entry]:
    """Addresses from a paste (one per line, or separated by commas, semicolons or spaces) or a CSV.

    In a CSV only the cells that contain "@" are read, so a header row and name columns are
    skipped; line numbers are those of the input, for error messages.
    """
    entries: list[Entry] = []
    sample = text[:2048]
    is_csv = any(sep in sample for sep in (";", ",", "\t")) and "\n" in sample and '"' in sample
    lines = text.splitlines()
    if is_csv:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t") if sample.strip() else csv.excel
        rows = csv.reader(io.StringIO(text), dialect)
        for number, row in enumerate(rows, start=1):
            entries.extend(Entry(number, cell.strip()) for cell in row if "@" in cell)
        return entries
    for number, line in enumerate(lines, start=1):
        for part in _SPLIT_RE.split(line.strip()):
            if part and not (number == 1 and "@" not in part and part.lower() in {"email", "e-mail", "mail"}):
                entries.append(Entry(number, part))
    return entries


def counts_from(first_import_at: datetime | None, added_at: datetime) -> date:
    """The Monday of the first ISO week in which a member added at ``added_at`` counts.

    Members of the first import (the same local day) count from that week; later ones from
    the first week that starts at least PADDING_DELAY_DAYS days after they were added.
    """
    added_day = added_at.astimezone(LOCAL_TZ).date()
    if first_import_at is None or first_import_at.astimezone(LOCAL_TZ).date() == added_day:
        return IsoWeek.of(added_day).monday()
    earliest = added_day + timedelta(days=PADDING_DELAY_DAYS)
    week = IsoWeek.of(earliest)
    return week.monday() if week.monday() >= earliest else week.next().monday()


def member_key(member_id: int, pseudonym_secret: str) -> str:
    """The pseudonym under which a member's check-ins are stored."""
    return person_key(f"member:{member_id}", pseudonym_secret)


def set_domains(uow: UnitOfWork, school_name: str, domains: list[str]) -> list[str]:
    """The operator sets a school's allowed e-mail domains (replacing the old list)."""
    cleaned = []
    for text in domains:
        domain = normalise_domain(text)
        if domain is None:
            raise ValueError(f"{text!r} is not an e-mail domain (for example school.nl).")
        cleaned.append(domain)
    with uow:
        school = uow.schools.named(school_name.strip())
        if school is None:
            raise LookupError(f"Unknown school {school_name!r}.")
        uow.schools.set_domains(school.id, sorted(set(cleaned)))
        result = uow.schools.domains(school.id)
        uow.commit()
    return result


def add_members(
    uow: UnitOfWork, team_id: int, text: str, actor: str, link_secret: str, now: datetime | None = None
) -> RosterChange:
    """Add the addresses in ``text`` to the team; each refused line is reported with its reason.

    Each new member's link works at once: the SHA-256 of its token is stored with it.
    """
    now = now or utcnow()
    change = RosterChange()
    entries = parse_entries(text)
    if len(entries) > MAX_LINES:
        change.errors.append(LineError(entries[MAX_LINES].line, "", TOO_MANY))
        entries = entries[:MAX_LINES]
    with uow:
        team = uow.schools.team(team_id)
        if team is None:
            raise LookupError(f"No team with id {team_id}.")
        domains = set(uow.schools.domains(team.school_id))
        wanted: dict[str, Entry] = {}
        for entry in entries:
            email = normalise_email(entry.text)
            if email is None:
                change.errors.append(LineError(entry.line, entry.text[:100], INVALID))
            elif email.partition("@")[2] not in domains:
                change.errors.append(LineError(entry.line, email, OUTSIDE_DOMAIN))
            elif email in wanted:
                change.errors.append(LineError(entry.line, email, DUPLICATE))
            else:
                wanted[email] = entry
        existing = uow.members.with_emails(list(wanted))
        size = uow.members.count(team.id)
        first_import = team.first_import_at
        for email, entry in wanted.items():
            member = existing.get(email)
            if member is not None:
                reason = ALREADY_IN_TEAM if member.team_id == team.id else IN_OTHER_TEAM
                change.errors.append(LineError(entry.line, email, reason))
                continue
            if size >= MAX_MEMBERS:
                change.errors.append(LineError(entry.line, email, TOO_MANY))
                continue
            member = Member(
                team_id=team.id,
                email=email,
                token_version=1,
                added_at=now,
                counts_from=counts_from(first_import, now),
                paused=False,
            )
            uow.members.add(member)
            member.token_hash = token_hash(member_token(member.id, member.token_version, link_secret))
            uow.members.log(
                RosterEvent(team_id=team.id, at=now, action="toegevoegd", masked_email=mask(email), actor=actor)
            )
            change.done.append(email)
            size += 1
        if change.done and team.first_import_at is None:
            team.first_import_at = now
        change.size = size
        uow.commit()
    change.errors.sort(key=lambda e: e.line)
    return change


def remove_members(
    uow: UnitOfWork, team_id: int, text: str, actor: str, pseudonym_secret: str, now: datetime | None = None
) -> RosterChange:
    """Remove addresses from the team: their link stops working and their raw check-ins are deleted.

    Released weeks keep their figures (they hold counts only).
    """
    now = now or utcnow()
    change = RosterChange()
    with uow:
        team = uow.schools.team(team_id)
        if team is None:
            raise LookupError(f"No team with id {team_id}.")
        for entry in parse_entries(text):
            email = normalise_email(entry.text)
            member = uow.members.with_email(email) if email else None
            if member is None or member.team_id != team.id:
                change.errors.append(LineError(entry.line, (email or entry.text)[:100], NOT_ON_ROSTER))
                continue
            uow.checkins.delete_person(member_key(member.id, pseudonym_secret))
            uow.members.remove(member)
            uow.members.log(
                RosterEvent(team_id=team.id, at=now, action="verwijderd", masked_email=mask(email), actor=actor)
            )
            change.done.append(email)
        change.size = uow.members.count(team.id)
        uow.commit()
    return change


@dataclass(frozen=True)
class RosterSummary:
    size: int
    added_recently: int


def roster_summary(uow: UnitOfWork, team_id: int, now: datetime | None = None) -> RosterSummary:
    """The roster size and how many were added in the last PADDING_DELAY_DAYS days."""
    since = (now or utcnow()) - timedelta(days=PADDING_DELAY_DAYS)
    with uow:
        return RosterSummary(uow.members.count(team_id), uow.members.count_added_since(team_id, since))


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    action: str
    masked_email: str
    actor: str


def audit(uow: UnitOfWork, team_id: int, limit: int = 200) -> list[AuditLine]:
    """The team's roster changes, newest first (read-only)."""
    with uow:
        return [AuditLine(e.at, e.action, e.masked_email, e.actor) for e in uow.members.events(team_id, limit)]


def set_paused(uow: UnitOfWork, link_hash: str, paused: bool) -> bool:
    """Pause (or resume) the weekly mails of the member with this link; False for an unknown link."""
    with uow:
        member = uow.members.with_token_hash(link_hash)
        if member is None:
            return False
        member.paused = paused
        uow.commit()
    return True
