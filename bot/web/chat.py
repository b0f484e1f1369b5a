"""The chat pages: /chat?team=CODE (add &start=checkin for a check-in link) for questions,
and /c/<token>, the page behind a member's personal link (check-in, own history, erasure).
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, render_template, request
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from bot.services.checkin import find_member
from bot.services.links import token_hash
from bot.services.teams import normalize_code

logger = logging.getLogger(__name__)

bp = Blueprint("chat", __name__)
#: A page with a personal link in it is never kept in a cache.
NO_STORE = {"Cache-Control": "no-store"}


class LinkRequestForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Length(max=254)])


def _backend():
    return current_app.config["WELBEVINDEN_BACKEND"]


@bp.get("/chat")
def chat_page():
    settings = _backend().settings
    team_code = normalize_code(request.args.get("team")) or ""
    start = "checkin" if request.args.get("start") == "checkin" else ""  # a check-in link
    return render_template("chat.html", team_code=team_code, rasa_url=settings.rasa_url, start=start, member_token="")


@bp.get("/c/<token>")
def member_page(token: str):
    """A personal link: the chat knows the member (the widget sends the token with each message)."""
    backend = _backend()
    member = find_member(backend.uow(), token_hash(token), backend.settings.pseudonym_secret)
    if member is None:
        return render_template("link_unknown.html", form=LinkRequestForm(), sent=False), 404, NO_STORE
    page = render_template(
        "chat.html", team_code=member.team_code, rasa_url=backend.settings.rasa_url, start="checkin", member_token=token
    )
    return page, 200, NO_STORE


@bp.route("/c/<token>/pauze", methods=["GET", "POST"])
def pause_page(token: str):
    """Pause or resume the weekly mails of the member behind this link (the link keeps working).

    A GET only shows the choice: mail programs open links to scan them, and that must not
    change anything. The POST (a button, or a one-click List-Unsubscribe) does.
    """
    from bot.services.roster import set_paused

    backend = _backend()
    link_hash = token_hash(token)
    member = find_member(backend.uow(), link_hash, backend.settings.pseudonym_secret)
    if member is None:
        return render_template("link_unknown.html", form=LinkRequestForm(), sent=False), 404, NO_STORE
    paused = None
    if request.method == "POST":
        paused = request.form.get("pauze", "ja") != "nee"
        set_paused(backend.uow(), link_hash, paused)
    return render_template("pause.html", form=FlaskForm(), token=token, paused=paused), 200, NO_STORE


@bp.post("/link")
def request_link():
    """A member who lost the link: mailed to their own address only; the same answer for any address."""
    from bot.services import invitations
    from bot.services.roster import normalise_email

    form = LinkRequestForm()
    email = normalise_email(form.email.data or "") if form.validate_on_submit() else None
    if email is None:
        form.email.errors = ["invalid"]
        return render_template("link_unknown.html", form=form, sent=False), 400
    invitations.request_link(_backend().uow(), email)
    return render_template("link_unknown.html", form=LinkRequestForm(formdata=None), sent=True)
