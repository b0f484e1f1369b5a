"""The weekly mails end to end: roster -> outbox -> a real SMTP server on loopback -> .eml files.

Times are Dutch (Europe/Amsterdam); week 12 of 2025 runs from Monday 17 to Sunday 23 March
(CET, UTC+1). The default rhythm is the invitation on Monday 07:30 and the reminder on
Wednesday at the same time.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.backend import Backend
from bot.mail import DevMailbox
from bot.scheduler import build_scheduler, checkin_retention_job, conversation_purge_job, mail_job, release_job
from bot.services import invitations
from bot.services.invitations import (
    MAX_ATTEMPTS,
    queue_team_now,
    queue_week,
    request_link,
    send_due,
)
from bot.services.links import member_token, token_hash
from bot.services.roster import add_members, member_key, set_domains
from bot.services.teams import create_team
from bot.storage.models import CheckIn, Member, OutboxMail
from bot.vocabulary import IsoWeek
from tests.servers import free_port
from tests.test_mail import BASE, Replying, personal_link, read_eml, smtp_settings, token_of

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = IsoWeek(2025, 12)
IMPORTED = datetime(2025, 3, 10, 9, 0, tzinfo=AMS)  # the week before: everyone counts at once


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in week 12 of 2025: day 1 = Monday 17 March."""
    return datetime(2025, 3, 16 + day, hour, minute, tzinfo=AMS)


def addresses(n: int) -> list[str]:
    return [f"leraar{i:03d}@school.nl" for i in range(n)]


def make_team(backend: Backend, n: int = 6, name: str = "Onderbouw") -> tuple[int, str]:
    team = create_team(backend.uow(), "OBS De Linde", name)
    set_domains(backend.uow(), "OBS De Linde", ["school.nl"])
    emails = addresses(n) if name == "Onderbouw" else [f"{name.lower()}{i}@school.nl" for i in range(n)]
    change = add_members(backend.uow(), team.id, "\n".join(emails), "test", backend.settings.link_secret, IMPORTED)
    assert len(change.done) == n
    return team.id, team.code


def members(backend: Backend, team_id: int) -> list[Member]:
    """The team's roster, readable after the unit of work closed (detached rows)."""
    with backend.uow() as uow:
        rows = uow.members.of_team(team_id)
        uow.session.expunge_all()
    return rows


def outbox(backend: Backend) -> list[OutboxMail]:
    with backend.uow() as uow:
        rows = list(uow.session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())
        uow.session.expunge_all()
    return rows


def check_in(backend: Backend, member: Member, week: IsoWeek = WEEK) -> None:
    uow = backend.uow()
    with uow:
        key = member_key(member.id, backend.settings.pseudonym_secret)
        uow.checkins.add(
            CheckIn(team_id=member.team_id, person_key=key, iso_year=week.year, iso_week=week.week, energie=4)
        )
        uow.commit()


def run(backend: Backend, settings, now: datetime):
    """One scheduler tick: queue what is due, then send."""
    return queue_week(backend.uow(), backend.settings.pseudonym_secret, now), send_due(backend.uow, settings, now)


@pytest.fixture
def mailbox(settings):
    with DevMailbox(settings.mail_dir, port=free_port()) as box:
        yield box


@pytest.fixture
def mail_settings(backend, mailbox):
    return smtp_settings(backend.settings, mailbox.port)


def sent_to(box: DevMailbox) -> list[str]:
    return sorted(read_eml(p)["To"] for p in box.messages())


# --------------------------------------------------------------------------- the weekly rhythm


def test_nothing_before_the_invitation_time_then_one_invitation_per_member(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend)
    queued, report = run(backend, mail_settings, at(1, 7, 29))
    assert (queued.invitations, report.sent) == (0, 0) and mailbox.messages() == []

    queued, report = run(backend, mail_settings, at(1, 7, 30))
    assert (queued.week, queued.invitations, report.sent) == (WEEK, 6, 6)
    assert sent_to(mailbox) == addresses(6)
    assert {m.status for m in outbox(backend)} == {"verstuurd"}


