"""Text from coordinators is text: a team or school named like a link never becomes one.

Team and school names reach the chat through actions (roster size, the fundament-scan, a
member's own history) and the mails. Here the actions' values are put into the domain's
responses by Rasa's own interpolator and rendered by the widget's own markdown library
(marked, with the settings of bot/web/static/widget.js), so the test sees what a teacher sees.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rasa.core.nlg.interpolator import interpolate_text
from rasa_sdk.executor import CollectingDispatcher

from actions.checkin import format_history
from actions.roster import ActionRosterInfo
from actions.scan import ActionScanReset
from bot.mail import build_message
from bot.services import checkin
from bot.services.teams import create_team
from bot.text.plain import markdown_literal
from bot.vocabulary import DIMENSIONS, IsoWeek
from tests.test_actions_checkin import domain, join, make_tracker
from tests.test_actions_scan import finished, submit, token_for
from tests.test_mail import a_link, html_part, text_part

ROOT = Path(__file__).resolve().parent.parent
MARKED = ROOT / "bot" / "web" / "node_modules" / "marked" / "lib" / "marked.cjs"
LINK = "[klik](https://evil.example)"
BOLD = "**vet**"
HOSTILE = [
    LINK,
    BOLD,
    "Team <b>Noord</b>",
    "![x](https://evil.example/x.png)",
    "https://evil.example",
    "www.evil.example",
    "info@evil.example",
    "`code` _schuin_ ~~weg~~",
    "# Kop",
    "Team\n\n- lijst",
    "&lt;b&gt; &amp;",
    "Groep 7/8 (bovenbouw) 1. + 2.",
]

needs_marked = pytest.mark.skipif(
    shutil.which("node") is None or not MARKED.exists(), reason="node and the widget's marked (npm ci) are needed"
)


def render(markdown: list[str]) -> list[str]:
    """HTML as the widget's marked makes it: gfm (autolinks), breaks, no async."""
    script = (
        f"const {{ Marked }} = require({json.dumps(str(MARKED))});"
        "const m = new Marked({ gfm: true, breaks: true, async: false });"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map((t) => m.parse(t))));"
    )
    done = subprocess.run(
        ["node", "-e", script], input=json.dumps(markdown), capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout)


def visible(html: str) -> str:
    """The text a reader sees in rendered HTML (tags dropped, entities decoded)."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def assert_plain(html: str, name: str) -> None:
    """No element came from ``name``, and a reader sees it exactly as typed (line breaks as spaces)."""
    for tag in ("<a", "<img", "<em>", "<code>", "<del>", "<h1", "<ul", "<li", "<b>"):
        assert tag not in html, (name, html)
    assert " ".join(name.split()) in " ".join(visible(html).split()), (name, html)


def fill(name: str, **values: Any) -> str:
    """The Dutch text of a domain response with the action's values, as Rasa's NLG fills it in."""
    [variation] = [v for v in domain()["responses"][name] if not v.get("condition")]
    return interpolate_text(variation["text"], values)


def test_markdown_literal_escapes_and_keeps_one_line():
    assert markdown_literal(LINK) == r"\[klik\]\(https\:\/\/evil\.example\)".replace(r"\/", "/")
    assert markdown_literal(BOLD) == r"\*\*vet\*\*"
    assert markdown_literal("Team\r\nNoord") == "Team Noord"
    assert markdown_literal("Obs De Linde") == "Obs De Linde"  # ordinary names unchanged
    assert markdown_literal(None) == ""


@needs_marked
def test_every_hostile_name_renders_as_itself_in_the_widget():
    rendered = render([f"Op de teamlijst van {markdown_literal(name)} staan nu 12 mensen." for name in HOSTILE])
    for name, html in zip(HOSTILE, rendered, strict=True):
        assert_plain(html, name)
    # Unescaped, the same names would have been markup: the test can fail.
    raw = render([f"Op de teamlijst van {name} staan nu 12 mensen." for name in (LINK, BOLD)])
    assert '<a href="https://evil.example">' in raw[0] and "<strong>vet</strong>" in raw[1]


@needs_marked
async def test_the_roster_message_shows_the_team_name_as_written(any_backend):
    team = create_team(any_backend.uow(), "School A", LINK)
    me = join(any_backend, team, "jan@school-a.nl")
    dispatcher = CollectingDispatcher()
    await ActionRosterInfo(any_backend).run(dispatcher, make_tracker("hoeveel staan er op de lijst", link=me), domain())
    [message] = dispatcher.messages
    text = fill(message["response"], **{k: v for k, v in message.items() if k in ("team", "size", "recent")})
    [html] = render([text])
    assert_plain(html, LINK)
    assert "Op de teamlijst van [klik](https://evil.example) staan nu 1 mensen" in visible(html)


@needs_marked
async def test_the_scan_messages_show_the_school_name_as_written(any_backend):
    team = create_team(any_backend.uow(), BOLD + " " + LINK, "Team 1")
    metadata = {"scan_token": token_for(any_backend, team.school_id)}
    dispatcher = CollectingDispatcher()
    await ActionScanReset(any_backend).run(
        dispatcher, make_tracker("/fundament_scan_start", metadata=metadata), domain()
    )
    [intro] = [m for m in dispatcher.messages if m["response"] == "utter_scan_intro_saved"]
    [saved] = [m for m in await submit(any_backend, finished(metadata)) if m["response"] == "utter_scan_saved"]
    rendered = render(
        [
            fill("utter_scan_intro_saved", school=intro["school"]),
            fill("utter_scan_saved", school=saved["school"], date=saved["date"]),
        ]
    )
    for html in rendered:
        assert "<a" not in html and "<em>" not in html
        assert f"{BOLD} {LINK}" in visible(html)
    assert rendered[0].count("<strong>") == 1  # the response's own bold around the name, not the name's


@needs_marked
async def test_the_private_history_shows_the_team_name_as_written(any_backend):
    team = create_team(any_backend.uow(), "School A", LINK)
    me = join(any_backend, team, "jan@school-a.nl")
    scores = dict.fromkeys(DIMENSIONS, 4)
    checkin.save_checkin(any_backend.uow(), me.ref, scores, any_backend.settings.pseudonym_secret)
    weeks = checkin.history(any_backend.uow(), me.person_key)
    [html] = render([fill("utter_checkin_history", weeks=format_history(weeks))])
    assert "alleen jij ziet dit" in html
    assert "<a" not in html and "<em>" not in html
    assert html.count("<strong>") == len(weeks)  # only the response's own "**Week N**"
    assert f"({LINK})" in visible(html)


def test_mails_show_team_and_school_names_as_written(settings):
    message = build_message(
        "uitnodiging",
        to="jan@school-a.nl",
        team=LINK,
        school=BOLD,
        week=IsoWeek(2025, 12),
        link=a_link(settings),
        settings=settings,
    )
    html, text = html_part(message), text_part(message)
    assert '<a href="https://evil.example"' not in html and "<strong>vet</strong>" not in html
    assert LINK in visible(html) and BOLD in visible(html)
    assert LINK in text and BOLD in text  # the text part is plain text: no escapes to read around
    assert "\\[" not in text
