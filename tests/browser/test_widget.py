"""The chat widget in a real browser (Debian's chromium through Playwright).

Most tests talk to the real stack (Rasa + action server + web app, see conftest.py);
a few use a fake Socket.IO server for hostile bot messages and a bot that stays silent.
Screenshots go to pytest's tmp_path only; the ones in docs/screenshots/ are made by
scripts/widget_screenshots.py.
"""

from __future__ import annotations

import re
import time

import pytest
from jinja2 import Environment, FileSystemLoader
from playwright.sync_api import Locator, Page, expect

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

TEMPLATES = PROJECT_ROOT / "bot" / "web" / "templates"
UNAVAILABLE = "De assistent is nu niet bereikbaar. Probeer het later opnieuw."
ANSWER_TIMEOUT_MS = 20_000  # the widget gives up after 10 s; the test waits a little longer

XSS_PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<svg onload=alert(1)>",
]


# ---------------------------------------------------------------- helpers


def log(page: Page) -> Locator:
    return page.get_by_role("log")


def bot_messages(page: Page) -> Locator:
    return page.locator(".wb-msg--bot")


def user_messages(page: Page) -> Locator:
    return page.locator(".wb-msg--user .wb-msg-body")


def textbox(page: Page) -> Locator:
    """The message box, by its accessible name in either language of the widget."""
    return page.get_by_role("textbox", name=re.compile("^(Je bericht|Your message)$"))


def open_chat(page: Page, url: str) -> None:
    """Open the chat page and wait for the bot's greeting."""
    page.goto(url)
    expect(bot_messages(page).first).to_contain_text("Welbevinden-assistent", timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)


def wait_until_answered(page: Page) -> None:
    """Wait until the typing dots are gone and Rasa has finished sending (it sends a
    reply in several bot_uttered events: wait until no new one came for a moment)."""
    expect(page.locator(".wb-typing")).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    count = -1
    while count != bot_messages(page).count():
        count = bot_messages(page).count()
        page.wait_for_timeout(700)


def say(page: Page, text: str) -> None:
    """Type a message and press Enter, then wait for the complete answer."""
    before = bot_messages(page).count()
    textbox(page).fill(text)
    textbox(page).press("Enter")
    expect(user_messages(page).last).to_have_text(text)
    expect(bot_messages(page)).not_to_have_count(before, timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)


