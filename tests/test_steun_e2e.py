"""The help tiers end to end through Rasa's REST channel: a real model, action server and database."""

from __future__ import annotations

import pytest

from bot.services import contacts
from bot.services.contacts import BEDRIJFSARTS, VERTROUWENSPERSOON, clean_contact
from tests.servers import Stack, Teacher, free_port, team_with_roster
from tests.test_rest_e2e import say, texts

pytestmark = pytest.mark.rasa

ROUTES = ("huisarts", "bedrijfsarts", "vertrouwenspersoon")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("steun")
    running = Stack(var_dir, f"sqlite:///{var_dir / 'app.db'}").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def teacher(stack) -> Teacher:
    """A teacher of a school whose coordinator entered its help contacts, one named like a link."""
    team, [member] = team_with_roster(stack, "Steunschool", "Team S", ["juf@steunschool.nl"])
    backend = stack.backend()
    try:
        contacts.save_contacts(
            backend.uow(),
            team.school_id,
            {
                VERTROUWENSPERSOON: clean_contact(
                    {"name": "[Anna](https://evil.example)", "phone": "06-12345678"}, name_agreed=True
                ),
                BEDRIJFSARTS: clean_contact({"url": "www.arbodienst.nl", "hours": "di 9-10"}, name_agreed=False),
            },
        )
    finally:
        backend.database.dispose()
    return member


def test_distress_gets_empathy_routes_the_schools_contacts_and_a_tool_never_113(stack, teacher):
    reply = texts(say(stack, "steun-1", "ik ben al weken uitgeput en huil in de auto na schooltijd", member=teacher))
    assert "huilen" in reply.split("\n")[0]  # the empathic sentence reflects what was said, first
    assert all(route in reply for route in ROUTES)
    # Markdown signs are escaped (shown as typed in the widget): "06\-12345678" reads 06-12345678.
    assert r"06\-12345678" in reply and r"\[Anna\]\(https\://evil\.example\)" in reply
    assert r"https\://www\.arbodienst\.nl" in reply
    assert "check-in" in reply
    assert "113" not in reply and "112" not in reply


def test_tired_is_not_suicidal(stack):
    reply = texts(say(stack, "steun-2", "ik ben zo moe, ik kan niet meer"))
    assert "113" not in reply and all(route in reply for route in ROUTES)


def test_worry_about_a_colleague_says_what_to_do(stack):
    reply = texts(say(stack, "steun-3", "mijn collega zegt dat ze er een eind aan wil maken"))
    assert "Vraag het rechtstreeks" in reply and "113" in reply and "112" in reply


def test_a_colleagues_distress_gets_how_to_be_there_for_her_and_the_schools_contacts(stack, teacher):
    text = "mijn duocollega loopt al weken op haar tandvlees en huilt na de les, wat kan ik doen?"
    reply = texts(say(stack, "steun-12", text, member=teacher))
    assert reply.startswith("Fijn dat je omkijkt naar je collega.")
    assert all(route in reply for route in ROUTES) and r"06\-12345678" in reply
    assert "vergeet jezelf niet" in reply and "113" not in reply and "112" not in reply


def test_a_colleagues_distress_in_english_is_answered_in_english(stack):
    reply = texts(say(stack, "steun-13", "my colleague seems completely burnt out, how can I support her?"))
    assert reply.startswith("It is good that you are looking out for your colleague.") and "113" not in reply


def test_an_indirect_english_crisis_gets_113_in_english(stack):
    reply = texts(say(stack, "steun-4", "I don't see the point of going on"))
    assert "Are you thinking about suicide?" in reply and "0800-0113" in reply and "112" in reply


def test_a_near_domain_question_gets_i_dont_know_and_where_to_go(stack):
    reply = texts(say(stack, "steun-5", "hoe kunnen we de werkdrukmiddelen het beste besteden?"))
    assert reply.startswith("Dat weet ik niet.") and "MR" in reply


def test_a_person_to_talk_to_names_the_schools_contacts(stack, teacher):
    reply = texts(say(stack, "steun-6", "ik wil met een echt mens praten", member=teacher))
    assert "chatbot" in reply and r"06\-12345678" in reply


def test_crisis_in_the_middle_of_the_checkin_gets_113_and_ends_it(stack, teacher):
    say(stack, "steun-7", "ik wil inchecken", member=teacher)
    say(stack, "steun-7", "ja", member=teacher)
    assert "113" in texts(say(stack, "steun-7", "ik wil niet meer leven", member=teacher))
    assert "Vraag 2" not in texts(say(stack, "steun-7", "4", member=teacher))


def test_distress_instead_of_consent_gets_help_and_ends_the_checkin(stack, teacher):
    say(stack, "steun-14", "ik wil inchecken", member=teacher)
    reply = texts(say(stack, "steun-14", "ik ben al weken uitgeput en huil elke avond", member=teacher))
    assert all(route in reply for route in ROUTES) and r"06\-12345678" in reply
    assert "Kies" not in reply and "Er is niets opgeslagen" in reply and "113" not in reply


@pytest.mark.parametrize(("start", "question"), [("ik wil inchecken", "Vraag 1 van 5"), ("fundamentscan", "1 van 12")])
def test_worry_in_the_middle_of_a_form_says_what_to_do_and_ends_the_form(stack, teacher, start, question):
    sender = f"steun-8-{start}"
    say(stack, sender, start, member=teacher)
    if start == "ik wil inchecken":
        say(stack, sender, "ja", member=teacher)
    reply = texts(say(stack, sender, "mijn collega zegt dat ze dood wil", member=teacher))
    assert "Vraag het rechtstreeks" in reply
    assert question not in reply and "begreep ik niet" not in reply


def test_without_the_action_server_distress_still_gets_the_general_routes(tmp_path):
    down = Stack(tmp_path, f"sqlite:///{tmp_path / 'app.db'}").start(with_actions=False, action_port=free_port())
    try:
        reply = texts(say(down, "steun-9", "ik slaap al weken slecht en zie enorm op tegen maandag"))
        assert all(route in reply for route in ROUTES) and "113" not in reply
        assert "Er ging iets mis" not in reply
        assert "113" in texts(say(down, "steun-10", "everyone would be better off without me"))
        assert "Vraag het rechtstreeks" in texts(say(down, "steun-11", "een leerling praat over zelfmoord"))
    finally:
        down.stop()
