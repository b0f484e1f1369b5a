"""A domain response's text per language, read from domain/ (where all bot text lives).

Used where a text is needed outside Rasa's own response selection: the channel guard's first
answers and failure text (bot/rasa_channels.py) and texts actions put on buttons. No Rasa import,
so the action server can use it too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.vocabulary import DUTCH, language_of

DOMAIN_DIR = Path(__file__).resolve().parent.parent.parent / "domain"


def _variation_language(condition: Any) -> str | None:
    """The language a response variation is for: Dutch without a condition, else the ``language`` slot's value."""
    if not condition:
        return DUTCH
    if isinstance(condition, list) and len(condition) == 1 and isinstance(condition[0], dict):
        only = condition[0]
        if only.get("type") == "slot" and only.get("name") == "language":
            return only.get("value")
    return None  # a variation for another condition is not a language's text


@cache
def domain_texts(name: str) -> dict[str, str]:
    """A response's text per language ("nl", and "en" when it has one), read once from domain/."""
    for path in sorted(DOMAIN_DIR.rglob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        if name in responses:
            texts: dict[str, str] = {}
            for variation in responses[name]:
                language = _variation_language(variation.get("condition"))
                if language and "text" in variation:
                    texts.setdefault(language, variation["text"])
            if DUTCH not in texts:
                raise LookupError(f"{name} in {path} has no variation without a condition")
            return texts
    raise LookupError(f"{name} is not defined in {DOMAIN_DIR}")


def text_in(name: str, language: object) -> str:
    """A response's text in the conversation's language (its Dutch text when it has no English one)."""
    texts = domain_texts(name)
    return texts.get(language_of(language), texts[DUTCH])
