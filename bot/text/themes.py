"""What a distress message or a near-domain question is about, read from its words.

The themes and their words live in bot/catalogue/themas.yml. The input guard
(bot/rasa_nlu/input_guard.py) uses them inside the Rasa process, so the empathic
sentence of the third help tier and the "dat weet ik niet, vraag het ..." answer can
follow what was said while the action server is down. Pure functions; the catalogue is
read on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text.crisis import OTHER, OTHER_PERSON, SELF, UNKNOWN, span_owner

THEMES_FILE = Path(__file__).resolve().parent.parent / "catalogue" / "themas.yml"
#: The slot value when no theme's words match (domain/steun.yml, domain/fallback.yml).
GENERAL = "algemeen"
#: The writer right after a distress word, as its object or as the subject after the verb
#: ("een collega kleineert *me*", "daardoor slaap *ik* slecht", "keeps bullying *me*").
WRITER_AFTER = re.compile(r"\w*\s+((tegen|naar|aan|op|to|at|on)\s+)?(me|mij|mezelf|myself|ik)\b")
#: Someone else right after a distress word: the worry is about their state ("ik ben *bang dat
#: mijn collega* ...", "I'm *afraid my colleague* ...", "I feel bad *for her*"); not "bang voor".
ABOUT_SOMEONE_AFTER = re.compile(
    r"\w*\s+((dat|that|om|over|about|for)\s+)?((mijn|m.n|mn|onze|een|de|die|my|our|a|the)\s+)?" + OTHER_PERSON.pattern
)


@dataclass(frozen=True)
class Theme:
    id: str
    words: tuple[re.Pattern[str], ...]
    strong: tuple[re.Pattern[str], ...] = ()
    tool: str | None = None
    #: Its words are knowledge topics too: found only in a message already classified as steun.
    only_in_steun: bool = False


@dataclass(frozen=True)
class Found:
    """A theme found in a message, and where its word is (for the entity span)."""

    theme: str
    start: int
    end: int


def _compile(patterns: list[str] | None) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns or ())


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[Theme, ...]]:
    data = yaml.safe_load(THEMES_FILE.read_text(encoding="utf-8"))
    result = {}
    for kind in ("steun", "buiten_bereik"):
        themes = tuple(
            Theme(
                item["id"],
                _compile(item.get("woorden")),
                _compile(item.get("sterk")),
                item.get("tool"),
                bool(item.get("alleen_bij_steun")),
            )
            for item in data[kind]
        )
        ids = [t.id for t in themes]
        if len(set(ids)) != len(ids) or GENERAL in ids or any(not (t.words or t.strong) for t in themes):
            raise ValueError(f"Invalid {kind} themes in {THEMES_FILE}.")
        result[kind] = themes
    result["steun_eigen"] = _compile(data["steun_eigen"])  # type: ignore[assignment]
    return result


def steun_themes() -> tuple[Theme, ...]:
    return _catalogue()["steun"]


def near_domain_themes() -> tuple[Theme, ...]:
    return _catalogue()["buiten_bereik"]


def normalise(text: str) -> str:
    """Lower case with straight quotes, character for character, so spans fit the original text."""
    lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    return lowered.replace("’", "'").replace("‘", "'")


def _first(themes: tuple[Theme, ...], text: str, strong_only: bool) -> Found | None:
    """The first theme with a strong match, else (unless ``strong_only``) the first with a word match."""
    norm = normalise(text[:5000])
    passes = ("strong",) if strong_only else ("strong", "words")
    for kind in passes:
        for theme in themes:
            for pattern in getattr(theme, kind):
                match = pattern.search(norm)
                if match:
                    return Found(theme.id, match.start(), match.end())
    return None


def steun_theme(text: str | None) -> Found | None:
    """The first distress theme (themas.yml order) whose words are in ``text``."""
    return _first(steun_themes(), text or "", strong_only=False)


def near_domain_theme(text: str | None, strong_only: bool = False) -> Found | None:
    """The near-domain theme of ``text``; with ``strong_only`` only words that rule out a knowledge answer."""
    if not text or text.startswith("/"):
        return None
    return _first(near_domain_themes(), text, strong_only)


def is_own_distress(text: str | None) -> bool:
    """True when the writer speaks about their own state with a distress word that is no knowledge topic.

    ("ik lig wakker van mijn werk", "mijn buik draait om als ik aan maandag denk"; not
    "ik heb een vraag over werkdruk" or "hoe voorkom ik een burn-out in mijn team".)
    """
    if not text or text.startswith("/"):
        return False
    norm = normalise(text[:5000])
    own = any(p.search(norm) for p in _catalogue()["steun_eigen"])  # type: ignore[union-attr]
    return own and any(not t.only_in_steun and any(p.search(norm) for p in t.words) for t in steun_themes())


def distress_owner(text: str | None) -> str:
    """Whose distress a message speaks of: ``SELF``, ``OTHER`` or ``UNKNOWN`` (no distress word).

    Each distress word (any theme) is read with the nearest person word before it in its
    sentence (bot.text.crisis.span_owner) or the writer right after it; a person word after
    it says too little ("een conflict met mijn duocollega" is the writer's conflict), unless
    it says whose state the worry is about ("ik ben bang dat mijn collega ..."). One
    word about the writer is enough for ``SELF``: "mijn collega is overspannen en ik ben
    doodmoe" is the writer's distress too. ``OTHER`` only when every distress word is about
    someone else ("mijn collega huilt elke dag", "I'm worried about my colleague, she's
    exhausted").
    """
    if not text or text.startswith("/"):
        return UNKNOWN
    norm = normalise(text[:5000])
    owners = set()
    for theme in steun_themes():
        for pattern in theme.words:
            for match in pattern.finditer(norm):
                if ABOUT_SOMEONE_AFTER.match(norm, match.end()):
                    continue  # the next words say whose state it is
                writer_after = WRITER_AFTER.match(norm, match.end())
                owners.add(SELF if writer_after else span_owner(norm, match.start(), match.end(), look_after=False))
    if SELF in owners:
        return SELF
    return OTHER if OTHER in owners else UNKNOWN


def theme_tool(theme: str | None) -> str | None:
    """The id of the tool (bot/catalogue/tools.yml) offered for a distress theme."""
    return next((t.tool for t in steun_themes() if t.id == theme), None)
