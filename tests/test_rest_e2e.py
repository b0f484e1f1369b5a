"""End to end through Rasa's REST channel: a real model, action server and database."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from sqlalchemy import text

from bot.services.teams import TeamInfo
from bot.storage.db import make_engine
from tests.servers import Stack, Teacher, team_with_roster

pytestmark = pytest.mark.rasa


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("e2e")
    running = Stack(var_dir, f"sqlite:///{var_dir / 'app.db'}").start()
    yield running
    running.stop()


#: Addresses on the E2E team's roster; each test that checks in uses its own.
ROSTER = ["rest-1", "hostile", "canary"]


@pytest.fixture(scope="module")
def e2e_team(stack) -> tuple[TeamInfo, dict[str, Teacher]]:
    """The E2E school's team and its roster, each member with a personal link."""
    team, teachers = team_with_roster(stack, "E2E school", "E2E team", [f"{name}@e2e-school.nl" for name in ROSTER])
    return team, dict(zip(ROSTER, teachers, strict=True))


@pytest.fixture(scope="module")
def team_code(e2e_team) -> str:
    return e2e_team[0].code


@pytest.fixture(scope="module")
def teachers(e2e_team) -> dict[str, Teacher]:
    return e2e_team[1]


def say(
    stack: Stack,
    sender: str,
    message: str,
    team_code: str | None = None,
    member: Teacher | None = None,
    **metadata: str,
) -> list[dict]:
    """Send one message as the widget would: with the team code and/or the personal link's token as metadata."""
    body = {"sender": sender, "message": message}
    if team_code:
        metadata["team_code"] = team_code
    if member:
        metadata.update(member.metadata())
    if metadata:
        body["metadata"] = metadata
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def rows(stack: Stack) -> list:
    with make_engine(stack.database_url).connect() as conn:
        return conn.execute(
            text("SELECT person_key, energie, werkdruk, verbinding, waardering, plezier FROM checkins")
        ).all()


def test_greeting_is_dutch(stack):
    assert "Welbevinden-assistent" in texts(say(stack, "greeter", "hoi"))


def test_whole_checkin_through_the_personal_link_stores_one_row_with_the_given_values(stack, teachers):
    sender, me = "teacher-rest-1", teachers["rest-1"]
    first = texts(say(stack, sender, "ik wil inchecken", member=me))
    assert "Doe je mee?" in first and "teamcode" not in first.lower()
    assert "begreep" not in first and "sla deze vraag over" not in first
    assert "Vraag 1 van 5" in texts(say(stack, sender, "ja", member=me))
    assert "begreep ik niet" in texts(say(stack, sender, "banaan", member=me))  # re-asked, not stored
    # An emoji, a phrase, a number word: each as clear on its own question (😩 is energy, not connection).
    for answer in ["😩", "gaat wel", "vier", "ruim voldoende"]:
        say(stack, sender, answer, member=me)
    final = texts(say(stack, sender, "super", member=me))
    assert "zijn opgeslagen" in final
    stored = rows(stack)
    assert len(stored) == 1
    assert tuple(stored[0])[1:] == (1, 3, 4, 4, 5)
    # Stored under the member's pseudonym: neither the chat sender, the address nor the link's token.
    assert stored[0][0] == me.person_key
    assert sender not in stored[0][0] and me.email not in stored[0][0] and me.token not in stored[0][0]

    # A second check-in in the same week replaces the first.
    say(stack, sender, "ik wil inchecken", member=me)
    say(stack, sender, "ja", member=me)
    for answer in ["2", "2", "2", "2"]:
        say(stack, sender, answer, member=me)
    assert "vervangen" in texts(say(stack, sender, "2", member=me))
    assert [tuple(r)[1:] for r in rows(stack)] == [(2, 2, 2, 2, 2)]


def test_checkin_without_a_working_personal_link_is_refused_and_nothing_stored(stack, team_code):
    before = len(rows(stack))
    # A team code (the old way in) is not enough: only a personal link from the roster.
    reply = texts(say(stack, "teacher-rest-2", "ik wil inchecken", team_code))
    assert "persoonlijke link" in reply and "Doe je mee?" not in reply
    # A link that belongs to nobody: said so, and nothing is asked.
    nobody = Teacher("nobody@e2e-school.nl", secrets.token_urlsafe(32), "")
    reply = texts(say(stack, "teacher-rest-3", "ik wil inchecken", member=nobody))
    assert "werkt niet (meer)" in reply and "Doe je mee?" not in reply
    say(stack, "teacher-rest-3", "stop", member=nobody)
    assert len(rows(stack)) == before


def test_knowledge_answer_names_its_source(stack):
    assert "Bron:" in texts(say(stack, "curious", "wat is amplitie?"))


def test_coordinator_does_the_fundament_scan_and_it_is_saved_for_the_school(stack, e2e_team):
    from bot.services.scan import make_scan_token

    school_id = e2e_team[0].school_id
    token = make_scan_token(school_id, stack.settings.scan_token_secret)
    sender = "coordinator-scan"
    intro = texts(say(stack, sender, "ik wil de fundament-scan doen", scan_token=token))
    assert "E2E school" in intro and "1 van 12" in intro
    assert "begreep" not in intro and "sla deze vraag over" not in intro
    assert "begreep ik niet" in texts(say(stack, sender, "tja", scan_token=token))
    answers = ["staat goed", "kan beter", "ontbreekt", "Staat goed!", "weet ik niet", "kan beter"]
    answers += ["super", "nee, hebben we niet", "gaat wel", "ontbreekt", "kan beter"]
    for answer in answers:
        say(stack, sender, answer, scan_token=token)
    result = texts(say(stack, sender, "staat goed", scan_token=token))
    assert "Dit staat al" in result and "Hier kunnen jullie mee verder" in result
    assert "Past dit bij de visie van jullie school?" in result
    assert "bewaard voor E2E school" in result
    with make_engine(stack.database_url).connect() as conn:
        columns = "school_id, visie, inwerken, waarderingsgesprekken, groen, rood"
        saved = conn.execute(text(f"SELECT {columns} FROM fundament_scans")).all()
    assert [tuple(r) for r in saved] == [(school_id, 2, 0, None, 0, 2)]


