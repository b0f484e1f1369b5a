"""Rasa input channels that never leave a user in silence, and answer a crisis first.

Rasa 3.6 answers nothing when the action server is down (the REST channel returns ``[]``)
and waits up to its hard-coded 300 s when the action server hangs. These subclasses of
Rasa's REST and SocketIO channels keep their URLs and behaviour, but when no reply at all
was sent within REPLY_TIMEOUT_SECONDS (default 9) or the handling failed, they send the
domain's ``utter_action_failed`` ("Er ging iets mis ..."). A slow message is not cancelled:
it finishes in the background so the conversation keeps its state. Nothing here logs
message text: Rasa's own REST handler would log it on an error, ours catches first.

Crisis first, always: a message of help tier 1 or 2 (bot.text.crisis, the same test the
NLU's input guard forces the intents with) gets the domain's ``utter_crisis`` or
``utter_zorg_ander`` (113, 0800-0113, 112) before Rasa even starts on it, so no busy
server, lock or slow action can delay it or turn it into the failure text. When Rasa's own
answer to that message is the same response, it is not sent a second time.

The widget's messages say their language (``lang``, from bot.rasa_nlg), so it can label
links and its own controls in the language of the conversation.

The REST channel is for integrations and tests; with REST_TOKEN set (production requires
it) every POST must carry ``Authorization: Bearer <REST_TOKEN>``.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import response
from sanic.request import Request

from bot import rasa_speedups
from bot.services.links import HASH_METADATA, TOKEN_METADATA, token_hash
from bot.settings import (
    MIN_SECRET_LENGTH,
    PRODUCTION,
    Settings,
    production_report,
    validate_production,
)
from bot.text.crisis import CRISIS, ZORG_ANDER, crisis_tier
from bot.text.domain import domain_texts
from bot.vocabulary import DUTCH, ENGLISH

logger = logging.getLogger(__name__)

FAILURE_RESPONSE = "utter_action_failed"
#: The answer sent first, by help tier (domain/crisis.yml).
FIRST_RESPONSES = {CRISIS: "utter_crisis", ZORG_ANDER: "utter_zorg_ander"}


def rasa_api_problems(argv: list[str]) -> list[str]:
    """What is unsafe about how Rasa itself was started (its HTTP API without a JWT secret)."""
    if "--enable-api" not in argv:
        return []
    secret = ""
    for i, arg in enumerate(argv):
        if arg == "--jwt-secret" and i + 1 < len(argv):
            secret = argv[i + 1]
        elif arg.startswith("--jwt-secret="):
            secret = arg.split("=", 1)[1]
    if len(secret) >= MIN_SECRET_LENGTH:
        return []
    return [
        f"Rasa was started with --enable-api but without --jwt-secret of {MIN_SECRET_LENGTH}+ characters: "
        "the HTTP API would expose every conversation. Leave the API off, or set RASA_ENABLE_API=true "
        "and RASA_JWT_SECRET."
    ]


def start_up(argv: list[str] | None = None) -> Settings:
    """Rasa's side of the settings, read when Rasa registers these channels (before the model loads).

    With APP_ENV=production Rasa refuses to start (SystemExit with one list of what to fix)
    unless this process's settings are safe (bot.settings.validate_production, process
    ``rasa``) and its HTTP API, if on, has a JWT secret. Also installs the measured Rasa
    fixes unless RASA_SPEEDUPS=0 (RASA_SPEEDUPS_OFF: some of them; for an A/B or after an upgrade).
    """
    settings = Settings.from_env()
    if settings.app_env == PRODUCTION:
        problems = validate_production(settings, "rasa")
        if not settings.rasa_enable_api:  # otherwise RASA_JWT_SECRET was checked above
            problems += rasa_api_problems(sys.argv if argv is None else argv)
        if problems:
            raise SystemExit(production_report(problems, "rasa"))
    if settings.rasa_speedups:
        rasa_speedups.install(settings.rasa_speedups_off)
    return settings


def failure_text() -> str:
    """The Dutch failure message of the domain/ directory (all bot text lives there)."""
    return domain_texts(FAILURE_RESPONSE)[DUTCH]


@lru_cache(maxsize=1)
def _language_detector() -> Any:
    from bot.rasa_nlu.language import build_detector

    return build_detector()


def message_language(text: str | None) -> str:
    """English only when the message clearly is (bot.rasa_nlu.language.detect); Dutch otherwise."""
    try:
        from bot.rasa_nlu.language import detect

        return ENGLISH if detect(text, _language_detector()) == ENGLISH else DUTCH
    except Exception:  # noqa: BLE001 - the first answer must never fail on the language
        logger.exception("Language detection failed; answering in Dutch")
        return DUTCH


def prepare_first_answers() -> None:
    """Load what the first answer needs now (channel registration), not while a crisis message waits:
    the domain's texts, the crisis patterns and the language detector."""
    for name in (FAILURE_RESPONSE, *FIRST_RESPONSES.values()):
        domain_texts(name)
    crisis_tier("ik")
    _language_detector()


def _same_text(text: Any) -> str:
    return " ".join(text.split()) if isinstance(text, str) else ""


