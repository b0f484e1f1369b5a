"""One place for configuration, read from environment variables with safe local defaults.

Each entry point (web app, action server, CLI, Rasa components, benchmarks) calls
``Settings.from_env()`` once and hands the result down; nothing fetches it from a global.

Secrets that are not given in the environment are generated once and kept in
``var/secrets.json`` (mode 0600), so a fresh checkout runs without set-up and
nothing secret lives in git. That is the embedded default only: with
``APP_ENV=production`` nothing is generated or read from that file, every process takes
its secrets from its environment, and :func:`require_production_ready` refuses to start a
process whose settings are unsafe (one list of everything to fix). Each secret has one
purpose; :data:`PROCESS_SECRETS` says which process needs which (docs/DEPLOY.md).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Smallest group whose figures may ever be shown; lower settings are raised to this.
MIN_GROUP_FLOOR = 3

#: Secrets generated into var/secrets.json on the embedded default, one per purpose:
#: pseudonyms, dashboard cookies, the action server's token, personal links, scan tokens.
_SECRET_NAMES = ("PSEUDONYM_SECRET", "WEB_SECRET_KEY", "ACTION_SERVER_TOKEN", "LINK_SECRET", "SCAN_TOKEN_SECRET")

#: ``APP_ENV`` values. Production refuses unsafe settings (:func:`validate_production`).
DEVELOPMENT = "development"
PRODUCTION = "production"

#: The secrets each process needs in production, so each holds only its own (a systemd
#: unit or container gets just these). ``serve`` (``python -m bot serve``) starts the
#: others and runs the scheduler, so it needs them all. RASA_JWT_SECRET only with the API on.
PROCESS_SECRETS: dict[str, tuple[str, ...]] = {
    "web": ("WEB_SECRET_KEY", "SCAN_TOKEN_SECRET", "PSEUDONYM_SECRET", "LINK_SECRET"),
    "actions": ("ACTION_SERVER_TOKEN", "PSEUDONYM_SECRET", "SCAN_TOKEN_SECRET"),
    "rasa": ("ACTION_SERVER_TOKEN", "REST_TOKEN"),
    "scheduler": ("PSEUDONYM_SECRET", "LINK_SECRET"),
    "serve": (*_SECRET_NAMES, "REST_TOKEN"),
}
#: Shortest secret production accepts (48 random URL-safe characters are suggested).
MIN_SECRET_LENGTH = 32
#: Smallest minimum group size production accepts.
PRODUCTION_MIN_GROUP = 5
_DEFAULT_MAIL_FROM = "Welbevinden-assistent <welbevinden@localhost>"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "ja", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"Setting {name} must be a whole number, got {value!r}.") from exc


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SystemExit(f"Setting {name} must be a number of seconds, got {value!r}.") from exc


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise SystemExit(f"Setting {name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


def _load_or_create_secrets(var_dir: Path) -> dict[str, str]:
    """Return generated secrets, creating ``var/secrets.json`` on first use."""
    path = var_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in _SECRET_NAMES if not stored.get(name)]
    if missing:
        for name in missing:
            stored[name] = secrets.token_urlsafe(32)
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=2), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)
    return stored


@dataclass(frozen=True)
class Settings:
    """All settings of the application; see the configuration table in README.md."""

    var_dir: Path
    database_url: str
    tracker_db_url: str
    redis_url: str
    min_group: int
    retention_days: int
    demo_data: bool
    pseudonym_secret: str = field(repr=False)
    web_secret_key: str = field(repr=False)
    action_server_token: str = field(repr=False)
    #: Derives each member's personal-link token (only its SHA-256 is stored).
    link_secret: str = field(repr=False)
    action_server_url: str
    rasa_url: str
    web_host: str
    web_port: int
    secure_cookies: bool
    #: Address people use to reach the web app: join links and widget snippets start with it.
    public_base_url: str = "http://localhost:8000"
    #: Seconds before a stuck message gets the friendly failure text (bot/rasa_channels.py).
    reply_timeout_seconds: float = 9.0
    #: Install the measured Rasa fixes of bot/rasa_speedups.py (off: Rasa as shipped).
    rasa_speedups: bool = True
    #: Names of single fixes to leave out (RASA_SPEEDUPS_OFF=validation,graph_plan): the A/B of make bench.
    rasa_speedups_off: frozenset[str] = frozenset()
    #: Weeks a member's own raw check-ins are kept (their history); released aggregates stay.
    checkin_retention_weeks: int = 26
    #: Outgoing mail. Empty host on the embedded default: ``python -m bot serve`` starts a
    #: local SMTP server that writes every mail to var/mail/ (see bot/mail.py).
    smtp_host: str = ""
    smtp_port: int = 8025
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    #: "starttls", "ssl" or "none".
    smtp_tls: str = "none"
    mail_from: str = _DEFAULT_MAIL_FROM
    #: Start the scheduler (weekly mails, release, retention) inside ``python -m bot serve``.
    scheduler: bool = True
    #: "development" (the embedded default) or "production" (see validate_production).
    app_env: str = DEVELOPMENT
    #: Signs the fundament-scan tokens the dashboard hands the chat (web app and action server).
    scan_token_secret: str = field(default="", repr=False)
    #: Callers of the REST channel send ``Authorization: Bearer <REST_TOKEN>``; empty: no check
    #: (embedded default only; production requires it).
    rest_token: str = field(default="", repr=False)
    #: Rasa's HTTP API (bot/serve.py passes --enable-api only with a JWT secret).
    rasa_enable_api: bool = False
    rasa_jwt_secret: str = field(default="", repr=False)
    #: Reverse proxies in front of the web app whose X-Forwarded-For / -Proto are believed.
    trusted_proxies: int = 0
    #: A dashboard session ends after this many idle minutes, and this many hours after login.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    #: Secrets not given in the environment: generated into var/secrets.json on the embedded
    #: default, empty in production (where validate_production names the ones a process needs).
    unset_secrets: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var")).resolve()
        app_env = _env_choice("APP_ENV", (DEVELOPMENT, PRODUCTION), DEVELOPMENT)
        unset = tuple(name for name in _SECRET_NAMES if not os.environ.get(name))
        # Production never generates a secret: a missing one stays empty and is reported.
        stored = _load_or_create_secrets(var_dir) if unset and app_env == DEVELOPMENT else {}
        secret = {name: os.environ.get(name) or stored.get(name, "") for name in _SECRET_NAMES}
        return cls(
            var_dir=var_dir,
            database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'welbevinden.db'}",
            tracker_db_url=os.environ.get("TRACKER_DB_URL") or f"sqlite:///{var_dir / 'tracker.db'}",
            redis_url=os.environ.get("REDIS_URL", ""),
            min_group=max(MIN_GROUP_FLOOR, _env_int("MIN_GROUP", 5)),
            retention_days=_env_int("RETENTION_DAYS", 30),
            demo_data=_env_bool("DEMO_DATA", True),
            pseudonym_secret=secret["PSEUDONYM_SECRET"],
            web_secret_key=secret["WEB_SECRET_KEY"],
            action_server_token=secret["ACTION_SERVER_TOKEN"],
            link_secret=secret["LINK_SECRET"],
            action_server_url=os.environ.get("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook"),
            rasa_url=os.environ.get("RASA_URL", "http://localhost:5005"),
            web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
            web_port=_env_int("WEB_PORT", 8000),
            secure_cookies=_env_bool("SECURE_COOKIES", False),
            public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "http://localhost:8000").rstrip("/"),
            reply_timeout_seconds=_env_float("REPLY_TIMEOUT_SECONDS", 9.0),
            rasa_speedups=_env_bool("RASA_SPEEDUPS", True),
            rasa_speedups_off=frozenset(
                n.strip() for n in os.environ.get("RASA_SPEEDUPS_OFF", "").split(",") if n.strip()
            ),
            checkin_retention_weeks=max(1, _env_int("CHECKIN_RETENTION_WEEKS", 26)),
            smtp_host=os.environ.get("SMTP_HOST", "").strip(),
            smtp_port=_env_int("SMTP_PORT", 8025),
            smtp_user=os.environ.get("SMTP_USER", ""),
            smtp_password=os.environ.get("SMTP_PASSWORD", ""),
            smtp_tls=_env_choice("SMTP_TLS", ("none", "starttls", "ssl"), "none"),
            mail_from=os.environ.get("MAIL_FROM") or _DEFAULT_MAIL_FROM,
            scheduler=_env_bool("SCHEDULER", True),
            app_env=app_env,
            scan_token_secret=secret["SCAN_TOKEN_SECRET"],
            rest_token=os.environ.get("REST_TOKEN", ""),
            rasa_enable_api=_env_bool("RASA_ENABLE_API", False),
            rasa_jwt_secret=os.environ.get("RASA_JWT_SECRET", ""),
            trusted_proxies=max(0, _env_int("TRUSTED_PROXIES", 0)),
            session_idle_minutes=max(1, _env_int("SESSION_IDLE_MINUTES", 30)),
            session_max_hours=max(1, _env_int("SESSION_MAX_HOURS", 12)),
            unset_secrets=unset,
        )

    @property
    def mail_dir(self) -> Path:
        """Where the embedded default's local SMTP server writes every mail (one .eml each)."""
        return self.var_dir / "mail"

    def with_changes(self, **changes: object) -> "Settings":
        """A copy with some settings changed (tests, benchmarks)."""
        if "min_group" in changes:
            changes["min_group"] = max(MIN_GROUP_FLOOR, int(changes["min_group"]))  # type: ignore[arg-type]
        return replace(self, **changes)


