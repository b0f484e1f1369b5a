"""ISO weeks, the unit of every check-in and signal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple


class IsoWeek(NamedTuple):
    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> "IsoWeek":
        iso = day.isocalendar()
        return cls(iso[0], iso[1])

    def previous(self, n: int = 1) -> "IsoWeek":
        return IsoWeek.of(self.monday() - timedelta(weeks=n))

    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def this_week() -> IsoWeek:
    return IsoWeek.of(date.today())


def last_weeks(n: int, until: IsoWeek | None = None) -> list[IsoWeek]:
    """The ``n`` ISO weeks ending with ``until`` (default this week), oldest first."""
    end = until or this_week()
    return [end.previous(i) for i in range(n - 1, -1, -1)]
