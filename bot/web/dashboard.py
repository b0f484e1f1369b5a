"""The coordinator dashboard: /dashboard (login, school overview, team pages, CSV, team management).

Security: scrypt password hashes (bot.services.coordinators); server-side sessions
(bot/web/sessions.py: the cookie holds only a random id, a new one at every login, ended
by logging out on every device at once, after SESSION_IDLE_MINUTES idle and
SESSION_MAX_HOURS in all); CSRF tokens on every form (Flask-WTF); rate-limited login; and a
coordinator only ever sees their own school: another school's team is a 404. Every
figure comes from bot.services.signals, which applies the minimum group size.

Login limits (Flask-Limiter; only failed attempts count; shared through Redis when set):

* per client address *and* e-mail address together, LOGIN_RATE_LIMIT (5 a minute): the
  guesser of one account waits, while the coordinator behind that account still logs in
  from their own address;
* per client address over all e-mail addresses, LOGIN_ADDRESS_RATE_LIMIT (20 in 10
  minutes): one address trying many accounts waits, and only that address.

There is deliberately no limit per e-mail address across all addresses: anyone could use
it to lock a named coordinator out from everywhere. Guessing from many addresses is left
to the passwords (at least 12 characters, scrypt). The client address is the proxy's
X-Forwarded-For only for TRUSTED_PROXIES hops (bot/web/app.py). A locked-out visitor sees
the Dutch login page with how long to wait (and a Retry-After header).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits import parse as parse_limit
from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from bot.services import contacts, feedback, roster, scan, signals
from bot.services.catalogue import LEVELS, dimension_labels
from bot.services.coordinators import CoordinatorInfo, authenticate, get_coordinator
from bot.services.signals import SHOWN, SUPPRESSED, WeekFigures, nl_number
from bot.services.teams import DuplicateTeam, TeamInfo, create_team, get_team, update_team
from bot.settings import Settings
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, KAN_BETER, ONTBREEKT, SCORES, STAAT_GOED, IsoWeek
from bot.web.sessions import log_in, log_out_everywhere, signed_in_coordinator

logger = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
csrf = CSRFProtect()

#: Dates on the dashboard are Dutch dates (saved times are UTC).
try:
    LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # a system without time zone data
    LOCAL_TZ = timezone.utc
MONTHS = "januari februari maart april mei juni juli augustus september oktober november december".split()

#: Failed logins per client address and e-mail address together (see the module docstring).
LOGIN_RATE_LIMIT = "5/minute"
#: Failed logins per client address, whatever the e-mail addresses.
LOGIN_ADDRESS_RATE_LIMIT = "20/10 minutes"
#: Longest team name, and the largest team size (the forms and their Dutch hints).
TEAM_NAME_MAX = 200
TEAM_SIZE_MAX = 1000
#: A pasted roster may be this long (a 10,000-line list of addresses fits).
ROSTER_PASTE_MAX = 1_000_000
#: Weeks ahead the coordinator can mark as a holiday (no mails).
HOLIDAY_WEEKS_AHEAD = 12
#: Scan levels are never shown by colour alone: each has an icon next to its word.
SCAN_ICONS = {STAAT_GOED: "✓", KAN_BETER: "~", ONTBREEKT: "✗"}
#: The login page and the "too many attempts" page name the window of the login limit.
_PERIODS = {
    "second": ("seconde", "seconden"),
    "minute": ("minuut", "minuten"),
    "hour": ("uur", "uur"),
    "day": ("dag", "dagen"),
    "month": ("maand", "maanden"),
    "year": ("jaar", "jaar"),
}


# --------------------------------------------------------------------------- set-up


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", LOGIN_RATE_LIMIT)


@dataclass(frozen=True)
class LoginLimit:
    attempts: int
    #: Dutch: "een minuut", "10 minuten".
    window: str


def login_limit() -> LoginLimit:
    """The login limit of this app (``LOGIN_RATE_LIMIT``) as the pages state it."""
    item = parse_limit(_login_limit())
    one, many = _PERIODS[item.GRANULARITY.name]  # every granularity of the limits library
    return LoginLimit(item.amount, f"een {one}" if item.multiples == 1 else f"{item.multiples} {many}")


def _address_limit() -> str:
    return current_app.config.get("LOGIN_ADDRESS_RATE_LIMIT", LOGIN_ADDRESS_RATE_LIMIT)


def _address_key() -> str:
    return f"login-address:{get_remote_address()}"


def _address_and_email_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"login-account:{get_remote_address()}:{email}"


def _failed(response: Response) -> bool:
    """Only a failed attempt counts: a login that worked redirects, a refused one is already counted."""
    return response.status_code not in (302, 303, 429)


def wait_words(seconds: float) -> str:
    """A wait in Dutch, rounded up: "45 seconden", "1 minuut", "8 minuten", "2 uur"."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return "1 seconde" if seconds == 1 else f"{seconds} seconden"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return "1 minuut" if minutes == 1 else f"{minutes} minuten"
    return f"{math.ceil(minutes / 60)} uur"


