"""The catalogue of tools and interventions (bot/catalogue/tools.yml) and matching."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.vocabulary import DIMENSIONS, LEVELS

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
    link: str | None = None

    @property
    def url(self) -> str | None:
        if not self.link:
            return None
        return self.link if self.link.startswith("http") else f"https://{self.link}"


@lru_cache(maxsize=1)
def load_tools(path: Path = CATALOGUE_DIR / "tools.yml") -> tuple[Tool, ...]:
    """All tools, validated: an invalid catalogue fails loudly at first use."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tools = []
    for item in data["tools"]:
        tool = Tool(
            id=item["id"],
            naam=item["naam"],
            beschrijving=item["beschrijving"],
            dimensies=tuple(item["dimensies"]),
            niveau=item["niveau"],
            doelgroep=tuple(item["doelgroep"]),
            bron=item["bron"],
            link=item.get("link"),
        )
        unknown = set(tool.dimensies) - set(DIMENSIONS)
        if unknown or tool.niveau not in LEVELS or not set(tool.doelgroep) <= set(AUDIENCES):
            raise ValueError(f"Invalid catalogue entry {tool.id!r} in {path}.")
        tools.append(tool)
    if len({t.id for t in tools}) != len(tools):
        raise ValueError(f"Duplicate tool ids in {path}.")
    return tuple(tools)


@lru_cache(maxsize=1)
def topic_labels(path: Path = CATALOGUE_DIR / "onderwerpen.yml") -> dict[str, str]:
    """Readable Dutch labels of the knowledge topics (kennis/<key>)."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def dimension_labels(path: Path = CATALOGUE_DIR / "dimensies.yml") -> dict[str, str]:
    """Short Dutch labels of the check-in dimensions, in the order they are asked."""
    labels = dict(yaml.safe_load(path.read_text(encoding="utf-8")))
    if list(labels) != list(DIMENSIONS):
        raise ValueError(f"{path} must list exactly {DIMENSIONS} in that order.")
    return labels


@lru_cache(maxsize=1)
def intent_labels(path: Path = CATALOGUE_DIR / "intenties.yml") -> dict[str, str]:
    """Readable Dutch labels of intents offered on fallback buttons."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


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
