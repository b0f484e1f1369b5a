"""A small asyncio/aiohttp load client for Rasa's REST channel (loopback only).

Each simulated user runs conversations one after another: a short knowledge conversation
(two questions), then a whole check-in (start, consent, five answers), and so on, each under
a fresh sender id. Check-ins are stored only through a roster member's personal link, so every
sender is a member of the bench team's roster (``Member``, one per sender, taken from a
``MemberPool``): each of its messages carries the member's raw token as metadata
``member_token``, as the widget opened from the link sends it. With ``think_s`` a user pauses a random time between
its messages, as a person reads and types (locust's ``between(a, b)``); without it the users
fire back to back, which measures saturation throughput rather than what a teacher waits.
Messages go round-robin over ``urls`` (client-side alternation for the scale-out run). A run
is bounded in time and in messages (``max_messages``): no new conversation starts after
``duration_s``; a started check-in is finished, or with ``stop_at_deadline`` abandoned (what a
timed run wants: no ramp-down tail of fewer and fewer users). An abandoned check-in must leave
nothing stored, which ``verify_checkins`` checks too.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import random
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import aiohttp

if TYPE_CHECKING:
    from bot.storage.unit_of_work import UnitOfWork

KNOWLEDGE = [
    "wat is welbevinden op school eigenlijk?",
    "waarom stoppen zoveel beginnende docenten?",
    "wie ervaart de meeste werkdruk in het onderwijs?",
    "Voor welke scholen is Welbevinden op School bedoeld?",
    "hoe hangt welbevinden op school samen met gezonde school",
    "Waarom zou je investeren in het welbevinden van het schoolteam?",
]
CHECKIN_OPENING = ["ik wil inchecken", "ja"]
SAVED = "zijn opgeslagen"  # the bot's confirmation after the fifth answer
CHECKIN_MESSAGES = len(CHECKIN_OPENING) + 5
#: Messages per second no run here reaches (one Rasa process with ours: about 200 on 2 cores):
#: the bound behind ``most_senders``. Too low a bound leaves users without a member before the
#: run's end (``short_of_members``), and the run measures fewer users than it says.
MAX_RATE = 600.0


@dataclass(frozen=True)
class Member:
    """A roster member as its simulated sender needs it: the id (for its pseudonym) and the link's token."""

    id: int
    token: str  # raw token of the personal link; Rasa's channel stores only its SHA-256

    def metadata(self) -> dict[str, str]:
        from bot.services.links import TOKEN_METADATA

        return {TOKEN_METADATA: self.token}


class MemberPool:
    """Roster members not used yet, handed out one per sender: no two conversations share a member.

    One pool serves every run of a stage (on one database), so a check-in's stored row is its
    own and nothing else's; the stage tops it up between runs (benchmarks.processes.BenchTeam).
    """

    def __init__(self, members: Iterable[Member] = ()) -> None:
        self._free: deque[Member] = deque(members)

    def add(self, members: Iterable[Member]) -> None:
        self._free.extend(members)

    def take(self) -> Member | None:
        return self._free.popleft() if self._free else None

    def __len__(self) -> int:
        return len(self._free)


def most_senders(users: int, duration_s: float, max_conversations_per_user: int | None = None) -> int:
    """An upper bound on the senders (conversations) of one ``run_load``: members it may take.

    Every finished conversation has at least two messages, and each user leaves at most one
    unfinished, so a run of ``duration_s`` below ``MAX_RATE`` messages a second needs at most this.
    """
    if max_conversations_per_user is not None:
        return users * max_conversations_per_user
    return users + math.ceil(MAX_RATE * duration_s / 2)


@dataclass(frozen=True)
class Checkin:
    sender: str
    member_id: int  # the roster member whose link the conversation used
    answers: tuple[int, int, int, int, int]
    final_reply: str
    abandoned: bool = False  # stopped at the deadline before its last answer

    @property
    def confirmed(self) -> bool:
        return SAVED in self.final_reply


@dataclass
class LoadResult:
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds per message
    errors: int = 0
    checkins: list[Checkin] = field(default_factory=list)
    conversations: int = 0
    #: Users that stopped early because the pool had no member left (a too small top-up).
    short_of_members: int = 0


def answers_for(sender: str) -> tuple[int, int, int, int, int]:
    """Deterministic, varied answers (1-5) per sender, so a mix-up between conversations shows."""
    digest = hashlib.sha256(sender.encode()).digest()
    return tuple(1 + digest[k] % 5 for k in range(5))  # type: ignore[return-value]