def lockout_seconds() -> int:
    """Seconds until this request's breached login limit lets the visitor try again."""
    limiter: Limiter = current_app.config["WELBEVINDEN_LIMITER"]
    resets = [lim.window[0] for lim in limiter.current_limits if lim.breached]  # when each window ends
    return max(1, math.ceil(max(resets) - time.time())) if resets else 60


def init_app(app: Flask, settings: Settings) -> None:
    """Register the dashboard with CSRF protection and a rate-limited login on ``app``."""
    app.config.setdefault("LOGIN_RATE_LIMIT", LOGIN_RATE_LIMIT)
    app.config.setdefault("LOGIN_ADDRESS_RATE_LIMIT", LOGIN_ADDRESS_RATE_LIMIT)
    app.config.update(
        # The anonymous cookie (login form's CSRF token) lives as long as a session may.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
    # One limiter per app (its storage lives on the instance): memory, or Redis when set.
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=settings.redis_url or "memory://",
        strategy="fixed-window",
        key_prefix="welbevinden-dashboard",
        in_memory_fallback_enabled=bool(settings.redis_url),
    )
    limiter.init_app(app)
    app.config["WELBEVINDEN_LIMITER"] = limiter
    view = app.view_functions["dashboard.login"]
    view = limiter.limit(_address_limit, methods=["POST"], key_func=_address_key, deduct_when=_failed)(view)
    view = limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_email_key, deduct_when=_failed)(view)
    app.view_functions["dashboard.login"] = view


# --------------------------------------------------------------------------- forms
# Labels and error messages are in the templates (Dutch text lives there).


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Length(max=254)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class TeamForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=TEAM_NAME_MAX)])
    size = IntegerField(validators=[Optional(), NumberRange(min=1, max=TEAM_SIZE_MAX)])


class SizeForm(FlaskForm):
    size = IntegerField(validators=[Optional(), NumberRange(min=1, max=TEAM_SIZE_MAX)])


class RosterForm(FlaskForm):
    """Addresses to add or remove: pasted, or (adding) a CSV file."""

    addresses = TextAreaField(validators=[Optional(), Length(max=ROSTER_PASTE_MAX)])
    file = FileField()


class HolidayForm(FlaskForm):
    week = StringField(validators=[DataRequired(), Length(max=8)])


class ActionForm(FlaskForm):
    """A form with only the CSRF token (log out, new team code)."""


class ContactFields(Form):
    """One help contact of the school; checked by bot.services.contacts.clean_contact."""

    name = StringField()
    name_agreed = BooleanField()
    phone = StringField()
    email = StringField()
    url = StringField()
    hours = StringField()


class ContactsForm(FlaskForm):
    """The school's vertrouwenspersoon and bedrijfsarts / arbodienst, with one CSRF token."""

    vertrouwenspersoon = FormField(ContactFields)
    bedrijfsarts = FormField(ContactFields)


# --------------------------------------------------------------------------- helpers


