"""The scheduler inside ``python -m bot serve``: weekly mails, the release, retention.

An APScheduler 3.x ``BackgroundScheduler`` in Dutch time (Europe/Amsterdam) with four jobs:

| job | when | what |
|---|---|---|
| ``mail`` | every minute, and at start | queue due invitations and reminders, send due mails |
| ``release`` | every hour, and at start | freeze every ended, unreleased team-week |
| ``checkin_retention`` | daily, from a minute after start | delete raw check-ins older than CHECKIN_RETENTION_WEEKS |
| ``conversation_purge`` | daily, from two minutes after start | delete conversation text older than RETENTION_DAYS |

One process runs it: ``run_as_owner`` starts it only while the process holds the
database's ``scheduler`` lock (bot/storage/locks.py); other processes that run it stand by
and take over when the owner goes away. Even two at once would be safe: the outbox's unique
key and the claim of a mail make queueing and sending safe, a week released twice is caught
by its unique key, and the deletions are idempotent. A job that fails logs the kind of error
only (never its text, which could hold data) and runs again at its next time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import DBAPIError

from bot.backend import Backend
from bot.services.invitations import Queued, SendReport, as_utc, local_week, queue_week, send_due
from bot.services.release import Released, release_ended_weeks
from bot.services.retention import PurgeResult, purge_conversations
from bot.services.roster import LOCAL_TZ
from bot.storage.db import describe_error
from bot.storage.locks import database_lock

log = logging.getLogger(__name__)


def mail_job(backend: Backend, now: datetime | None = None) -> tuple[Queued, SendReport]:
    """Queue this week's due mails, then send everything due."""
    now = as_utc(now)
    queued = queue_week(backend.uow(), backend.settings.pseudonym_secret, now)
    return queued, send_due(backend.uow, backend.settings, now)


def release_job(backend: Backend, now: datetime | None = None) -> list[Released]:
    released = release_ended_weeks(backend.uow(), backend.settings.pseudonym_secret, as_utc(now))
    if released:
        log.info("[release] released %d team-weeks", len(released))
    return released


def checkin_retention_job(backend: Backend, now: datetime | None = None) -> int:
    """Delete raw check-ins of weeks before the last CHECKIN_RETENTION_WEEKS ISO weeks (this one included).

    Ended weeks are released first, so their frozen figures never depend on what is deleted.
    """
    now = as_utc(now)
    release_ended_weeks(backend.uow(), backend.settings.pseudonym_secret, now)
    oldest_kept = local_week(now).previous(backend.settings.checkin_retention_weeks - 1)
    uow = backend.uow()
    with uow:
        deleted = uow.checkins.delete_older_than(oldest_kept)
        uow.commit()
    if deleted:
        log.info("[retention] deleted %d check-ins from before %s", deleted, oldest_kept.label())
    return deleted


def conversation_purge_job(backend: Backend, now: datetime | None = None) -> PurgeResult:
    settings = backend.settings
    result = purge_conversations(settings.tracker_db_url, settings.retention_days, now.timestamp() if now else None)
    if result.deleted_events:
        log.info("[retention] deleted %d conversation events", result.deleted_events)
    return result


def _guarded(name: str, job: Callable[[Backend], object], backend: Backend) -> Callable[[], None]:
    def run() -> None:
        try:
            job(backend)
        except Exception as exc:  # noqa: BLE001 - keep the scheduler alive; the next run tries again
            log.error("[scheduler] job %s failed (%s); it runs again at its next time", name, type(exc).__name__)

    run.__name__ = name
    return run


def build_scheduler(backend: Backend) -> BackgroundScheduler:
    """A scheduler with the four jobs, not yet started."""
    scheduler = BackgroundScheduler(
        timezone=LOCAL_TZ,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    now = datetime.now(LOCAL_TZ)
    jobs = [
        ("mail", mail_job, {"minutes": 1}, now),
        ("release", release_job, {"hours": 1}, now),
        ("checkin_retention", checkin_retention_job, {"days": 1}, now + timedelta(minutes=1)),
        ("conversation_purge", conversation_purge_job, {"days": 1}, now + timedelta(minutes=2)),
    ]
    for name, job, every, first in jobs:
        scheduler.add_job(_guarded(name, job, backend), "interval", id=name, name=name, next_run_time=first, **every)
    return scheduler


def start_scheduler(backend: Backend) -> BackgroundScheduler:
    """Build and start the scheduler (a daemon thread); stop it with ``shutdown(wait=False)``."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no "job executed" line every minute
    scheduler = build_scheduler(backend)
    scheduler.start()
    return scheduler


#: Seconds between a standing-by process's attempts to take over, and the owner's checks of its lock.
OWNER_POLL_S = 15.0


def run_as_owner(backend: Backend, stop: threading.Event, poll: float = OWNER_POLL_S) -> None:
    """Run the scheduler while this process holds the database's ``scheduler`` lock, until ``stop`` is set.

    A process that does not get the lock stands by and tries again every ``poll`` seconds,
    so however many processes run this, the jobs run in one of them, and in another one
    when that one stops.
    """
    url = backend.settings.database_url
    standing_by = False
    while not stop.is_set():
        try:
            with database_lock(url, "scheduler", wait=False) as lock:
                if lock:
                    standing_by = False
                    log.info("[scheduler] running: weekly mails, release of ended weeks, retention")
                    scheduler = start_scheduler(backend)
                    try:
                        while not stop.wait(poll):
                            if not lock.still_held():
                                log.warning("[scheduler] lost its database lock; jobs paused until it is back")
                                break
                    finally:
                        scheduler.shutdown(wait=False)
                    continue
        except DBAPIError as exc:
            log.error("[scheduler] cannot reach the database (%s); trying again in %.0f s", describe_error(exc), poll)
        else:
            if not standing_by:
                log.info("[scheduler] another process runs the scheduler; this one stands by")
                standing_by = True
        stop.wait(poll)