def _check_loopback(urls: list[str]) -> None:
    for url in urls:
        if urlparse(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError(f"load only against loopback, not {url}")


async def run_load(
    urls: list[str],
    users: int,
    members: MemberPool,
    duration_s: float,
    max_messages: int = 100_000,
    run_id: str = "bench",
    max_conversations_per_user: int | None = None,
    timeout_s: float = 60.0,
    think_s: tuple[float, float] = (0.0, 0.0),
    seed: str | None = None,
    stop_at_deadline: bool = False,
) -> LoadResult:
    """Run ``users`` concurrent simulated users against ``urls``; returns per-message latencies.

    Each conversation takes its own member from ``members`` (see ``most_senders`` for how many a
    run may take); a user finding the pool empty stops, counted in ``short_of_members``.
    ``think_s=(a, b)``: each user waits uniformly between a and b seconds before each message,
    its first included, so the users do not all start in the same instant (locust's spawn rate).
    The think times come from ``seed`` (default ``run_id``): give two runs the same seed to
    replay the same timing against two servers. ``stop_at_deadline``: no message is sent after
    ``duration_s`` (messages in flight still count), so a check-in may be abandoned half-way.
    """
    _check_loopback(urls)
    rng = random.Random(seed or run_id)  # noqa: S311 - think times, not secrets
    result = LoadResult(users=users)
    targets = itertools.cycle(urls)  # round-robin per message
    sent = 0
    started = time.perf_counter()
    deadline = started + duration_s

    class Stop(Exception):
        """The deadline passed before this message (``stop_at_deadline``)."""

    async def say(session: aiohttp.ClientSession, sender: str, member: Member, text: str) -> str:
        nonlocal sent
        if think_s[1] > 0:
            pause = rng.uniform(*think_s)
            if stop_at_deadline and time.perf_counter() + pause >= deadline:
                raise Stop
            await asyncio.sleep(pause)
        if stop_at_deadline and time.perf_counter() >= deadline:
            raise Stop
        sent += 1
        url = next(targets)
        body = {"sender": sender, "message": text, "metadata": member.metadata()}
        t0 = time.perf_counter()
        try:
            async with session.post(f"{url}/webhooks/rest/webhook", json=body) as response:
                payload = await response.json(content_type=None)
                if response.status != 200:
                    raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            result.errors += 1
            return ""
        result.latencies.append(time.perf_counter() - t0)
        return "\n".join(m.get("text", "") for m in payload if isinstance(m, dict))

    async def user(session: aiohttp.ClientSession, u: int) -> None:
        for k in itertools.count():
            if time.perf_counter() >= deadline or sent >= max_messages:
                return
            if max_conversations_per_user is not None and k >= max_conversations_per_user:
                return
            member = members.take()
            if member is None:
                result.short_of_members += 1
                return
            sender = f"{run_id}-u{u}-c{k}"
            result.conversations += 1
            if (u + k) % 2 == 0:  # knowledge conversation
                try:
                    for i in range(2):
                        await say(session, sender, member, KNOWLEDGE[(u + k + i) % len(KNOWLEDGE)])
                except Stop:
                    return
            else:  # a whole check-in, finished past the deadline unless stop_at_deadline
                answers = answers_for(sender)
                reply, said = "", 0
                try:
                    for text in [*CHECKIN_OPENING, *map(str, answers)]:
                        reply = await say(session, sender, member, text)
                        said += 1
                except Stop:
                    if said:  # begun, then abandoned: must have stored nothing
                        result.checkins.append(Checkin(sender, member.id, answers, reply, abandoned=True))
                    return
                result.checkins.append(Checkin(sender, member.id, answers, reply))

    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(limit=max(users, 1))
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(user(session, u) for u in range(users)))
    result.seconds = time.perf_counter() - started
    return result


def verify_checkins(uow: UnitOfWork, checkins: list[Checkin], secret: str) -> tuple[int, list[str]]:
    """Compare every check-in with what the database holds for it; returns (number right, problems).

    Right means: a finished check-in was confirmed and stored exactly as answered, under the
    pseudonym of its own roster member (``roster.member_key``), and no other check-in used that
    member; an abandoned one left nothing stored. ``uow``: a unit of work on the app database
    the action server wrote to; ``secret``: its PSEUDONYM_SECRET.
    """
    from collections import Counter

    from bot.services.checkin import history
    from bot.services.roster import member_key
    from bot.vocabulary import DIMENSIONS

    problems: list[str] = []
    exact = 0
    shared = {m for m, n in Counter(c.member_id for c in checkins).items() if n > 1}
    for c in checkins:
        weeks = history(uow, member_key(c.member_id, secret))
        stored = [tuple(week.scores[d] for d in DIMENSIONS) for week in weeks]
        if c.member_id in shared:
            problems.append(f"{c.sender}: member {c.member_id} was used by another check-in too")
        elif c.abandoned:
            if stored:
                problems.append(f"{c.sender}: abandoned half-way, yet stored {stored}")
            else:
                exact += 1
        elif not c.confirmed:
            problems.append(f"{c.sender}: no confirmation (last reply {c.final_reply[:60]!r})")
        elif stored != [c.answers]:
            problems.append(f"{c.sender}: answered {c.answers}, stored {stored}")
        else:
            exact += 1
    return exact, problems
