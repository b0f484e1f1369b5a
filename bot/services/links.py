"""Personal links: each roster member's token, derived from a server key and never stored.

The token is ``HMAC-SHA256(LINK_SECRET, "member-link:<id>:<version>")`` (256 bits, URL-safe),
so a mail can carry it week after week while the database keeps only its SHA-256
(``members.token_hash``). Raising ``token_version`` revokes the old link at once.
Rasa's channel replaces the raw token in message metadata by the same SHA-256 before
anything is stored (bot/rasa_channels.py), so the tracker store never holds the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

#: The path of a personal link: PUBLIC_BASE_URL + LINK_PATH + token.
LINK_PATH = "/c/"
#: Message metadata: the raw token from a link (widget, REST), and its hash after the channel.
TOKEN_METADATA = "member_token"  # noqa: S105 - a metadata key, not a secret
HASH_METADATA = "member_token_sha256"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def member_token(member_id: int, version: int, secret: str) -> str:
    """The token in a member's personal link (43 URL-safe characters, 256 bits)."""
    if not secret:
        raise ValueError("Personal links need the LINK_SECRET.")
    digest = hmac.new(secret.encode(), f"member-link:{member_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str | None:
    """The stored form of a token (SHA-256, hex), or None for anything that is not a token."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def is_token_hash(value: object) -> bool:
    return isinstance(value, str) and bool(_HASH_RE.match(value))


def member_link(base_url: str, member_id: int, version: int, secret: str) -> str:
    return f"{base_url}{LINK_PATH}{member_token(member_id, version, secret)}"
