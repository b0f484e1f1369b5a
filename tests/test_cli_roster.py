"""The operator's roster, invitation and release commands: JSON out, never a token or a link."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.mail import DevMailbox
from bot.services.links import token_hash
from bot.services.teams import create_team
from bot.storage.models import OutboxMail
from bot.vocabulary import IsoWeek
from tests.servers import free_port
from tests.test_mail import personal_link, read_eml, token_of

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def dutch_week() -> IsoWeek:
    """The running ISO week in Dutch time, as the services count it."""
    return IsoWeek.of(datetime.now(ZoneInfo("Europe/Amsterdam")).date())


def run(capsys, *argv: str) -> tuple[int, dict | list | None, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert not TOKEN_RE.search(out + err) and "/c/" not in out + err  # never a token or a link
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def team(backend, capsys):
    """A team of "OBS De Linde" whose rosters may use school.nl; its code."""
    info = create_team(backend.uow(), "OBS De Linde", "Onderbouw")
    assert run(capsys, "school", "set-domains", "--school", "OBS De Linde", "school.nl")[0] == 0
    return info.code


def test_help_lists_the_new_commands():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True)
    for command in ("school", "members", "invitations", "release"):
        assert command in result.stdout
    result = subprocess.run([sys.executable, "-m", "bot", "members", "--help"], capture_output=True, text=True)
    assert all(sub in result.stdout for sub in ("add", "remove", "count"))


def test_set_domains(backend, capsys):
    create_team(backend.uow(), "OBS De Linde", "Onderbouw")
    code, out, _ = run(capsys, "school", "set-domains", "--school", "OBS De Linde", "@Delinde.NL", "school.nl")
    assert code == 0 and out == {"school": "OBS De Linde", "domains": ["delinde.nl", "school.nl"]}
    code, out, err = run(capsys, "school", "set-domains", "--school", "OBS De Linde", "geen domein")
    assert (code, out) == (1, None) and err == "Error: 'geen domein' is not an e-mail domain (for example school.nl).\n"
    code, _, err = run(capsys, "school", "set-domains", "--school", "Nergens", "school.nl")
    assert code == 1 and err == "Error: Unknown school 'Nergens'.\n"


def test_members_add_reports_each_refused_line(team, capsys):
    code, out, _ = run(capsys, "members", "add", "--team", team, "a@school.nl", "B@School.nl", "c@elders.nl", "nope")
    assert code == 1  # some lines were refused
    assert out["team"] == "Onderbouw" and out["team_code"] == team
    assert (out["done"], out["roster_size"]) == (2, 2)
    assert [(e["address"], e["reason"]) for e in out["errors"]] == [
        ("c@elders.nl", "ander_domein"),
        ("nope", "ongeldig"),
    ]
    code, out, _ = run(capsys, "members", "add", "--team", team, "a@school.nl", "d@school.nl")
    assert code == 1 and out["done"] == 1 and out["errors"][0]["reason"] == "al_in_team"
    code, out, _ = run(capsys, "members", "add", "--team", team, "e@school.nl")
    assert (code, out["done"], out["errors"]) == (0, 1, [])


def test_members_add_from_a_csv_file(team, capsys, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes('"Naam";"E-mail"\r\n"José";"jose@school.nl"\r\n"Eva";"eva@school.nl"\r\n'.encode("utf-8-sig"))
    code, out, _ = run(capsys, "members", "add", "--team", team, "--file", str(roster))
    assert (code, out["done"], out["roster_size"]) == (0, 2, 2)

    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("kees@school.nl\nanne@school.nl\n".encode("utf-16"))
    assert run(capsys, "members", "add", "--team", team, "--file", str(utf16))[1]["roster_size"] == 4


def test_a_roster_file_in_the_wrong_encoding_is_a_clear_error(team, capsys, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes('"José";"jose@school.nl"\n'.encode("cp1252"))
    code, out, err = run(capsys, "members", "add", "--team", team, "--file", str(roster))
    assert (code, out) == (1, None)
    assert err.startswith(f"Error: {str(roster)!r} is not UTF-8 or UTF-16 text.") and "CSV UTF-8" in err
    code, _, err = run(capsys, "members", "add", "--team", team, "--file", str(tmp_path / "missing.csv"))
    assert code == 1 and err.startswith("Error: Cannot read") and "Traceback" not in err
    code, _, err = run(capsys, "members", "add", "--team", team)
    assert code == 1 and err == "Error: Give one or more e-mail addresses, or --file roster.csv.\n"
    assert run(capsys, "members", "count", "--team", team)[1]["roster_size"] == 0  # nothing half-imported


def test_members_remove_and_count(team, capsys):
    run(capsys, "members", "add", "--team", team, "a@school.nl", "b@school.nl", "c@school.nl")
    code, out, _ = run(capsys, "members", "count", "--team", team)
    assert code == 0 and out == {"team": "Onderbouw", "team_code": team, "roster_size": 3, "added_last_14_days": 3}
    code, out, _ = run(capsys, "members", "remove", "--team", team, "b@school.nl", "x@school.nl")
    assert code == 1 and (out["done"], out["roster_size"]) == (1, 2)
    assert out["errors"] == [{"line": 2, "address": "x@school.nl", "reason": "niet_gevonden"}]
    assert run(capsys, "members", "count", "--team", team)[1]["roster_size"] == 2


def test_unknown_team_code_is_the_usual_error(db, capsys):
    for argv in (
        ("members", "add", "--team", "AAAAA-BBBBB", "a@school.nl"),
        ("members", "count", "--team", "AAAAA-BBBBB"),
        ("invitations", "send", "--team", "AAAAA-BBBBB"),
    ):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (1, None)
        assert (
            err == "Error: Unknown team code 'AAAAA-BBBBB'. `python -m bot team list --school NAME` shows the codes.\n"
        )


def test_invitations_send_mails_this_weeks_invitations_once(backend, team, capsys, monkeypatch):
    run(capsys, "members", "add", "--team", team, "a@school.nl", "b@school.nl", "c@school.nl")
    port = free_port()
    monkeypatch.setenv("SMTP_PORT", str(port))
    with DevMailbox(backend.settings.mail_dir, port=port) as box:
        code, out, _ = run(capsys, "invitations", "send", "--team", team)
        assert code == 0
        assert out == {
            "team": "Onderbouw",
            "team_code": team,
            "week": dutch_week().label(),
            "holiday": False,
            "queued": 3,
            "sent": 3,
            "retry_later": 0,
            "failed": 0,
        }
        out = run(capsys, "invitations", "send", "--team", team)[1]
        assert (out["queued"], out["sent"]) == (0, 0)  # idempotent
        files = box.messages()
    assert sorted(read_eml(p)["To"] for p in files) == ["a@school.nl", "b@school.nl", "c@school.nl"]
    with backend.uow() as uow:
        hashes = {m.token_hash for m in uow.members.of_team(uow.schools.team_with_code(team).id)}
    base = backend.settings.public_base_url
    assert {token_hash(token_of(personal_link(read_eml(p), base))) for p in files} == hashes


def test_invitations_send_with_the_mail_server_down_keeps_them_queued(backend, team, capsys, monkeypatch):
    run(capsys, "members", "add", "--team", team, "a@school.nl", "b@school.nl")
    port = free_port()
    monkeypatch.setenv("SMTP_PORT", str(port))
    out = run(capsys, "invitations", "send", "--team", team)[1]
    assert (out["queued"], out["sent"], out["retry_later"]) == (2, 0, 2) and "retried" in out["note"]
    with DevMailbox(backend.settings.mail_dir, port=port) as box:
        with backend.uow() as uow:  # pretend the retry delay has passed
            for row in uow.session.query(OutboxMail):
                row.next_attempt_at = datetime.now(timezone.utc) - timedelta(seconds=1)
            uow.commit()
        out = run(capsys, "invitations", "send", "--team", team)[1]
        assert (out["queued"], out["sent"]) == (0, 2)
        assert len(box.messages()) == 2


def test_invitations_send_in_a_holiday_week_sends_nothing(backend, team, capsys, monkeypatch):
    run(capsys, "members", "add", "--team", team, "a@school.nl")
    with backend.uow() as uow:
        uow.schools.set_holiday(uow.schools.team_with_code(team).id, dutch_week(), True)
        uow.commit()
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    out = run(capsys, "invitations", "send", "--team", team)[1]
    assert (out["holiday"], out["queued"], out["sent"]) == (True, 0, 0) and "holiday" in out["note"]


def test_release_freezes_ended_weeks_only(backend, team, capsys):
    run(capsys, "members", "add", "--team", team, "a@school.nl")
    with backend.uow() as uow:
        uow.schools.team_with_code(team).first_import_at = datetime.now(timezone.utc) - timedelta(weeks=3)
        uow.commit()
    code, out, _ = run(capsys, "release")
    running = dutch_week()
    assert code == 0
    weeks = [row["week"] for row in out["released"]]
    assert weeks == [running.previous(i).label() for i in (3, 2, 1)]  # the first import's week and after
    assert running.label() not in weeks
    assert all(row == {"team": "Onderbouw", "team_code": team, "week": row["week"]} for row in out["released"])
    assert run(capsys, "release") == (0, {"released": []}, "")  # nothing twice
