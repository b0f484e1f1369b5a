"""The fundament-scan: score the answers, suggest next steps, save per school, compare.

A scan belongs to a school, never to a person: it is saved only when a signed-in
coordinator started it from the dashboard, which hands the chat a signed, short-lived
scan token naming the school (see ``make_scan_token``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.services.catalogue import CATALOGUE_DIR, Tool, load_tools, required_text
from bot.storage.models import utcnow
from bot.storage.repositories import scan_answers
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import KAN_BETER, ONTBREEKT, SCAN_ELEMENTS, SCAN_ITEMS, SCAN_LAYERS, STAAT_GOED, in_language

Answers = dict[str, "int | None"]

#: How many strengths and points to work on the summary names.
MAX_STRENGTHS = 3
MAX_WORK_ON = 3
#: A scan token is valid this long after the coordinator opened the scan page.
TOKEN_MAX_AGE_S = 8 * 3600
_TOKEN_SALT = "fundament-scan"  # noqa: S105 - a namespace for signatures, not a secret

LEVEL_WORDS = {STAAT_GOED: "staat goed", KAN_BETER: "kan beter", ONTBREEKT: "ontbreekt"}
#: The same in English conversations (as on the scan's English buttons).
LEVEL_WORDS_EN = {STAAT_GOED: "in place", KAN_BETER: "could be better", ONTBREEKT: "missing"}


@dataclass(frozen=True)
class Element:
    key: str
    label: str
    sterk: str
    tool: Tool
    label_en: str
    sterk_en: str

    def label_in(self, language: str | None) -> str:
        """The short name to show in a conversation in ``language`` (the ``language`` slot)."""
        return in_language(language, self.label, self.label_en)

    def sterk_in(self, language: str | None) -> str:
        """The compliment to show in a conversation in ``language``."""
        return in_language(language, self.sterk, self.sterk_en)


@dataclass(frozen=True)
class WorkOn:
    element: Element
    level: int

    @property
    def level_word(self) -> str:
        return LEVEL_WORDS[self.level]

    def level_word_in(self, language: str | None) -> str:
        return in_language(language, LEVEL_WORDS[self.level], LEVEL_WORDS_EN[self.level])


@dataclass(frozen=True)
class Summary:
    strengths: list[Element]
    work_on: list[WorkOn]
    #: One of "curatief", "groen_sterk", "groen_zwak" or None (pyramid not answered).
    pyramid: str | None
    answered: int


@dataclass(frozen=True)
class SavedScan:
    id: int
    created_at: datetime
    answers: Answers
    school_name: str = ""


@lru_cache(maxsize=1)
def _catalogue(path: Path = CATALOGUE_DIR / "fundament.yml") -> tuple[dict[str, Element], dict[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tools = {t.id: t for t in load_tools()}
    raw, layers = data["elementen"], data["piramide"]
    if tuple(raw) != SCAN_ELEMENTS or tuple(layers) != SCAN_LAYERS:
        raise ValueError(f"{path} must list {SCAN_ELEMENTS} and {SCAN_LAYERS} in that order.")
    elements = {}
    for key, item in raw.items():
        if item["tool"] not in tools:
            raise ValueError(f"{path}: element {key!r} names unknown tool {item['tool']!r}.")
        where = f"{path}: element {key!r}"
        elements[key] = Element(
            key=key,
            label=required_text(item, "label", where),
            sterk=required_text(item, "sterk", where),
            tool=tools[item["tool"]],
            label_en=required_text(item, "label_en", where),
            sterk_en=required_text(item, "sterk_en", where),
        )
    return elements, {key: item["label"] for key, item in layers.items()}


def elements() -> dict[str, Element]:
    """The foundation elements, in the order the scan asks them."""
    return _catalogue()[0]


def item_labels() -> dict[str, str]:
    """Labels of every scan item (elements, then the pyramid layers), in order."""
    return {**{k: e.label for k, e in elements().items()}, **_catalogue()[1]}


def clean_answers(answers: Answers) -> Answers:
    """Keep only the scan items, each 0, 1, 2 or None (skipped)."""
    cleaned: Answers = {}
    for item in SCAN_ITEMS:
        value = answers.get(item)
        if value is not None and (isinstance(value, bool) or value not in (ONTBREEKT, KAN_BETER, STAAT_GOED)):
            raise ValueError(f"Answer for {item} must be 0, 1, 2 or None, got {value!r}.")
        cleaned[item] = value
    return cleaned


def summarise(answers: Answers) -> Summary:
    """Strengths (staat goed), up to three elements to work on (ontbreekt first) and the pyramid."""
    cleaned = clean_answers(answers)
    all_elements = elements()
    strengths = [all_elements[k] for k in SCAN_ELEMENTS if cleaned[k] == STAAT_GOED][:MAX_STRENGTHS]
    weak = [k for k in SCAN_ELEMENTS if cleaned[k] in (ONTBREEKT, KAN_BETER)]
    weak.sort(key=lambda k: (cleaned[k], SCAN_ELEMENTS.index(k)))  # ontbreekt (0) before kan beter (1)
    work_on = [WorkOn(all_elements[k], cleaned[k]) for k in weak[:MAX_WORK_ON]]
    groen, rood = cleaned["groen"], cleaned["rood"]
    if groen is None and rood is None and cleaned["geel"] is None:
        pyramid = None
    elif groen == STAAT_GOED:
        pyramid = "groen_sterk"
    elif rood == STAAT_GOED or (groen == ONTBREEKT and rood is not None):
        pyramid = "curatief"  # care that starts when things go wrong, not before
    else:
        pyramid = "groen_zwak"
    answered = sum(v is not None for v in cleaned.values())
    return Summary(strengths, work_on, pyramid, answered)


# --------------------------------------------------------------------------- storage


def save_scan(uow: UnitOfWork, school_id: int, answers: Answers, when: datetime | None = None) -> SavedScan:
    """Store a school's scan; returns it with the school's name. Raises LookupError for an unknown school."""
    cleaned = clean_answers(answers)
    with uow:
        school = uow.schools.get(school_id)
        if school is None:
            raise LookupError(f"No school with id {school_id}.")
        row = uow.scans.add(school_id, cleaned, when or utcnow())
        saved = SavedScan(row.id, row.created_at, cleaned, school.name)
        uow.commit()
    return saved


def school_name(uow: UnitOfWork, school_id: int | None) -> str | None:
    """The school's name, or None for an unknown id."""
    if school_id is None:
        return None
    with uow:
        school = uow.schools.get(school_id)
        return school.name if school else None


