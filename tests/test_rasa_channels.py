"""The channel guard: never silent, and a slow message is finished, not thrown away."""

from __future__ import annotations

import asyncio
import secrets
import uuid

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOOutput
from rasa.shared.core.domain import Domain

from bot.rasa_channels import (
    GuardedRestInput,
    LanguageSocketIOOutput,
    failure_text,
    guarded,
    is_session_id,
    with_language,
)
from bot.rasa_nlg import SettingsNaturalLanguageGenerator
from bot.services.links import HASH_METADATA, TOKEN_METADATA, token_hash
from bot.settings import PROJECT_ROOT, Settings


def message(sender: str = "s1") -> tuple[UserMessage, CollectingOutputChannel]:
    out = CollectingOutputChannel()
    return UserMessage("hoi", out, sender), out


async def test_a_reply_passes_through_without_a_failure_message(settings):
    async def handler(msg: UserMessage) -> None:
        await msg.output_channel.send_response(msg.sender_id, {"text": "Hoi!"})

    msg, out = message()
    await guarded(handler, settings.reply_timeout_seconds)(msg)
    assert [m["text"] for m in out.messages] == ["Hoi!"]


async def test_silence_gets_the_failure_message(settings):
    async def handler(msg: UserMessage) -> None:
        return None  # e.g. the action server was down: Rasa sent nothing

    msg, out = message()
    await guarded(handler, settings.reply_timeout_seconds)(msg)
    assert [m["text"] for m in out.messages] == [failure_text()]
    assert "Er ging iets mis" in failure_text()


async def test_an_error_gets_the_failure_message(settings):
    async def handler(msg: UserMessage) -> None:
        raise RuntimeError("boom")

    msg, out = message()
    await guarded(handler, settings.reply_timeout_seconds)(msg)
    assert [m["text"] for m in out.messages] == [failure_text()]


def test_the_reply_timeout_is_a_setting_read_when_rasa_registers_the_channel(monkeypatch):
    monkeypatch.delenv("REPLY_TIMEOUT_SECONDS", raising=False)
    assert Settings.from_env().reply_timeout_seconds == 9.0  # an answer before the 10 s people wait
    monkeypatch.setenv("REPLY_TIMEOUT_SECONDS", "0.2")
    timeouts = []

    def spy(on_new_message, reply_timeout, **kwargs):
        timeouts.append(reply_timeout)
        return guarded(on_new_message, reply_timeout, **kwargs)

    async def handler(msg: UserMessage) -> None:
        return None

    monkeypatch.setattr("bot.rasa_channels.guarded", spy)
    GuardedRestInput().blueprint(handler)
    assert timeouts == [0.2]


async def test_a_slow_message_gets_an_answer_in_time_and_still_finishes(monkeypatch):
    monkeypatch.setenv("REPLY_TIMEOUT_SECONDS", "0.2")
    settings = Settings.from_env()
    finished = asyncio.Event()

    async def handler(msg: UserMessage) -> None:
        await asyncio.sleep(0.6)  # a busy server
        await msg.output_channel.send_response(msg.sender_id, {"text": "laat antwoord"})
        finished.set()

    msg, out = message()
    started = asyncio.get_running_loop().time()
    await guarded(handler, settings.reply_timeout_seconds)(msg)
    assert asyncio.get_running_loop().time() - started < 0.5
    assert [m["text"] for m in out.messages] == [failure_text()]
    await asyncio.wait_for(finished.wait(), timeout=2)  # not cancelled: the state is kept
    assert out.messages[-1]["text"] == "laat antwoord"


async def test_widget_sessions_must_be_random_uuids(settings):
    called = []

    async def handler(msg: UserMessage) -> None:
        called.append(msg.sender_id)

    for sender in ("teacher-1", "a", "", "00000000-0000-0000-0000-000000000000"):
        msg, out = message(sender)
        await guarded(handler, settings.reply_timeout_seconds, require_uuid_sender=True)(msg)
        assert out.messages[0]["text"] == failure_text()
    good = str(uuid.uuid4())
    msg, _ = message(good)
    await guarded(handler, settings.reply_timeout_seconds, require_uuid_sender=True)(msg)
    assert called == [good] and is_session_id(good)