def test_each_mail_holds_the_members_own_working_link_first(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend)
    run(backend, mail_settings, at(1, 8))
    by_address = {m.email: m for m in members(backend, team_id)}
    tokens = set()
    for path in mailbox.messages():
        msg = read_eml(path)
        member = by_address[msg["To"]]
        link = personal_link(msg, BASE)  # the first PUBLIC_BASE_URL link of the text part
        token = token_of(link)
        assert link == f"{BASE}/c/{token}"
        assert token == member_token(member.id, member.token_version, backend.settings.link_secret)
        assert token_hash(token) == member.token_hash  # the link opens this member's check-in
        assert msg["Subject"] == "Je check-in van week 12 voor Onderbouw"
        tokens.add(token)
    assert len(tokens) == 6


@pytest.mark.parametrize("times", [2, 3])
def test_queue_and_send_again_sends_one_mail_per_member_week_and_kind(any_backend, settings, times):
    team_id, code = make_team(any_backend)
    with DevMailbox(settings.mail_dir, port=free_port()) as box:
        mail_settings = smtp_settings(any_backend.settings, box.port)
        for i in range(times):
            run(any_backend, mail_settings, at(1, 8) + timedelta(minutes=i))
            assert queue_team_now(any_backend.uow(), code, at(1, 9)).queued == 0
        assert sent_to(box) == addresses(6)
    assert [(m.kind, m.status, m.attempts) for m in outbox(any_backend)] == [("uitnodiging", "verstuurd", 1)] * 6


def test_the_reminder_goes_only_to_members_without_a_checkin(any_backend, settings):
    with DevMailbox(settings.mail_dir, port=free_port()) as mailbox:
        _reminder_only_without_checkin(any_backend, mailbox, smtp_settings(any_backend.settings, mailbox.port))


def _reminder_only_without_checkin(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend)
    run(backend, mail_settings, at(1, 8))
    roster = members(backend, team_id)
    check_in(backend, roster[0])
    check_in(backend, roster[1])
    check_in(backend, roster[2], WEEK.previous())  # last week's check-in does not count

    queued, _ = run(backend, mail_settings, at(3, 7, 29))
    assert queued.reminders == 0  # not before Wednesday 07:30
    queued, report = run(backend, mail_settings, at(3, 7, 30))
    assert (queued.reminders, report.sent) == (4, 4)
    reminders = [read_eml(p) for p in mailbox.messages() if read_eml(p)["Subject"].startswith("Herinnering")]
    assert sorted(m["To"] for m in reminders) == [m.email for m in roster[2:]]
    assert all("nog niet ingevuld" in m.get_body(("plain",)).get_content() for m in reminders)

    check_in(backend, roster[3])  # checking in later changes nothing: one reminder a week
    assert run(backend, mail_settings, at(3, 12))[0].reminders == 0


def test_never_more_than_two_mails_per_member_per_week(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend, n=4)
    moment = at(1, 0)
    while moment < at(7, 23, 59):  # every 3 hours through the week, twice at each moment
        run(backend, mail_settings, moment)
        run(backend, mail_settings, moment)
        moment += timedelta(hours=3)
    per_member: dict[str, list[str]] = {}
    for path in mailbox.messages():
        msg = read_eml(path)
        per_member.setdefault(msg["To"], []).append(msg["Subject"].split(":")[0])
    assert sorted(per_member) == addresses(4)
    assert all(
        sorted(kinds) == ["Herinnering", "Je check-in van week 12 voor Onderbouw"] for kinds in per_member.values()
    )


def test_a_member_who_asked_for_the_link_gets_no_reminder_on_top(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend, n=2)
    run(backend, mail_settings, at(1, 8))
    assert request_link(backend.uow(), addresses(2)[0], at(2, 10)) is True
    run(backend, mail_settings, at(2, 10, 1))
    run(backend, mail_settings, at(3, 8))
    kinds = sorted((m.member_id, m.kind) for m in outbox(backend))
    first, second = sorted(m.id for m in members(backend, team_id))
    assert kinds == [(first, "link"), (first, "uitnodiging"), (second, "herinnering"), (second, "uitnodiging")]


