"""Measured speed-ups of Rasa 3.6's hot path, installed when Rasa imports our channels.

Each one was found by profiling a Rasa process under load with py-spy and is measured as an
A/B in every ``make bench`` run (docs/BENCHMARKS.md, "ours without <name>"); one that did
not pay there was taken out again: ``graph_plan`` (a cached task plan of Rasa's graph runner),
and, once the tracker cache and action calls without the domain left them nothing to save,
``gc_freeze`` (the loaded model out of the garbage collector's reach), ``event_classes``
(Rasa's event classes looked up once), ``action_session`` (one keep-alive HTTP session to the
action server, orjson for the body) and ``domain_json`` (the domain encoded once per model):
in two runs each was at or below the difference between two identical processes.
Each replaces one or two Rasa functions (``PATCHES``) and is installed only when they are the ones
it was written for: Rasa 3.6 and the same signature. Otherwise it switches itself off with a warning and Rasa
runs that part as shipped. ``RASA_SPEEDUPS=0`` switches all off, ``RASA_SPEEDUPS_OFF=a,b``
some (the A/B of the benchmark, and a kill switch after an upgrade).

- ``validation``: Rasa checks every action-server reply against its response schema with
  ``jsonschema.validate``, which first re-checks the schema itself, then tries every event
  against all 23 event schemas (``oneOf``). Here the schema is checked once and each event is
  validated against the one schema of its own type (the 23 differ in their ``event`` constant,
  so that is the same verdict), each schema compiled to a Python function by fastjsonschema;
  an invalid reply raises jsonschema's error, the same as before.
- ``sqlite_pool``: the SQL tracker store on a SQLite file opened a new connection for every read
  and write, in rollback-journal mode. Here it keeps a small pool of connections in WAL mode
  with ``synchronous=NORMAL``, with our own database's options (bot/storage/db.py).
- ``tracker_count``: before writing a tracker, the SQL tracker store counted, with one more
  query, how many of its events the database already holds. That number is the number of events
  it has just read (or last wrote) for this conversation; here it is remembered on the tracker
  object, and the query is only made once for a tracker the store did not read itself (a new
  conversation's first write).
- ``tracker_cache``: every message read all events of its conversation from the tracker store
  and replayed them into a new tracker, and every write added one ORM object per event. Here the
  store writes the new events in one multi-row insert and keeps the tracker it wrote (at most
  ``CACHE_SIZE`` conversations); the next read of that conversation returns it after one small
  indexed query shows the database holds exactly the rows it held then (count and highest id:
  a write by another Rasa process, a purge or a deletion changes them). A tracker that changed
  without being written, or that was read from the database more than ``CACHE_MAX_AGE_S`` ago,
  is read as Rasa reads it. After a session starts (every new conversation's first message) the
  store keeps what Rasa's read would return, only that session's events, replayed in memory.
- ``rule_text``: RulePolicy looked for a rule twice per prediction after a message, once with the
  message's text in place of its intent (for end-to-end rules) and once with its intent; each
  search builds the states of the whole conversation. Our rules are all written on intents, so
  the search by text can find nothing; here it is skipped when, read from the trained rules,
  no rule could match a message by its text (``text_can_match``), and done as before otherwise.
- ``graph_runner``: Rasa runs the NLU pipeline and the policies of every message as a task graph
  through dask's scheduler, which orders, schedules and bookkeeps the dozen nodes anew each
  time (about a tenth of the process's CPU under load). Here the nodes a set of targets needs
  are put in one fixed dependency order once, then called one after another with the outputs
  of the nodes they need: the same calls with the same inputs, in one thread as dask's
  synchronous scheduler runs them, without the scheduling.
- ``tracker_copy``: before running each action Rasa copies the conversation's tracker by
  replaying every one of its events into a new tracker. Here the copy takes the tracker's state
  as it stands (the state those events lead to): the same slots (each its own copy), events,
  active loop and latest message, action and bot utterance, and what a replayed copy leaves
  unset (model and assistant id, message source) unset.
- ``form_tracker``: a form builds, for its validation and for asking the next slot, a tracker by
  replaying every event of the conversation into a new one, twice per message in a form. Here it
  starts from a state copy (as ``tracker_copy``) and adds only the form's own events; Rasa's way is
  kept after a restart (its tracker holds only the events since) or when the conversation's slots
  are not the domain's.
- ``domain_empty``: before looking at each message's intent, Rasa checks that its domain is not
  empty by turning the whole domain (every response) and a new empty domain into dicts and
  comparing them. A domain with a response, a custom action or a form is not empty, whatever
  else it holds; that is checked first, and only a domain with none of them is compared Rasa's way.
- ``domain_load`` (start-up only, so measured on the model's load time, not in the throughput
  A/B): loading a model read the domain Rasa itself wrote into it three times (to see that it is
  a domain file, to validate it against the domain schema, to build it) and validated the schema
  with pykwalify, ~2 s of every start. Here the file is read once and built as Rasa builds it; a
  persisted domain with anything beside its one ``domain.yml`` is loaded as Rasa loads it.
"""