# --------------------------------------------------------------------------- production

#: Where each secret lives on :class:`Settings`.
_SECRET_FIELDS = {
    "PSEUDONYM_SECRET": "pseudonym_secret",
    "WEB_SECRET_KEY": "web_secret_key",
    "ACTION_SERVER_TOKEN": "action_server_token",
    "LINK_SECRET": "link_secret",
    "SCAN_TOKEN_SECRET": "scan_token_secret",
    "REST_TOKEN": "rest_token",
    "RASA_JWT_SECRET": "rasa_jwt_secret",
}
#: What each secret is for, as the refusal names it.
_PURPOSES = {
    "PSEUDONYM_SECRET": "keys the check-in pseudonyms; never change it",
    "WEB_SECRET_KEY": "signs the dashboard's cookies",
    "ACTION_SERVER_TOKEN": "Rasa's token for the action server",
    "LINK_SECRET": "derives the personal links in the mails",
    "SCAN_TOKEN_SECRET": "signs the fundament-scan tokens",
    "REST_TOKEN": "callers of the REST channel send Authorization: Bearer <REST_TOKEN>",
    "RASA_JWT_SECRET": "Rasa's HTTP API is on (RASA_ENABLE_API)",
}
_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def secrets_of(process: str, settings: Settings) -> tuple[str, ...]:
    """The secrets ``process`` needs (RASA_JWT_SECRET too when Rasa's HTTP API is on)."""
    if process not in PROCESS_SECRETS:
        raise ValueError(f"Unknown process {process!r}; expected one of {', '.join(PROCESS_SECRETS)}.")
    names = PROCESS_SECRETS[process]
    if settings.rasa_enable_api and process in ("rasa", "serve"):
        names = (*names, "RASA_JWT_SECRET")
    return names


