"""Rasa input channels that never leave a user in silence.

Rasa 3.6 answers nothing when the action server is down (the REST channel returns ``[]``)
and waits up to its hard-coded 300 s when the action server hangs. These subclasses of
Rasa's REST and SocketIO channels keep their URLs and behaviour, but bound the handling
of each message (REPLY_TIMEOUT_SECONDS, default 9) and, when no reply at all was sent,
send the domain's ``utter_action_failed`` ("Er ging iets mis ..."). Nothing here logs
message text: Rasa's own REST handler would log it on a time-out, ours catches first.
"""

from __future__ import annotations

import asyncio
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Text

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput

logger = logging.getLogger(__name__)

FAILURE_RESPONSE = "utter_action_failed"
DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"


def reply_timeout() -> float:
    return float(os.environ.get("REPLY_TIMEOUT_SECONDS", "9"))


@lru_cache(maxsize=1)
def failure_text() -> str:
    """The Dutch failure message, read once from domain.yml (all bot text lives there)."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    return domain["responses"][FAILURE_RESPONSE][0]["text"]


class CountingOutputChannel(OutputChannel):
    """Passes every bot message on to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.name = inner.name  # type: ignore[method-assign] - channel-specific responses keep working

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


def guarded(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[None]]:
    """Wrap Rasa's message handler: bounded in time, and never silent."""

    async def handle(message: UserMessage) -> None:
        counting = CountingOutputChannel(message.output_channel)
        message.output_channel = counting
        try:
            await asyncio.wait_for(on_new_message(message), timeout=reply_timeout())
        except asyncio.TimeoutError:
            logger.error("No reply within %.0f s (action server slow or down?)", reply_timeout())
        except Exception as exc:  # noqa: BLE001 - whatever failed, the user gets an answer
            logger.error("Handling a message failed: %s", type(exc).__name__)
        if counting.sent == 0:
            await counting.inner.send_response(message.sender_id, {"text": failure_text()})

    return handle


class GuardedRestInput(RestInput):
    """Rasa's REST channel (/webhooks/rest/webhook), never silent."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]):
        return super().blueprint(guarded(on_new_message))


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's SocketIO channel (the widget), never silent."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        return super().blueprint(guarded(on_new_message))
