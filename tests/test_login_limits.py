"""Login limits behind a reverse proxy: keyed on address and e-mail, so nobody locks others out.

- The client address comes from X-Forwarded-For only for TRUSTED_PROXIES hops.
- One address and one account: 5 failures a minute, then a Dutch page with the wait.
- One address and many accounts: 20 failures in 10 minutes, then only that address waits.
- One account from many addresses: no lock at all for the coordinator's own address.
"""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask

from bot.backend import Backend
from bot.services.coordinators import create_coordinator
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.dashboard import wait_words

PASSWORD = "correct-horse-battery"
WRONG = "wrong-password-1"


@pytest.fixture
def coordinators(backend: Backend) -> None:
    create_coordinator(backend.uow(), "School A", "a@example.org", PASSWORD)
    create_coordinator(backend.uow(), "School B", "b@example.org", PASSWORD)


def app_for(settings: Settings, backend: Backend | None = None) -> Flask:
    app = create_app(settings, backend)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(backend: Backend, coordinators) -> Flask:
    return app_for(backend.settings, backend)


@pytest.fixture
def proxied(backend: Backend, coordinators) -> Flask:
    """The web app behind one reverse proxy (TRUSTED_PROXIES=1), as in deploy/."""
    settings = backend.settings.with_changes(trusted_proxies=1)
    return app_for(settings, Backend(settings, backend.database))


def attempt(app: Flask, email: str, password: str = WRONG, address: str = "127.0.0.1", forwarded: str | None = None):
    """One login from a fresh browser at ``address`` (the TCP peer) with an optional X-Forwarded-For."""
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/dashboard/login", environ_base={"REMOTE_ADDR": address}, headers=headers)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/dashboard/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_a_guesser_of_one_account_waits_but_its_coordinator_logs_in_elsewhere(app):
    statuses = [attempt(app, "a@example.org", address="10.0.0.66").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    locked = attempt(app, "A@example.org", PASSWORD, address="10.0.0.66")
    assert locked.status_code == 429  # even the right password waits, from that address
    page = text(locked)
    assert re.search(r"Er is te vaak een verkeerd wachtwoord ingevuld\. Wacht nog (\d+ seconden|1 minuut) en", page)
    assert "Vraag de beheerder van de assistent om een nieuw wachtwoord" in page
    assert 1 <= int(locked.headers["Retry-After"]) <= 61
    # The coordinator behind the account, at their own address, is not locked out; nor is anyone else.
    assert attempt(app, "a@example.org", PASSWORD, address="10.0.0.7").status_code == 302
    assert attempt(app, "b@example.org", PASSWORD, address="10.0.0.66").status_code == 302


def test_one_address_trying_many_accounts_waits_alone(app):
    statuses = [attempt(app, f"x{i}@example.org", address="10.0.0.66").status_code for i in range(21)]
    assert statuses == [200] * 20 + [429]
    assert "Wacht nog" in text(attempt(app, "b@example.org", PASSWORD, address="10.0.0.66"))
    # Every coordinator elsewhere still logs in.
    assert attempt(app, "a@example.org", PASSWORD, address="10.0.0.7").status_code == 302
    assert attempt(app, "b@example.org", PASSWORD, address="10.0.0.8").status_code == 302


def test_nobody_can_lock_a_named_coordinator_out_from_everywhere(app):
    for i in range(30):  # thirty addresses, each failing five times on the same account
        assert [attempt(app, "a@example.org", address=f"10.1.0.{i}").status_code for _ in range(5)] == [200] * 5
    assert attempt(app, "a@example.org", PASSWORD, address="10.0.0.7").status_code == 302


def test_logins_that_work_do_not_count(app):
    assert all(attempt(app, "a@example.org", PASSWORD).status_code == 302 for _ in range(8))
    assert attempt(app, "a@example.org").status_code == 200  # still allowed to fail


def test_without_trusted_proxies_a_forwarded_address_is_ignored(app):
    """TRUSTED_PROXIES=0 (the default): X-Forwarded-For is whatever a client wants, so not believed."""
    for i in range(5):
        attempt(app, "a@example.org", forwarded=f"203.0.113.{i}")
    assert attempt(app, "a@example.org", PASSWORD, forwarded="203.0.113.99").status_code == 429


def test_behind_the_proxy_each_client_is_counted_as_itself(proxied):
    proxy = "127.0.0.1"  # every request reaches the web app from the proxy's address
    statuses = [attempt(proxied, "a@example.org", address=proxy, forwarded="203.0.113.5").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # Another client through the same proxy is not affected: not locked out "because of the proxy".
    assert attempt(proxied, "a@example.org", PASSWORD, address=proxy, forwarded="198.51.100.7").status_code == 302


def test_a_client_cannot_choose_its_address_through_the_proxy(proxied):
    """The proxy appends the real client; only that last entry is believed, what the client sent before is not."""
    for i in range(5):
        attempt(proxied, "a@example.org", forwarded=f"10.9.9.{i}, 203.0.113.5")
    assert attempt(proxied, "a@example.org", PASSWORD, forwarded="10.9.9.77, 203.0.113.5").status_code == 429


def test_the_wait_is_said_in_dutch():
    assert [wait_words(s) for s in (0.2, 1, 2, 59.5, 61, 600, 3599, 3600, 7200)] == [
        "1 seconde",
        "1 seconde",
        "2 seconden",
        "1 minuut",
        "2 minuten",
        "10 minuten",
        "1 uur",
        "1 uur",
        "2 uur",
    ]


def test_with_redis_the_login_limits_are_shared_between_workers(backend, coordinators, monkeypatch):
    """Two app instances (two waitress processes in production) count failures together."""
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    settings = backend.settings.with_changes(redis_url=url)
    workers = [app_for(settings, Backend(settings, backend.database)) for _ in range(2)]  # as two processes
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    statuses = [attempt(workers[i % 2], "a@example.org", address=address).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
    statuses = [
        attempt(workers[i % 2], f"{uuid.uuid4().hex}@example.org", address=address + "1").status_code for i in range(21)
    ]
    assert statuses == [200] * 20 + [429]
