"""The admin CLI: python -m bot ..."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.cli import main
from bot.services.teams import CODE_ALPHABET, find_team, normalize_code


def test_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True)
    for command in ("db", "team", "serve", "purge", "eval"):
        assert command in result.stdout


def test_team_create_prints_json_with_an_easy_unguessable_code(db, capsys):
    assert main(["team", "create", "--school", "OBS De Linde", "--team", "Onderbouw", "--size", "12"]) == 0
    out = json.loads(capsys.readouterr().out)
    code = out["team_code"]
    assert out["school"] == "OBS De Linde" and out["team"] == "Onderbouw"
    raw = code.replace("-", "")
    assert len(raw) == 10 and set(raw) <= set(CODE_ALPHABET)  # no 0/O, 1/I/L look-alikes
    assert find_team(code.lower().replace("-", " ")).name == "Onderbouw"


def test_two_teams_never_share_a_code(db, capsys):
    codes = set()
    for i in range(20):
        main(["team", "create", "--school", "S", "--team", f"T{i}"])
        codes.add(json.loads(capsys.readouterr().out)["team_code"])
    assert len(codes) == 20


def test_rotating_a_code_retires_the_old_one(db, capsys):
    main(["team", "create", "--school", "S", "--team", "T"])
    old = json.loads(capsys.readouterr().out)["team_code"]
    assert main(["team", "rotate-code", "--code", old]) == 0
    new = json.loads(capsys.readouterr().out)["team_code"]
    assert new != old and find_team(old) is None and find_team(new) is not None


def test_bad_input_gives_a_clear_error_not_a_traceback(db, capsys):
    assert main(["team", "create", "--school", " ", "--team", "T"]) == 1
    assert "Error:" in capsys.readouterr().err
    assert main(["team", "rotate-code", "--code", "nope"]) == 1


def test_normalize_code_rejects_junk():
    assert normalize_code("ABCDE-FGHJK") == "ABCDE-FGHJK"
    for junk in (None, "", "abc", "ABCDE-FGHJ0", "<script>", "ABCDE-FGHJK-X"):
        assert normalize_code(junk) is None