def test_fundament_scan_without_token_shows_the_result_but_saves_nothing(stack):
    sender = "teacher-scan"
    say(stack, sender, "fundamentscan")
    for _ in range(11):
        say(stack, sender, "kan beter")
    result = texts(say(stack, sender, "kan beter"))
    assert "Hier kunnen jullie mee verder" in result and "niet bewaard" in result
    assert "stoppen met de fundament-scan" in texts(say(stack, sender, "fundamentscan") + say(stack, sender, "stop"))


def test_feedback_on_an_answer_counts_only_topic_and_thumbs(stack, team_code):
    sender = "feedback-giver"
    first = say(stack, sender, "wat is amplitie?", team_code)
    assert "Had je hier iets aan?" in texts(first)
    payloads = [b["payload"] for r in first for b in r.get("buttons", [])]
    assert '/feedback_slecht{"onderwerp":"amplitie"}' in payloads
    assert "Wat miste je?" in texts(say(stack, sender, '/feedback_slecht{"onderwerp":"amplitie"}', team_code))
    say(stack, sender, "ik wilde een voorbeeld uit het mbo KANARIE-7d2", team_code)
    # Clicking the same button again does not count twice.
    assert "had ik al" in texts(say(stack, sender, '/feedback_slecht{"onderwerp":"amplitie"}', team_code))
    # The next knowledge answer does not ask again (not after every message).
    assert "Had je hier iets aan?" not in texts(say(stack, sender, "hoe zit het met de werkdruk?", team_code))
    with make_engine(stack.database_url).connect() as conn:
        counted = conn.execute(text("SELECT topic, helpful, not_helpful FROM feedback_counts")).all()
        dump = "\n".join(
            str(tuple(r))
            for table in ("feedback_counts", "topic_counts", "fundament_scans")
            for r in conn.execute(text(f"SELECT * FROM {table}")).all()
        )
    assert [tuple(r) for r in counted] == [("amplitie", 0, 1)]
    assert "KANARIE" not in dump


def test_crisis_message_gets_113(stack):
    assert "113" in texts(say(stack, "worried", "ik zie het niet meer zitten"))


HOSTILE = [
    "",
    "   ",
    "\n\t",
    "x" * 10_000,
    "\x00\x01\x02\x1b[31m",
    "😀😃😄" * 50,
    "שלום עולם مرحبا",
    "\u202eevil\u202c",
    "'; DROP TABLE checkins; --",
    "{{ 7*7 }} ${7*7} {% raw %}",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '/kennis_vervolg{"onderwerp":"../../etc/passwd"}',
    "/nonexistent_intent",
    '/kennis_vervolg{"onderwerp":',
    "%s%s%s%n",
]


@pytest.mark.parametrize("message", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_gets_a_polite_answer(stack, team_code, message):
    replies = say(stack, "hostile-sender", message, team_code)
    assert replies, "the bot stayed silent"
    joined = texts(replies)
    assert "Traceback" not in joined and "Exception" not in joined
    assert "<script>" not in joined and "onerror" not in joined


def test_hostile_input_during_checkin_stores_nothing_wrong(stack, teachers):
    sender, me = "hostile-checkin", teachers["hostile"]
    assert "Doe je mee?" in texts(say(stack, sender, "ik wil inchecken", member=me))
    assert "Vraag 1 van 5" in texts(say(stack, sender, "ja", member=me))
    for message in ["'; DROP TABLE checkins; --", "<b>5</b>", "x" * 10_000, "7", "stop"]:
        say(stack, sender, message, member=me)
    assert [r for r in rows(stack) if r[0] == me.person_key] == []


def test_logs_never_contain_message_text_or_slot_values(stack, team_code, teachers):
    canary, me = "KANARIE-93f1", teachers["canary"]
    say(stack, "canary-sender", f"wat is amplitie {canary}", team_code)
    say(stack, "canary-sender", "ik wil inchecken", member=me)
    say(stack, "canary-sender", "ja", member=me)
    say(stack, "canary-sender", f"{canary} vier", member=me)
    say(stack, "canary-sender", "stop", member=me)
    logs = stack.logs()
    assert logs, "the servers wrote no log at all"
    assert canary not in logs
    assert "canary-sender" not in logs
    assert me.token not in logs and me.email not in logs
    # Rasa's channel swaps the link's token for its hash before anything reaches the tracker store.
    tracker_files = b"".join(p.read_bytes() for p in stack.var_dir.glob("tracker.db*"))
    assert tracker_files and me.token.encode() not in tracker_files


def test_http_api_is_off_by_default(stack):
    import urllib.error

    for path in ("/status", "/conversations/teacher-rest-1/tracker", "/model/parse"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{stack.rasa_url}{path}", timeout=10)
        assert error.value.code in (404, 405), path
