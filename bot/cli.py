"""``python -m bot``: the one entry point for admin tasks.

Every command prints JSON or plain lines on stdout and errors on stderr with what to do
next; the exit code is 0 on success, 1 on a usage or data error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.backend import Backend

Handler = Callable[[argparse.Namespace, Backend], int]


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def cmd_db_upgrade(args: argparse.Namespace, backend: Backend) -> int:
    from bot.storage.migrate import upgrade

    upgrade(args.url or backend.settings.database_url)
    print("[db] database is up to date")
    return 0


def cmd_db_revision(args: argparse.Namespace, backend: Backend) -> int:
    from bot.storage.migrate import new_revision

    new_revision(args.message, backend.settings.database_url)
    return 0


def cmd_model_ensure(_args: argparse.Namespace, backend: Backend) -> int:
    from bot.nlp_model import ensure_model

    print(f"[model] spaCy model: {ensure_model()}")
    return 0


def cmd_team_create(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.teams import create_team

    team = create_team(backend.uow(), args.school, args.team, size=args.size)
    _print_json({"school": team.school_name, "team": team.name, "team_code": team.code, "size": team.size})
    return 0


def _team(backend: Backend, code: str):
    """The team with this code; a LookupError (printed by main) when there is none."""
    from bot.services.teams import find_team

    team = find_team(backend.uow(), code)
    if team is None:
        raise LookupError(f"Unknown team code {code!r}. `python -m bot team list --school NAME` shows the codes.")
    return team


def _school_id(backend: Backend, name: str) -> int:
    """The id of the school with this name; a LookupError (printed by main) when there is none."""
    from bot.services.teams import find_school_id

    school_id = find_school_id(backend.uow(), name)
    if school_id is None:
        raise LookupError(f"Unknown school {name!r}. Names must match exactly, as given to `team create`.")
    return school_id


def cmd_team_rotate(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.teams import update_team

    team = update_team(backend.uow(), _team(backend, args.code).id, rotate_code=True)
    _print_json({"team": team.name, "team_code": team.code})
    return 0


def cmd_team_list(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.teams import list_teams

    school_id = _school_id(backend, args.school)
    base = backend.settings.public_base_url
    _print_json(
        [
            {
                "team": t.name,
                "team_code": t.code,
                "size": t.size,
                "is_demo": t.is_demo,
                "join_link": f"{base}/chat?team={t.code}",
            }
            for t in list_teams(backend.uow(), school_id)
        ]
    )
    return 0


def _read_password() -> tuple[str, bool]:
    """The password piped on stdin (first line), or a generated one; True when generated."""
    from bot.services.coordinators import generate_password

    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if password:
            return password, False
    return generate_password(), True


def cmd_coordinator_create(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.coordinators import create_coordinator

    password, generated = _read_password()
    info = create_coordinator(backend.uow(), args.school, args.email, password)
    result = {"school": info.school_name, "email": info.email}
    if generated:
        result["password"] = password
        result["note"] = "Generated password: shown only this once. Pipe a password on stdin to choose one."
    _print_json(result)
    return 0


def cmd_coordinator_set_password(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.coordinators import set_password

    password, generated = _read_password()
    ended = set_password(backend.uow(), args.email, password)
    result: dict[str, object] = {"email": args.email.strip().lower(), "sessions_ended": ended}
    if generated:
        result["password"] = password
        result["note"] = "Generated password: shown only this once. Pipe a password on stdin to choose one."
    _print_json(result)
    return 0


def cmd_coordinator_remove(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.coordinators import remove_coordinator

    ended = remove_coordinator(backend.uow(), args.email)
    _print_json({"removed": args.email.strip().lower(), "sessions_ended": ended})
    return 0


def cmd_insights(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.signals import insights_json, team_insights

    team = _team(backend, args.team)
    data = insights_json(team_insights(backend.uow(), team.id, backend.settings.min_group, n_weeks=args.weeks))
    if args.json:
        _print_json(data)
        return 0
    print(f"{data['team']} ({data['school']}), minimum group size {data['min_group']}")
    for week in data["weeks"]:
        if week["suppressed"]:
            print(f"  {week['week']}  {week['reason']}")
            continue
        means = "  ".join(
            f"{dim}={cell['mean'] if cell.get('mean') is not None else '-'}" for dim, cell in week["dimensions"].items()
        )
        print(f"  {week['week']}  n={week['n']:<3} {means}")
    for signal in data["signals"]:
        print(f"  * {signal['text']}")
    return 0


def cmd_feedback(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.feedback import maintainer_report

    if args.weeks < 1:
        raise ValueError("--weeks must be 1 or more.")
    data = maintainer_report(backend.uow(), include_demo=args.include_demo, limit=args.limit, n_weeks=args.weeks)
    if args.json:
        _print_json(data)
        return 0
    print(f"Feedback {data['weeks'][0]} to {data['weeks'][1]}{' (with demo data)' if args.include_demo else ''}")
    print(f"  not understood (fallback): {data['fallbacks']}   out of scope: {data['out_of_scope']}")
    if not data["most_not_helpful"]:
        print("  no feedback on answers yet")
    for row in data["most_not_helpful"]:
        share = round(row["share_helpful"] * 100)
        counts = f"{row['not_helpful']:>4} 👎 {row['helpful']:>4} 👍  {share:>3}% helpful"
        print(f"  {counts}  {row['label']} ({row['topic']})")
    return 0


def cmd_demo_seed(args: argparse.Namespace, backend: Backend) -> int:
    from bot.demo import demo_seed

    started = time.monotonic()

    def progress(done: int, total: int, checkins: int) -> None:
        rate = checkins / max(time.monotonic() - started, 1e-6)
        print(
            f"\r[demo-seed] teams {done}/{total}  check-ins {checkins:,}  ({rate:,.0f}/s)",
            end="",
            file=sys.stderr,
            flush=True,
        )

    result = demo_seed(
        backend.uow(),
        args.teams,
        args.members,
        args.weeks,
        args.seed,
        teams_per_school=args.teams_per_school,
        batch_size=args.batch_size,
        progress=progress,
    )
    print(file=sys.stderr)
    _print_json(
        {
            "schools": result.schools,
            "teams": result.teams,
            "checkins": result.checkins,
            "topic_counts": result.topic_counts,
            "seconds": round(result.seconds, 1),
        }
    )
    return 0


def cmd_purge(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.retention import purge_conversations

    settings = backend.settings
    days = args.days or settings.retention_days
    result = purge_conversations(settings.tracker_db_url, days)
    print(
        f"[purge] deleted {result.deleted_events} conversation events older than {days} days; "
        f"{result.remaining_events} remain"
    )
    return 0


def cmd_school_set_domains(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.roster import set_domains

    domains = set_domains(backend.uow(), args.school, args.domains)
    _print_json({"school": args.school.strip(), "domains": domains})
    return 0


def _roster_text(args: argparse.Namespace) -> str:
    """The addresses given on the command line and in ``--file``, one per line."""
    from bot.services.roster import RosterFileError, decode_upload

    parts = list(args.emails or [])
    if getattr(args, "file", None):
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise ValueError(f"Cannot read {args.file!r}: {exc.strerror or type(exc).__name__}.") from None
        try:
            parts.append(decode_upload(data))
        except RosterFileError:
            raise ValueError(
                f"{args.file!r} is not UTF-8 or UTF-16 text. Save it as 'CSV UTF-8' (Excel: Save As > "
                "CSV UTF-8) and try again."
            ) from None
    if not parts:
        raise ValueError("Give one or more e-mail addresses, or --file roster.csv.")
    return "\n".join(parts)


def _roster_result(team, change) -> int:
    _print_json({"team": team.name, "team_code": team.code, **change.as_json()})
    return 1 if change.errors else 0


def cmd_members_add(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.roster import add_members

    team = _team(backend, args.team)
    change = add_members(backend.uow(), team.id, _roster_text(args), "cli", backend.settings.link_secret)
    return _roster_result(team, change)


def cmd_members_remove(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.roster import remove_members

    team = _team(backend, args.team)
    change = remove_members(backend.uow(), team.id, _roster_text(args), "cli", backend.settings.pseudonym_secret)
    return _roster_result(team, change)


def cmd_members_count(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.roster import PADDING_DELAY_DAYS, roster_summary

    team = _team(backend, args.team)
    summary = roster_summary(backend.uow(), team.id)
    _print_json(
        {
            "team": team.name,
            "team_code": team.code,
            "roster_size": summary.size,
            f"added_last_{PADDING_DELAY_DAYS}_days": summary.added_recently,
        }
    )
    return 0


def cmd_invitations_send(args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.invitations import queue_team_now, send_due

    team = _team(backend, args.team)
    queued = queue_team_now(backend.uow(), team.code)
    report = send_due(backend.uow, backend.settings)
    result = {
        "team": queued.team,
        "team_code": queued.team_code,
        "week": queued.week.label(),
        "holiday": queued.holiday,
        "queued": queued.queued,
        "sent": report.sent,
        "retry_later": report.retry,
        "failed": report.failed,
    }
    if queued.holiday:
        result["note"] = "This week is marked as a holiday for the team: no mails are sent."
    elif report.retry:
        result["note"] = (
            "The mail server did not take every mail; they stay queued and are retried "
            "(by `python -m bot serve`, or by running this command again)."
        )
    _print_json(result)
    return 0


def cmd_release(_args: argparse.Namespace, backend: Backend) -> int:
    from bot.services.release import release_ended_weeks
    from bot.services.teams import get_team

    released = release_ended_weeks(backend.uow(), backend.settings.pseudonym_secret)
    rows = []
    for item in released:
        team = get_team(backend.uow(), item.team_id)
        rows.append(
            {"team": team.name if team else None, "team_code": team.code if team else None, "week": item.week.label()}
        )
    _print_json({"released": rows})
    return 0


def cmd_serve(_args: argparse.Namespace, backend: Backend) -> int:
    from bot.serve import serve

    return serve(backend.settings)


def cmd_run(args: argparse.Namespace, backend: Backend) -> int:
    from bot.serve import run_one

    return run_one(args.service, backend.settings, args.port)


def cmd_assets(_args: argparse.Namespace, backend: Backend) -> int:
    from bot.web.assets import copy_vendor_assets

    for path in copy_vendor_assets():
        print(f"[assets] {path}")
    return 0


def cmd_eval(_args: argparse.Namespace, backend: Backend) -> int:
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
    p = team.add_parser("list", help="the teams of a school with their codes and join links (JSON)")
    p.add_argument("--school", required=True, help="school name")
    p.set_defaults(func=cmd_team_list)

    coordinator = sub.add_parser("coordinator", help="dashboard accounts").add_subparsers(
        dest="coordinator_command", required=True
    )
    p = coordinator.add_parser(
        "create", help="create a coordinator; password from stdin when piped, else generated and printed once"
    )
    p.add_argument("--school", required=True, help="school name (created when new)")
    p.add_argument("--email", required=True, help="e-mail address, used to log in")
    p.set_defaults(func=cmd_coordinator_create)
    p = coordinator.add_parser(
        "set-password",
        help="a new password (stdin when piped, else generated and printed once); ends all their dashboard sessions",
    )
    p.add_argument("--email", required=True, help="the coordinator's e-mail address")
    p.set_defaults(func=cmd_coordinator_set_password)
    p = coordinator.add_parser(
        "remove", help="remove a coordinator's account and end all their dashboard sessions (the school stays)"
    )
    p.add_argument("--email", required=True, help="the coordinator's e-mail address")
    p.set_defaults(func=cmd_coordinator_remove)

    p = sub.add_parser("insights", help="a team's last weeks as shown on the dashboard (suppression applied)")
    p.add_argument("--team", required=True, help="team code")
    p.add_argument("--weeks", type=int, default=8, help="number of ISO weeks (default 8)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_insights)

    p = sub.add_parser("feedback", help="maintainers: topics with the most 👎, and fallbacks, over all schools")
    p.add_argument("--weeks", type=int, default=8, help="number of ISO weeks, ending this week (default 8)")
    p.add_argument("--limit", type=int, default=10, help="topics to list (default 10)")
    p.add_argument("--include-demo", action="store_true", help="count demo teams too")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("demo-seed", help="bulk-insert synthetic check-ins and topic counts (marked demo)")
    p.add_argument("--teams", type=int, required=True, help="number of teams")
    p.add_argument("--members", type=int, required=True, help="people per team")
    p.add_argument("--weeks", type=int, required=True, help="ISO weeks, ending this week")
    p.add_argument("--seed", type=int, default=1, help="random seed (also names the schools)")
    p.add_argument("--teams-per-school", type=int, default=8, help="teams per demo school (default 8)")
    p.add_argument("--batch-size", type=int, default=20_000, help="rows per INSERT batch (default 20000)")
    p.set_defaults(func=cmd_demo_seed)

    p = sub.add_parser("purge", help="delete conversation text older than RETENTION_DAYS (run daily)")
    p.add_argument("--days", type=int, help="override RETENTION_DAYS")
    p.set_defaults(func=cmd_purge)

    school = sub.add_parser("school", help="schools: allowed e-mail domains").add_subparsers(
        dest="school_command", required=True
    )
    p = school.add_parser("set-domains", help="set the e-mail domains a school's rosters may use (replaces the list)")
    p.add_argument("--school", required=True, help="school name")
    p.add_argument("domains", nargs="+", metavar="DOMAIN", help="e-mail domain, e.g. school.nl")
    p.set_defaults(func=cmd_school_set_domains)

    members = sub.add_parser("members", help="team rosters (JSON; never a token or a link)").add_subparsers(
        dest="members_command", required=True
    )
    p = members.add_parser("add", help="add addresses to a team's roster; each refused line is reported")
    p.add_argument("--team", required=True, help="team code")
    p.add_argument("--file", help="a roster file (CSV or one address per line; UTF-8 or UTF-16)")
    p.add_argument("emails", nargs="*", metavar="EMAIL", help="e-mail address")
    p.set_defaults(func=cmd_members_add)
    p = members.add_parser("remove", help="remove addresses: their links stop working, their raw check-ins go")
    p.add_argument("--team", required=True, help="team code")
    p.add_argument("emails", nargs="+", metavar="EMAIL", help="e-mail address")
    p.set_defaults(func=cmd_members_remove)
    p = members.add_parser("count", help="the roster size and how many were added in the last 14 days")
    p.add_argument("--team", required=True, help="team code")
    p.set_defaults(func=cmd_members_count)

    invitations = sub.add_parser("invitations", help="the weekly invitation mails").add_subparsers(
        dest="invitations_command", required=True
    )
    p = invitations.add_parser("send", help="send this week's invitations of a team now (idempotent)")
    p.add_argument("--team", required=True, help="team code")
    p.set_defaults(func=cmd_invitations_send)

    sub.add_parser("release", help="freeze every ended, unreleased team-week (never the running week)").set_defaults(
        func=cmd_release
    )

    sub.add_parser("serve", help="start action server, Rasa and web app (used by make run)").set_defaults(
        func=cmd_serve
    )
    p = sub.add_parser("run", help="one service in the foreground, as serve starts it (systemd: deploy/systemd/)")
    p.add_argument("service", choices=["rasa", "actions", "web", "scheduler"])
    p.add_argument("--port", type=int, help="port (default: RASA_PORT, ACTION_PORT or WEB_PORT)")
    p.set_defaults(func=cmd_run)
    sub.add_parser("assets", help="copy the npm front-end files into bot/web/static/vendor").set_defaults(
        func=cmd_assets
    )
    sub.add_parser("eval", help="NLU evaluation on tests/nlu_heldout.yml -> docs/EVAL.md").set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.settings import Settings

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    backend = Backend.from_settings(Settings.from_env())
    try:
        return args.func(args, backend)
    except (ValueError, LookupError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
