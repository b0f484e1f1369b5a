"""The scale-out path behind a real reverse proxy: Debian's nginx with deploy/nginx/.

nginx (its own configuration in a temporary directory, on a free port) runs the shipped
upstream and location files in front of two Rasa processes, two action servers and the web
app, each started with the command of its systemd unit (``python -m bot run NAME``), on
PostgreSQL (tracker store and application database, a schema each) and Redis (lock store,
login limits). Chromium drives the widget through nginx:

* a check-in through a personal link, whose Socket.IO connection sits on one Rasa process
  until that process is killed: the widget reconnects through nginx to the other one and
  the same conversation finishes the check-in, stored once with every answer;
* the dashboard's login limit counts per client behind the proxy (X-Forwarded-For from nginx,
  TRUSTED_PROXIES=1), and a client cannot escape it by sending its own X-Forwarded-For.

nginx is installed by ``make nginx`` (part of ``make test``); without it the test is skipped.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import make_engine
from tests.conftest import _drop_postgres_schema, _fresh_postgres_schema
from tests.servers import ROOT, Stack, free_port, team_with_roster
from tests.test_scale_out import REDIS, redis_available

pytestmark = [pytest.mark.rasa, pytest.mark.browser]

DEPLOY_NGINX = ROOT / "deploy" / "nginx"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
#: The ports deploy/nginx/ and deploy/systemd/ use, replaced by free ones here.
SHIPPED_PORTS = {"rasa": (5005, 5006), "actions": (5055, 5056), "web": (8000,), "actions_lb": (5050,)}
ANSWER_TIMEOUT_MS = 20_000


def render_upstreams(ports: dict[int, int]) -> str:
    """deploy/nginx/welbevinden-upstreams.conf with the test's ports instead of the shipped ones."""
    shipped = (DEPLOY_NGINX / "welbevinden-upstreams.conf").read_text(encoding="utf-8")
    rendered = re.sub(r"127\.0\.0\.1:(\d+)", lambda m: f"127.0.0.1:{ports[int(m.group(1))]}", shipped)
    assert all(f":{port}" not in rendered for port in ports), "every shipped port replaced"
    return rendered


class Nginx:
    """nginx in the foreground with the shipped upstreams and locations, everything else in ``root``."""

    def __init__(self, root: Path, ports: dict[int, int], listen: int) -> None:
        self.root, self.url = root, f"http://127.0.0.1:{listen}"
        root.mkdir(parents=True, exist_ok=True)
        (root / "welbevinden-upstreams.conf").write_text(render_upstreams(ports), encoding="utf-8")
        temp = "\n".join(
            f"    {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (root / "nginx.conf").write_text(
            f"""
worker_processes 1;
pid {root / "nginx.pid"};
error_log {root / "error.log"} info;
events {{ worker_connections 512; }}
http {{
{temp}
    # nginx's workers (nobody) cannot write in this directory: keep bodies in memory instead.
    proxy_max_temp_file_size 0;
    client_body_buffer_size 1m;
    include {root / "welbevinden-upstreams.conf"};
    server {{
        listen 127.0.0.1:{listen};
        server_name _;
        access_log {root / "access.log"} welbevinden;
        include {DEPLOY_NGINX / "welbevinden-locations.conf"};
    }}
}}
""",
            encoding="utf-8",
        )
        args = [NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log")]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen([*args, "-g", "daemon off;"], stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", listen)) == 0:
                    return
            assert self.process.poll() is None, self.errors()
            time.sleep(0.1)
        raise TimeoutError(f"nginx did not listen on {listen}:\n{self.errors()}")

    def access_log(self) -> str:
        return (self.root / "access.log").read_text(errors="replace")

    def errors(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def socket_io_upstreams(self) -> list[str]:
        """The Rasa process (host:port) that answered each finished /socket.io/ request, in order.

        When nginx had to try more than one, $upstream_addr lists them all: the last one answered.
        """
        tried = re.findall(r" /socket\.io/ \d{3} \d+ upstream=([^, ]+(?:, [^, ]+)*) ", self.access_log())
        return [addresses.split(", ")[-1] for addresses in tried]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def rest(url: str, sender: str, message: str) -> None:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60):
        pass


@pytest.fixture(scope="module")
def proxied(postgres_url, tmp_path_factory):
    """nginx in front of 2 Rasa, 2 action servers and the web app, on PostgreSQL and Redis."""
    if NGINX is None:
        pytest.skip("nginx is not installed: `make nginx` installs Debian's nginx (make test does)")
    if not redis_available():
        pytest.skip(f"Redis not reachable at {REDIS[0]}:{REDIS[1]}: the proxy test needs the Redis lock store")
    schemas = [_fresh_postgres_schema(postgres_url) for _ in range(2)]
    (_, app_url), (_, tracker_url) = schemas
    tmp = tmp_path_factory.mktemp("nginx")
    ports = {shipped: free_port() for group in SHIPPED_PORTS.values() for shipped in group}
    listen = free_port()
    public = f"http://127.0.0.1:{listen}"
    (tmp / "var").mkdir()
    stack = Stack(tmp / "var", app_url)
    nginx = None
    try:
        stack.start(
            with_rasa=False,
            with_actions=False,
            extra_env={
                "TRACKER_DB_URL": tracker_url,
                "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
                "ACTION_SERVER_URL": f"http://127.0.0.1:{ports[5050]}/webhook",
                "RASA_URL": public,
                "PUBLIC_BASE_URL": public,
                "TRUSTED_PROXIES": "1",
                "DEMO_DATA": "false",
                "PYTHONUNBUFFERED": "1",
            },
        )
        rasa = {ports[p]: stack.start_service("rasa", ports[p], wait=False) for p in SHIPPED_PORTS["rasa"]}
        for p in (*SHIPPED_PORTS["actions"], *SHIPPED_PORTS["web"]):
            stack.start_service("actions" if p != 8000 else "web", ports[p], wait=False)
        stack.wait_all()
        nginx = Nginx(tmp / "nginx", ports, listen)
        # Warm up TensorFlow in both Rasa processes, so the widget's 10-second limit holds.
        warm = [
            threading.Thread(target=rest, args=(f"http://127.0.0.1:{port}", f"warm-{uuid.uuid4()}", message))
            for port in rasa
            for message in ("hallo", "wat is amplitie?")
        ]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join(timeout=120)
        yield stack, nginx, rasa
    finally:
        if nginx is not None:
            nginx.stop()
        stack.stop()
        for schema, _url in schemas:
            _drop_postgres_schema(postgres_url, schema)


