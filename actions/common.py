"""Small helpers shared by the action modules."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.services.teams import find_team


def metadata_team_code(tracker: Tracker) -> str | None:
    """The team code the widget or REST client sent with the latest message, if any."""
    metadata: Any = (tracker.latest_message or {}).get("metadata") or {}
    code = metadata.get("team_code") if isinstance(metadata, dict) else None
    return code if isinstance(code, str) and code.strip() else None


def known_team_code(tracker: Tracker) -> str | None:
    """The conversation's team code (slot first, then message metadata) if it is a known team."""
    for code in (tracker.get_slot("team_code"), metadata_team_code(tracker)):
        team = find_team(code) if code else None
        if team is not None:
            return team.code
    return None