def click_choice(page: Page, title: str) -> None:
    """Click the (only enabled) button with this title, then wait for the answer."""
    before = bot_messages(page).count()
    page.locator("button.wb-choice:enabled").filter(has_text=re.compile(f"^{re.escape(title)}$")).last.click()
    expect(user_messages(page).last).to_have_text(title)
    expect(bot_messages(page)).not_to_have_count(before, timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def assert_clean(problems) -> None:
    assert problems.dialogs == [], f"a dialog fired: {problems.dialogs}"
    assert problems.errors == [], f"JavaScript errors: {problems.errors}"
    csp = [m for m in problems.console_errors if "Content Security Policy" in m]
    assert csp == [], f"CSP violations: {csp}"


# ---------------------------------------------------------------- the real stack


@pytest.mark.rasa
def test_knowledge_question_gets_an_answer_with_source(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    say(page, "wat is amplitie?")

    expect(log(page)).to_contain_text("Bron:")
    expect(log(page)).to_contain_text("Amplitie")
    # Markdown became real elements, and the follow-up buttons are real <button>s.
    expect(bot_messages(page).locator("strong").first).to_be_visible()
    expect(page.get_by_role("button", name="Waar komt amplitie vandaan?")).to_be_enabled()

    # A follow-up button sends its payload; its title is shown as the user's message.
    click_choice(page, "Waar komt amplitie vandaan?")
    link = log(page).get_by_role("link", name=re.compile("wilmarschaufeli.nl"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert_clean(problems)


@pytest.mark.rasa
def test_an_english_conversation_gets_the_widget_in_english_and_dutch_brings_it_back(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())
    expect(page.get_by_role("button", name="Verstuur")).to_be_visible()

    say(page, "Where can I read more about well-being at school?")

    answer = bot_messages(page).filter(has_text="Would you like to read more?")
    expect(answer).to_have_attribute("lang", "en")
    expect(answer.get_by_role("link").first).to_contain_text("(opens in a new window)")
    expect(bot_messages(page).filter(has_text="Source:")).to_have_class(re.compile("wb-msg--source"))
    expect(page.get_by_role("textbox", name="Your message")).to_have_attribute("placeholder", "Type your message…")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()
    # The Dutch greeting before it keeps its Dutch link labels.
    expect(bot_messages(page).first).not_to_have_attribute("lang", "en")

    # A reload restores the conversation and its language.
    page.reload()
    expect(page.get_by_role("textbox", name="Your message")).to_be_visible()

    say(page, "Nederlands graag")
    expect(page.get_by_role("textbox", name="Je bericht")).to_have_attribute("placeholder", "Typ je bericht…")
    expect(page.get_by_role("button", name="Verstuur")).to_be_visible()
    assert_clean(problems)


@pytest.mark.rasa
def test_worry_about_a_colleague_gets_how_to_be_there_and_a_check_in_for_yourself(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())

    say(page, "mijn collega zit er helemaal doorheen en huilt na elke les, hoe kan ik haar helpen?")

    expect(log(page)).to_contain_text("Fijn dat je omkijkt naar je collega")
    expect(log(page)).to_contain_text("bedrijfsarts")
    expect(log(page)).to_contain_text("vergeet jezelf niet")
    assert "113" not in log(page).inner_text()
    expect(page.get_by_role("button", name="Inchecken", exact=True)).to_be_enabled()
    assert_clean(problems)


@pytest.mark.rasa
def test_typed_follow_ups_stay_on_the_topic_just_discussed(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())

    say(page, "hoe zit het met de werkdruk van leraren?")
    expect(log(page)).to_contain_text("Bron: TNO")

    assert "TNO-rapport werkdruk in het onderwijs" not in log(page).inner_text()  # only the source answer says so
    say(page, "kan ik dat ergens checken?")  # "checken" is not the check-in here
    expect(bot_messages(page).filter(has_text="TNO-rapport werkdruk in het onderwijs")).to_have_count(1)

    say(page, "en tussen po en vo?")
    expect(bot_messages(page).filter(has_text="Tussen PO en VO (primair en voortgezet onderwijs)")).to_have_count(1)
    assert_clean(problems)


@pytest.mark.rasa
def test_exhaustion_gets_people_to_turn_to_and_an_english_crisis_gets_113(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())

    say(page, "ik slaap al weken slecht en zit na schooltijd te huilen in de auto")
    for route in ("huisarts", "bedrijfsarts", "vertrouwenspersoon"):
        expect(log(page)).to_contain_text(route)
    assert "113" not in log(page).inner_text()  # tired and sad is not suicidal: no over-referral

    say(page, "honestly I don't see the point of living anymore")
    expect(bot_messages(page).filter(has_text="113").last).to_have_attribute("lang", "en")
    expect(log(page)).to_contain_text("0800-0113")
    assert_clean(problems)


@pytest.mark.rasa
def test_checkin_with_buttons(stack, new_page):
    page, problems = new_page()
    stack.as_member(page)
    open_chat(page, stack.chat_url())

    click_choice(page, "Inchecken (1 minuut)")
    expect(log(page)).to_contain_text("Doe je mee?")
    click_choice(page, "Ja, ik doe mee")
    # The team code came with the messages as metadata: the bot does not ask for it.
    expect(log(page)).not_to_contain_text("Van welk team ben je?")
    for question, answer in [
        ("Vraag 1 van 5", "4"),
        ("Vraag 2 van 5", "3"),
        ("Vraag 3 van 5", "5"),
        ("Vraag 4 van 5", "2"),
        ("Laatste vraag", "4"),
    ]:
        expect(bot_messages(page).filter(has_text=question).last).to_be_visible()
        click_choice(page, answer)

    expect(log(page)).to_contain_text("zijn opgeslagen")
    # Buttons of earlier messages cannot be used again.
    expect(page.get_by_role("button", name="Ja, ik doe mee")).to_be_disabled()
    assert page.locator("button.wb-choice", has_text=re.compile("^[1-5]$")).evaluate_all(
        "buttons => buttons.every(b => b.disabled)"
    )
    assert_clean(problems)


@pytest.mark.rasa
def test_checkin_with_typed_answers_survives_a_reload(stack, new_page):
    page, problems = new_page()
    stack.as_member(page)
    open_chat(page, stack.chat_url())

    say(page, "ik wil inchecken")
    expect(log(page)).to_contain_text("Doe je mee?")
    for answer, next_question in [
        ("ja", "Vraag 1 van 5"),
        ("4", "Vraag 2 van 5"),
        ("vier", "Vraag 3 van 5"),
        ("gaat wel", "Vraag 4 van 5"),
        ("😊", "Laatste vraag"),
        ("super", None),
    ]:
        say(page, answer)
        if next_question:
            expect(bot_messages(page).last).to_contain_text(next_question)
    expect(log(page)).to_contain_text("zijn opgeslagen")

    # A reload shows the same conversation, in the same Rasa session.
    session = page.evaluate("localStorage.getItem('welbevinden.session')")
    shown = page.locator(".wb-msg").all_inner_texts()
    page.reload()
    expect(page.locator(".wb-msg")).to_have_count(len(shown))
    assert page.locator(".wb-msg").all_inner_texts() == shown
    assert page.evaluate("localStorage.getItem('welbevinden.session')") == session
    # ... and the conversation goes on: Rasa still knows this person's check-in.
    say(page, "laat mijn overzicht zien")
    expect(log(page)).to_contain_text("Zo ging het de afgelopen weken met jou")
    expect(log(page)).not_to_contain_text("Ik heb nog geen check-ins van je")
    assert_clean(problems)


@pytest.mark.rasa
def test_session_id_is_a_random_uuid(stack, new_page):
    page, _ = new_page()
    open_chat(page, stack.chat_url())
    session = page.evaluate("localStorage.getItem('welbevinden.session')")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", session)
    other, _ = new_page()
    open_chat(other, stack.chat_url())
    assert other.evaluate("localStorage.getItem('welbevinden.session')") != session


@pytest.mark.rasa
def test_user_text_is_never_executed(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())

    for payload in XSS_PAYLOADS:
        say(page, payload)
        expect(user_messages(page).last).to_have_text(payload)  # shown as the text it is

    widget = page.locator("#welbevinden-chat")
    assert widget.locator("img, svg, script, iframe").count() == 0
    assert widget.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("document.querySelectorAll('body script').length") == 0
    # Survives a reload as text, too (restored from sessionStorage).
    page.reload()
    expect(user_messages(page)).to_have_count(len(XSS_PAYLOADS))
    assert user_messages(page).all_inner_texts() == XSS_PAYLOADS
    assert widget.locator("img, svg, script, iframe").count() == 0
    page.wait_for_timeout(500)
    assert_clean(problems)


@pytest.mark.rasa
def test_keyboard_only(stack, new_page):
    page, problems = new_page()
    open_chat(page, stack.chat_url())

    # Tab from the top of the page reaches the message box.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('wb-input')"):
            break
    expect(textbox(page)).to_be_focused()
    outline = textbox(page).evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused input has no visible outline"

    page.keyboard.type("wat is werkdruk?")
    page.keyboard.press("Enter")
    expect(user_messages(page).last).to_have_text("wat is werkdruk?")
    expect(textbox(page)).to_have_value("")
    wait_until_answered(page)
    expect(log(page)).to_contain_text("Bron:")

    # The answer's buttons are reachable with (Shift+)Tab and work with Enter.
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.matches('button.wb-choice:enabled')"):
            break
    focused = page.locator("button.wb-choice:focus")
    expect(focused).to_have_count(1)
    title = focused.inner_text()
    page.keyboard.press("Enter")
    expect(user_messages(page).last).to_have_text(title)
    expect(textbox(page)).to_be_focused()  # focus does not fall off the page
    wait_until_answered(page)
    assert_clean(problems)


@pytest.mark.rasa
def test_accessibility_scan_has_no_serious_violations(stack, new_page):
    for width, height in [(1280, 800), (320, 640)]:
        page, _ = new_page(width, height)
        open_chat(page, stack.chat_url())
        say(page, "wat is amplitie?")
        textbox(page).press("Enter")  # empty: shows the hint too
        page.add_script_tag(url="/static/vendor/axe.min.js")
        result = page.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
            " 'best-practice']}})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], f"axe at {width}px:\n" + "\n".join(bad)


@pytest.mark.rasa
@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 400)], ids=["320px", "200-percent-zoom"])
def test_narrow_screens_have_no_horizontal_scroll(stack, new_page, width, height):
    """320 px wide, and 1280x800 at 200% zoom (= a 640x400 CSS-pixel viewport)."""
    page, _ = new_page(width, height)
    open_chat(page, stack.chat_url())
    say(page, "wat is amplitie?")
    say(page, "Eenheelerglangwoordzonderspatiesdatnergensafbreekt" * 4)
    assert no_horizontal_scroll(page)
    for control in [textbox(page), page.get_by_role("button", name="Verstuur")]:
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.rasa
def test_screenshots_of_an_answer_on_a_desktop_and_a_phone(stack, new_page, tmp_path):
    """The pages scripts/widget_screenshots.py photographs for docs/ render (here into tmp_path)."""
    for name, width, height in [("widget-desktop", 1280, 800), ("widget-mobile", 360, 740)]:
        page, _ = new_page(width, height)
        open_chat(page, stack.chat_url())
        say(page, "wat is amplitie?")
        page.locator(".wb-input").blur()
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000


@pytest.mark.rasa
def test_embed_snippet_on_another_site(stack, new_page, intranet):
    """One <script> on an intranet page (another origin): a floating chat that works."""
    page, problems = new_page()
    html = (
        Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
        .get_template("embed-example.html")
        .render(widget_url=f"{stack.web_url}/static/widget.js", rasa_url=stack.rasa_url, team_code=stack.team_code)
    )
    # An intranet on plain http has no crypto.randomUUID (secure contexts only).
    page.add_init_script("delete Crypto.prototype.randomUUID")
    url = intranet.page("/intranet/", html)
    stack.as_member(page, origin=url)  # this teacher opened their personal link on the intranet before
    page.goto(url)

    launcher = page.get_by_role("button", name="Welbevinden-assistent")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("log")).to_be_hidden()
    launcher.click()
    expect(log(page)).to_be_visible()  # the panel replaces the button until it is closed
    expect(textbox(page)).to_be_focused()
    expect(bot_messages(page).first).to_contain_text("Welbevinden-assistent", timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)
    click_choice(page, "Inchecken (1 minuut)")
    expect(log(page)).to_contain_text("Doe je mee?")  # the team code came from the snippet
    expect(log(page)).not_to_contain_text("Van welk team")
    session = page.evaluate("localStorage.getItem('welbevinden.session')")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", session)

    page.add_script_tag(url=f"{stack.web_url}/static/vendor/axe.min.js")
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})")
    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []

    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.set_viewport_size({"width": 320, "height": 640})
    launcher.click()
    expect(textbox(page)).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_clean(problems)