@bp.before_request
def load_coordinator() -> None:
    g.coordinator = None
    coordinator_id = signed_in_coordinator()
    if coordinator_id is None:
        return
    coordinator = get_coordinator(uow(), coordinator_id)
    if coordinator is None:  # removed while signed in (its sessions are gone too)
        session.clear()
        return
    g.coordinator = coordinator


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.coordinator is None:
            return redirect(url_for(".login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


def _me() -> CoordinatorInfo:
    return g.coordinator


def own_team(team_id: int) -> TeamInfo:
    """The team, if it belongs to the logged-in coordinator's school; otherwise 404."""
    team = get_team(uow(), team_id)
    if team is None or team.school_id != _me().school_id:
        abort(404)
    return team


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/dashboard") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _settings() -> Settings:
    return current_app.config["WELBEVINDEN_BACKEND"].settings


def uow() -> UnitOfWork:
    """A fresh unit of work for one use case of this request."""
    return current_app.config["WELBEVINDEN_BACKEND"].uow()


def join_link(team: TeamInfo) -> str:
    return f"{_settings().public_base_url}/chat?team={team.code}"


def embed_snippet(team: TeamInfo) -> str:
    s = _settings()
    return (
        f'<script src="{s.public_base_url}/static/widget.js" data-team-code="{team.code}" '
        f'data-rasa-url="{s.rasa_url}" defer></script>'
    )


def _parse_week(text: str | None) -> IsoWeek | None:
    try:
        year, week = (text or "").split("-W")
        return IsoWeek(int(year), int(week))
    except ValueError:
        return None


@bp.app_template_filter("nl")
def nl_filter(value: float | None, decimals: int = 1) -> str:
    return "" if value is None else nl_number(value, decimals)


@bp.app_template_filter("pct")
def pct_filter(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)}%"


@bp.app_template_filter("nl_date")
def nl_date_filter(value: datetime) -> str:
    """A saved (UTC) time as a Dutch date: "3 november 2026"."""
    if value.tzinfo is None:  # SQLite returns naive UTC times
        value = value.replace(tzinfo=timezone.utc)
    day = value.astimezone(LOCAL_TZ)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@bp.context_processor
def inject() -> dict:
    """What every dashboard page may use. Numbers a page states come from here (or from the
    view), never typed into a template: the thresholds, the score scale, the form limits."""
    return {
        "coordinator": g.get("coordinator"),
        "action_form": ActionForm(),
        "dimension_labels": dimension_labels(),
        "dimensions": DIMENSIONS,
        "SHOWN": SHOWN,
        "SUPPRESSED": SUPPRESSED,
        "LOW_MEAN": signals.LOW_MEAN,
        "STRONG_MEAN": signals.STRONG_MEAN,
        "SCORES": SCORES,
        "TEAM_NAME_MAX": TEAM_NAME_MAX,
        "TEAM_SIZE_MAX": TEAM_SIZE_MAX,
        "DISTRIBUTION_FACTOR": signals.DISTRIBUTION_FACTOR,
        "login_limit": login_limit(),
    }


# --------------------------------------------------------------------------- errors


def _error(status: int, kind: str):
    return render_template("dashboard/error.html", status=status, kind=kind), status


@bp.errorhandler(CSRFError)
def csrf_error(_exc):
    return _error(400, "csrf")


@bp.errorhandler(404)
def not_found(_exc):
    return _error(404, "not_found")


@bp.errorhandler(429)
def too_many(_exc):
    """Too many failed logins: the login page again, saying in Dutch how long to wait."""
    seconds = lockout_seconds()
    form = LoginForm(formdata=None, email=(request.form.get("email") or "")[:254])
    page = render_template("dashboard/login.html", form=form, failed=True, locked_for=wait_words(seconds))
    return page, 429, {"Retry-After": str(seconds)}


# --------------------------------------------------------------------------- login


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.coordinator is not None and request.method == "GET":
        return redirect(url_for(".overview"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        coordinator = authenticate(uow(), form.email.data, form.password.data)
        if coordinator is not None:
            target = _safe_next(request.args.get("next"))
            # A new server-side session with a new random id: nothing of the session before
            # (including anything an attacker planted) survives, and the CSRF token is renewed.
            log_in(coordinator.id)
            logger.info("Coordinator %s logged in.", coordinator.id)
            return redirect(target or url_for(".overview"))
        failed = True
        logger.info("Failed dashboard login.")
    elif request.method == "POST":
        failed = True
    session.permanent = True  # the login form's CSRF token outlives a closed tab
    return render_template("dashboard/login.html", form=form, failed=failed)


@bp.post("/logout")
def logout():
    """End every session of this coordinator, on this device and any other (a stolen cookie too)."""
    # CSRFProtect has checked the token before we get here.
    if g.coordinator is not None:
        ended = log_out_everywhere(g.coordinator.id)
        logger.info("Coordinator %s logged out (%d sessions ended).", g.coordinator.id, ended)
    session.clear()
    flash("logged_out")
    return redirect(url_for(".login"))


@bp.get("/privacy")
def privacy():
    return render_template(
        "dashboard/privacy.html", min_group=_settings().min_group, topic_min_count=signals.TOPIC_MIN_COUNT
    )


# --------------------------------------------------------------------------- overview


@dataclass(frozen=True)
class ScanRow:
    label: str
    #: Per scan, oldest first: 2 staat goed, 1 kan beter, 0 ontbreekt, None skipped.
    levels: list[int | None]
    #: Newest against the one before: "beter", "minder", "gelijk"; None when not comparable.
    change: str | None


@dataclass(frozen=True)
class ScanTable:
    scans: list[scan.SavedScan]  # oldest first
    rows: list[ScanRow]


def scan_table(school_id: int) -> ScanTable:
    """The school's latest fundament-scans (up to 3) as rows of items, oldest scan first."""
    scans = list(reversed(scan.school_scans(uow(), school_id, limit=3)))
    rows = []
    for item, label in scan.item_labels().items():
        levels = [s.answers.get(item) for s in scans]
        change = scan.change(levels[-1], levels[-2]) if len(levels) >= 2 else None
        rows.append(ScanRow(label, levels, change))
    return ScanTable(scans, rows)


def _overview(team_form: TeamForm, week: IsoWeek | None = None) -> str:
    me = _me()
    min_group = _settings().min_group
    data = signals.school_overview(uow(), me.school_id, min_group)
    focus = data.week(week) if week else None
    if focus is None:
        focus = data.weeks[-1]
    return render_template(
        "dashboard/overview.html",
        data=data,
        focus=focus,
        team_form=team_form,
        suppressed_teams=[t for t in data.teams if focus.teams[t.id].status == SUPPRESSED],
        scans=scan_table(me.school_id),
        level_words=scan.LEVEL_WORDS,
        level_icons=SCAN_ICONS,
        helpfulness=feedback.school_feedback(uow(), me.school_id, min_group),
    )


@bp.get("/")
@login_required
def overview():
    return _overview(TeamForm(), _parse_week(request.args.get("week")))


@bp.post("/teams")
@login_required
def create_team_view():
    me = _me()
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = create_team(uow(), me.school_name, form.name.data, size=form.size.data)
        except DuplicateTeam:
            form.name.errors = ["duplicate"]
        else:
            logger.info("Coordinator %s created team %s.", me.id, team.id)
            flash("team_created")
            return redirect(url_for(".manage_team", team_id=team.id))
    return _overview(form), 400


# --------------------------------------------------------------------------- fundament-scan


@bp.get("/fundament-scan")
@login_required
def scan_page():
    """The chat, opening the fundament-scan, with a token that names the coordinator's school.

    The token sits in a data attribute (never in a URL); the widget sends it as metadata
    and the action server saves the finished scan for that school.
    """
    settings = _settings()
    token = scan.make_scan_token(_me().school_id, settings.scan_token_secret)
    return render_template(
        "dashboard/scan.html", scan_token=token, rasa_url=settings.rasa_url, n_items=len(scan.item_labels())
    )


# --------------------------------------------------------------------------- help at school


def _contacts_page(form: ContactsForm, errors: dict[str, dict[str, str]] | None = None) -> str:
    return render_template(
        "dashboard/contacts.html",
        form=form,
        kinds=contacts.KINDS,
        errors=errors or {},
        max_length=contacts.MAX_LENGTH,
    )


@bp.get("/hulp")
@login_required
def contacts_page():
    """How staff reach the school's vertrouwenspersoon and bedrijfsarts; the bot names them."""
    saved = {c.kind: c for c in contacts.school_contacts(uow(), _me().school_id)}
    data = {
        kind: {**{f: getattr(saved[kind], f) or "" for f in contacts.FIELDS}, "name_agreed": bool(saved[kind].name)}
        for kind in saved
    }
    return _contacts_page(ContactsForm(data=data))


@bp.post("/hulp")
@login_required
def save_contacts():
    form = ContactsForm()
    if not form.validate_on_submit():
        abort(400)
    cleaned = {
        kind: contacts.clean_contact(
            {f: getattr(form, kind)[f].data for f in contacts.FIELDS}, bool(getattr(form, kind)["name_agreed"].data)
        )
        for kind in contacts.KINDS
    }
    errors = {kind: c.errors for kind, c in cleaned.items() if c.errors}
    if errors:
        return _contacts_page(form, errors), 400
    contacts.save_contacts(uow(), _me().school_id, cleaned)
    logger.info("Coordinator %s saved the help contacts of school %s.", _me().id, _me().school_id)
    flash("contacts_saved")
    return redirect(url_for(".contacts_page"))


# --------------------------------------------------------------------------- team pages


def chart_payload(ins: signals.TeamInsights) -> dict:
    """Data for dashboard.js: only figures that are shown; hidden weeks are gaps (null)."""
    labels = dimension_labels()
    return {
        "weeks": [f"wk {w.week.week}" for w in ins.weeks],
        "low": signals.LOW_MEAN,
        "dimensions": {
            d: {"label": labels[d], "values": [w.dims[d].mean if w.dims[d].shown else None for w in ins.weeks]}
            for d in DIMENSIONS
        },
        "respondents": [w.n if w.status != SUPPRESSED else None for w in ins.weeks],
    }


@bp.get("/team/<int:team_id>")
@login_required
def team_page(team_id: int):
    team = own_team(team_id)
    ins = signals.team_insights(uow(), team.id, _settings().min_group)
    return render_template(
        "dashboard/team.html",
        team=team,
        ins=ins,
        chart=chart_payload(ins),
        levels=LEVELS,
        topic_min_count=signals.TOPIC_MIN_COUNT,
    )


def _manage(
    team: TeamInfo,
    size_form: SizeForm | None = None,
    change: roster.RosterChange | None = None,
    change_kind: str | None = None,
    roster_form: RosterForm | None = None,
    file_error: bool = False,
) -> str:
    this = IsoWeek.of(datetime.now(LOCAL_TZ).date())
    with uow() as work:
        holidays = set(work.schools.holidays(team.id))
        failed = work.outbox.failed_counts(team.id, this)
    return render_template(
        "dashboard/manage.html",
        team=team,
        join_link=join_link(team),
        snippet=embed_snippet(team),
        size_form=size_form or SizeForm(size=team.size),
        roster_form=roster_form or RosterForm(formdata=None),
        summary=roster.roster_summary(uow(), team.id),
        audit=roster.audit(uow(), team.id, limit=50),
        change=change,
        change_kind=change_kind,
        file_error=file_error,
        failed=failed,
        holiday_weeks=[(w, w in holidays) for w in (this.next(i) for i in range(HOLIDAY_WEEKS_AHEAD))],
        padding_days=roster.PADDING_DELAY_DAYS,
        max_members=roster.MAX_MEMBERS,
    )


@bp.get("/team/<int:team_id>/beheer")
@login_required
def manage_team(team_id: int):
    return _manage(own_team(team_id))


@bp.post("/team/<int:team_id>/leden")
@login_required
def add_members(team_id: int):
    """Add addresses to the roster (paste or CSV); every refused line is listed with its reason."""
    team = own_team(team_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _manage(team, roster_form=form), 400
    text = form.addresses.data or ""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            text += "\n" + roster.decode_upload(upload.read())
        except roster.RosterFileError:
            return _manage(team, roster_form=form, file_error=True), 400
    change = roster.add_members(uow(), team.id, text, _me().email, _settings().link_secret)
    logger.info("Coordinator %s added %d addresses to team %s.", _me().id, len(change.done), team.id)
    return _manage(team, change=change, change_kind="toegevoegd")


@bp.post("/team/<int:team_id>/leden/verwijderen")
@login_required
def remove_members(team_id: int):
    """Remove addresses: their links stop working and their own raw check-ins are deleted."""
    team = own_team(team_id)
    form = RosterForm()
    if not form.validate_on_submit():
        return _manage(team, roster_form=form), 400
    change = roster.remove_members(uow(), team.id, form.addresses.data or "", _me().email, _settings().pseudonym_secret)
    logger.info("Coordinator %s removed %d addresses from team %s.", _me().id, len(change.done), team.id)
    return _manage(team, change=change, change_kind="verwijderd")


@bp.post("/team/<int:team_id>/vakantie")
@login_required
def toggle_holiday(team_id: int):
    """Mark a coming week as a holiday (no invitation, no reminder), or unmark it."""
    team = own_team(team_id)
    form = HolidayForm()
    week = _parse_week(form.week.data) if form.validate_on_submit() else None
    if week is None:
        abort(400)
    with uow() as work:
        on = week not in set(work.schools.holidays(team.id))
        work.schools.set_holiday(team.id, week, on)
        work.commit()
    flash("holiday_on" if on else "holiday_off")
    return redirect(url_for(".manage_team", team_id=team.id) + "#h-vakantie")


@bp.post("/team/<int:team_id>/code")
@login_required
def rotate_team_code(team_id: int):
    team = own_team(team_id)
    update_team(uow(), team.id, rotate_code=True)
    logger.info("Coordinator %s rotated the code of team %s.", _me().id, team.id)
    flash("code_rotated")
    return redirect(url_for(".manage_team", team_id=team.id))


@bp.post("/team/<int:team_id>/grootte")
@login_required
def set_size(team_id: int):
    team = own_team(team_id)
    form = SizeForm()
    if not form.validate_on_submit():
        return _manage(team, size_form=form), 400
    update_team(uow(), team.id, size=form.size.data)
    flash("size_saved")
    return redirect(url_for(".manage_team", team_id=team.id))


# --------------------------------------------------------------------------- CSV


def _cell(value: object) -> str:
    """A CSV cell that spreadsheet programs will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _week_rows(group: str, fig: WeekFigures, with_distribution: bool = False) -> list[list[object]]:
    t = signals.texts()["export"]
    labels = dimension_labels()
    week, monday = fig.week.label(), fig.week.monday().isoformat()
    if fig.status == SUPPRESSED:
        return [[week, monday, group, t["reacties"], "", "", "", f"{t['onderdrukt']}: {fig.reason}"]]
    if fig.status != SHOWN:
        return [[week, monday, group, t["reacties"], "", 0, 0, t["geen_reacties"]]]
    rows: list[list[object]] = [[week, monday, group, t["reacties"], "", fig.n, fig.n, ""]]
    if fig.participation is not None:
        rows.append([week, monday, group, t["deelname"], "", pct_filter(fig.participation), fig.n, ""])
    for dim in DIMENSIONS:
        cell = fig.dims[dim]
        if cell.status == SHOWN:
            rows.append([week, monday, group, t["gemiddelde"], labels[dim], nl_number(cell.mean), cell.n, ""])
            if with_distribution and cell.distribution:
                rows.extend(
                    [
                        week,
                        monday,
                        group,
                        t["verdeling"],
                        f"{labels[dim]}, {t['score'].format(score=s)}",
                        count,
                        cell.n,
                        "",
                    ]
                    for s, count in zip(SCORES, cell.distribution, strict=True)
                )
        elif cell.status == SUPPRESSED:
            hidden = f"{t['onderdrukt']}: {cell.reason}"
            rows.append([week, monday, group, t["gemiddelde"], labels[dim], "", "", hidden])
        else:
            rows.append([week, monday, group, t["gemiddelde"], labels[dim], "", 0, t["geen_antwoorden"]])
    return rows


def _csv_response(rows: list[list[object]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(signals.texts()["export"]["kolommen"])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # BOM: spreadsheet programs then read the file as UTF-8.
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _slug(text: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text.lower()).strip("-")[:60] or "export"


def team_csv_rows(ins: signals.TeamInsights) -> list[list[object]]:
    t = signals.texts()["export"]
    rows: list[list[object]] = []
    for fig in ins.weeks:
        rows.extend(_week_rows(ins.team.name, fig, with_distribution=fig.week == ins.basis_week))
    topics = ins.topics
    if topics.week is not None:
        week, monday = topics.week.label(), topics.week.monday().isoformat()
    else:
        week, monday = ins.latest.week.label(), ins.latest.week.monday().isoformat()
    if topics.status == SUPPRESSED:
        rows.append([week, monday, ins.team.name, t["onderwerp"], "", "", "", f"{t['onderdrukt']}: {topics.reason}"])
    else:
        rows.extend([week, monday, ins.team.name, t["onderwerp"], f.label, f.count, "", ""] for f in topics.topics)
        if topics.others_hidden:
            rows.append(
                [
                    week,
                    monday,
                    ins.team.name,
                    t["onderwerp"],
                    t["overige_onderwerpen"],
                    "",
                    "",
                    t["overige_toelichting"].format(min_count=signals.TOPIC_MIN_COUNT),
                ]
            )
        rows.extend(
            [week, monday, ins.team.name, t["kon_niet_helpen"], t[key], count, "", ""]
            for key, count in topics.cant_help.items()
        )
    return rows


@bp.get("/team/<int:team_id>/export.csv")
@login_required
def team_csv(team_id: int):
    team = own_team(team_id)
    ins = signals.team_insights(uow(), team.id, _settings().min_group)
    return _csv_response(team_csv_rows(ins), f"welbevinden-{_slug(team.name)}-{ins.latest.week.label()}.csv")


@bp.get("/export.csv")
@login_required
def school_csv():
    me = _me()
    data = signals.school_overview(uow(), me.school_id, _settings().min_group)
    t = signals.texts()["export"]
    rows: list[list[object]] = []
    for school_week in data.weeks:
        for team in data.teams:
            rows.extend(_week_rows(team.name, school_week.teams[team.id]))
        rows.extend(_week_rows(t["schooltotaal"], school_week.total))
    return _csv_response(rows, f"welbevinden-{_slug(data.school_name)}-{data.weeks[-1].week.label()}.csv")
