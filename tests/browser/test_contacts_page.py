"""The dashboard's "Hulp op school" page in a real browser: errors in Dutch at the field, saved, accessible."""

from __future__ import annotations

from tests.browser.test_dashboard import log_in, page, site  # noqa: F401 - fixtures

AXE = (
    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.help)"
)


def test_bad_input_is_refused_at_the_field_then_good_input_is_saved(page, site):  # noqa: F811
    log_in(page, site)
    page.get_by_role("link", name="Hulp op school").click()
    page.wait_for_url(f"{site.url}/dashboard/hulp")
    page.locator("#vertrouwenspersoon-name").fill("<script>alert(1)</script>")
    page.locator("#vertrouwenspersoon-phone").fill("12345")
    page.locator("#bedrijfsarts-url").fill("javascript:alert(1)")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_text("Er is niets opgeslagen").is_visible()
    assert (
        page.locator("#vertrouwenspersoon-phone-fout").inner_text().startswith("Dit is geen Nederlands telefoonnummer")
    )
    assert page.locator("#vertrouwenspersoon-phone").get_attribute("aria-invalid") == "true"
    assert "geen HTML" in page.locator("#vertrouwenspersoon-name-fout").inner_text()
    page.add_script_tag(url="/static/vendor/axe.min.js")
    assert page.evaluate(AXE) == []

    page.locator("#vertrouwenspersoon-name").fill("Anna de Vries")
    page.locator("#vertrouwenspersoon-name_agreed").check()
    page.locator("#vertrouwenspersoon-phone").fill("06-12345678")
    page.locator("#bedrijfsarts-url").fill("www.arbodienst.nl")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(f"{site.url}/dashboard/hulp")
    assert page.get_by_text("De contactgegevens zijn opgeslagen").is_visible()
    assert page.locator("#bedrijfsarts-url").input_value() == "https://www.arbodienst.nl"
    # The refused form is answered with status 400 (as every refused dashboard form); nothing else went wrong.
    assert [p for p in page.problems if "400" not in p] == []
