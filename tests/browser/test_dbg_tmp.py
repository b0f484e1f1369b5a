import pytest
pytestmark = pytest.mark.browser

def test_dbg(stack, new_page):
    page, problems = new_page()
    page.on("console", lambda m: print("CONSOLE", m.type, m.text[:300]))
    page.on("request", lambda r: print("REQ", r.url[:120]) if "socket.io" in r.url else None)
    page.on("response", lambda r: print("RESP", r.status, r.url[:120]) if "socket.io" in r.url else None)
    page.goto(stack.chat_url())
    page.wait_for_timeout(8000)
    print(page.locator(".wb-msg").all_inner_texts())
    print(open(stack.settings.var_dir / "rasa.log").read()[-3000:])