# ---------------------------------------------------------------- without a (working) Rasa


def test_unreachable_server_says_so(unreachable_rasa_url, web_for, new_page):
    page, problems = new_page()
    page.goto(f"{web_for(unreachable_rasa_url)}/chat?team=ABCDE-FGHJK")
    status = page.get_by_role("status").filter(has_text=UNAVAILABLE)
    expect(status).to_have_text(UNAVAILABLE, timeout=ANSWER_TIMEOUT_MS)
    # Typing still works; the message is kept and the notice stays.
    textbox(page).fill("hallo")
    textbox(page).press("Enter")
    expect(user_messages(page).last).to_have_text("hallo")
    expect(status).to_be_visible()
    assert problems.dialogs == [] and problems.errors == []


def test_hostile_bot_markdown_is_sanitised(fake_rasa, web_for, new_page):
    page, problems = new_page()
    page.goto(f"{web_for(fake_rasa)}/chat?team=ABCDE-FGHJK")
    expect(bot_messages(page)).to_have_count(2)

    first = bot_messages(page).first.locator(".wb-msg-body")
    expect(first.locator("strong")).to_have_text("Vet")
    expect(first.locator("em")).to_have_text("schuin")
    assert page.locator("#welbevinden-chat").locator("img, svg, script, iframe").count() == 0
    expect(first.get_by_role("link")).to_have_count(1)  # the javascript: link lost its href
    safe = first.get_by_role("link", name=re.compile("veilig"))
    expect(safe).to_have_attribute("href", "https://www.example.org/")
    expect(safe).to_have_attribute("target", "_blank")
    expect(safe).to_have_attribute("rel", "noopener noreferrer")
    expect(first).to_contain_text("gevaarlijk")
    # HTML in bot text is shown as text, never parsed.
    expect(first).to_contain_text("<img src=x onerror=alert(1)> <script>alert(2)</script>")
    # Button titles are text as well.
    expect(page.locator("button.wb-choice")).to_have_text("<b>Vet</b> <img src=x onerror=alert(3)>")

    # The team code goes with every message (the fake bot repeats it).
    textbox(page).fill("hallo")
    textbox(page).press("Enter")
    expect(bot_messages(page).last.locator(".wb-msg-body")).to_have_text("Ontvangen, team ABCDE-FGHJK.")
    page.wait_for_timeout(500)
    assert_clean(problems)


