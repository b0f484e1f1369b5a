"""The stand-alone chat page: /chat?team=CODE (add &start=checkin for a check-in link)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from bot.services.teams import normalize_code

bp = Blueprint("chat", __name__)


@bp.get("/chat")
def chat_page():
    settings = current_app.config["WELBEVINDEN_BACKEND"].settings
    team_code = normalize_code(request.args.get("team")) or ""
    start = "checkin" if request.args.get("start") == "checkin" else ""  # a check-in link
    return render_template("chat.html", team_code=team_code, rasa_url=settings.rasa_url, start=start)