def school_scans(uow: UnitOfWork, school_id: int, limit: int = 3) -> list[SavedScan]:
    """The school's most recent scans, newest first."""
    with uow:
        school = uow.schools.get(school_id)
        name = school.name if school else ""
        return [SavedScan(r.id, r.created_at, scan_answers(r), name) for r in uow.scans.latest(school_id, limit)]


def change(new: int | None, old: int | None) -> str | None:
    """ "beter", "minder" or "gelijk" between two answers; None when either was skipped."""
    if new is None or old is None:
        return None
    return "beter" if new > old else "minder" if new < old else "gelijk"


# --------------------------------------------------------------------------- token


def _serializer(secret: str) -> URLSafeTimedSerializer:
    if not secret:
        raise ValueError("A scan token needs a secret.")
    return URLSafeTimedSerializer(secret, salt=_TOKEN_SALT)


def make_scan_token(school_id: int, secret: str) -> str:
    """A signed token naming the school; the dashboard gives it to a signed-in coordinator's chat.

    Signed with SCAN_TOKEN_SECRET, which the web app and the action server share (and nothing else).
    """
    return _serializer(secret).dumps({"school": school_id})


def read_scan_token(token: object, secret: str, max_age: int = TOKEN_MAX_AGE_S) -> int | None:
    """The school id of a valid, unexpired token; None for anything else."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # also covers SignatureExpired
        return None
    school = data.get("school") if isinstance(data, dict) else None
    return school if isinstance(school, int) and not isinstance(school, bool) else None