def test_empty_message_is_not_sent(fake_rasa, web_for, new_page):
    page, _ = new_page()
    page.goto(f"{web_for(fake_rasa)}/chat")
    expect(bot_messages(page)).to_have_count(2)
    expect(textbox(page)).to_have_attribute("maxlength", "2000")

    textbox(page).fill("   ")
    page.get_by_role("button", name="Verstuur").click()
    expect(page.locator(".wb-hint")).to_have_text("Typ eerst een bericht, of kies een van de knoppen.")
    expect(user_messages(page)).to_have_count(0)
    textbox(page).fill("h")
    expect(page.locator(".wb-hint")).to_have_text("")


def test_no_answer_within_ten_seconds(fake_rasa, web_for, new_page):
    page, _ = new_page()
    page.goto(f"{web_for(fake_rasa)}/chat")
    expect(bot_messages(page)).to_have_count(2)

    textbox(page).fill("stil")  # the fake bot does not answer this
    textbox(page).press("Enter")
    expect(page.locator(".wb-typing")).to_contain_text("De assistent typt…")
    page.wait_for_timeout(8_000)
    expect(page.get_by_role("status").filter(has_text=UNAVAILABLE)).to_have_count(0)  # not before 10 s
    expect(page.get_by_role("status").filter(has_text=UNAVAILABLE)).to_have_text(UNAVAILABLE, timeout=5_000)
    expect(page.locator(".wb-typing")).to_have_count(0)

    # The next answer clears the message again.
    textbox(page).fill("hallo")
    textbox(page).press("Enter")
    expect(bot_messages(page).last).to_contain_text("Ontvangen")
    expect(page.get_by_role("status").filter(has_text=UNAVAILABLE)).to_have_count(0)


