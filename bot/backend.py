"""What a process needs to run use cases: its settings and its database.

Built once at each entry point (``Backend.from_settings(Settings.from_env())``) and
handed down to the web app, the actions and the CLI; services get a fresh unit of work
from :meth:`Backend.uow` per use case.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.unit_of_work import UnitOfWork


@dataclass
class Backend:
    settings: Settings
    database: Database

    @classmethod
    def from_settings(cls, settings: Settings) -> "Backend":
        return cls(settings, Database(settings.database_url))

    def uow(self) -> UnitOfWork:
        """A new unit of work (one transaction per ``with`` block)."""
        return self.database.unit_of_work()
