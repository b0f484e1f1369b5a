"""``python -m bot``: the one entry point for admin tasks.

Every command prints JSON or plain lines on stdout and errors on stderr with what to do
next; the exit code is 0 on success, 1 on a usage or data error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Callable

Handler = Callable[[argparse.Namespace], int]


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.storage.migrate import upgrade

    upgrade(args.url)
    print("[db] database is up to date")
    return 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    from bot.storage.migrate import new_revision

    new_revision(args.message)
    return 0


def cmd_model_ensure(_args: argparse.Namespace) -> int:
    from bot.nlp_model import ensure_model

    print(f"[model] spaCy model: {ensure_model()}")
    return 0


def cmd_team_create(args: argparse.Namespace) -> int:
    from bot.services.teams import create_team

    team = create_team(args.school, args.team, size=args.size)
    _print_json({"school": team.school_name, "team": team.name, "team_code": team.code, "size": team.size})
    return 0


def cmd_team_rotate(args: argparse.Namespace) -> int:
    from bot.services.teams import find_team, rotate_code

    team = find_team(args.code)
    if team is None:
        print(f"Unknown team code {args.code!r}.", file=sys.stderr)
        return 1
    _print_json({"team": team.name, "team_code": rotate_code(team.id)})
    return 0


def cmd_serve(_args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve()


def cmd_assets(_args: argparse.Namespace) -> int:
    from bot.web.assets import copy_vendor_assets

    for path in copy_vendor_assets():
        print(f"[assets] {path}")
    return 0


def cmd_eval(_args: argparse.Namespace) -> int:
    from bot.evaluation import run_eval

    return run_eval()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Welbevinden-assistent admin commands.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="database migrations").add_subparsers(dest="db_command", required=True)
    p = db.add_parser("upgrade", help="apply all migrations (DATABASE_URL)")
    p.add_argument("--url", help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=cmd_db_upgrade)
    p = db.add_parser("revision", help="autogenerate a migration from the models (review it!)")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(func=cmd_db_revision)

    model = sub.add_parser("model", help="the Dutch spaCy model").add_subparsers(dest="model_command", required=True)
    model.add_parser("ensure", help="install nl_core_news_sm or build the logged stand-in").set_defaults(
        func=cmd_model_ensure
    )

    team = sub.add_parser("team", help="teams and team codes").add_subparsers(dest="team_command", required=True)
    p = team.add_parser("create", help="create a team; prints JSON with its team_code")
    p.add_argument("--school", required=True, help="school name (created when new)")
    p.add_argument("--team", required=True, help="team name")
    p.add_argument("--size", type=int, help="number of staff in the team (for participation)")
    p.set_defaults(func=cmd_team_create)
    p = team.add_parser("rotate-code", help="give a team a new code; the old one stops working")
    p.add_argument("--code", required=True, help="the team's current code")
    p.set_defaults(func=cmd_team_rotate)

    sub.add_parser("serve", help="start action server, Rasa and web app (used by make run)").set_defaults(
        func=cmd_serve
    )
    sub.add_parser("assets", help="copy the npm front-end files into bot/web/static/vendor").set_defaults(
        func=cmd_assets
    )
    sub.add_parser("eval", help="NLU evaluation on tests/nlu_heldout.yml -> docs/EVAL.md").set_defaults(
        func=cmd_eval
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (ValueError, LookupError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
