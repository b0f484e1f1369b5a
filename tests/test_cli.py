"""The admin CLI: python -m bot ..."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main
from bot.services.teams import CODE_ALPHABET, find_team, normalize_code


def test_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True)
    for command in ("db", "team", "serve", "purge", "eval"):
        assert command in result.stdout


def test_team_create_prints_json_with_an_easy_unguessable_code(backend, capsys):
    assert main(["team", "create", "--school", "OBS De Linde", "--team", "Onderbouw", "--size", "12"]) == 0
    out = json.loads(capsys.readouterr().out)
    code = out["team_code"]
    assert out["school"] == "OBS De Linde" and out["team"] == "Onderbouw"
    raw = code.replace("-", "")
    assert len(raw) == 10 and set(raw) <= set(CODE_ALPHABET)  # no 0/O, 1/I/L look-alikes
    team = find_team(backend.uow(), code.lower().replace("-", " "))
    assert (team.name, team.school_name, team.size) == ("Onderbouw", "OBS De Linde", 12)


def test_two_teams_never_share_a_code(db, capsys):
    codes = set()
    for i in range(20):
        main(["team", "create", "--school", "S", "--team", f"T{i}"])
        codes.add(json.loads(capsys.readouterr().out)["team_code"])
    assert len(codes) == 20


def test_rotating_a_code_retires_the_old_one(backend, capsys):
    main(["team", "create", "--school", "S", "--team", "T"])
    old = json.loads(capsys.readouterr().out)["team_code"]
    assert main(["team", "rotate-code", "--code", old]) == 0
    new = json.loads(capsys.readouterr().out)["team_code"]
    assert new != old and find_team(backend.uow(), old) is None
    assert find_team(backend.uow(), new).name == "T"


def test_bad_input_gives_a_clear_error_not_a_traceback(db, capsys):
    assert main(["team", "create", "--school", " ", "--team", "T"]) == 1
    assert "Error:" in capsys.readouterr().err
    assert main(["team", "rotate-code", "--code", "nope"]) == 1
    assert main(["team", "create", "--school", "S", "--team", "T"]) == 0
    capsys.readouterr()
    assert main(["team", "create", "--school", "S", "--team", "t"]) == 1  # names are unique, ignoring case
    assert "already has a team named 't'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["team", "rotate-code", "--code", "AAAAA-BBBBB"],
            "Error: Unknown team code 'AAAAA-BBBBB'. `python -m bot team list --school NAME` shows the codes.",
        ),
        (
            ["insights", "--team", "nope"],
            "Error: Unknown team code 'nope'. `python -m bot team list --school NAME` shows the codes.",
        ),
        (
            ["team", "list", "--school", "Nergens"],
            "Error: Unknown school 'Nergens'. Names must match exactly, as given to `team create`.",
        ),
    ],
)
def test_unknown_team_code_or_school_is_one_clear_line_on_stderr_and_exit_code_1(db, capsys, argv, message):
    assert main(["team", "create", "--school", "School A", "--team", "Team 1"]) == 0
    capsys.readouterr()
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == message + "\n"  # what to do next, and no traceback


def test_unknown_team_code_from_a_real_process(db):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "insights", "--team", "AAAAA-BBBBB"], capture_output=True, text=True
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "Error: Unknown team code 'AAAAA-BBBBB'" in result.stderr and "Traceback" not in result.stderr


def test_normalize_code_rejects_junk():
    assert normalize_code("ABCDE-FGHJK") == "ABCDE-FGHJK"
    for junk in (None, "", "abc", "ABCDE-FGHJ0", "<script>", "ABCDE-FGHJK-X"):
        assert normalize_code(junk) is None
