"""Keyed pseudonyms: the only link between a check-in and the person who gave it."""

from __future__ import annotations

import hashlib
import hmac


def person_key(sender_id: str, secret: str) -> str:
    """HMAC-SHA256 of the chat sender id under the server secret (64 hex characters).

    Without the secret the key cannot be linked back to a sender id, and the same sender
    always gets the same key, so a person can see and delete their own check-ins.
    """
    if not sender_id:
        raise ValueError("A sender id is needed to make a pseudonym.")
    if not secret:
        raise ValueError("A pseudonym needs the PSEUDONYM_SECRET.")
    key = secret.encode("utf-8")
    return hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
