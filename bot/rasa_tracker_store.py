"""Rasa's SQL tracker store, with an engine that keeps SQL parameters out of every error.

Rasa 3.6's ``SQLTrackerStore`` creates its engine with no way to hide parameters, so a
database error would log what a teacher typed. This subclass (endpoints.yml:
``tracker_store: type: bot.rasa_tracker_store.PrivateSQLTrackerStore``) replaces that engine
by one with ``hide_parameters=True`` and otherwise the same options (including the pooled
SQLite engine of bot/rasa_speedups.py when that is installed).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core import tracker_store
from rasa.core.tracker_store import SQLTrackerStore


class PrivateSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        # Looked up at call time: bot.rasa_speedups may have replaced it with its pooled version.
        options = tracker_store.create_engine_kwargs(url)
        self.engine.dispose()
        self.engine = sa.create_engine(url, hide_parameters=True, **options)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