class FirstAnswer:
    """The help-tier answer the guard sends before Rasa handles a message (:meth:`of` finds it)."""

    def __init__(self, response: str, language: str) -> None:
        texts = domain_texts(response)
        self.response = response
        self.language = language if language in texts else DUTCH
        self.text = texts[self.language]
        #: Rasa's own answer in any language variation is this answer again: not sent twice.
        self.repeats = frozenset(_same_text(t) for t in texts.values())

    def repeated_by(self, message: dict[str, Any]) -> bool:
        """True when a message of Rasa's is this answer again (same response or same text)."""
        return message.get("utter_action") == self.response or _same_text(message.get("text")) in self.repeats

    @classmethod
    def of(cls, text: str | None) -> "FirstAnswer | None":
        """The answer for a message of help tier 1 or 2, in its language; None for any other message."""
        try:
            response = FIRST_RESPONSES.get(crisis_tier(text) or "")
        except Exception:  # noqa: BLE001 - a pattern error must not silence the message
            logger.exception("The crisis check failed")
            return None
        return cls(response, message_language(text)) if response else None


class CountingOutputChannel(OutputChannel):
    """Passes every bot message on to the real channel and counts them.

    ``first`` is the help-tier answer the guard already sent: Rasa's own answer with that
    response (any language variation) is dropped, so the user reads it once.
    """

    def __init__(self, inner: OutputChannel, first: "FirstAnswer | None" = None) -> None:
        self.inner = inner
        self.sent = 0
        self.first = first
        self.name = inner.name  # type: ignore[method-assign] - channel-specific responses keep working

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        if self.first is not None and self.first.repeated_by(message):
            logger.debug("Rasa's %s was already sent first; not sending it twice", self.first.response)
            return
        await self.inner.send_response(recipient_id, message)


class LanguageSocketIOOutput(SocketIOOutput):
    """Rasa's SocketIO output with each message's language (``lang``, when the answer has one)."""

    def __init__(self, inner: SocketIOOutput) -> None:
        super().__init__(inner.sio, inner.bot_message_evt)
        self._lang: str | None = None

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        # One answer can be sent as several socket messages (paragraphs): each gets the language.
        self._lang = message.get("lang") if message.get("lang") in (DUTCH, ENGLISH) else None
        try:
            await super().send_response(recipient_id, dict(message))
        finally:
            self._lang = None

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self._lang and isinstance(response, dict):
            response = {**response, "lang": self._lang}
        await super()._send_message(socket_id, response)


def with_language(handler: Callable[[UserMessage], Awaitable[None]]) -> Callable[[UserMessage], Awaitable[None]]:
    """Wrap a SocketIO message handler so that its answers say their language."""

    async def handle(message: UserMessage) -> None:
        if isinstance(message.output_channel, SocketIOOutput):
            message.output_channel = LanguageSocketIOOutput(message.output_channel)
        await handler(message)

    return handle


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
    """Wrap Rasa's message handler: a crisis answered first, bounded in time (``reply_timeout``
    seconds), and never silent."""

    async def handle(message: UserMessage) -> None:
        first = FirstAnswer.of(message.text)
        if first is not None:
            logger.debug("Help-tier message: %s sent before Rasa handles it", first.response)
            try:
                await message.output_channel.send_response(
                    message.sender_id, {"text": first.text, "lang": first.language}
                )
            except Exception:  # noqa: BLE001 - Rasa's own answer below is the second chance
                logger.exception("Sending the crisis answer first failed")
                first = None
        if require_uuid_sender and not is_session_id(message.sender_id):
            logger.warning("Ignored a widget message with a session id that is not a random UUID")
            if first is None:
                await message.output_channel.send_response(message.sender_id, {"text": failure_text()})
            return
        message.metadata = hide_member_token(message.metadata)
        counting = CountingOutputChannel(message.output_channel, first)
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
        if counting.sent == 0 and first is None:  # after the crisis answer never "Er ging iets mis"
            await counting.inner.send_response(message.sender_id, {"text": failure_text()})

    return handle


def rest_token_ok(authorization: str | None, token: str) -> bool:
    """True when an ``Authorization`` header is ``Bearer <token>`` (compared in constant time)."""
    scheme, _, supplied = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(supplied.strip().encode(), token.encode())


class GuardedRestInput(RestInput):
    """Rasa's REST channel (/webhooks/rest/webhook), never silent; with REST_TOKEN, only for its holders."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]):
        settings = start_up()
        prepare_first_answers()
        blueprint = super().blueprint(guarded(on_new_message, settings.reply_timeout_seconds))
        token = settings.rest_token
        if token:

            @blueprint.middleware("request")
            async def require_token(request: Request):
                if request.method != "GET" and not rest_token_ok(request.headers.get("authorization"), token):
                    return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})
                return None

        return blueprint


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's SocketIO channel (the widget), never silent, and with its session rooms fixed.

    Rasa 3.6 calls ``sio.enter_room(...)`` without ``await``; since python-socketio 5.10
    that is a coroutine, so with ``session_persistence: true`` the socket never joins its
    session's room and every answer (sent to that room) is lost (RasaHQ/rasa#13027). We
    replace Rasa's ``session_request`` handler with one that awaits it.
    """

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        settings = start_up()
        prepare_first_answers()
        handler = guarded(on_new_message, settings.reply_timeout_seconds, require_uuid_sender=self.session_persistence)
        blueprint = super().blueprint(with_language(handler))
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
