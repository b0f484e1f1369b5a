"""The fundament-scan service: scoring, suggestions, saving per school, tokens (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from bot.services import scan
from bot.services.teams import create_team
from bot.vocabulary import KAN_BETER, ONTBREEKT, SCAN_ELEMENTS, SCAN_ITEMS, STAAT_GOED

ALL_GOOD = {item: STAAT_GOED for item in SCAN_ITEMS}


def test_catalogue_has_every_element_with_a_tool_and_every_label():
    assert list(scan.elements()) == list(SCAN_ELEMENTS)
    assert list(scan.item_labels()) == list(SCAN_ITEMS)
    assert all(e.tool.id and e.sterk and e.label for e in scan.elements().values())


def test_summary_names_strengths_and_the_weakest_elements_with_a_tool():
    answers = {
        **ALL_GOOD,
        "visie": STAAT_GOED,
        "leiderschap": KAN_BETER,
        "inwerken": ONTBREEKT,
        "maatje": None,
        "techniek": KAN_BETER,
        "verbinding": ONTBREEKT,
        "efficacy": KAN_BETER,
    }
    summary = scan.summarise(answers)
    assert [e.key for e in summary.strengths] == ["visie", "waarderingsgesprekken", "professionalisering"]
    # Ontbreekt before kan beter, then in the order of the scan; at most three.
    assert [(w.element.key, w.level_word) for w in summary.work_on] == [
        ("inwerken", "ontbreekt"),
        ("verbinding", "ontbreekt"),
        ("leiderschap", "kan beter"),
    ]
    assert summary.work_on[0].element.tool.id == "onboarding"
    assert summary.answered == len(SCAN_ITEMS) - 1


@pytest.mark.parametrize(
    ("groen", "geel", "rood", "expected"),
    [
        (STAAT_GOED, ONTBREEKT, ONTBREEKT, "groen_sterk"),
        (KAN_BETER, KAN_BETER, STAAT_GOED, "curatief"),
        (ONTBREEKT, None, KAN_BETER, "curatief"),
        (KAN_BETER, STAAT_GOED, KAN_BETER, "groen_zwak"),
        (None, None, None, None),
    ],
)
def test_pyramid_message(groen, geel, rood, expected):
    answers = {**ALL_GOOD, "groen": groen, "geel": geel, "rood": rood}
    assert scan.summarise(answers).pyramid == expected


def test_all_good_has_nothing_to_work_on_and_all_skipped_has_no_answers():
    assert scan.summarise(ALL_GOOD).work_on == []
    assert scan.summarise({}).answered == 0


@pytest.mark.parametrize("bad", [3, -1, "staat goed", True, 1.5])
def test_invalid_answers_are_refused(bad):
    with pytest.raises(ValueError):
        scan.clean_answers({"visie": bad})


def test_saved_scans_belong_to_a_school_and_show_the_change(any_backend):
    b = any_backend
    school_id = create_team(b.uow(), "School A", "Team 1").school_id
    other_id = create_team(b.uow(), "School B", "Team 1").school_id
    first = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
    saved = scan.save_scan(b.uow(), school_id, {**ALL_GOOD, "inwerken": ONTBREEKT, "techniek": STAAT_GOED}, when=first)
    assert saved.school_name == "School A" and saved.answers["inwerken"] == ONTBREEKT
    scan.save_scan(b.uow(), school_id, {**ALL_GOOD, "inwerken": KAN_BETER, "techniek": KAN_BETER, "maatje": None})
    scan.save_scan(b.uow(), other_id, ALL_GOOD)
    newest, older = scan.school_scans(b.uow(), school_id)
    assert older.id == saved.id and newest.school_name == older.school_name == "School A"
    assert older.created_at.replace(tzinfo=timezone.utc) == first
    assert scan.change(newest.answers["inwerken"], older.answers["inwerken"]) == "beter"
    assert scan.change(newest.answers["techniek"], older.answers["techniek"]) == "minder"
    assert scan.change(newest.answers["visie"], older.answers["visie"]) == "gelijk"
    assert scan.change(newest.answers["maatje"], older.answers["maatje"]) is None
    assert len(scan.school_scans(b.uow(), other_id)) == 1
    assert scan.school_name(b.uow(), other_id) == "School B"
    assert scan.school_name(b.uow(), 999_999) is None and scan.school_name(b.uow(), None) is None
    with pytest.raises(LookupError):
        scan.save_scan(b.uow(), 999_999, ALL_GOOD)
    assert len(scan.school_scans(b.uow(), school_id)) == 2 and scan.school_scans(b.uow(), 999_999) == []


def test_scan_table_holds_no_person(any_backend):
    columns = {c["name"] for c in inspect(any_backend.database.engine).get_columns("fundament_scans")}
    assert columns == {"id", "school_id", "created_at", *SCAN_ITEMS}


def test_scan_token_names_the_school_and_cannot_be_forged_or_reused_late(settings):
    secret = settings.scan_token_secret
    assert secret
    token = scan.make_scan_token(42, secret)
    assert scan.read_scan_token(token, secret) == 42
    assert scan.read_scan_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), secret) is None
    assert scan.read_scan_token(scan.make_scan_token(42, "another-secret"), secret) is None
    assert scan.read_scan_token(token, secret, max_age=-1) is None  # expired
    for junk in (None, "", 42, "x" * 1000, {"school": 42}):
        assert scan.read_scan_token(junk, secret) is None
    # A secret is required: never sign or accept with an empty one.
    with pytest.raises(ValueError):
        scan.make_scan_token(42, "")
    with pytest.raises(ValueError):
        scan.read_scan_token(token, "")


def test_dates_for_the_chat_in_dutch_and_english():
    from actions.scan import chat_date

    when = datetime(2026, 11, 3) + timedelta(hours=1)
    assert chat_date(when) == chat_date(when, "nl") == "3 november 2026"
    assert chat_date(when, "en") == "3 November 2026"
