"""The catalogue of tools and interventions (bot/catalogue/tools.yml), labels, and matching.

Everything an action shows in the chat comes in Dutch (the default) and English: a tool has
``naam_en`` and ``beschrijving_en`` next to ``naam`` and ``beschrijving``, a label file maps
each key to ``{nl: ..., en: ...}``. Pass the conversation's ``language`` slot; anything but
"en" gives Dutch. Loading fails loudly when an English text is missing, so no item can
silently appear in Dutch in an English chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.vocabulary import DIMENSIONS, DUTCH, LANGUAGES, LEVELS, in_language, language_of

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "catalogue"
AUDIENCES = ("leraar", "team", "leiding")
#: Scores at or below this are a point of attention; at or above STRONG a strength.
LOW = 2
STRONG = 4


@dataclass(frozen=True)
class Tool:
    id: str
    naam: str
    beschrijving: str
    dimensies: tuple[str, ...]
    niveau: str
    doelgroep: tuple[str, ...]
    bron: str
    naam_en: str
    beschrijving_en: str
    link: str | None = None

    def name_in(self, language: str | None) -> str:
        """The name to show in a conversation in ``language`` (the ``language`` slot)."""
        return in_language(language, self.naam, self.naam_en)

    def description_in(self, language: str | None) -> str:
        """The one-line description to show in a conversation in ``language``."""
        return in_language(language, self.beschrijving, self.beschrijving_en)

    @property
    def url(self) -> str | None:
        if not self.link:
            return None
        return self.link if self.link.startswith("http") else f"https://{self.link}"


def required_text(item: dict, key: str, where: str) -> str:
    """``item[key]`` as a non-empty string, or a ValueError saying which text is missing where."""
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where} has no text {key!r} (every item needs both Dutch and English).")
    return value


@lru_cache(maxsize=1)
def load_tools(path: Path = CATALOGUE_DIR / "tools.yml") -> tuple[Tool, ...]:
    """All tools, validated: an invalid catalogue fails loudly at first use."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tools = []
    for item in data["tools"]:
        where = f"{path}: tool {item.get('id')!r}"
        tool = Tool(
            id=item["id"],
            naam=required_text(item, "naam", where),
            beschrijving=required_text(item, "beschrijving", where),
            dimensies=tuple(item["dimensies"]),
            niveau=item["niveau"],
            doelgroep=tuple(item["doelgroep"]),
            bron=item["bron"],
            naam_en=required_text(item, "naam_en", where),
            beschrijving_en=required_text(item, "beschrijving_en", where),
            link=item.get("link"),
        )
        unknown = set(tool.dimensies) - set(DIMENSIONS)
        if unknown or tool.niveau not in LEVELS or not set(tool.doelgroep) <= set(AUDIENCES):
            raise ValueError(f"Invalid catalogue entry {tool.id!r} in {path}.")
        tools.append(tool)
    if len({t.id for t in tools}) != len(tools):
        raise ValueError(f"Duplicate tool ids in {path}.")
    return tuple(tools)


@lru_cache(maxsize=8)
def load_labels(path: Path) -> dict[str, dict[str, str]]:
    """A label file (``key: {nl: ..., en: ...}``) as ``{language: {key: label}}``, keys in file order.

    Fails loudly at first use when a key lacks its Dutch or English label.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path} must map each key to its labels {{nl: ..., en: ...}}.")
    labels: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for key, item in data.items():
        for language in LANGUAGES:
            labels[language][key] = required_text(item, language, f"{path}: {key!r}")
    return labels


def topic_labels(language: str | None = DUTCH) -> dict[str, str]:
    """Readable labels of the knowledge topics (kennis/<key>), Dutch unless ``language`` is "en"."""
    return load_labels(CATALOGUE_DIR / "onderwerpen.yml")[language_of(language)]


def dimension_labels(language: str | None = DUTCH) -> dict[str, str]:
    """Short labels of the check-in dimensions, in the order they are asked; Dutch unless "en"."""
    path = CATALOGUE_DIR / "dimensies.yml"
    labels = load_labels(path)[language_of(language)]
    if list(labels) != list(DIMENSIONS):
        raise ValueError(f"{path} must list exactly {DIMENSIONS} in that order.")
    return labels


def intent_labels(language: str | None = DUTCH) -> dict[str, str]:
    """Readable labels of intents offered on fallback buttons; Dutch unless ``language`` is "en"."""
    return load_labels(CATALOGUE_DIR / "intenties.yml")[language_of(language)]


def tools_for(
    weak: list[str], audience: str = "leraar", limit: int = 3, levels: tuple[str, ...] = ("groen", "geel")
) -> list[Tool]:
    """Up to ``limit`` tools for the weakest dimensions, weakest first.

    Tools that help several of the weak dimensions come first; within that, tools for
    the given audience, then structural (groen) before some (geel).
    """
    if not weak:
        return []
    candidates = [t for t in load_tools() if t.niveau in levels and set(t.dimensies) & set(weak)]

    def rank(tool: Tool) -> tuple:
        first_weak = min(weak.index(d) for d in tool.dimensies if d in weak)
        return (
            first_weak,
            -len(set(tool.dimensies) & set(weak)),
            audience not in tool.doelgroep,
            LEVELS.index(tool.niveau),
            tool.id,
        )

    chosen: list[Tool] = []
    covered: set[str] = set()
    ranked = sorted(candidates, key=rank)
    # First one tool per weak dimension, then fill up with the best remaining ones.
    for dim in weak:
        for tool in ranked:
            if dim in tool.dimensies and tool not in chosen and dim not in covered:
                chosen.append(tool)
                covered.update(tool.dimensies)
                break
    for tool in ranked:
        if len(chosen) >= limit:
            break
        if tool not in chosen:
            chosen.append(tool)
    return chosen[:limit]


def next_steps_by_level(weak: list[str], per_level: int = 3) -> dict[str, list[Tool]]:
    """Suggested next steps for a team, grouped groen / geel / rood (for the dashboard)."""
    result: dict[str, list[Tool]] = {}
    for level in LEVELS:
        picks = [t for t in load_tools() if t.niveau == level and (not weak or set(t.dimensies) & set(weak))]
        picks.sort(key=lambda t: (min((weak.index(d) for d in t.dimensies if d in weak), default=99), t.id))
        result[level] = picks[:per_level]
    return result