async def test_a_personal_link_reaches_rasa_only_as_its_hash(settings):
    seen = []

    async def handler(msg: UserMessage) -> None:
        seen.append(msg.metadata)
        await msg.output_channel.send_response(msg.sender_id, {"text": "Hoi!"})

    token = secrets.token_urlsafe(32)
    for metadata, expected in [
        (
            {TOKEN_METADATA: token, "team_code": "ABCDE-FGHJK"},
            {HASH_METADATA: token_hash(token), "team_code": "ABCDE-FGHJK"},
        ),
        # A hash sent by a client, without the token itself, never names a member.
        ({HASH_METADATA: "a" * 64}, {}),
        ({TOKEN_METADATA: "not a token"}, {}),
    ]:
        out = CollectingOutputChannel()
        await guarded(handler, settings.reply_timeout_seconds)(UserMessage("hoi", out, "s1", metadata=metadata))
        assert seen[-1] == expected and token not in str(seen[-1])


class _RecordingSocket:
    """Stands in for python-socketio's server: records what Rasa's SocketIO output emits."""

    def __init__(self) -> None:
        self.emitted: list[dict] = []

    async def emit(self, event: str, data: dict, room: str | None = None) -> None:
        self.emitted.append(data)


async def test_widget_messages_say_the_language_of_their_answer():
    sio = _RecordingSocket()
    out = LanguageSocketIOOutput(SocketIOOutput(sio, "bot_uttered"))

    await out.send_response("room", {"text": "Would you like to read more?\n\nSource: Trimbos", "lang": "en"})
    await out.send_response("room", {"text": "Kies er een", "buttons": [{"title": "Ja", "payload": "/affirm"}]})
    await out.send_response("room", {"text": "Hoi", "lang": "<script>"})  # only nl and en are passed on

    assert sio.emitted == [
        {"text": "Would you like to read more?", "lang": "en"},
        {"text": "Source: Trimbos", "lang": "en"},
        {"text": "Kies er een", "quick_replies": [{"content_type": "text", "title": "Ja", "payload": "/affirm"}]},
        {"text": "Hoi"},
    ]


async def test_the_first_crisis_answer_is_in_the_language_of_the_message(settings):
    sio = _RecordingSocket()

    async def rasa(msg: UserMessage) -> None:
        return None  # the guard's own first answer is all that is sent

    msg = UserMessage("I don't want to live anymore", SocketIOOutput(sio, "bot_uttered"), str(uuid.uuid4()))
    await with_language(guarded(rasa, settings.reply_timeout_seconds))(msg)

    assert sio.emitted and all(m["lang"] == "en" for m in sio.emitted)
    assert any("113" in m["text"] for m in sio.emitted)


def test_the_response_generator_says_which_language_variation_it_chose():
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    nlg = SettingsNaturalLanguageGenerator(domain=domain, settings=Settings.from_env())

    english = nlg.generate_from_slots("utter_kennis/meer_info", {"language": "en"}, "socketio")
    dutch = nlg.generate_from_slots("utter_kennis/meer_info", {"language": "nl"}, "socketio")
    no_english = next(name for name, variations in domain.responses.items() if len(variations) == 1)
    fallback = nlg.generate_from_slots(no_english, {"language": "en"}, "socketio")

    assert english["lang"] == "en" and english["text"].startswith("Would you like")
    assert dutch["lang"] == "nl" and dutch["text"].startswith("Wil je meer lezen")
    assert fallback["lang"] == "nl"  # a response with only Dutch text is labelled Dutch
    themed = nlg.generate_from_slots("utter_steun_erkenning", {"language": "en", "steun_thema": "huilen"}, "socketio")
    assert themed["lang"] == "en" and "crying" in themed["text"]  # a language among other conditions
