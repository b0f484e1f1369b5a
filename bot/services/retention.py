"""Retention: conversation text is kept no longer than RETENTION_DAYS.

Rasa's SQLTrackerStore keeps every user message verbatim in its ``events`` table. ``purge``
deletes events older than the cut-off (run it daily: ``python -m bot purge`` from cron).
Aggregates (check-in scores, topic counters) are in the application database and stay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import MetaData, Table, delete, func, select
from sqlalchemy.exc import NoSuchTableError

from bot.storage.db import make_engine

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PurgeResult:
    deleted_events: int
    remaining_events: int
    cutoff_timestamp: float


def purge_conversations(tracker_db_url: str, retention_days: int, now: float | None = None) -> PurgeResult:
    """Delete tracker-store events older than ``retention_days`` days."""
    if retention_days < 1:
        raise ValueError("RETENTION_DAYS must be at least 1.")
    cutoff = (now if now is not None else time.time()) - retention_days * SECONDS_PER_DAY
    engine = make_engine(tracker_db_url)
    try:
        events = Table("events", MetaData(), autoload_with=engine)
    except NoSuchTableError:
        return PurgeResult(0, 0, cutoff)  # Rasa has not stored a conversation yet
    with engine.begin() as conn:
        deleted = conn.execute(delete(events).where(events.c.timestamp < cutoff)).rowcount or 0
        remaining = conn.execute(select(func.count()).select_from(events)).scalar_one()
    engine.dispose()
    return PurgeResult(deleted, remaining, cutoff)
