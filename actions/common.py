"""What every action module shares: the backend handed to each action, and the team code."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker

from bot.backend import Backend
from bot.services.checkin import MemberRef, find_member
from bot.services.links import HASH_METADATA, is_token_hash
from bot.services.pseudonym import person_key
from bot.services.teams import find_team


class BackendAction(Action):
    """An action that runs use cases: the action server gives it the process's backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def person(self, tracker: Tracker) -> str:
        """The pseudonym of the chat sender (see bot.services.pseudonym)."""
        return person_key(tracker.sender_id, self.backend.settings.pseudonym_secret)

    def member(self, tracker: Tracker) -> MemberRef | None:
        """The roster member behind this conversation's personal link, or None."""
        return call_member(self.backend, tracker)


#: Attribute on rasa_sdk's Tracker, built anew for every action call: (link hash, its member).
_CALL_MEMBER = "_welbevinden_member"


def call_member(backend: Backend, tracker: Tracker) -> MemberRef | None:
    """The member behind the personal link, read once per action call: rasa_sdk asks a form's
    ``required_slots`` (which needs it) three times in one call. A removed member or a renewed
    link counts from the next call, the next message, on."""
    ref = member_ref(tracker)
    known = getattr(tracker, _CALL_MEMBER, None)
    if known is not None and known[0] == ref:
        return known[1]
    member = find_member(backend.uow(), ref, backend.settings.pseudonym_secret)
    setattr(tracker, _CALL_MEMBER, (ref, member))
    return member


def member_ref(tracker: Tracker) -> str | None:
    """The SHA-256 of the personal link: from this message's metadata (the channel put it there
    in place of the token), else remembered in the ``member_ref`` slot."""
    metadata: Any = (tracker.latest_message or {}).get("metadata") or {}
    value = metadata.get(HASH_METADATA) if isinstance(metadata, dict) else None
    if not is_token_hash(value):
        value = tracker.get_slot("member_ref")
    return value if is_token_hash(value) else None


def metadata_value(tracker: Tracker, key: str) -> str | None:
    """A non-empty string the widget or REST client sent as message metadata ``key``, if any."""
    metadata: Any = (tracker.latest_message or {}).get("metadata") or {}
    value = metadata.get(key) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def metadata_team_code(tracker: Tracker) -> str | None:
    """The team code the widget or REST client sent with the latest message, if any."""
    return metadata_value(tracker, "team_code")


def known_team_code(backend: Backend, tracker: Tracker) -> str | None:
    """The conversation's team (its member's team, the slot, then message metadata) if it is known."""
    member = call_member(backend, tracker)
    if member is not None:
        return member.team_code
    for code in (tracker.get_slot("team_code"), metadata_team_code(tracker)):
        team = find_team(backend.uow(), code) if code else None
        if team is not None:
            return team.code
    return None