@pytest.mark.rasa
def test_checkin_link_opens_the_checkin_once(stack, new_page):
    page, problems = new_page()
    page.goto(stack.member_url())  # the personal link from the weekly mail opens the check-in
    expect(bot_messages(page).last).to_contain_text("Doe je mee?", timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)
    asked = bot_messages(page).count()
    page.reload()
    wait_until_answered(page)
    page.wait_for_timeout(1500)
    assert bot_messages(page).count() == asked  # a reload does not start a second check-in
    assert_clean(problems)


@pytest.mark.rasa
def test_forget_me_on_a_shared_computer(stack, new_page):
    page, problems = new_page()
    stack.as_member(page)
    open_chat(page, stack.chat_url())
    for answer in ["ik wil inchecken", "ja", "4", "4", "4", "4", "4"]:
        say(page, answer)
    expect(log(page)).to_contain_text("zijn opgeslagen")
    before = page.evaluate("localStorage.getItem('welbevinden.session')")

    forget = page.get_by_role("button", name="Vergeet mij op deze computer")
    forget.click()
    page.get_by_role("button", name="Zeker weten? Klik nogmaals om te vergeten").click()
    expect(page.get_by_text("Je bent vergeten op deze computer")).to_be_visible()
    expect(bot_messages(page).first).to_contain_text("Welbevinden-assistent", timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)
    after = page.evaluate("localStorage.getItem('welbevinden.session')")
    assert after != before and re.fullmatch(r"[0-9a-f-]{36}", after)
    expect(log(page)).not_to_contain_text("zijn opgeslagen")  # the old conversation is gone

    # The next person at this computer cannot see the previous person's check-ins: the
    # personal link's token is gone from this browser too.
    assert page.evaluate("localStorage.getItem('welbevinden.member')") is None
    say(page, "hoe ging het de afgelopen weken?")
    expect(log(page)).to_contain_text("persoonlijke link")
    expect(log(page)).not_to_contain_text("Week ")
    assert_clean(problems)