def validate_production(settings: Settings, process: str = "serve") -> list[str]:
    """What makes these settings unsafe for ``process`` in production; empty when all is well.

    Checked whatever APP_ENV says (the caller decides whether to refuse). The secrets are
    those of ``process`` only (:data:`PROCESS_SECRETS`); everything else applies to every
    process, so one shared environment file gives every process the same verdict.
    """
    problems: list[str] = []
    old_secrets = _stored_secret_names(settings.var_dir)
    values: dict[str, list[str]] = {}
    for name in secrets_of(process, settings):
        value = getattr(settings, _SECRET_FIELDS[name])
        if name in settings.unset_secrets or not value:
            if name in old_secrets:
                where = (
                    f" In production nothing is read from {settings.var_dir / 'secrets.json'}: move the value it "
                    "holds into the environment to keep what this data directory used so far."
                )
            elif name in _SECRET_NAMES:
                where = " In production no secret is generated (var/secrets.json is for the embedded default)."
            else:
                where = ""
            problems.append(
                f"{name} is not set in the environment ({_PURPOSES[name]}).{where} Generate one with: {_GENERATE}"
            )
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(
                f"{name} is shorter than {MIN_SECRET_LENGTH} characters ({_PURPOSES[name]}). "
                f"Generate one with: {_GENERATE}"
            )
        else:
            values.setdefault(value, []).append(name)
    for names in values.values():
        if len(names) > 1:
            problems.append(f"{' and '.join(names)} have the same value: give each purpose its own secret.")
    if settings.demo_data:
        problems.append(
            "DEMO_DATA is on: set DEMO_DATA=false (the demo school and its printed password are for trying out)."
        )
    if not settings.secure_cookies:
        problems.append("SECURE_COOKIES is off: set SECURE_COOKIES=true and serve the web app over HTTPS only.")
    if settings.min_group < PRODUCTION_MIN_GROUP:
        problems.append(
            f"MIN_GROUP is {settings.min_group}: set it to {PRODUCTION_MIN_GROUP} or more, so no figure is shown "
            "for fewer people."
        )
    if not settings.smtp_host:
        problems.append(
            "SMTP_HOST is empty: set SMTP_HOST, SMTP_PORT, SMTP_TLS (and SMTP_USER / SMTP_PASSWORD) to the school's "
            "mail server; the local mailbox of the embedded default only writes files."
        )
    else:
        if settings.smtp_user and settings.smtp_tls == "none":
            problems.append("SMTP_TLS is none while SMTP_USER is set: the password would cross the network in clear.")
        if settings.mail_from == _DEFAULT_MAIL_FROM:
            problems.append("MAIL_FROM is the local default: set the school's sender address.")
    return problems


def _stored_secret_names(var_dir: Path) -> set[str]:
    path = var_dir / "secrets.json"
    try:
        return {name for name, value in json.loads(path.read_text(encoding="utf-8")).items() if value}
    except (OSError, ValueError, AttributeError):
        return set()


def production_report(problems: list[str], process: str) -> str:
    """The one message a refused process prints: every problem, numbered, and where to read more."""
    lines = [f"APP_ENV=production: the {process} process refuses to start. Fix these {len(problems)} settings:"]
    lines += [f"  {i}. {problem}" for i, problem in enumerate(problems, 1)]
    lines.append('Every variable is listed in docs/DEPLOY.md ("Every variable").')
    return "\n".join(lines)


def require_production_ready(settings: Settings, process: str) -> None:
    """With APP_ENV=production, refuse to start (SystemExit with one list) unless the settings are safe."""
    if settings.app_env != PRODUCTION:
        return
    problems = validate_production(settings, process)
    if problems:
        raise SystemExit(production_report(problems, process))
