"""Measured speed-ups for Rasa 3.6, installed when Rasa imports our channels (bot/rasa_channels.py).

Both were found by profiling Rasa under load with py-spy (docs/BENCHMARKS.md):

1. Rasa checks every action-server response with ``jsonschema.validate(result, schema)``, which
   first validates the *schema* against the JSON-Schema meta-schema, on every call; with
   jsonschema 4.17 that was about half of Rasa's CPU time. Here the schema is checked once and
   its validator reused: every response is still validated, an invalid one raises the same error.
2. The SQL tracker store on a SQLite file (the single-server default) opened a new database
   connection for every read and write (SQLAlchemy 1.4 gives SQLite files no pool) in the
   default rollback-journal mode. Here it keeps a small pool of connections in WAL mode with
   ``synchronous=NORMAL``, as our own database does (bot/storage/db.py). PostgreSQL is untouched.
3. Once the model is loaded, its millions of long-lived Python objects are moved out of the
   garbage collector's reach (``gc.freeze()``): otherwise every full collection walks them all
   and stalls every conversation in flight for a few hundred milliseconds, which showed as the
   p95 tail of users with think time.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
import time
from functools import lru_cache
from typing import Any

import rasa.core.run as rasa_run
import rasa.core.tracker_store as tracker_store
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from bot.storage.db import SQLITE_BUSY_TIMEOUT_S

logger = logging.getLogger(__name__)

_rasa_engine_kwargs = tracker_store.create_engine_kwargs
_rasa_load_agent_on_start = rasa_run.load_agent_on_start


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


def tracker_engine_kwargs(url: Any) -> dict[str, Any]:
    """``create_engine`` options for the tracker store: a connection pool for SQLite files."""
    parsed = make_url(str(url)) if not hasattr(url, "get_backend_name") else url
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return _rasa_engine_kwargs(url)
    return {
        "poolclass": QueuePool,
        "pool_size": 5,
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    }


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL and synchronous=NORMAL on every new SQLite connection of this process."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Rasa's ``load_agent_on_start``, then one full collection and ``gc.freeze()``."""
    agent = await _rasa_load_agent_on_start(*args, **kwargs)
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.info(
        "Model loaded: %d objects frozen out of garbage collection in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )
    return agent


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    rasa_run.load_agent_on_start = load_agent_then_freeze
    tracker_store.create_engine_kwargs = tracker_engine_kwargs
    if not event.contains(Engine, "connect", sqlite_pragmas):
        event.listen(Engine, "connect", sqlite_pragmas)


__all__ = ["ValidationError", "install", "response_validator", "tracker_engine_kwargs", "validate_action_result"]