def test_a_holiday_week_sends_nothing(backend, mailbox, mail_settings):
    team_id, code = make_team(backend)
    with backend.uow() as uow:
        uow.schools.set_holiday(team_id, WEEK, True)
        uow.commit()
    for moment in (at(1, 8), at(3, 8), at(5, 12)):
        queued, report = run(backend, mail_settings, moment)
        assert (queued.invitations, queued.reminders, report.sent) == (0, 0, 0)
    result = queue_team_now(backend.uow(), code, at(2, 9))
    assert (result.holiday, result.queued) == (True, 0)
    assert mailbox.messages() == [] and outbox(backend) == []

    queued, _ = run(backend, mail_settings, at(1, 8) + timedelta(weeks=1))  # the next week as usual
    assert queued.week == WEEK.next() and queued.invitations == 6


def test_paused_members_get_no_weekly_mails_but_can_ask_for_their_link(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend, n=3)
    with backend.uow() as uow:
        uow.members.with_email(addresses(3)[0]).paused = True
        uow.commit()
    run(backend, mail_settings, at(1, 8))
    run(backend, mail_settings, at(3, 8))
    assert addresses(3)[0] not in sent_to(mailbox) and len(mailbox.messages()) == 4
    request_link(backend.uow(), addresses(3)[0], at(4, 9))
    send_due(backend.uow, mail_settings, at(4, 9))
    assert sent_to(mailbox).count(addresses(3)[0]) == 1


def test_a_member_added_midweek_is_invited_at_once_and_not_reminded_the_same_day(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend, n=2)
    run(backend, mail_settings, at(1, 8))
    late = "nieuw@school.nl"
    add_members(backend.uow(), team_id, late, "test", backend.settings.link_secret, at(3, 9))
    queued, _ = run(backend, mail_settings, at(3, 9, 1))
    assert (queued.invitations, queued.reminders) == (1, 2)  # the two invited on Monday get their reminder
    queued, _ = run(backend, mail_settings, at(3, 9, 2))
    assert queued.reminders == 0  # the new member was invited after the reminder moment
    assert sent_to(mailbox).count(late) == 1


def test_reminders_follow_the_teams_own_days(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend, n=2)
    with backend.uow() as uow:
        team = uow.schools.team(team_id)
        team.invite_weekday, team.invite_time, team.reminder_weekday = 2, "13:15", 4
        uow.commit()
    assert run(backend, mail_settings, at(1, 8))[0].invitations == 0  # not on Monday
    assert run(backend, mail_settings, at(2, 13, 14))[0].invitations == 0
    assert run(backend, mail_settings, at(2, 13, 15))[0].invitations == 2
    assert run(backend, mail_settings, at(3, 14))[0].reminders == 0  # not on Wednesday
    assert run(backend, mail_settings, at(4, 13, 15))[0].reminders == 2
    assert run(backend, mail_settings, at(5, 13, 15))[0].reminders == 0


def test_queue_team_now_is_idempotent(backend, mailbox, mail_settings):
    _, code = make_team(backend)
    first = queue_team_now(backend.uow(), code.lower(), at(1, 6))  # before the team's time, typed in any form
    assert (first.team, first.week, first.holiday, first.queued) == ("Onderbouw", WEEK, False, 6)
    assert queue_team_now(backend.uow(), code, at(1, 6, 5)).queued == 0
    assert run(backend, mail_settings, at(1, 8))[0].invitations == 0  # the weekly run adds none either
    assert len(mailbox.messages()) == 6
    with pytest.raises(LookupError):
        queue_team_now(backend.uow(), "AAAAA-BBBBB", at(1, 6))


# --------------------------------------------------------------------------- a lost link


def test_a_lost_link_is_mailed_to_the_roster_address_only_and_the_answer_never_tells(backend, mailbox, mail_settings):
    team_id, _ = make_team(backend, n=2)
    member = members(backend, team_id)[0]
    assert request_link(backend.uow(), "  LERAAR000@School.NL ", at(2, 10)) is True
    assert request_link(backend.uow(), "onbekend@school.nl", at(2, 10)) is True  # same answer: no roster probing
    assert request_link(backend.uow(), "leraar000@school.nl", at(2, 11)) is True  # once a week at most
    assert request_link(backend.uow(), "geen adres", at(2, 10)) is False
    send_due(backend.uow, mail_settings, at(2, 11))
    [path] = mailbox.messages()
    msg = read_eml(path)
    assert msg["To"] == member.email and msg["Subject"] == "Je persoonlijke link voor de Welbevinden-assistent"
    assert token_hash(token_of(personal_link(msg))) == member.token_hash
    with backend.uow() as uow:
        events = [(e.action, e.masked_email, e.actor) for e in uow.members.events(team_id)]
    assert events[0] == ("link_opnieuw", "l…@school.nl", "lid")