def test_scan_page_starts_the_scan_once_and_sends_the_scan_token(
    fake_rasa, fake_rasa_received, web_for, coordinator_login, browser_settings, new_page
):
    from bot.services.scan import read_scan_token

    base = web_for(fake_rasa)
    page, problems = new_page()
    page.goto(f"{base}/dashboard/login")
    email, password = coordinator_login
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/dashboard/")
    page.get_by_role("link", name="Start de fundament-scan").click()
    page.wait_for_url(f"{base}/dashboard/fundament-scan")
    expect(bot_messages(page)).to_have_count(1)  # the answer to the start, no greeting
    token = page.locator("#welbevinden-chat").get_attribute("data-scan-token")
    school_id = read_scan_token(token, secret=browser_settings.scan_token_secret)
    assert school_id is not None

    # The scan runs in its own conversation, with a session id kept per tab.
    session = page.evaluate("sessionStorage.getItem('welbevinden.scan.session')")
    assert re.fullmatch(r"[0-9a-f-]{36}", session)
    assert page.evaluate("localStorage.getItem('welbevinden.session')") is None

    def received() -> list[dict]:
        return [m for m in fake_rasa_received if m.get("session_id") == session]

    assert [m["message"] for m in received()] == ["/fundament_scan_start"]
    time.sleep(1.1)  # the reload then signs a different token (its timestamp has whole seconds)
    page.reload()  # a reload shows the conversation again, without a second start
    expect(bot_messages(page)).to_have_count(1)
    textbox(page).fill("staat goed")
    textbox(page).press("Enter")
    expect(bot_messages(page)).to_have_count(2)
    assert [m["message"] for m in received()] == ["/fundament_scan_start", "staat goed"]
    # Every message carries a valid token for this school and nothing else (each page render
    # signs a fresh token, so the one after the reload may differ from the first).
    for m in received():
        assert set(m["customData"]) == {"scan_token"}
        assert read_scan_token(m["customData"]["scan_token"], secret=browser_settings.scan_token_secret) == school_id
    assert received()[-1]["customData"]["scan_token"] == page.locator("#welbevinden-chat").get_attribute(
        "data-scan-token"
    )
    token = received()[-1]["customData"]["scan_token"]

    # The token is in no address and in no storage.
    assert token not in page.url
    stored = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert token not in stored
    assert_clean(problems)
