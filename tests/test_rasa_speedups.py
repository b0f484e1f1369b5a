"""The jsonschema speed-up keeps Rasa's check of action-server responses intact."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups


@pytest.fixture
def action() -> RemoteAction:
    rasa_speedups.install()
    return RemoteAction("action_checkin_submit", None)


def test_installed_when_rasa_loads_our_channels():
    import bot.rasa_channels  # noqa: F401 - importing installs the speed-up

    assert RemoteAction._validate_action_result is rasa_speedups.validate_action_result


def test_valid_response_passes(action):
    ok = {"events": [{"event": "slot", "name": "team", "value": "x"}], "responses": [{"text": "Dank je!"}]}
    assert action._validate_action_result(ok) is True
    assert action._validate_action_result({}) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"events": "not a list"},
        {"responses": [{"text": 3}], "events": [{"event": 1}]},
        {"events": [{"name": "no event key"}]},
    ],
)
def test_invalid_response_raises_like_rasa(action, bad):
    with pytest.raises(jsonschema.ValidationError) as ours:
        action._validate_action_result(bad)
    assert "Failed to validate Action server response" in ours.value.message
    # Same verdict as the original, uncached jsonschema.validate call.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, RemoteAction.action_response_format_spec())


def test_schema_is_checked_once():
    rasa_speedups.response_validator.cache_clear()
    first = rasa_speedups.response_validator()
    assert rasa_speedups.response_validator() is first