# --------------------------------------------------------------------------- failures


def test_smtp_down_mails_wait_and_are_delivered_when_the_server_is_back(backend, settings):
    make_team(backend, n=5)
    port = free_port()
    down = smtp_settings(backend.settings, port)
    queued, report = run(backend, down, at(1, 8))
    assert (queued.invitations, report.sent, report.retry) == (5, 0, 5)
    rows = outbox(backend)
    assert {(m.status, m.attempts) for m in rows} == {("wacht", 1)}
    assert send_due(backend.uow, down, at(1, 8, 1)).retry == 0  # not due again yet: nothing claimed

    with DevMailbox(settings.mail_dir, port=port) as box:
        assert send_due(backend.uow, down, at(1, 8, 1)).sent == 0  # still waiting for its next attempt
        report = send_due(backend.uow, down, at(1, 8) + invitations.RETRY_DELAYS[0])
        assert report.sent == 5
        assert sent_to(box) == addresses(5)
    assert {(m.status, m.attempts) for m in outbox(backend)} == {("verstuurd", 2)}


def test_a_4xx_reply_is_retried_and_then_delivered(backend, settings):
    make_team(backend, n=3)
    handler = Replying(settings.mail_dir, "451 4.7.1 greylisted", "421 4.3.2 busy")
    with DevMailbox(settings.mail_dir, port=free_port(), handler=handler) as box:
        mail_settings = smtp_settings(backend.settings, box.port)
        _, report = run(backend, mail_settings, at(1, 8))
        assert (report.sent, report.retry, report.failed) == (1, 2, 0)
        report = send_due(backend.uow, mail_settings, at(1, 8) + timedelta(minutes=5))
        assert (report.sent, report.retry) == (2, 0)
        assert sent_to(box) == addresses(3)


def test_a_5xx_reply_fails_for_good_and_the_coordinator_sees_counts_only(backend, settings):
    team_id, _ = make_team(backend, n=3)
    handler = Replying(settings.mail_dir, "550 5.1.1 mailbox unavailable", "550 5.1.1 mailbox unavailable")
    with DevMailbox(settings.mail_dir, port=free_port(), handler=handler) as box:
        _, report = run(backend, smtp_settings(backend.settings, box.port), at(1, 8))
        assert (report.sent, report.retry, report.failed) == (1, 0, 2)
    with backend.uow() as uow:
        assert uow.outbox.failed_counts(team_id, WEEK) == {"uitnodiging": 2}  # "2 uitnodigingen niet verstuurd"
    assert sorted(m.status for m in outbox(backend)) == ["mislukt", "mislukt", "verstuurd"]


def test_after_the_last_attempt_a_mail_is_given_up(backend):
    team_id, _ = make_team(backend, n=1)
    down = smtp_settings(backend.settings, free_port())
    now = at(1, 8)
    queue_week(backend.uow(), backend.settings.pseudonym_secret, now)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = send_due(backend.uow, down, now)
        [row] = outbox(backend)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (report.retry, row.status) == (1, "wacht")
            now += invitations.RETRY_DELAYS[attempt - 1]
    assert (report.failed, row.status) == (1, "mislukt")
    with backend.uow() as uow:
        assert uow.outbox.failed_counts(team_id, WEEK) == {"uitnodiging": 1}
    assert MAX_ATTEMPTS == 6


def test_two_workers_at_once_never_send_one_mail_twice(any_backend, settings):
    n = 40
    make_team(any_backend, n=n)
    queue_week(any_backend.uow(), any_backend.settings.pseudonym_secret, at(1, 8))
    with DevMailbox(settings.mail_dir, port=free_port()) as box:
        mail_settings = smtp_settings(any_backend.settings, box.port)
        barrier = threading.Barrier(2)
        reports, errors = [], []

        def worker() -> None:
            try:
                barrier.wait()
                reports.append(send_due(any_backend.uow, mail_settings, at(1, 8), batch_size=4))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert sum(r.sent for r in reports) == n
        assert sent_to(box) == addresses(n)  # each member exactly once
    assert {m.status for m in outbox(any_backend)} == {"verstuurd"}