from __future__ import annotations

import dataclasses
import graphlib
import inspect
import itertools
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import fastjsonschema
import rasa
import rasa.core.tracker_store as tracker_store
import rasa.shared.utils.io as rasa_io
import sqlalchemy as sa
from fastjsonschema import JsonSchemaException
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bot.storage.db import sqlite_file_options, sqlite_pragmas

logger = logging.getLogger(__name__)

#: The Rasa release line every patch below was written for and checked against.
RASA_LINE = "3.6."


# -- validation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseValidator:
    """Rasa's action-server response schema, checked once, each event against its own type's schema."""

    full: Any  # the whole schema (jsonschema): the slow path that gives Rasa's own error
    top: Callable[[Any], Any]  # the schema without the per-event part (compiled: raises when invalid)
    item: Callable[[Any], Any]  # what every event must be (an object with an "event" string)
    by_type: dict[str, Callable[[Any], Any]]  # event type -> that type's schema, compiled

    def first_error(self, result: Any) -> ValidationError | None:
        if self._valid(result):
            return None
        return best_match(self.full.iter_errors(result))

    def _valid(self, result: Any) -> bool:
        try:
            self.top(result)
            for item in (result.get("events") if isinstance(result, dict) else None) or []:
                self.item(item)
                check = self.by_type.get(item.get("event"))
                if check is None:
                    return False
                check(item)
        except JsonSchemaException:
            return False
        return True


@lru_cache(maxsize=1)
def response_validator() -> ResponseValidator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    items = schema["properties"]["events"]["items"]
    branches = items["oneOf"]
    top = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    item = {k: v for k, v in items.items() if k != "oneOf"}
    by_type = {branch["properties"]["event"]["const"]: compile_schema(branch) for branch in branches}
    if len(by_type) != len(branches):  # two schemas for one event type: dispatching would differ
        raise ValueError("event schemas are not told apart by their event constant")
    return ResponseValidator(cls(schema), compile_schema(top), compile_schema(item), by_type)