@pytest.fixture(scope="module")
def page(proxied):
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="nl-NL")
        context.set_default_timeout(15_000)
        errors: list[str] = []
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        browser.close()


def test_a_checkin_survives_its_rasa_process_going_away(proxied, page):
    from playwright.sync_api import expect

    from tests.browser.test_widget import bot_messages, click_choice, say, wait_until_answered

    stack, nginx, rasa = proxied
    page, errors = page
    _team, [teacher] = team_with_roster(stack, "Proxy school", "Team", ["proxy-teacher@school.nl"])

    page.goto(f"{nginx.url}/c/{teacher.token}")  # the personal link, through nginx
    expect(bot_messages(page).last).to_contain_text("Doe je mee?", timeout=ANSWER_TIMEOUT_MS)
    wait_until_answered(page)
    click_choice(page, "Ja, ik doe mee")
    expect(bot_messages(page).last).to_contain_text("Vraag 1 van 5")
    click_choice(page, "4")
    expect(bot_messages(page).last).to_contain_text("Vraag 2 van 5")
    click_choice(page, "2")
    expect(bot_messages(page).last).to_contain_text("Vraag 3 van 5")

    # Sticky: every Socket.IO request so far went to one Rasa process. Kill that one.
    used = set(nginx.socket_io_upstreams())
    assert len(used) == 1, used
    [first] = used
    victim = rasa[int(first.rsplit(":", 1)[1])]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    page.wait_for_timeout(500)

    say(page, "5")  # typed after the crash: the widget reconnects through nginx and sends it
    expect(bot_messages(page).last).to_contain_text("Vraag 4 van 5", timeout=ANSWER_TIMEOUT_MS)
    click_choice(page, "3")
    expect(bot_messages(page).last).to_contain_text("Laatste vraag")
    click_choice(page, "4")
    expect(page.get_by_role("log")).to_contain_text("zijn opgeslagen")
    expect(page.get_by_role("status").filter(has_text="niet bereikbaar")).to_have_count(0)
    assert errors == []

    # The conversation's messages landed on both processes, and the state went along.
    others = [f"127.0.0.1:{port}" for port in rasa if f"127.0.0.1:{port}" != first]
    assert set(nginx.socket_io_upstreams()) == {first, *others}
    with make_engine(stack.database_url).connect() as conn:
        rows = conn.execute(
            text("SELECT person_key, energie, werkdruk, verbinding, waardering, plezier FROM checkins")
        ).all()
    assert [tuple(r) for r in rows] == [(teacher.person_key, 4, 2, 5, 3, 4)]  # stored once, every answer
    assert teacher.token not in nginx.access_log()  # a personal link is never logged


class Client:
    """A browser-like HTTP client from its own loopback address (127.x.y.z), with cookies."""

    def __init__(self, base: str, address: str) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port, self.address = parsed.hostname, parsed.port, address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(self.address, 0))
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        sent = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        page = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        conn.close()
        return response.status, page

    def login(self, email: str, password: str, headers: dict | None = None) -> int:
        status, page = self.request("GET", "/dashboard/login")
        assert status == 200
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form = {"csrf_token": token, "email": email, "password": password}
        return self.request("POST", "/dashboard/login", form, headers)[0]


def test_the_login_limit_counts_per_client_behind_the_proxy(proxied):
    from bot.services.coordinators import create_coordinator

    stack, nginx, _rasa = proxied
    email, password = f"coordinator-{uuid.uuid4().hex[:8]}@school.nl", "the right password, long enough"
    backend = stack.backend()
    try:
        create_coordinator(backend.uow(), "Proxy school", email, password)
    finally:
        backend.database.dispose()
    net = f"127.{random.randint(1, 250)}.{random.randint(1, 250)}"  # fresh addresses: Redis keeps counts
    guesser, coordinator = Client(nginx.url, f"{net}.2"), Client(nginx.url, f"{net}.3")

    statuses = [guesser.login(email, f"wrong guess {i}") for i in range(5)]
    assert 429 not in statuses and 302 not in statuses
    assert guesser.login(email, "wrong guess 6") == 429
    # A client that claims to be someone else is still itself: nginx appends the real address.
    assert guesser.login(email, password, headers={"X-Forwarded-For": "203.0.113.7"}) == 429
    # The coordinator, from their own address through the same proxy, is not locked out.
    assert coordinator.login(email, password) == 302
