"""The vocabulary every layer shares: check-in dimensions, scan items and levels, ISO weeks, languages.

Storage, text parsing, services, actions and the web app import these names from here and
nowhere else, so a new dimension or scan item is added in one place (plus a migration).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

#: The languages the bot speaks, as the ``language`` slot holds them; Dutch is the default.
DUTCH, ENGLISH = "nl", "en"
LANGUAGES = (DUTCH, ENGLISH)


def language_of(value: object) -> str:
    """The language for a ``language`` slot value: English for "en", Dutch for anything else (unset too)."""
    return ENGLISH if value == ENGLISH else DUTCH


def in_language(language: object, dutch: str, english: str) -> str:
    """``english`` in an English conversation (``language`` slot "en"), else ``dutch``."""
    return english if language_of(language) == ENGLISH else dutch


#: The check-in dimensions, in the order they are asked (see docs/CHECKIN.md).
DIMENSIONS = ("energie", "werkdruk", "verbinding", "waardering", "plezier")
#: The answer values of a check-in question (1 low, 5 high well-being).
SCORES = (1, 2, 3, 4, 5)

#: The fundament-scan: the foundation elements, then the team's own pyramid (see
#: bot/catalogue/fundament.yml).
SCAN_ELEMENTS = (
    "visie",
    "leiderschap",
    "inwerken",
    "maatje",
    "waarderingsgesprekken",
    "professionalisering",
    "techniek",
    "verbinding",
    "efficacy",
)
#: The layers of the pyramid, which are also the levels of the tool catalogue:
#: groen (for everyone), geel (for some), rood (curative).
LEVELS = ("groen", "geel", "rood")
SCAN_LAYERS = LEVELS
SCAN_ITEMS = SCAN_ELEMENTS + SCAN_LAYERS

#: The three answers of the fundament-scan, stored as these numbers (NULL: skipped).
ONTBREEKT, KAN_BETER, STAAT_GOED = 0, 1, 2
SCAN_LEVELS = (ONTBREEKT, KAN_BETER, STAAT_GOED)


class IsoWeek(NamedTuple):
    """An ISO week, the unit of every check-in and signal."""

    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> "IsoWeek":
        iso = day.isocalendar()
        return cls(iso[0], iso[1])

    def previous(self, n: int = 1) -> "IsoWeek":
        return IsoWeek.of(self.monday() - timedelta(weeks=n))

    def next(self, n: int = 1) -> "IsoWeek":
        return IsoWeek.of(self.monday() + timedelta(weeks=n))

    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def sunday(self) -> date:
        return self.monday() + timedelta(days=6)

    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def this_week(today: date | None = None) -> IsoWeek:
    return IsoWeek.of(today or date.today())


def last_weeks(n: int, until: IsoWeek | None = None) -> list[IsoWeek]:
    """The ``n`` ISO weeks ending with ``until`` (default this week), oldest first."""
    end = until or this_week()
    return [end.previous(i) for i in range(n - 1, -1, -1)]
