"""The mails themselves and SMTP: Dutch templates, the personal link first, a real SMTP server.

Every test that sends uses a real aiosmtpd server on loopback (bot.mail.DevMailbox on a
free port), the same one ``python -m bot serve`` starts on the embedded default.
"""

from __future__ import annotations

import email
import os
import re
import stat
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot import mail
from bot.mail import (
    KINDS,
    DevMailbox,
    MailSender,
    MailServerDown,
    PermanentMailError,
    TemporaryMailError,
    build_message,
    pause_link,
    write_eml,
)
from bot.services.links import member_link
from bot.settings import Settings
from bot.vocabulary import IsoWeek
from tests.servers import free_port

BASE = "https://welbevinden.example.nl"
WEEK = IsoWeek(2025, 12)
URL_RE = re.compile(r"https?://[^\s<>\"')]+")


# ----------------------------------------------------------------- helpers (the other mail tests use them too)


def read_eml(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def personal_link(message: EmailMessage, base: str = BASE) -> str:
    """The first link in the plain-text part that starts with PUBLIC_BASE_URL (the interface operators rely on)."""
    return next(url for url in URL_RE.findall(text_part(message)) if url.startswith(base))


def token_of(link: str) -> str:
    """The longest URL-safe segment of a personal link: its token."""
    return max(re.findall(r"[A-Za-z0-9_-]+", link), key=len)


class Replying:
    """An aiosmtpd handler that answers DATA with ``replies`` in turn (then accepts and stores)."""

    def __init__(self, mail_dir: Path, *replies: str) -> None:
        self.stored = mail.MailDirHandler(mail_dir)
        self.replies = list(replies)
        self.seen = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.seen += 1
        if self.replies:
            return self.replies.pop(0)
        return await self.stored.handle_DATA(server, session, envelope)


@pytest.fixture
def mailbox(settings: Settings):
    """A real SMTP server on a free loopback port writing .eml files to var/mail/."""
    with DevMailbox(settings.mail_dir, port=free_port()) as box:
        yield box


def smtp_settings(settings: Settings, port: int, **changes) -> Settings:
    return settings.with_changes(smtp_host="127.0.0.1", smtp_port=port, public_base_url=BASE, **changes)


def a_link(settings: Settings, member_id: int = 7) -> str:
    return member_link(BASE, member_id, 1, settings.link_secret)


def message(settings: Settings, kind: str = "uitnodiging", **names) -> EmailMessage:
    values = {"team": "Onderbouw", "school": "OBS De Linde", **names}
    return build_message(kind, to="jan@delinde.nl", week=WEEK, link=a_link(settings), settings=settings, **values)


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("kind", KINDS)
def test_every_mail_has_a_dutch_text_and_html_part_with_the_personal_link_first(settings, kind):
    msg = message(settings, kind)
    link = a_link(settings)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"] == "jan@delinde.nl" and msg["From"] == settings.mail_from
    assert msg["Subject"] and "{" not in msg["Subject"]
    text, html = text_part(msg), html_part(msg)
    assert personal_link(msg) == link  # the first PUBLIC_BASE_URL link in the text part
    assert token_of(personal_link(msg)) == link.rsplit("/", 1)[1]
    assert f'href="{link}"' in html and '<html lang="nl">' in html
    assert pause_link(link) in text and f'href="{pause_link(link)}"' in html
    assert text.index(link) < text.index(pause_link(link))
    for words in ("Wat er bewaard wordt", "e-mailadres", "coördinator", "pauze"):
        assert words in text and words in html
    assert "{{" not in text + html and "}}" not in text + html


def test_the_invitation_says_what_is_stored_and_who_sees_what(settings):
    text = text_part(message(settings.with_changes(min_group=6, checkin_retention_weeks=20)))
    assert "check-in van week 12" in text
    assert "teamlijst van Onderbouw" in text  # the address is on the roster ...
    assert "apart van je e-mailadres" in text  # ... kept apart from the answers
    assert "alleen jij" in text and "na 20 weken gewist" in text
    assert "minimaal 6 collega's" in text and "afgesloten week" in text


def test_weekly_mails_carry_a_list_unsubscribe_header_to_the_pause_link(settings):
    link = a_link(settings)
    assert message(settings, "uitnodiging")["List-Unsubscribe"] == f"<{pause_link(link)}>"
    assert message(settings, "herinnering")["List-Unsubscribe"] == f"<{pause_link(link)}>"
    assert message(settings, "link")["List-Unsubscribe"] is None  # asked for, not a weekly mail


def test_team_and_school_names_are_plain_text_escaped_in_html(settings):
    team = '<script>alert("x")</script> & *Onderbouw* [klik](http://evil.example)'
    msg = message(settings, team=team, school="OBS <b>De Linde</b>\r\nBcc: iemand@evil.example")
    html, text = html_part(msg), text_part(msg)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; *Onderbouw*" in html
    assert "<b>De Linde</b>" not in html and "&lt;b&gt;De Linde&lt;/b&gt;" in html
    assert '<a href="http://evil.example"' not in html  # markdown is never turned into a link
    assert team in text  # the text part shows the name as typed
    assert "\n" not in msg["Subject"] and msg["Bcc"] is None  # no header injection through a name


def test_unknown_kind_is_refused(settings):
    with pytest.raises(ValueError, match="Unknown kind"):
        message(settings, "nieuwsbrief")


def test_all_dutch_text_is_in_the_templates():
    for kind in KINDS:
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (mail.TEMPLATE_DIR / f"{kind}{suffix}").is_file()
    source = Path(mail.__file__).read_text(encoding="utf-8")
    for dutch in ("Hallo", "Je check-in", "persoonlijke link", "bewaard"):
        assert dutch not in source


# --------------------------------------------------------------------------- SMTP against a real server


def test_the_local_server_writes_each_message_as_one_eml_file(settings, mailbox):
    with MailSender(smtp_settings(settings, mailbox.port)) as sender:
        for kind in KINDS:
            sender.send(message(settings, kind))
    files = mailbox.messages()
    assert len(files) == 3 and all(p.parent == settings.var_dir / "mail" for p in files)
    assert not [p for p in settings.mail_dir.iterdir() if not p.name.endswith(".eml")]  # no temp files left
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds a personal link
        assert "@" not in path.name
        got = read_eml(path)
        assert personal_link(got) == a_link(settings) and got["To"] == "jan@delinde.nl"
    assert {read_eml(p)["Subject"].split(":")[0] for p in files} >= {"Herinnering"}


def test_write_eml_is_atomic(tmp_path, monkeypatch):
    assert write_eml(tmp_path, b"Subject: x\r\n\r\nhoi\r\n").read_bytes() == b"Subject: x\r\n\r\nhoi\r\n"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_eml(tmp_path, b"Subject: y\r\n\r\nhoi\r\n")
    assert len(list(tmp_path.iterdir())) == 1  # the first file only: no half-written .eml, no temp file


def test_no_server_is_a_temporary_failure_that_names_no_address(settings):
    with MailSender(smtp_settings(settings, free_port())) as sender, pytest.raises(MailServerDown) as caught:
        sender.send(message(settings))
    assert not caught.value.permanent
    assert "jan@" not in str(caught.value) and caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [("451 4.3.0 probeer het later", TemporaryMailError, 451), ("550 5.1.1 onbekend", PermanentMailError, 550)],
)
def test_smtp_replies_are_temporary_for_4xx_and_permanent_for_5xx(settings, reply, error, code):
    handler = Replying(settings.mail_dir, reply)
    with DevMailbox(settings.mail_dir, port=free_port(), handler=handler) as box:
        with MailSender(smtp_settings(settings, box.port)) as sender:
            with pytest.raises(error) as caught:
                sender.send(message(settings))
            assert caught.value.code == code and "jan@" not in str(caught.value)
            sender.send(message(settings))  # the next one goes through on a new connection
        assert len(box.messages()) == 1


