"""The check-in answer parser: what people really type, and random input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.answers import Answer, Kind, parse_level, parse_score, parse_yes_no
from bot.vocabulary import KAN_BETER, ONTBREEKT, SCAN_LEVELS, SCORES, STAAT_GOED


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4", 4),
        (" 4 ", 4),
        ("4/5", 4),
        ("4 van de 5", 4),
        ("een 4", 4),
        ("ik geef het een 4", 4),
        ("vier", 4),
        ("Vier!", 4),
        ("één", 1),
        ("twee", 2),
        ("drie", 3),
        ("vijf", 5),
        ("ruim voldoende", 4),
        ("Ruim voldoende.", 4),
        ("gaat wel", 3),
        ("Gaat wel hoor", None),
        ("slecht", 2),
        ("heel slecht", 1),
        ("super", 5),
        ("suuper", 5),
        ("geweldug", 5),
        ("top!", 5),
        ("niet goed", 2),
        ("niet slecht", 3),
        ("matig", 2),
        ("prima", 4),
        ("😊", 4),
        ("😩", 1),
        ("😐", 3),
        ("👍", 4),
        ("😁😁", 5),
    ],
)
def test_scores(text, value):
    answer = parse_score(text)
    if value is None:
        assert answer.kind in {Kind.SCORE, Kind.UNCLEAR}
    else:
        assert (answer.kind, answer.value) == (Kind.SCORE, value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "3,5",
        "3.5",
        "10",
        "7/10",
        "2 of 3",
        "0",
        "6",
        "banaan",
        "😊😩",
        "x" * 5000,
        "<script>alert(1)</script>",
        "'; DROP TABLE checkins; --",
        "{{ 7*7 }}",
        "\u202eevil",
        "\x00\x01",
    ],
)
def test_unclear_inputs_are_never_turned_into_a_score(text):
    assert parse_score(text).kind is Kind.UNCLEAR


@pytest.mark.parametrize("text", ["stop", "Stop!", "laat maar", "Laat maar zitten", "ik wil stoppen", "kappen"])
def test_stop(text):
    assert parse_score(text).kind is Kind.STOP


@pytest.mark.parametrize("text", ["overslaan", "sla over", "weet ik niet", "geen idee", "liever niet"])
def test_skip(text):
    assert parse_score(text).kind is Kind.SKIP


def test_workload_words_point_the_right_way():
    assert parse_score("veel te druk", "werkdruk").value == 1
    # "goed te doen" is the top anchor of the workload question (1 = veel te veel werk, 5 = goed te doen).
    assert parse_score("goed te doen", "werkdruk").value == 5


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ja", True),
        ("Ja, ik doe mee", True),
        ("jazeker", True),
        ("👍", True),
        ("nee", False),
        ("Nee, liever niet", False),
        ("nope", False),
        ("misschien", None),
        ("", None),
    ],
)
def test_yes_no(text, value):
    assert parse_yes_no(text) is value


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes_and_scores_stay_in_range(text):
    answer = parse_score(text)
    assert answer.kind in set(Kind)
    if answer.kind is Kind.SCORE:
        assert answer.value in SCORES
    else:
        assert answer.value is None
    assert parse_yes_no(text) in {True, False, None}


# ---------------------------------------------------------------- fundament-scan answers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("staat goed", STAAT_GOED),
        ("Staat goed!", STAAT_GOED),
        ("dat hebben we", STAAT_GOED),
        ("super", STAAT_GOED),
        ("😊", STAAT_GOED),
        ("kan beter", KAN_BETER),
        ("Kan nog beter.", KAN_BETER),
        ("deels", KAN_BETER),
        ("gaat wel", KAN_BETER),
        ("slecht", KAN_BETER),
        ("we zijn ermee bezig", KAN_BETER),
        ("ontbreekt", ONTBREEKT),
        ("ontbrekt", ONTBREEKT),
        ("nee, hebben we niet", ONTBREEKT),
        ("hebben we nog niet", ONTBREEKT),
        ("helemaal niet", ONTBREEKT),
        ("😩", ONTBREEKT),
    ],
)
def test_scan_levels_from_buttons_and_free_text(text, value):
    assert parse_level(text) == Answer(Kind.SCORE, value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("weet ik niet", Kind.SKIP),
        ("🤷", Kind.SKIP),
        ("laat maar", Kind.STOP),
        ("stop", Kind.STOP),
        # A number is not one of the three answers: asking again beats guessing.
        ("2", Kind.UNCLEAR),
        ("4/5", Kind.UNCLEAR),
        ("<b>staat goed</b>", Kind.UNCLEAR),
        ("", Kind.UNCLEAR),
        ("x" * 5000, Kind.UNCLEAR),
        ("dat hangt ervan af wie je het vraagt", Kind.UNCLEAR),
    ],
)
def test_scan_levels_never_guess(text, kind):
    assert parse_level(text).kind is kind


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_gives_a_valid_scan_level_or_none(text):
    answer = parse_level(text)
    assert (answer.kind is Kind.SCORE) == (answer.value in SCAN_LEVELS)
