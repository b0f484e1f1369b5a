"""The weekly mails: queueing invitations and reminders in the outbox, and sending what is due.

The rhythm, in Dutch time (Europe/Amsterdam), per team (``invite_weekday``,
``invite_time``, ``reminder_weekday``; default Monday 07:30 and Wednesday):

- from the invitation moment until the end of the ISO week, every member who is not
  paused gets this week's "uitnodiging" (so a member added on Tuesday is invited on
  Tuesday);
- on the reminder day, from the same time of day, members who were invited before that
  moment, have not checked in this ISO week and have had fewer than two mails this week
  get one "herinnering";
- a week the coordinator marked as a holiday (``team_holidays``) gets neither.

The outbox's unique key (member, ISO week, kind) makes queueing idempotent: running it
twice, or in two processes, queues one mail. :func:`send_due` claims due mails (a worker
never sends a mail another worker claimed), sends them and records the result; a
temporary SMTP failure is retried with a growing delay, a permanent one (5xx) or the
last attempt marks the mail "mislukt". The coordinator sees those only as counts per
kind (``OutboxRepository.failed_counts``), never who.

A member who lost their link asks for it with :func:`request_link`: the mail goes to the
address on the roster only, and the answer is the same whether or not the address is on
a roster. Nothing here logs an address, a token or a link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from bot.mail import MailError, MailSender, MailServerDown, build_message
from bot.services.links import member_link
from bot.services.roster import LOCAL_TZ, mask, member_key, normalise_email
from bot.services.teams import normalize_code
from bot.settings import Settings
from bot.storage.models import RosterEvent, Team, utcnow
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import IsoWeek

log = logging.getLogger(__name__)

INVITATION, REMINDER, LINK = "uitnodiging", "herinnering", "link"
SENT, FAILED = "verstuurd", "mislukt"
#: Wait this long before the 2nd, 3rd, ... attempt after a temporary failure; then give up.
RETRY_DELAYS = (
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: A claimed mail is this worker's until then (after a crash, another worker takes it over).
CLAIM_TIME = timedelta(minutes=10)
#: Mails claimed at once; and at most this many batches per run of send_due.
BATCH_SIZE = 50
MAX_BATCHES = 40
DEFAULT_INVITE_TIME = time(7, 30)


def as_utc(now: datetime | None) -> datetime:
    """``now`` (default: the current time) in UTC; a naive value is taken as UTC."""
    now = now or utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def local_week(now: datetime) -> IsoWeek:
    """The ISO week ``now`` falls in, in Dutch time."""
    return IsoWeek.of(now.astimezone(LOCAL_TZ).date())


def _time_of_day(text: str | None) -> time:
    try:
        hours, minutes = (int(part) for part in (text or "").split(":"))
        return time(hours, minutes)
    except ValueError:
        return DEFAULT_INVITE_TIME


def _on(week: IsoWeek, weekday: int | None, at: time) -> datetime:
    day: date = week.monday() + timedelta(days=min(max(int(weekday or 1), 1), 7) - 1)
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def invitation_moment(team: Team, week: IsoWeek) -> datetime:
    """When the team's invitation of ``week`` goes out (Dutch time)."""
    return _on(week, team.invite_weekday, _time_of_day(team.invite_time))


def reminder_moment(team: Team, week: IsoWeek) -> datetime:
    """When the team's reminder of ``week`` goes out: the reminder day, at the invitation's time."""
    return _on(week, team.reminder_weekday, _time_of_day(team.invite_time))


# --------------------------------------------------------------------------- queueing


@dataclass(frozen=True)
class Queued:
    """What one run of :func:`queue_week` added to the outbox."""

    week: IsoWeek
    invitations: int = 0
    reminders: int = 0


def queue_week(uow: UnitOfWork, pseudonym_secret: str, now: datetime | None = None) -> Queued:
    """Queue this week's due invitations and reminders of every team (see the module text).

    ``pseudonym_secret`` finds a member's check-in (``member_key``) for the reminder rule.
    """
    now = as_utc(now)
    local = now.astimezone(LOCAL_TZ)
    week = local_week(now)
    invitations = reminders = 0
    with uow:
        teams = uow.schools.all_teams()
        inviting = [t.id for t in teams if invitation_moment(t, week) <= local]
        for member_id, team_id in uow.outbox.due_invitations(inviting, week):
            invitations += uow.outbox.add_if_new(member_id, team_id, week, INVITATION, now)

        # Teams whose reminder is due today, grouped by that moment (most share the default).
        reminding: dict[datetime, list[int]] = {}
        for team in teams:
            at = reminder_moment(team, week)
            if invitation_moment(team, week) < at <= local and at.date() == local.date():
                reminding.setdefault(at, []).append(team.id)
        for at, team_ids in reminding.items():
            due: dict[int, list[int]] = {}
            for member_id, team_id in uow.outbox.due_reminders(team_ids, week, at.astimezone(timezone.utc)):
                due.setdefault(team_id, []).append(member_id)
            for team_id, member_ids in due.items():
                checked_in = {c.person_key for c in uow.checkins.of_team_week(team_id, week)}
                for member_id in member_ids:
                    if member_key(member_id, pseudonym_secret) not in checked_in:
                        reminders += uow.outbox.add_if_new(member_id, team_id, week, REMINDER, now)
        uow.commit()
    if invitations or reminders:
        log.info("[mail] queued %d invitations and %d reminders for %s", invitations, reminders, week.label())
    return Queued(week, invitations, reminders)


