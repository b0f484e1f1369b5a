"""The hardened action server: loopback only, shared secret, no request echo on errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.servers import Stack

CANARY = "CANARY-7f3a-geheim-bericht"


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("actions")
    stack = Stack(var_dir, f"sqlite:///{var_dir / 'app.db'}").start(with_rasa=False)
    yield stack
    stack.stop()


def post(url: str, body: bytes, token: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Action-Token"] = token
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def action_call(action: str) -> bytes:
    tracker = {
        "sender_id": "x",
        "slots": {},
        "latest_message": {"text": CANARY, "intent": {}},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    }
    return json.dumps(
        {"next_action": action, "sender_id": "x", "tracker": tracker, "domain": {"responses": {}}, "version": "3.6.2"}
    ).encode()


def test_health_needs_no_token(action_server):
    with urllib.request.urlopen(f"{action_server.action_url}/health", timeout=5) as response:
        assert response.status == 200


def test_call_without_or_with_wrong_token_is_refused(action_server):
    for token in (None, "", "wrong"):
        status, body = post(f"{action_server.action_url}/webhook", action_call("action_tel_onderwerp"), token)
        assert status == 401
        assert CANARY not in body


def test_call_with_the_shared_token_runs(action_server):
    token = action_server.env["ACTION_SERVER_TOKEN"]
    status, body = post(f"{action_server.action_url}/webhook", action_call("action_tel_onderwerp"), token)
    assert status == 200
    assert "events" in json.loads(body)


def test_a_body_orjson_refuses_is_read_as_json_reads_it(action_server):
    token = action_server.env["ACTION_SERVER_TOKEN"]
    call = json.loads(action_call("action_tel_onderwerp"))
    call["tracker"]["latest_message"]["intent"] = {"name": "kennis", "confidence": float("nan")}
    status, body = post(f"{action_server.action_url}/webhook", json.dumps(call).encode(), token)
    assert status == 200 and "events" in json.loads(body)
    for broken in (b"", b"{", b"[1, 2]", b"\xff\xfe"):
        assert post(f"{action_server.action_url}/webhook", broken, token)[0] == 400


def test_errors_never_echo_the_request(action_server):
    token = action_server.env["ACTION_SERVER_TOKEN"]
    status, body = post(
        f"{action_server.action_url}/webhook", b'{"next_action": 5, "tracker": "' + CANARY.encode() + b'"}', token
    )
    assert status >= 400
    assert CANARY not in body


def _non_loopback_address() -> str | None:
    import subprocess

    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def test_not_reachable_from_other_hosts(action_server):
    import socket

    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to test against")
    port = int(action_server.action_url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex((address, port)) != 0, f"action server answers on {address}:{port}"


def test_every_action_that_reads_the_domain_is_sent_it():
    """endpoints.yml turns on Rasa's selective domain: only actions marked `send_domain: true`
    get the domain. action_kennis_vervolg reads the responses from it; the form validators know
    their form's slots, exactly as domain/ lists them, so they need none; every other action
    must do without (it gets an empty domain)."""
    import inspect

    import yaml
    from rasa.shared.core.domain import Domain
    from rasa_sdk import FormValidationAction

    from actions import all_actions
    from actions.forms import KnownFormSlots
    from bot.settings import PROJECT_ROOT

    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True
    domain = Domain.load(str(PROJECT_ROOT / "domain"))
    sent = set(domain._actions_which_explicitly_need_domain)
    reads, validators = set(), {}
    for cls in all_actions():
        action = cls.__new__(cls)
        if "domain.get(" in inspect.getsource(cls) or (
            issubclass(cls, FormValidationAction) and not issubclass(cls, KnownFormSlots)
        ):
            reads.add(action.name())
        if issubclass(cls, KnownFormSlots):
            validators[action.form_name()] = action.domain_slots({})
    assert reads == sent == {"action_kennis_vervolg"}
    assert validators == {name: form["required_slots"] for name, form in domain.forms.items()}