def test_nothing_personal_is_logged(backend, settings, caplog):
    caplog.set_level(logging.DEBUG)
    team_id, code = make_team(backend, n=3)
    roster = members(backend, team_id)
    handler = Replying(settings.mail_dir, "451 4.7.1 greylisted", "550 5.1.1 no such user")
    with DevMailbox(settings.mail_dir, port=free_port(), handler=handler) as box:
        mail_settings = smtp_settings(backend.settings, box.port)
        run(backend, mail_settings, at(1, 8))
        request_link(backend.uow(), roster[0].email, at(1, 9))
        request_link(backend.uow(), "onbekend@school.nl", at(1, 9))
        send_due(backend.uow, mail_settings, at(1, 9))
        queue_team_now(backend.uow(), code, at(1, 9))
        mail_job(Backend(mail_settings, backend.database), at(3, 8))
    send_due(backend.uow, mail_settings, at(4, 8))  # the server is gone now
    assert len(box.messages()) >= 3 and caplog.records
    secret = backend.settings.link_secret
    personal = ["onbekend@school.nl"]
    for member in roster:
        token = member_token(member.id, member.token_version, secret)
        personal += [member.email, member.email.split("@")[0], token, token_hash(token), f"/c/{token}"]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for value in personal:
        assert value not in logged


# --------------------------------------------------------------------------- the scheduler


def test_the_scheduler_runs_the_four_jobs_in_dutch_time(backend):
    scheduler = build_scheduler(backend)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"mail", "release", "checkin_retention", "conversation_purge"}
    assert str(scheduler.timezone) == "Europe/Amsterdam"
    assert jobs["mail"].trigger.interval == timedelta(minutes=1)
    assert jobs["release"].trigger.interval == timedelta(hours=1)
    assert jobs["checkin_retention"].trigger.interval == timedelta(days=1)
    assert jobs["conversation_purge"].trigger.interval == timedelta(days=1)
    scheduler.start()
    try:
        assert scheduler.running
    finally:
        scheduler.shutdown(wait=False)


def test_a_failing_job_is_logged_by_kind_and_the_scheduler_goes_on(backend, caplog, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("leraar000@school.nl")

    monkeypatch.setattr("bot.scheduler.queue_week", broken)
    job = next(j for j in build_scheduler(backend).get_jobs() if j.id == "mail")
    job.func()  # does not raise
    assert "job mail failed (RuntimeError)" in caplog.text and "leraar000" not in caplog.text


def test_mail_job_queues_and_sends(backend, mailbox, mail_settings):
    make_team(backend, n=2)
    queued, report = mail_job(Backend(mail_settings, backend.database), at(1, 8))
    assert (queued.invitations, report.sent) == (2, 2)


def test_release_and_retention_jobs(backend):
    team_id, _ = make_team(backend, n=5)
    roster = members(backend, team_id)
    old, recent = WEEK.previous(30), WEEK.previous(2)
    with backend.uow() as uow:
        uow.schools.team(team_id).first_import_at = datetime.combine(old.monday(), datetime.min.time(), timezone.utc)
        for member in uow.members.of_team(team_id):
            member.counts_from = old.monday()
        uow.commit()
    for member in roster:
        check_in(backend, member, old)
        check_in(backend, member, recent)

    now = at(3, 12)
    assert checkin_retention_job(backend, now) == 5  # the old week's raw rows go ...
    with backend.uow() as uow:
        released = uow.releases.released([team_id], [old, recent])
        assert released[(team_id, old)].respondents == 5  # ... after it was released, and its figures stay
        assert released[(team_id, recent)].respondents == 5
        assert len(uow.checkins.of_team_week(team_id, recent)) == 5
        assert uow.releases.latest_week(team_id) == WEEK.previous()  # never the running week
    assert release_job(backend, now) == []
    assert conversation_purge_job(backend, now).deleted_events == 0  # no tracker store yet: nothing to do
