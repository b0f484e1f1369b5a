"""A measured speed-up for Rasa 3.6, installed when Rasa imports our channels (bot/rasa_channels.py).

Rasa checks every action-server response with ``jsonschema.validate(result, schema)``. That
function first validates the *schema* against the JSON-Schema meta-schema, on every call;
with jsonschema 4.17 this took about half of Rasa's CPU time under load (profiled with
py-spy, see docs/BENCHMARKS.md). Here the same schema is checked once and its validator
reused: every response is still validated, and an invalid one raises the same error.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for ``RemoteAction._validate_action_result`` with a validator built once."""
    error = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result


__all__ = ["ValidationError", "install", "response_validator", "validate_action_result"]
