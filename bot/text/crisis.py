"""Safety net: recognise, by pattern, messages about suicide or acute danger, and whose they are.

Two help tiers that must never be mixed up (issue 16):

* ``CRISIS``: the writer has suicidal thoughts, harms themself or is in acute danger
  (or nobody else is named). Answered with 113 / 0800-0113 / 112.
* ``ZORG_ANDER``: the writer is worried about someone else (a colleague, a pupil) who
  talks about suicide. Answered with what to do: ask, stay, call 113 together, 112.

Tiredness, crying or "ik kan niet meer" without words about death or self-harm is
neither: 113 itself warns that sending everyone who is tired to 113 leaves people
feeling dismissed (the third tier, ``steun``, is for them).

Patterns are Python regular expressions, one per line, matched on lower-cased text:
``crisis_patterns.txt`` says "someone wants to die / harm themself" in words that do
not fix the person (``wil dood`` is the same for ik and ze); ``zorg_ander_patterns.txt``
only matches words about another person (``zichzelf``, ``haar leven``, ``talks about
suicide``). Whose a crisis match is, is read from the nearest person word before it in
the same sentence ("mijn collega zegt dat *ze* dood wil" is someone else; "*ik* wil
dood" is the writer). Tuned for recall: when it is unclear whose it is, the answer is
the 113 answer, which also helps people around someone. Tested in tests/test_crisis.py
and tests/test_help_tiers.py.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

CRISIS = "crisis"
ZORG_ANDER = "zorg_ander"

HERE = Path(__file__).resolve().parent
PATTERNS_FILE = HERE / "crisis_patterns.txt"
OTHER_PATTERNS_FILE = HERE / "zorg_ander_patterns.txt"

#: The writer: subject and object pronouns, Dutch and English (not "mijn": "mijn collega" is
#: someone else, nor "van mij": "een leerling van mij" is a pupil).
FIRST_PERSON = re.compile(
    r"\b(ik|ikke|mezelf|mijzelf|mzelf|i|i'm|im|i've|ive|i'd|i'll|myself)\b|(?<!van )\b(me|mij)\b"
    r"|\b(mijn|m'n|mn|my)\s+(eigen\s+)?(leven|life)\b"
)
#: Third-person pronouns: they may refer to a thing as well as a person ("ze gaan niet weg").
PRONOUNS = frozenset(
    "hij zij ze hem haar zichzelf zich hen hun".split()
    + "he she him her his hers himself herself they them their themselves".split()
)
#: Someone else: third-person pronouns and the people a school employee worries about.
OTHER_PERSON = re.compile(
    r"\b("
    + "|".join(sorted(PRONOUNS))
    + r"|collega'?s?|leerling(en)?|student(en|e)?|cursist(en|e)?|kinderen|kind|zoon|dochter|vriend(in)?|partner"
    r"|iemand|teamlid"
    r"|mentorleerling|leerkracht|docent(e|en)?|juf|meester|klasgenoot|broer|zus|moeder|vader"
    r"|teamleider|leidinggevende|directeur|directrice|duo-?collega|duo|stagiaire?|conci[eë]rge|onderwijsassistente?"
    r"|teamgeno(o|ot|ten)|manager|boss|co-?teacher|principal|trainee|head\s?teacher|head\s+of\s+(department|year)"
    r"|assistant|caretaker|colega'?s?"
    r"|colleagues?|co-?workers?|students?|pupils?|child|kids?|son|daughter|friends?|someone|somebody|teachers?)\b"
)
#: Where a sentence ends: a person word across it does not say whose a match is.
SENTENCE_END = re.compile(r"[.!?;:\n]")
#: A denial right before a match ("ik ben *niet* suïcidaal", "*geen* zelfmoordgedachten", "*not* suicidal"):
#: at most two words between it and the match, in the same clause.
NEGATION_BEFORE = re.compile(r"\b(niet|nie|geen|nooit|not|no|never)\b(\s+[^\s,.!?;:]+){0,2}\s*$")
#: The word a denial is about, when a match has one ("ik denk *niet* aan zelfmoord": the denial is inside the match).
SUICIDE_WORD = re.compile(r"[sz]el?[fv]?\s?mo+r[dt]|su[iïí]+[cs][iïí]+d|zelf\s?dod|self[-\s]?harm|zelf\s?beschadig")
#: ... unless the writer goes on to say that it is different now ("maar nu wel", "but lately").
BUT_NOW = re.compile(
    r"\b(maar|alleen|but|though)\b.{0,25}\b(nu|soms|wel\s*eens|toch\s+wel|laatst|tegenwoordig|steeds\s+vaker|vaker"
    r"|af\s+en\s+toe|now|sometimes|lately|recently)\b"
)

#: Someone's words quoted, a match among them: "mijn duo zei gisteren: *ik wil er niet meer
#: zijn*", "a student texted me 'i want to die'". The "ik" inside is the speaker's.
QUOTED_AFTER = re.compile(
    r"\b(zei|zegt|zeggen|zeiden|appte|appt|appten|schreef|schrijft|mailde|vertelde|vertelt|riep|fluisterde"
    r"|said|says|told\s+me|texted|wrote|messaged|whispered)\b[^.!?\n]{0,25}?[:'\"“‘„]\s*['\"“‘„]?[^.!?\n:'\"“”‘’„]{0,40}$"
)
#: Whose words: the writer, someone else, or not said.
SELF, OTHER, UNKNOWN = "self", "other", "unknown"


def _load(path: Path) -> tuple[re.Pattern[str], ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(re.compile(line) for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _crisis_patterns() -> tuple[re.Pattern[str], ...]:
    return _load(PATTERNS_FILE)


@lru_cache(maxsize=1)
def _other_patterns() -> tuple[re.Pattern[str], ...]:
    return _load(OTHER_PATTERNS_FILE)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text)


def _nearest_person(before: str, after: str) -> str:
    """Whose words these are: the last person word before them, else the first one after."""
    marks = [(m.end(), SELF) for m in FIRST_PERSON.finditer(before)]
    marks += [(m.end(), OTHER) for m in OTHER_PERSON.finditer(before)]
    if marks:
        return max(marks)[1]
    marks = [(m.start(), SELF) for m in FIRST_PERSON.finditer(after)]
    marks += [(m.start(), OTHER) for m in OTHER_PERSON.finditer(after)]
    return min(marks)[1] if marks else UNKNOWN


def span_owner(text: str, start: int, end: int, look_after: bool = True) -> str:
    """Whose the words ``text[start:end]`` of a lower-cased text are: ``SELF``, ``OTHER`` or ``UNKNOWN``.

    A person word inside them makes them the writer's; otherwise the nearest person word
    before them in their sentence, else (with ``look_after``) the first one after them.
    """
    if FIRST_PERSON.search(text[start:end]):
        return SELF
    starts = [m.end() for m in SENTENCE_END.finditer(text, 0, start)]
    sentence_end = SENTENCE_END.search(text, end)
    sentence_start = starts[-1] if starts else 0
    after = text[end : sentence_end.start() if sentence_end else len(text)] if look_after else ""
    return _nearest_person(text[sentence_start:start], after)


def _owner(text: str, match: re.Match[str]) -> str:
    quoted = QUOTED_AFTER.search(text, 0, match.start())
    if quoted and span_owner(text, quoted.start(), quoted.start(), look_after=False) == OTHER:
        return OTHER  # someone else's words, quoted
    return span_owner(text, match.start(), match.end())


def _denied(text: str, match: re.Match[str]) -> bool:
    """True for a match the writer denies ("ik ben niet suïcidaal hoor, maar ..."), read narrowly.

    Only a denial word right before the match (or before its word about suicide) counts, and
    not when the message goes on with "maar nu wel" or the like: "ik wil niet meer leven" is
    no denial (its "niet" is inside the match, before no such word), and whenever it is
    unclear the 113 answer stays the answer.
    """
    word = SUICIDE_WORD.search(match.group(0))
    at = match.start() + word.start() if word else match.start()
    clause_start = max((m.end() for m in re.finditer(r"[,.!?;:\n]", text[:at])), default=0)
    if not NEGATION_BEFORE.search(text[clause_start:at]):
        return False
    return not BUT_NOW.search(text[match.end() :])


def crisis_tier(text: str | None) -> str | None:
    """``CRISIS``, ``ZORG_ANDER`` or None for a message (see the module docstring)."""
    if not text or text.startswith("/"):
        return None
    norm = _normalise(text[:5000])
    strong_self = weak = other = False
    for pattern in _crisis_patterns():
        for match in pattern.finditer(norm):
            if _denied(norm, match):
                continue
            owner = _owner(norm, match)
            # One word ("zelfmoord", "suïcidaal") says what about, not whose: weaker evidence,
            # and a person word only after it may be about something else ("zelfmoordgedachtes,
            # ze gaan niet weg"): then it is unclear whose.
            single_word = " " not in match.group(0).strip()
            if (
                single_word
                and owner == OTHER
                and span_owner(norm, match.start(), match.end(), look_after=False) == UNKNOWN
            ):
                owner = UNKNOWN
            if owner == SELF and not single_word:
                strong_self = True
            elif owner == OTHER:
                other = True
            else:
                weak = True
    if strong_self:
        return CRISIS
    if other or any(not _denied(norm, m) for p in _other_patterns() for m in p.finditer(norm)):
        return ZORG_ANDER
    if weak:
        # Unclear whose: someone else only when others and not the writer are named; a pronoun
        # alone does not name anyone ("zelfmoordgedachtes, ze gaan niet meer weg": the thoughts).
        if any(m.group(0) not in PRONOUNS for m in OTHER_PERSON.finditer(norm)) and not FIRST_PERSON.search(norm):
            return ZORG_ANDER
        return CRISIS
    return None


def is_crisis(text: str | None) -> bool:
    """True when ``text`` expresses the writer's own suicidal thoughts, self-harm or acute distress."""
    return crisis_tier(text) == CRISIS


def is_worry_about_other(text: str | None) -> bool:
    """True when ``text`` says that someone else talks about suicide or self-harm."""
    return crisis_tier(text) == ZORG_ANDER