@dataclass(frozen=True)
class TeamQueued:
    """What :func:`queue_team_now` did for one team (counts only)."""

    team: str
    team_code: str
    week: IsoWeek
    holiday: bool
    queued: int


def queue_team_now(uow: UnitOfWork, team_code: str, now: datetime | None = None) -> TeamQueued:
    """Queue this week's invitation for every member of one team now, whatever the team's day.

    Idempotent: members who already have this week's invitation get no second one. Paused
    members and a holiday week get nothing. A LookupError for an unknown code.
    """
    now = as_utc(now)
    week = local_week(now)
    code = normalize_code(team_code)
    with uow:
        team = uow.schools.team_with_code(code) if code else None
        if team is None:
            raise LookupError(
                f"Unknown team code {team_code!r}. `python -m bot team list --school NAME` shows the codes."
            )
        holiday = week in uow.schools.holidays(team.id)
        queued = 0
        for member_id, team_id in uow.outbox.due_invitations([team.id], week):
            queued += uow.outbox.add_if_new(member_id, team_id, week, INVITATION, now)
        result = TeamQueued(team.name, team.code, week, holiday, queued)
        uow.commit()
    return result


def request_link(uow: UnitOfWork, email: str, now: datetime | None = None) -> bool:
    """A member who lost their link asks for it: it is mailed to that roster address only.

    Returns True when ``email`` is a well-formed address and False when it is not, never
    whether it is on a roster: the caller shows the same answer either way ("als dit adres
    op een teamlijst staat, krijg je je link"). One link mail per member per ISO week (the
    outbox key), so the form cannot be used to flood a colleague's inbox; the request goes
    into the roster's audit list as "link_opnieuw".
    """
    address = normalise_email(email or "")
    if address is None:
        return False
    now = as_utc(now)
    with uow:
        member = uow.members.with_email(address)
        if member is not None and uow.outbox.add_if_new(member.id, member.team_id, local_week(now), LINK, now):
            uow.members.log(
                RosterEvent(
                    team_id=member.team_id, at=now, action="link_opnieuw", masked_email=mask(address), actor="lid"
                )
            )
        uow.commit()
    return True


# --------------------------------------------------------------------------- sending


@dataclass
class SendReport:
    """What one run of :func:`send_due` did (counts only)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Job:
    id: int
    kind: str
    week: IsoWeek
    member_id: int
    token_version: int
    email: str = ""  # never in a repr or a log line
    team: str = ""
    school: str = ""

    def __repr__(self) -> str:
        return f"_Job(id={self.id}, kind={self.kind!r})"


def _claim(uow: UnitOfWork, now: datetime, limit: int) -> list[_Job]:
    with uow:
        jobs = []
        for row in uow.outbox.claim_due(now, now + CLAIM_TIME, limit):
            member = uow.members.get(row.member_id)
            team = uow.schools.team(row.team_id)
            jobs.append(
                _Job(
                    id=row.id,
                    kind=row.kind,
                    week=IsoWeek(row.iso_year, row.iso_week),
                    member_id=member.id,
                    token_version=member.token_version,
                    email=member.email,
                    team=team.name,
                    school=team.school.name,
                )
            )
        uow.commit()
    return jobs


def _record(uow: UnitOfWork, job: _Job, error: MailError | None, now: datetime) -> str:
    """Store the outcome of one attempt: "verstuurd", "wacht" (retry later) or "mislukt"."""
    with uow:
        row = uow.outbox.get(job.id)
        if row is None:  # the member left the roster meanwhile (their mails went with them)
            return FAILED if error else SENT
        row.attempts = (row.attempts or 0) + 1
        row.claimed_until = None
        if error is None:
            row.status, row.sent_at = SENT, now
        elif error.permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = FAILED
        else:
            row.next_attempt_at = now + RETRY_DELAYS[row.attempts - 1]
        status = row.status
        uow.commit()
    return status


def _attempt(sender: MailSender, job: _Job, settings: Settings) -> MailError | None:
    """Build and send one mail; the error when it was not accepted."""
    link = member_link(settings.public_base_url, job.member_id, job.token_version, settings.link_secret)
    message = build_message(
        job.kind, to=job.email, team=job.team, school=job.school, week=job.week, link=link, settings=settings
    )
    try:
        sender.send(message)
    except MailError as exc:
        return exc
    return None


def send_due(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings,
    now: datetime | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> SendReport:
    """Send every mail that is due: claim a batch, send each, record each result at once.

    ``uow_factory`` makes a fresh unit of work per transaction (``backend.uow``). Safe with
    several workers at once: each mail is claimed by one worker only. When the SMTP server
    cannot be reached, the claimed batch waits for its next attempt and this run stops.
    """
    now = as_utc(now)
    report = SendReport()
    with MailSender(settings) as sender:
        for _ in range(max_batches):
            jobs = _claim(uow_factory(), now, batch_size)
            if not jobs:
                break
            server_down = False
            for job in jobs:
                error = MailServerDown() if server_down else _attempt(sender, job, settings)
                server_down = isinstance(error, MailServerDown)
                status = _record(uow_factory(), job, error, now)
                if status == SENT:
                    report.sent += 1
                elif status == FAILED:
                    report.failed += 1
                    log.warning("[mail] a %s was given up on (%s)", job.kind, error)
                else:
                    report.retry += 1
            if server_down:
                log.warning(
                    "[mail] the SMTP server cannot be reached (%s:%s); retrying later", sender.host, sender.port
                )
                break
    if report.sent or report.retry or report.failed:
        log.info("[mail] %d sent, %d to retry later, %d given up", report.sent, report.retry, report.failed)
    return report