def compile_schema(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """``schema`` as one Python function, ~15x faster than jsonschema's ``is_valid``. fastjsonschema
    reads a schema without ``$schema`` as draft 2019-09 (its newest), jsonschema as 2020-12; the
    keywords of Rasa's schema (type, properties, patternProperties, required, const, items, oneOf)
    mean the same in both, and tests/test_rasa_speedups.py checks the verdicts agree."""
    return fastjsonschema.compile(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for ``RemoteAction._validate_action_result``: same verdict, same error."""
    error = response_validator().first_error(result)
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


# -- sqlite_pool ------------------------------------------------------------------------------

_rasa_engine_kwargs = tracker_store.create_engine_kwargs


def tracker_engine_kwargs(url: Any) -> dict[str, Any]:
    """``create_engine`` options for the tracker store: a connection pool for SQLite files."""
    parsed = make_url(str(url)) if not hasattr(url, "get_backend_name") else url
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return _rasa_engine_kwargs(url)
    if not event.contains(Engine, "connect", sqlite_pragmas):
        event.listen(Engine, "connect", sqlite_pragmas)
    return sqlite_file_options()


# -- tracker_count ----------------------------------------------------------------------------

_rasa_sql_retrieve = tracker_store.SQLTrackerStore._retrieve
_rasa_additional_events = tracker_store.SQLTrackerStore._additional_events
STORED = "_welbevinden_stored_events"  # attribute on a tracker: (store id, events stored)


async def remembering_retrieve(
    self: tracker_store.SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
) -> Any:
    """Drop-in for ``SQLTrackerStore._retrieve`` that notes how many events it read."""
    tracker = await _rasa_sql_retrieve(self, sender_id, fetch_events_from_all_sessions)
    if tracker is not None and not fetch_events_from_all_sessions:  # the latest session: what save counts
        setattr(tracker, STORED, (id(self), len(tracker.events)))
    return tracker


def remembered_additional_events(self: tracker_store.SQLTrackerStore, session: Any, tracker: Any) -> Any:
    """Drop-in for ``SQLTrackerStore._additional_events``: the events after those already stored."""
    if self.max_event_history is not None:
        return _rasa_additional_events(self, session, tracker)
    stored = getattr(tracker, STORED, None)
    if stored is None or stored[0] != id(self):  # Rasa's count, once per tracker (built once)
        query = statements(self.SQLEvent.__table__).since_session
        stored = (id(self), session.execute(query, {"sender_id": tracker.sender_id}).scalar_one())
    new = list(itertools.islice(tracker.events, stored[1], len(tracker.events)))
    setattr(tracker, STORED, (id(self), len(tracker.events)))
    return iter(new)


# -- tracker_cache ----------------------------------------------------------------------------

_rasa_sql_retrieve_latest = tracker_store.SQLTrackerStore.retrieve
_rasa_sql_save = tracker_store.SQLTrackerStore.save
CACHE_SIZE = 256  # conversations kept per store (those of the last minutes): tens of MB
CACHE_MAX_AGE_S = 300.0  # a cached tracker is read from the database again at least this often
READ_AT = "_welbevinden_read_at"  # attribute on a tracker: when cached_retrieve read it from the database


@dataclass
class _Cached:
    tracker: Any
    events: int  # len(tracker.events) when it was saved: more means changed and not saved
    stored: tuple[int, int | None]  # (rows, highest id) of the conversation in the database then


_trackers: OrderedDict[tuple[int, str], _Cached] = OrderedDict()


@dataclass(frozen=True)
class Statements:
    """The tracker store's hot-path SQL, built once per events table: a statement built anew for
    every call costs SQLAlchemy more than running it (~0.6 ms per message on SQLite here)."""

    stored_rows: Any  # count and highest id of a conversation's rows
    insert: Any  # one events row (executed with a list: a multi-row insert)
    since_session: Any  # rows since the latest session start, as Rasa's _additional_events counts them


@cache
def statements(table: sa.Table) -> Statements:
    sender = sa.bindparam("sender_id")
    start = (
        sa.select(sa.func.max(table.c.timestamp))
        .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    since = sa.select(sa.func.count()).where(
        table.c.sender_id == sender, sa.or_(table.c.timestamp >= start, start.is_(None))
    )
    return Statements(
        sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(table.c.sender_id == sender),
        table.insert(),
        since,
    )


def _stored_rows(self: tracker_store.SQLTrackerStore, session: Any, sender_id: str) -> tuple[int, int | None]:
    """How many event rows the conversation has, and the highest id: any write or delete changes it."""
    rows, highest = session.execute(statements(self.SQLEvent.__table__).stored_rows, {"sender_id": sender_id}).one()
    return int(rows), highest


async def cached_retrieve(self: tracker_store.SQLTrackerStore, sender_id: str) -> Any:
    """Drop-in for ``SQLTrackerStore.retrieve``: the tracker this process last saved, while the
    database holds exactly what it held then (one small indexed query instead of reading every
    event and replaying it); otherwise, and at least every ``CACHE_MAX_AGE_S``, Rasa's read."""
    key = (id(self), sender_id)
    cached = _trackers.pop(key, None)
    if cached is not None and len(cached.tracker.events) == cached.events:
        if time.monotonic() - getattr(cached.tracker, READ_AT) < CACHE_MAX_AGE_S:
            with self.session_scope() as session:
                unchanged = _stored_rows(self, session, sender_id) == cached.stored
            if unchanged:
                _trackers[key] = cached
                return cached.tracker
    tracker = await _rasa_sql_retrieve_latest(self, sender_id)
    if tracker is not None:
        setattr(tracker, READ_AT, time.monotonic())
    return tracker


async def caching_save(self: tracker_store.SQLTrackerStore, tracker: Any) -> None:
    """Drop-in for ``SQLTrackerStore.save``: the new events in one multi-row insert (Rasa adds an
    ORM object per event), then the tracker is kept for ``cached_retrieve``."""
    await self.stream_events(tracker)
    key = (id(self), tracker.sender_id)
    _trackers.pop(key, None)
    with self.session_scope() as session:
        rows = []
        new_session = False
        for event in self._additional_events(session, tracker):
            new_session = new_session or isinstance(event, SessionStarted)
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        if rows:
            session.execute(statements(self.SQLEvent.__table__).insert, rows)
        stored = _stored_rows(self, session, tracker.sender_id)
        session.commit()
    # Kept: a tracker read by cached_retrieve (the latest session, as Rasa's retrieve returns it)
    # or one whose events are all the conversation has (a new one); not one from anywhere else.
    # After a session start, what is kept is what Rasa's read would return: that session only.
    read_at = getattr(tracker, READ_AT, None)
    if read_at is None and stored[0] == len(rows):
        read_at = time.monotonic()
    if read_at is not None and self.max_event_history is None and self.domain is not None:
        if new_session:
            tracker = latest_session(self, tracker)
        setattr(tracker, READ_AT, read_at)
        _trackers[key] = _Cached(tracker, len(tracker.events), stored)
        while len(_trackers) > CACHE_SIZE:
            _trackers.popitem(last=False)
    logger.debug("Tracker saved")


def latest_session(self: tracker_store.SQLTrackerStore, tracker: Any) -> Any:
    """The tracker Rasa's read returns for ``tracker`` just saved: its events from the timestamp of
    the latest session start on (``SQLTrackerStore._event_query``), replayed into a new tracker."""
    start = max(e.timestamp for e in tracker.events if isinstance(e, SessionStarted))
    events = [e for e in tracker.events if e.timestamp >= start]
    latest = type(tracker).from_events(tracker.sender_id, events, self.domain.slots)
    setattr(latest, STORED, (id(self), len(events)))  # what the database holds of that session
    return latest


# -- rule_text --------------------------------------------------------------------------------

_rasa_find_action_from_rules = RulePolicy._find_action_from_rules
TEXT_RULES = "_welbevinden_text_can_match"  # attribute on a RulePolicy: whether text states can match a rule


def text_can_match(policy: RulePolicy) -> bool:
    """Whether any rule could match the states of a message read as text instead of its intent.

    Such states end in ``prev_action: action_listen`` with a user part that has text and no
    intent; a rule key matches only when its last state is part of that. So no rule can, when
    every rule's last state names its previous action, and each that follows action_listen
    names an intent (end-to-end rules, with text, do not).
    """

    def could_match(key: str) -> bool:
        last = policy._rule_key_to_state(key)[-1]
        previous = (last.get("prev_action") or {}).get("action_name")
        return previous is None or (previous == ACTION_LISTEN_NAME and "intent" not in (last.get("user") or {}))

    found = getattr(policy, TEXT_RULES, None)
    if found is None:
        keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        found = any(could_match(key) for key in keys)
        setattr(policy, TEXT_RULES, found)
    return found


def intent_rules_only(
    self: RulePolicy, tracker: Any, domain: Any, use_text_for_last_user_input: bool
) -> tuple[str | None, str | None, bool]:
    """Drop-in for ``RulePolicy._find_action_from_rules``: no search by text when no rule can match it."""
    if use_text_for_last_user_input and not text_can_match(self):
        return None, None, False  # what Rasa returns when it does not search by text
    return _rasa_find_action_from_rules(self, tracker, domain, use_text_for_last_user_input)


# -- graph_runner -----------------------------------------------------------------------------

_rasa_graph_run = DaskGraphRunner.run
PLANS = "_welbevinden_plans"  # attribute on a runner: (targets, input names) -> node order


def run_order(runner: DaskGraphRunner, targets: tuple[str, ...], inputs: frozenset[str]) -> tuple[str, ...]:
    """The nodes ``targets`` need, each after the nodes it needs; an input replaces a node of its
    name (as in dask's graph), so what only that node needed is not run."""
    plans = runner.__dict__.setdefault(PLANS, {})
    order = plans.get((targets, inputs))
    if order is None:
        nodes = runner._graph_schema.nodes
        needs: dict[str, set[str]] = {}
        todo = [t for t in targets if t in nodes and t not in inputs]
        while todo:
            name = todo.pop()
            if name not in needs:
                needs[name] = {d for d in nodes[name].needs.values() if d in nodes and d not in inputs}
                todo.extend(needs[name])
        order = plans[(targets, inputs)] = tuple(graphlib.TopologicalSorter(needs).static_order())
    return order


def sequential_run(
    self: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """Drop-in for ``DaskGraphRunner.run``: the needed nodes called in a fixed order, no scheduler."""
    run_targets = targets if targets else self._graph_schema.target_names
    nodes = self._graph_schema.nodes
    results: dict[str, Any] = {}
    if inputs:
        self._add_inputs_to_graph(inputs, dict.fromkeys(nodes))  # Rasa's check of input names
        results = {name: (name, value) for name, value in inputs.items()}
    try:
        for name in run_order(self, tuple(run_targets), frozenset(results)):
            # a need that is neither a node nor an input is passed as its name, as dask does
            args = [results.get(need, need) for need in nodes[name].needs.values()]
            results[name] = self._instantiated_nodes[name](*args)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results.get(target, target) for target in run_targets)


# -- tracker_copy -----------------------------------------------------------------------------

_rasa_tracker_copy = DialogueStateTracker.copy


def _slot_copy(slot: Any) -> Any:
    """``copy.copy`` of a slot (a plain object), without the generic copy protocol."""
    new = object.__new__(type(slot))
    new.__dict__.update(slot.__dict__)
    return new


def state_copy(self: DialogueStateTracker) -> DialogueStateTracker:
    """Drop-in for ``DialogueStateTracker.copy``: the state the replay of all events would give."""
    new = object.__new__(type(self))
    new._max_event_history = self._max_event_history
    new.events = deque(self.events, self._max_event_history)
    new.sender_id = self.sender_id
    new.slots = {name: _slot_copy(slot) for name, slot in self.slots.items()}
    new.sender_source = None
    new.is_rule_tracker = self.is_rule_tracker
    new._paused = self._paused
    new.followup_action = self.followup_action
    new.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    new.latest_message = self.latest_message
    new.latest_bot_utterance = self.latest_bot_utterance
    new.active_loop = dataclasses.replace(self.active_loop) if self.active_loop is not None else None
    new.model_id = None
    new.assistant_id = None
    return new


# -- form_tracker -----------------------------------------------------------------------------

_rasa_form_tracker = FormAction._temporary_tracker


def _domain_slots(tracker: DialogueStateTracker, domain: Any) -> bool:
    """Whether the tracker's slots are the domain's: the same names, kinds and initial values."""
    slots = tracker.slots
    return len(slots) == len(domain.slots) and all(
        type(slots.get(s.name)) is type(s) and slots[s.name].initial_value == s.initial_value for s in domain.slots
    )


def state_form_tracker(
    self: FormAction, current_tracker: DialogueStateTracker, additional_events: list[Any], domain: Any
) -> DialogueStateTracker:
    """Drop-in for ``FormAction._temporary_tracker``: the same tracker from the state, not a replay."""
    if (
        type(current_tracker) is not DialogueStateTracker
        or current_tracker.idx_after_latest_restart()
        or not _domain_slots(current_tracker, domain)
    ):
        return _rasa_form_tracker(self, current_tracker, additional_events, domain)
    tracker = state_copy(current_tracker)
    tracker._max_event_history = None  # what DialogueStateTracker.from_events makes
    tracker.events = deque(tracker.events)
    tracker.is_rule_tracker = False
    form_events = [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), ActionExecuted(self.name())]
    for added in form_events + list(additional_events):
        tracker.update(added)
    return tracker


# -- domain_empty -----------------------------------------------------------------------------

_rasa_domain_is_empty = Domain.is_empty


def quick_is_empty(self: Domain) -> bool:
    """Drop-in for ``Domain.is_empty``: an empty domain has no responses, custom actions or forms,
    so a domain with any of them differs from it; only one without them is compared as a dict."""
    if self.responses or self.user_actions or self.forms:
        return False
    return _rasa_domain_is_empty(self)


# -- domain_load ------------------------------------------------------------------------------

_rasa_domain_provider_load = inspect.getattr_static(DomainProvider, "load")
PERSISTED_DOMAIN = "domain.yml"  # what DomainProvider._persist writes into the model


def persisted_domain_load(
    cls: type[DomainProvider], config: dict, model_storage: Any, resource: Any, execution_context: Any, **kwargs: Any
) -> DomainProvider:
    """Drop-in for ``DomainProvider.load``: the domain the model holds, read and built once."""
    with model_storage.read_from(resource) as directory:
        found = sorted(path.name for path in directory.iterdir())
        if found != [PERSISTED_DOMAIN]:  # not what Rasa 3.6 persists: load it Rasa's way
            domain = Domain.from_path(directory)
        else:
            domain = Domain.from_dict(rasa_io.read_yaml(rasa_io.read_file(directory / PERSISTED_DOMAIN)))
    return cls(model_storage, resource, domain)


# -- the registry -----------------------------------------------------------------------------


def parameters(function: Any) -> str:
    """A function's parameters, names and defaults: ``"self, inputs=None, targets=None"``."""
    function = getattr(function, "__func__", function)  # a classmethod as the class holds it
    return ", ".join(
        name if p.default is inspect.Parameter.empty else f"{name}={p.default!r}"
        for name, p in inspect.signature(function).parameters.items()
    )


@dataclass(frozen=True)
class Patch:
    """One speed-up: ``owner.attribute`` (Rasa's original, with ``signature``) becomes ``replacement``."""

    name: str
    owner: Any
    attribute: str
    signature: str  # its parameters in Rasa 3.6 (``parameters()``)
    original: Any
    replacement: Any

    def problem(self) -> str | None:
        """Why this patch must not be installed, or None."""
        if not rasa.__version__.startswith(RASA_LINE):
            return f"written for Rasa {RASA_LINE}x, found {rasa.__version__}"
        current = inspect.getattr_static(self.owner, self.attribute, None)  # a classmethod unbound
        if current is self.replacement:
            return None
        if current is not self.original:
            return f"{self.attribute} is no longer Rasa's own function"
        found = parameters(current)
        if found != self.signature:
            return f"{self.attribute} has signature {found}, expected {self.signature}"
        return None


PATCHES: tuple[Patch, ...] = (
    Patch("validation", RemoteAction, "_validate_action_result", "self, result",
          RemoteAction._validate_action_result, validate_action_result),
    Patch("sqlite_pool", tracker_store, "create_engine_kwargs", "url", _rasa_engine_kwargs, tracker_engine_kwargs),
    Patch("tracker_count", tracker_store.SQLTrackerStore, "_retrieve",
          "self, sender_id, fetch_events_from_all_sessions",
          _rasa_sql_retrieve, remembering_retrieve),
    Patch("tracker_count", tracker_store.SQLTrackerStore, "_additional_events", "self, session, tracker",
          _rasa_additional_events, remembered_additional_events),
    Patch("tracker_cache", tracker_store.SQLTrackerStore, "retrieve", "self, sender_id",
          _rasa_sql_retrieve_latest, cached_retrieve),
    Patch("tracker_cache", tracker_store.SQLTrackerStore, "save", "self, tracker", _rasa_sql_save, caching_save),
    Patch("rule_text", RulePolicy, "_find_action_from_rules", "self, tracker, domain, use_text_for_last_user_input",
          _rasa_find_action_from_rules, intent_rules_only),
    Patch("tracker_copy", DialogueStateTracker, "copy", "self", _rasa_tracker_copy, state_copy),
    Patch("form_tracker", FormAction, "_temporary_tracker", "self, current_tracker, additional_events, domain",
          _rasa_form_tracker, state_form_tracker),
    Patch("graph_runner", DaskGraphRunner, "run", "self, inputs=None, targets=None", _rasa_graph_run, sequential_run),
    Patch("domain_empty", Domain, "is_empty", "self", _rasa_domain_is_empty, quick_is_empty),
    Patch("domain_load", DomainProvider, "load", "cls, config, model_storage, resource, execution_context, kwargs",
          _rasa_domain_provider_load, classmethod(persisted_domain_load)),
)  # fmt: skip
NAMES = tuple(dict.fromkeys(p.name for p in PATCHES))  # a speed-up may replace more than one function
STARTUP = ("domain_load",)  # change only the model's load: measured on its load time, not on throughput


def install(off: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Install every speed-up not in ``off`` whose functions are all as expected; returns their names.

    A speed-up that replaces several functions goes in whole or not at all.
    """
    installed = []
    for name in NAMES:
        if name in off:
            continue
        parts = [p for p in PATCHES if p.name == name]
        problems = [problem for problem in (p.problem() for p in parts) if problem]
        if problems:
            logger.warning(
                "Rasa speed-up %r switched off: %s (Rasa runs that part as shipped).", name, "; ".join(problems)
            )
            continue
        for part in parts:
            setattr(part.owner, part.attribute, part.replacement)
        installed.append(name)
    return installed


def uninstall() -> None:
    """Put Rasa's own functions back (tests)."""
    for patch in PATCHES:
        if inspect.getattr_static(patch.owner, patch.attribute, None) is patch.replacement:
            setattr(patch.owner, patch.attribute, patch.original)
    _trackers.clear()


__all__ = ["NAMES", "PATCHES", "STARTUP", "ValidationError", "install", "response_validator", "uninstall"]
