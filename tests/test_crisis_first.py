"""Crisis first, always: the 113 answer goes out before Rasa handles the message, also under load.

The channel guard (bot/rasa_channels.py) sends the domain's ``utter_crisis`` (or, for worry
about someone else, ``utter_zorg_ander``) at once; no time-out can replace it by the
failure text, and Rasa's own copy of it, arriving later, is not sent a second time.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage, register
from sanic import Sanic

from bot.rasa_channels import (
    GuardedRestInput,
    GuardedSocketIOInput,
    failure_text,
    guarded,
    prepare_first_answers,
)
from bot.text.crisis import crisis_tier, is_crisis
from bot.text.domain import domain_texts
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
CRISIS_NL = "ik wil niet meer leven"
CRISIS_EN = "I want to kill myself"
WORRY = "mijn collega zegt dat ze niet meer wil leven"


def crisis_texts() -> dict[str, str]:
    """utter_crisis as domain/crisis.yml writes it, Dutch and English."""
    variations = yaml.safe_load((ROOT / "domain" / "crisis.yml").read_text(encoding="utf-8"))["responses"]
    by_language = {}
    for variation in variations["utter_crisis"]:
        by_language["en" if variation.get("condition") else "nl"] = variation["text"]
    return by_language


def test_the_examples_are_what_they_claim_to_be():
    assert is_crisis(CRISIS_NL) and is_crisis(CRISIS_EN)
    assert crisis_tier(WORRY) == "zorg_ander"


def test_the_first_answer_is_the_domains_text_in_both_languages():
    texts = crisis_texts()
    assert domain_texts("utter_crisis") == texts
    assert "113" in texts["nl"] and "113" in texts["en"]
    assert "Er ging iets mis" in failure_text()


def said(out: CollectingOutputChannel) -> str:
    """Everything a channel got, as one text (Rasa's channels send each paragraph as its own message)."""
    return "\n\n".join(m["text"] for m in out.messages)


class TimedChannel(CollectingOutputChannel):
    """Collects messages with the time each was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def _persist_message(self, message: dict[str, Any]) -> None:
        self.times.append(asyncio.get_running_loop().time())
        await super()._persist_message(message)


def rasa_answer(text: str | None) -> dict[str, Any]:
    """What Rasa itself would send for a message: the crisis response, or a plain answer."""
    if is_crisis(text):
        return {"text": domain_texts("utter_crisis")["nl"], "utter_action": "utter_crisis", "buttons": None}
    return {"text": f"antwoord op {text}", "utter_action": "utter_iets"}


class BusyRasa:
    """A Rasa that handles four messages at a time, each slower than the guard waits, in arrival order."""

    def __init__(self, seconds: tuple[float, float] = (0.2, 0.4), at_once: int = 4) -> None:
        self.slots = asyncio.Semaphore(at_once)
        self.seconds = seconds
        self.rng = random.Random(7)  # noqa: S311 - test timing, not security
        self.finished = 0
        self.started_crisis: float | None = None

    async def handle_message(self, message: UserMessage) -> None:
        async with self.slots:
            if is_crisis(message.text):
                self.started_crisis = asyncio.get_running_loop().time()
            await asyncio.sleep(self.rng.uniform(*self.seconds))
            await message.output_channel.send_response(message.sender_id, rasa_answer(message.text))
        self.finished += 1


async def test_a_crisis_message_is_answered_at_once_while_the_server_is_busy():
    prepare_first_answers()  # as when Rasa registers the channels
    rasa = BusyRasa()
    handle = guarded(rasa.handle_message, reply_timeout=0.15)
    channels = [TimedChannel() for _ in range(60)]
    texts = [f"bericht {i}" for i in range(60)]
    crisis_at = 45  # behind 45 slow messages: Rasa starts on it after several seconds
    texts[crisis_at] = CRISIS_NL
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(
        *(handle(UserMessage(t, c, f"s{i}")) for i, (t, c) in enumerate(zip(texts, channels, strict=True)))
    )
    crisis = channels[crisis_at]
    assert said(crisis) == crisis_texts()["nl"]
    # sent at once, before Rasa even started on it (which is more than a second later)
    assert crisis.times[0] - started < 1.0
    assert rasa.started_crisis is None or (
        rasa.started_crisis - started > 1.0 and crisis.times[0] < rasa.started_crisis
    )
    assert all(m["text"] != failure_text() for m in crisis.messages)
    # Everyone else waited too long and got the failure text: the load was real.
    others = [c for i, c in enumerate(channels) if i != crisis_at]
    assert all(c.messages[0]["text"] == failure_text() for c in others)
    # Rasa finishes every message later; its own 113 answer is not sent a second time.
    while rasa.finished < len(texts):
        await asyncio.sleep(0.05)
    assert said(crisis) == crisis_texts()["nl"]
    assert all(said(channels[i]) == f"{failure_text()}\n\nantwoord op bericht {i}" for i in range(60) if i != crisis_at)


async def test_a_crisis_message_is_answered_while_its_own_conversation_is_stuck():
    """Rasa's lock store makes a conversation's second message wait for its first: the answer does not."""
    lock = asyncio.Lock()
    stuck = asyncio.Event()

    async def conversation_locked_rasa(message: UserMessage) -> None:
        async with lock:  # one message of a conversation at a time, like Rasa's lock store
            if message.text == "3":
                await stuck.wait()  # the action server hangs in the middle of the check-in
            await message.output_channel.send_response(message.sender_id, rasa_answer(message.text))

    handle = guarded(conversation_locked_rasa, reply_timeout=0.3)
    first, second = TimedChannel(), TimedChannel()
    task = asyncio.ensure_future(handle(UserMessage("3", first, "s1")))
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    await handle(UserMessage(CRISIS_NL, second, "s1"))
    assert said(second) == crisis_texts()["nl"] and second.times[0] - started < 0.1  # never "Er ging iets mis"
    await task
    assert said(first) == failure_text()
    stuck.set()
    await asyncio.sleep(0.05)
    assert said(first) == f"{failure_text()}\n\nantwoord op 3"
    assert said(second) == crisis_texts()["nl"]  # Rasa's copy, after the stuck message, dropped


async def test_english_gets_the_english_variation_and_an_unclear_language_dutch():
    async def silent(message: UserMessage) -> None:
        return None

    handle = guarded(silent, reply_timeout=0.1)
    for text, language in [(CRISIS_EN, "en"), (CRISIS_NL, "nl"), ("zelfmoord", "nl")]:
        out = CollectingOutputChannel()
        await handle(UserMessage(text, out, "s1"))
        assert said(out) == crisis_texts()[language], text


async def test_rasas_answer_in_the_other_language_is_not_sent_twice_but_what_follows_is():
    async def rasa(message: UserMessage) -> None:
        english = {"text": crisis_texts()["en"], "utter_action": "utter_crisis"}
        await message.output_channel.send_response(message.sender_id, english)
        await message.output_channel.send_response(message.sender_id, {"text": "De check-in is gestopt."})

    out = CollectingOutputChannel()
    await guarded(rasa, reply_timeout=1)(UserMessage(CRISIS_NL, out, "s1"))
    assert said(out) == crisis_texts()["nl"] + "\n\nDe check-in is gestopt."


async def test_worry_about_someone_else_gets_its_own_answer_first():
    async def failing(message: UserMessage) -> None:
        raise RuntimeError("action server down")

    out = CollectingOutputChannel()
    await guarded(failing, reply_timeout=1)(UserMessage(WORRY, out, "s1"))
    assert said(out) == domain_texts("utter_zorg_ander")["nl"]


async def test_a_widget_message_with_a_bad_session_id_still_gets_the_crisis_answer():
    called = []

    async def rasa(message: UserMessage) -> None:
        called.append(message)

    out = CollectingOutputChannel()
    await guarded(rasa, reply_timeout=1, require_uuid_sender=True)(UserMessage(CRISIS_NL, out, "not-a-uuid"))
    assert said(out) == crisis_texts()["nl"] and not called


async def test_a_broken_channel_for_the_first_answer_leaves_rasas_answer():
    class FlakyChannel(CollectingOutputChannel):
        calls = 0

        async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
            FlakyChannel.calls += 1
            if FlakyChannel.calls == 1:
                raise ConnectionError("socket closed")
            await super().send_response(recipient_id, message)

    async def rasa(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, rasa_answer(message.text))

    out = FlakyChannel()
    await guarded(rasa, reply_timeout=1)(UserMessage(CRISIS_NL, out, "s1"))
    assert said(out) == crisis_texts()["nl"]  # the guard's copy was lost, so Rasa's is sent


# --------------------------------------------------------------------------- through the REST channel


@pytest.fixture
def fast_timeout(monkeypatch):
    monkeypatch.setenv("REPLY_TIMEOUT_SECONDS", "0.3")


async def serve_rest(agent: Any) -> tuple[Any, str]:
    """Rasa's REST channel (our guarded one) on a real Sanic server with ``agent`` as Rasa; returns (server, url)."""
    # Test mode: Sanic rewrites some of its own functions when a server starts; in test mode it
    # keeps the originals, so several servers can start in one process.
    Sanic.test_mode = True
    app = Sanic(f"channel_{uuid.uuid4().hex[:10]}", configure_logging=False)
    app.ctx.agent = agent
    register([GuardedRestInput()], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    return server, f"http://127.0.0.1:{port}/webhooks/rest/webhook"


async def test_under_load_through_the_rest_channel_the_crisis_message_gets_113_once(fast_timeout):
    rasa = BusyRasa(at_once=16)
    server, url = await serve_rest(rasa)
    texts = [f"bericht {i}" for i in range(120)]
    texts[97] = CRISIS_NL
    try:
        async with aiohttp.ClientSession() as client:

            async def say(i: int, text: str) -> list[dict]:
                async with client.post(url, json={"sender": f"leraar-{i}", "message": text}) as response:
                    assert response.status == 200
                    return await response.json()

            answers = await asyncio.gather(*(say(i, t) for i, t in enumerate(texts)))
        while rasa.finished < len(texts):  # Rasa finishes every message in the background
            await asyncio.sleep(0.05)
    finally:
        server.close()
        await server.wait_closed()
    assert "\n\n".join(m["text"] for m in answers[97]) == crisis_texts()["nl"]
    failed = sum(a == [{"recipient_id": f"leraar-{i}", "text": failure_text()}] for i, a in enumerate(answers))
    assert failed >= 100  # the server really was too busy for almost everyone else


def test_the_socketio_channel_builds_with_the_guard(fast_timeout):
    """The widget's channel registers (and loads the language detector up front) without a model."""
    channel = GuardedSocketIOInput(session_persistence=True)

    async def handler(message: UserMessage) -> None:
        return None

    assert channel.blueprint(handler) is not None
