"""Rasa's HTTP API: only ever with JWT. `make run` refuses to enable it without a secret."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.servers import Stack, make_jwt

pytestmark = pytest.mark.rasa
SECRET = "x" * 48


def get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_enabled_api_requires_a_valid_jwt(tmp_path):
    stack = Stack(tmp_path, f"sqlite:///{tmp_path / 'app.db'}").start(
        with_actions=False, extra_rasa_args=("--enable-api", "--jwt-secret", SECRET, "--jwt-method", "HS256")
    )
    try:
        url = f"{stack.rasa_url}/conversations/someone/tracker"
        assert get(url) == 401
        assert get(url, make_jwt("wrong-secret" * 4)) == 401
        assert get(url, make_jwt(SECRET)) == 200
    finally:
        stack.stop()


def test_serve_refuses_api_without_a_secret(monkeypatch):
    from bot.serve import api_args

    monkeypatch.delenv("RASA_ENABLE_API", raising=False)
    assert api_args() == []
    monkeypatch.setenv("RASA_ENABLE_API", "true")
    monkeypatch.setenv("RASA_JWT_SECRET", "")
    with pytest.raises(SystemExit, match="RASA_JWT_SECRET"):
        api_args()
    monkeypatch.setenv("RASA_JWT_SECRET", SECRET)
    assert api_args() == ["--enable-api", "--jwt-secret", SECRET, "--jwt-method", "HS256"]
