"""Outgoing mail: the Dutch invitation, reminder and "your link again" mails, and sending them.

Every word a member reads is in the Jinja2 templates under ``bot/web/templates/mail/``
(``<kind>.subject.txt``, ``<kind>.txt``, ``<kind>.html``); this module only fills them in.
Team and school names are plain text: escaped in the HTML part, never read as markdown.
The first link in the plain-text part that starts with PUBLIC_BASE_URL is the member's
personal link (tests and operators rely on it); the pause link comes last.

Sending uses SMTP with the ``smtp_*`` settings. On the embedded default (no SMTP_HOST)
``python -m bot serve`` starts :class:`DevMailbox`, a real SMTP server on loopback that
writes every message it accepts as one ``.eml`` file under ``var/mail/``.

Nothing here logs an address, a token or a link: errors carry the SMTP reply code only.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.settings import Settings
from bot.vocabulary import IsoWeek

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "web" / "templates" / "mail"
#: The mails there are templates for (also the ``kind`` of an outbox row).
KINDS = ("uitnodiging", "herinnering", "link")
#: A member's pause link: their personal link followed by this path (the web app serves it).
PAUSE_PATH = "/pauze"
#: Seconds one SMTP command may take before the attempt counts as a temporary failure.
SMTP_TIMEOUT_S = 30.0
#: Where an empty SMTP_HOST sends to: the local server of ``python -m bot serve``.
DEV_SMTP_HOST = "127.0.0.1"


def pause_link(personal_link: str) -> str:
    """The link that pauses a member's weekly mails (their personal link keeps working)."""
    return f"{personal_link}{PAUSE_PATH}"


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _one_line(text: str) -> str:
    """Collapse all whitespace (including line breaks, which a header may not hold)."""
    return " ".join(text.split())


def _mail_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def build_message(
    kind: str,
    *,
    to: str,
    team: str,
    school: str,
    week: IsoWeek,
    link: str,
    settings: Settings,
) -> EmailMessage:
    """One mail of ``kind`` (see KINDS) to ``to``, with a plain-text part and an HTML alternative."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of mail {kind!r}; expected one of {', '.join(KINDS)}.")
    env = _templates()
    context = {
        "team": _one_line(team),
        "school": _one_line(school),
        "week": week,
        "link": link,
        "pause_link": pause_link(link),
        "min_group": settings.min_group,
        "retention_weeks": settings.checkin_retention_weeks,
    }
    subject = _one_line(env.get_template(f"{kind}.subject.txt").render(context))
    text = env.get_template(f"{kind}.txt").render(context)
    html = env.get_template(f"{kind}.html").render(context, subject=subject)

    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_mail_domain(settings.mail_from))
    message["Auto-Submitted"] = "auto-generated"
    if kind != "link":
        message["List-Unsubscribe"] = f"<{pause_link(link)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST pauses
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


# --------------------------------------------------------------------------- sending


class MailError(Exception):
    """A mail was not accepted. ``code`` is the SMTP reply code (0: no reply, e.g. no connection)."""

    permanent = False

    def __init__(self, code: int = 0) -> None:
        super().__init__(f"SMTP {code}" if code else "no SMTP reply")
        self.code = code


class TemporaryMailError(MailError):
    """Try again later: the server was unreachable or answered 4xx."""


class MailServerDown(TemporaryMailError):
    """No SMTP session could be opened (connection, TLS or login failed): nothing can be sent now."""


class PermanentMailError(MailError):
    """The server refused this mail for good (5xx): retrying will not help."""

    permanent = True


def _reply_error(code: int) -> MailError:
    return PermanentMailError(code) if 500 <= code < 600 else TemporaryMailError(code)


class MailSender:
    """One SMTP session, opened on the first mail and reused for the next ones.

    Use as a context manager; :meth:`send` raises a :class:`MailError` subclass and never
    an exception whose text names an address.
    """

    def __init__(self, settings: Settings, timeout: float = SMTP_TIMEOUT_S) -> None:
        self.host = settings.smtp_host or DEV_SMTP_HOST
        self.port = settings.smtp_port
        self.tls = settings.smtp_tls
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "MailSender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = None
        try:
            if self.tls == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            raise MailServerDown(exc.smtp_code) from None
        except OSError:  # refused, timed out, TLS failed, disconnected (smtplib errors are OSErrors)
            _close_quietly(smtp)
            raise MailServerDown() from None
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            self.close()
            raise _reply_error(codes[0] if codes else 0) from None
        except smtplib.SMTPSenderRefused as exc:  # our MAIL_FROM or login is refused: every mail would be
            self.close()
            raise MailServerDown(exc.smtp_code) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            self.close()
            raise _reply_error(exc.smtp_code) from None
        except OSError:  # the connection dropped
            self.close()
            raise TemporaryMailError() from None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except OSError:
                _close_quietly(smtp)


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- the local mailbox


def write_eml(mail_dir: Path, content: bytes) -> Path:
    """Write one message as ``<time>-<random>.eml`` in ``mail_dir``, atomically (temp file, rename).

    The name holds no address; the file is readable by its owner only (it holds a personal link).
    """
    mail_dir.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
    tmp = mail_dir / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        final = mail_dir / name
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


class MailDirHandler:
    """aiosmtpd handler: every accepted message becomes one .eml file."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = Path(mail_dir)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        write_eml(self.mail_dir, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


class DevMailbox:
    """A real SMTP server (aiosmtpd) on loopback for the embedded default and the tests.

    ``handler`` defaults to :class:`MailDirHandler` on ``mail_dir``; ``port=0`` is not
    supported by aiosmtpd, so tests pass a free port. aiosmtpd's own logger is limited to
    warnings: at INFO and DEBUG it logs recipients and message lines.
    """

    def __init__(self, mail_dir: Path, host: str = DEV_SMTP_HOST, port: int = 8025, handler: object = None) -> None:
        self.mail_dir = Path(mail_dir)
        self.host = host
        self.port = port
        self.handler = handler or MailDirHandler(self.mail_dir)
        self._controller = None

    def start(self) -> "DevMailbox":
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:  # fail at once when the port is taken (aiosmtpd waits ready_timeout)
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))
        controller = Controller(
            self.handler, hostname=self.host, port=self.port, server_hostname="localhost", ready_timeout=10
        )
        controller.start()  # raises OSError when the port is taken
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> "DevMailbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self) -> list[Path]:
        """The .eml files written so far, oldest first."""
        return sorted(self.mail_dir.glob("*.eml"))
