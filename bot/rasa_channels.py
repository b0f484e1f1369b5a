"""Rasa input channels that never leave a user in silence.

Rasa 3.6 answers nothing when the action server is down (the REST channel returns ``[]``)
and waits up to its hard-coded 300 s when the action server hangs. These subclasses of
Rasa's REST and SocketIO channels keep their URLs and behaviour, but when no reply at all
was sent within REPLY_TIMEOUT_SECONDS (default 9) or the handling failed, they send the
domain's ``utter_action_failed`` ("Er ging iets mis ..."). A slow message is not cancelled:
it finishes in the background so the conversation keeps its state. Nothing here logs
message text: Rasa's own REST handler would log it on an error, ours catches first.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput

from bot import rasa_speedups
from bot.services.links import HASH_METADATA, TOKEN_METADATA, token_hash
from bot.settings import Settings

logger = logging.getLogger(__name__)

FAILURE_RESPONSE = "utter_action_failed"
DOMAIN_DIR = Path(__file__).resolve().parent.parent / "domain"


def start_up() -> Settings:
    """Rasa's side of the settings, read when Rasa registers these channels (before the model loads).

    Also installs the measured Rasa fixes unless RASA_SPEEDUPS=0 (for an A/B or after an upgrade).
    """
    settings = Settings.from_env()
    if settings.rasa_speedups:
        rasa_speedups.install()
    return settings


@lru_cache(maxsize=1)
def failure_text() -> str:
    """The Dutch failure message, read once from the domain/ directory (all bot text lives there)."""
    for path in sorted(DOMAIN_DIR.rglob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        if FAILURE_RESPONSE in responses:
            return responses[FAILURE_RESPONSE][0]["text"]
    raise LookupError(f"{FAILURE_RESPONSE} is not defined in {DOMAIN_DIR}")


class CountingOutputChannel(OutputChannel):
    """Passes every bot message on to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.name = inner.name  # type: ignore[method-assign] - channel-specific responses keep working

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


def is_session_id(value: Any) -> bool:
    """A widget session id must be a random UUID (never a name, e-mail or a REST sender id)."""
    try:
        return isinstance(value, str) and uuid.UUID(value).version == 4
    except ValueError:
        return False


def hide_member_token(metadata: Any) -> Any:
    """Replace a personal-link token in message metadata by its SHA-256, before Rasa stores anything.

    The tracker store then holds only the hash (as the application database does); a hash
    sent by a client is dropped, so only someone holding the link itself can act as the member.
    """
    if not isinstance(metadata, dict):
        return metadata
    cleaned = {k: v for k, v in metadata.items() if k not in (TOKEN_METADATA, HASH_METADATA)}
    hashed = token_hash(metadata.get(TOKEN_METADATA))  # None for a missing or malformed token
    if hashed:
        cleaned[HASH_METADATA] = hashed
    return cleaned


def _log_late_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("A late message failed: %s", type(task.exception()).__name__)


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    reply_timeout: float,
    require_uuid_sender: bool = False,
) -> Callable[[UserMessage], Awaitable[None]]:
    """Wrap Rasa's message handler: bounded in time (``reply_timeout`` seconds), and never silent."""

    async def handle(message: UserMessage) -> None:
        if require_uuid_sender and not is_session_id(message.sender_id):
            logger.warning("Ignored a widget message with a session id that is not a random UUID")
            await message.output_channel.send_response(message.sender_id, {"text": failure_text()})
            return
        message.metadata = hide_member_token(message.metadata)
        counting = CountingOutputChannel(message.output_channel)
        message.output_channel = counting
        # Not cancelled on time-out: a message still being handled (a busy server) must
        # finish, or the conversation would lose its place (e.g. in the check-in form).
        task = asyncio.ensure_future(on_new_message(message))
        done, _ = await asyncio.wait({task}, timeout=reply_timeout)
        if task in done:
            if not task.cancelled() and task.exception() is not None:
                logger.error("Handling a message failed: %s", type(task.exception()).__name__)
        else:
            logger.error("No reply within %.0f s (server busy or action server slow); still handling it", reply_timeout)
            task.add_done_callback(_log_late_failure)
        if counting.sent == 0:
            await counting.inner.send_response(message.sender_id, {"text": failure_text()})

    return handle


class GuardedRestInput(RestInput):
    """Rasa's REST channel (/webhooks/rest/webhook), never silent."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]):
        settings = start_up()
        return super().blueprint(guarded(on_new_message, settings.reply_timeout_seconds))


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's SocketIO channel (the widget), never silent, and with its session rooms fixed.

    Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``; since python-socketio 5.10
    that is a coroutine, so with ``session_persistence: true`` the socket never joins its
    session's room and every answer (sent to that room) is lost (RasaHQ/rasa#13027). We
    replace Rasa's ``session_request`` handler with one that awaits it.
    """

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        settings = start_up()
        handler = guarded(on_new_message, settings.reply_timeout_seconds, require_uuid_sender=self.session_persistence)
        blueprint = super().blueprint(handler)
        sio = self.sio

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not is_session_id(session_id):
                session_id = str(uuid.uuid4())  # only random UUIDs may name a conversation
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # python-socketio >= 5.10
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        return blueprint
