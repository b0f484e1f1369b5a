"""One place for configuration, read from environment variables with safe local defaults.

Each entry point (web app, action server, CLI, Rasa components, benchmarks) calls
``Settings.from_env()`` once and hands the result down; nothing fetches it from a global.

Secrets that are not given in the environment are generated once and kept in
``var/secrets.json`` (mode 0600), so a fresh checkout runs without set-up and
nothing secret lives in git.
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

_SECRET_NAMES = ("PSEUDONYM_SECRET", "WEB_SECRET_KEY", "ACTION_SERVER_TOKEN", "LINK_SECRET")


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
    mail_from: str = "Welbevinden-assistent <welbevinden@localhost>"
    #: Start the scheduler (weekly mails, release, retention) inside ``python -m bot serve``.
    scheduler: bool = True

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var")).resolve()
        stored = _load_or_create_secrets(var_dir)
        secret = {name: os.environ.get(name) or stored[name] for name in _SECRET_NAMES}
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
            checkin_retention_weeks=max(1, _env_int("CHECKIN_RETENTION_WEEKS", 26)),
            smtp_host=os.environ.get("SMTP_HOST", "").strip(),
            smtp_port=_env_int("SMTP_PORT", 8025),
            smtp_user=os.environ.get("SMTP_USER", ""),
            smtp_password=os.environ.get("SMTP_PASSWORD", ""),
            smtp_tls=_env_choice("SMTP_TLS", ("none", "starttls", "ssl"), "none"),
            mail_from=os.environ.get("MAIL_FROM") or "Welbevinden-assistent <welbevinden@localhost>",
            scheduler=_env_bool("SCHEDULER", True),
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