def test_a_refused_recipient_is_classified_by_its_code(settings):
    class RefuseRecipient:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            return "550 5.1.1 no such user"

    with DevMailbox(settings.mail_dir, port=free_port(), handler=RefuseRecipient()) as box:
        with MailSender(smtp_settings(settings, box.port)) as sender, pytest.raises(PermanentMailError) as caught:
            sender.send(message(settings))
    assert caught.value.code == 550 and "jan@" not in str(caught.value)


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_that_the_server_cannot_do_is_a_temporary_failure(settings, mailbox, tls):
    with MailSender(smtp_settings(settings, mailbox.port, smtp_tls=tls), timeout=5) as sender:
        with pytest.raises(MailServerDown):
            sender.send(message(settings))
    assert mailbox.messages() == []  # nothing went out in clear text


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_user_and_password(settings):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"geheim")

    port = free_port()
    controller = Controller(
        mail.MailDirHandler(settings.mail_dir),
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        good = smtp_settings(settings, port, smtp_user="mailer", smtp_password="geheim")
        with MailSender(good) as sender:
            sender.send(message(settings))
        # Without a login the server refuses the sender: a problem of our settings, so every mail waits.
        with MailSender(good.with_changes(smtp_user="")) as sender, pytest.raises(MailServerDown) as caught:
            sender.send(message(settings))
        assert caught.value.code == 530
    finally:
        controller.stop()
    assert logins == [(b"mailer", b"geheim")]
    assert len(list(settings.mail_dir.glob("*.eml"))) == 1


def test_an_empty_smtp_host_sends_to_the_local_server(settings):
    sender = MailSender(settings.with_changes(smtp_host="", smtp_port=8025))
    assert (sender.host, sender.port) == ("127.0.0.1", 8025)


def test_the_local_server_refuses_a_taken_port(settings, mailbox):
    with pytest.raises(OSError):
        DevMailbox(settings.mail_dir, port=mailbox.port).start()


def test_serve_starts_the_local_server_only_without_smtp_host(settings):
    from bot.serve import start_mailbox

    port = free_port()
    local, box = start_mailbox(settings.with_changes(smtp_host="", smtp_port=port, smtp_tls="starttls"))
    try:
        assert box is not None and (local.smtp_host, local.smtp_port, local.smtp_tls) == ("127.0.0.1", port, "none")
        with MailSender(local) as sender:
            sender.send(message(settings))
        assert len(box.messages()) == 1 and box.mail_dir == settings.var_dir / "mail"
        with pytest.raises(SystemExit, match="SMTP_PORT"):  # a second serve on the same port says what to do
            start_mailbox(settings.with_changes(smtp_host="", smtp_port=port))
    finally:
        box.stop()
    real = settings.with_changes(smtp_host="mail.school.nl", smtp_port=587)
    assert start_mailbox(real) == (real, None)
