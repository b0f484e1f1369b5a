"""The stand-alone chat page: /chat?team=CODE."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from bot.services.teams import normalize_code

bp = Blueprint("chat", __name__)


@bp.get("/chat")
def chat_page():
    settings = current_app.config["WELBEVINDEN_SETTINGS"]
    team_code = normalize_code(request.args.get("team")) or ""
    return render_template("chat.html", team_code=team_code, rasa_url=settings.rasa_url)
