"""Understand the answers people type in the check-in: "4", "vier", "4/5", "gaat wel", 😩 ...

One parser for every 1-5 question; the fundament-scan's three-level answers ("staat
goed" / "kan beter" / "ontbreekt") reuse it for words it does not know itself. It
never guesses: anything it does not recognise with confidence is ``UNCLEAR`` and the bot
asks again, because we must never store a value the person did not give.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from bot.vocabulary import KAN_BETER, ONTBREEKT, STAAT_GOED

#: Answers longer than this are not a score; no need to scan a 5,000-character paste.
MAX_ANSWER_CHARS = 120


class Kind(str, Enum):
    SCORE = "score"
    SKIP = "skip"
    STOP = "stop"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Answer:
    kind: Kind
    value: int | None = None


UNCLEAR = Answer(Kind.UNCLEAR)
SKIP = Answer(Kind.SKIP)
STOP = Answer(Kind.STOP)

STOP_PHRASES = {
    "stop",
    "stoppen",
    "stop maar",
    "stop ermee",
    "ik wil stoppen",
    "ik stop",
    "laat maar",
    "laat maar zitten",
    "hou op",
    "houd op",
    "hou maar op",
    "ophouden",
    "annuleer",
    "annuleren",
    "cancel",
    "kappen",
    "kap",
    "kappen ermee",
    "toch niet",
    "nu even niet",
    "nu niet",
    "later",
    "een andere keer",
    "afbreken",
    "ik wil niet meer verder",
    "niet verder",
    "exit",
    "quit",
}
SKIP_PHRASES = {
    "overslaan",
    "sla over",
    "sla maar over",
    "skip",
    "volgende",
    "volgende vraag",
    "weet ik niet",
    "weet niet",
    "geen idee",
    "geen antwoord",
    "zeg ik liever niet",
    "wil ik niet zeggen",
    "liever niet",
    "pas",
    "n.v.t.",
    "nvt",
    "niet van toepassing",
}
NUMBER_WORDS = {
    "een": 1,
    "één": 1,
    "eentje": 1,
    "twee": 2,
    "tweetje": 2,
    "drie": 3,
    "drietje": 3,
    "vier": 4,
    "viertje": 4,
    "vijf": 5,
    "vijfje": 5,
}
# Words and phrases, matched on the whole (normalised) answer. Longest phrases are tried first.
PHRASES: dict[str, int] = {
    # 1
    "heel slecht": 1,
    "zeer slecht": 1,
    "erg slecht": 1,
    "echt slecht": 1,
    "super slecht": 1,
    "superslecht": 1,
    "vreselijk": 1,
    "verschrikkelijk": 1,
    "rampzalig": 1,
    "waardeloos": 1,
    "dramatisch": 1,
    "belabberd": 1,
    "beroerd": 1,
    "bagger": 1,
    "heel weinig": 1,
    "erg weinig": 1,
    "bijna niks": 1,
    "niks": 1,
    "niets": 1,
    "nul": 1,
    "helemaal niet": 1,
    "helemaal geen": 1,
    "totaal niet": 1,
    "uitgeput": 1,
    "kapot": 1,
    "op": 1,
    "ik ben op": 1,
    "leeg": 1,
    "heel zwaar": 1,
    "erg zwaar": 1,
    "slechtst": 1,
    "vreselijk slecht": 1,
    # 2
    "slecht": 2,
    "niet goed": 2,
    "niet zo goed": 2,
    "niet best": 2,
    "weinig": 2,
    "onvoldoende": 2,
    "matig": 2,
    "zwaar": 2,
    "moeilijk": 2,
    "lastig": 2,
    "minder": 2,
    "niet zo": 2,
    "niet veel": 2,
    "beetje": 2,
    "een beetje": 2,
    "mwah": 2,
    "bleh": 2,
    "moe": 2,
    "niet zo best": 2,
    "karig": 2,
    # 3
    "gaat wel": 3,
    "het gaat wel": 3,
    "ging wel": 3,
    "neutraal": 3,
    "gemiddeld": 3,
    "redelijk": 3,
    "wisselend": 3,
    "wisselvallig": 3,
    "ok": 3,
    "oke": 3,
    "okay": 3,
    "normaal": 3,
    "voldoende": 3,
    "zozo": 3,
    "zo zo": 3,
    "soso": 3,
    "so so": 3,
    "middelmatig": 3,
    "kan ermee door": 3,
    "het kan ermee door": 3,
    "kan beter": 3,
    "half half": 3,
    "ging wel oke": 3,
    "niet slecht": 3,
    "valt mee": 3,
    "viel mee": 3,
    "het valt mee": 3,
    "het viel mee": 3,
    "gemiddeld genomen": 3,
    # 4
    "goed": 4,
    "ruim voldoende": 4,
    "prima": 4,
    "best goed": 4,
    "wel goed": 4,
    "fijn": 4,
    "veel": 4,
    "tevreden": 4,
    "lekker": 4,
    "positief": 4,
    "behoorlijk": 4,
    "behoorlijk goed": 4,
    "goed hoor": 4,
    "helemaal niet slecht": 4,
    "gewoon goed": 4,
    "vrij goed": 4,
    "aardig": 4,
    "aardig goed": 4,
    "fijn hoor": 4,
    # 5
    "heel goed": 5,
    "zeer goed": 5,
    "erg goed": 5,
    "echt goed": 5,
    "super": 5,
    "supergoed": 5,
    "super goed": 5,
    "uitstekend": 5,
    "top": 5,
    "toppie": 5,
    "geweldig": 5,
    "fantastisch": 5,
    "perfect": 5,
    "heel veel": 5,
    "erg veel": 5,
    "enorm": 5,
    "te gek": 5,
    "fantastisch goed": 5,
    "heerlijk": 5,
    "prachtig": 5,
    "uitmuntend": 5,
    "optimaal": 5,
    "helemaal top": 5,
    "kei goed": 5,
}
# For the workload question ("how manageable was your work?") "busy" words point down.
WERKDRUK_PHRASES: dict[str, int] = {
    "veel te druk": 1,
    "veel te veel": 1,
    "niet te doen": 1,
    "onhaalbaar": 1,
    "heel druk": 1,
    "extreem druk": 1,
    "te druk": 2,
    "te veel": 2,
    "druk": 2,
    "erg druk": 2,
    "best druk": 2,
    "pittig": 2,
    "vol": 2,
    "te doen": 4,
    "goed te doen": 4,
    "prima te doen": 4,
    "rustig": 4,
    "heel rustig": 5,
    "goed te doen hoor": 4,
    "goed in balans": 5,
    "in balans": 4,
    "overzichtelijk": 4,
}
EMOJI: dict[str, int] = {
    "😀": 5,
    "😃": 5,
    "😄": 5,
    "😁": 5,
    "🤩": 5,
    "😍": 5,
    "🥰": 5,
    "🥳": 5,
    "🌞": 5,
    "🎉": 5,
    "💯": 5,
    "😊": 4,
    "🙂": 4,
    "👍": 4,
    "💪": 4,
    "☺": 4,
    "😌": 4,
    "😐": 3,
    "😶": 3,
    "🤷": 3,
    "😑": 3,
    "🫤": 3,
    "🙁": 2,
    "😕": 2,
    "😟": 2,
    "😔": 2,
    "😞": 2,
    "👎": 2,
    "☹": 2,
    "😒": 2,
    "🥱": 2,
    "😩": 1,
    "😫": 1,
    "😭": 1,
    "😢": 1,
    "😖": 1,
    "😣": 1,
    "😰": 1,
    "😱": 1,
    "🤯": 1,
    "💀": 1,
    "😵": 1,
    "🥵": 1,
    "😡": 1,
    "🤬": 1,
}
YES = {
    "ja",
    "jazeker",
    "ja hoor",
    "ja graag",
    "graag",
    "zeker",
    "zeker weten",
    "ok",
    "oke",
    "okay",
    "prima",
    "is goed",
    "doe maar",
    "jep",
    "jup",
    "yes",
    "yep",
    "ja ik doe mee",
    "ik doe mee",
    "akkoord",
    "goed",
    "prima hoor",
    "ja hoor prima",
    "ja verwijder alles",
    "ja, verwijder alles",
    "👍",
    "yes please",
    "klopt",
}
NO = {
    "nee",
    "neen",
    "nee hoor",
    "nee dank je",
    "nee dankje",
    "nee bedankt",
    "liever niet",
    "nope",
    "no",
    "niet",
    "nee liever niet",
    "nee toch niet",
    "toch niet",
    "ik doe niet mee",
    "niet nodig",
    "nah",
    "👎",
    "nee, liever niet",
    "nee, toch niet",
    "nee, dank je",
}

_VOCABULARY = sorted({*PHRASES, *NUMBER_WORDS, *STOP_PHRASES, *SKIP_PHRASES}, key=len, reverse=True)
_SCORE_PATTERN = re.compile(
    r"^(?:ik geef (?:het |mezelf )?|een |cijfer |score )?([1-5])(?:\s*(?:/|van|op|uit)\s*(?:de\s*)?5)?$"
)


def normalise(text: str) -> str:
    """Lower-case, NFKC, strip punctuation at the edges and collapse white space."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = text.replace("’", "'").replace("-", " ")
    text = re.sub(r"[!?.,;:()\"'*_~]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _emoji_score(raw: str) -> int | None:
    found = {EMOJI[ch] for ch in raw if ch in EMOJI}
    return found.pop() if len(found) == 1 else None


def _fuzzy(text: str) -> str | None:
    """Correct one typo in a short answer ("suuper", "geweldug"), or None."""
    if len(text) < 4:
        return None
    match = difflib.get_close_matches(text, _VOCABULARY, n=1, cutoff=0.84)
    return match[0] if match else None


def _classify(text: str, dimension: str | None) -> Answer | None:
    if text in STOP_PHRASES:
        return STOP
    if text in SKIP_PHRASES:
        return SKIP
    if dimension == "werkdruk" and text in WERKDRUK_PHRASES:
        return Answer(Kind.SCORE, WERKDRUK_PHRASES[text])
    if text in NUMBER_WORDS:
        return Answer(Kind.SCORE, NUMBER_WORDS[text])
    if text in PHRASES:
        return Answer(Kind.SCORE, PHRASES[text])
    return None


def parse_score(text: str | None, dimension: str | None = None) -> Answer:
    """Parse one answer to a 1-5 question.

    Args:
        text: what the person typed or the payload of the button they clicked.
        dimension: the check-in dimension asked, for the few dimension-specific words.

    Returns:
        A score 1-5, SKIP ("overslaan"), STOP ("laat maar") or UNCLEAR.
    """
    if not text or not text.strip() or len(text) > MAX_ANSWER_CHARS:
        return UNCLEAR
    raw = text.strip()
    if re.search(r"[<>{}\[\]=;$\\]", raw):
        return UNCLEAR  # markup or code, not an answer
    clean = normalise(raw)
    if not clean:
        emoji = _emoji_score(raw)
        return Answer(Kind.SCORE, emoji) if emoji else UNCLEAR

    match = _SCORE_PATTERN.match(clean)
    if match:
        return Answer(Kind.SCORE, int(match.group(1)))
    digits = re.findall(r"\d+(?:[.,]\d+)?", clean)
    if digits:
        # "3,5", "8 van de 10", "2 of 3": not one of the five answers, so ask again.
        only = digits[0]
        if len(digits) == 1 and only in {"1", "2", "3", "4", "5"} and not re.search(r"\b(of|tot|a|à)\b", clean):
            return Answer(Kind.SCORE, int(only))
        return UNCLEAR

    for candidate in (clean, _strip_accents(clean), re.sub(r"^(het |ik |deze week )", "", clean)):
        result = _classify(candidate, dimension)
        if result:
            return result
    # "laat maar, ik stop", "stop nu": a stop word at the start ends the check-in.
    if re.match(r"^(stop|laat maar|kappen|hou op|ik wil stoppen|annuleer)\b", clean):
        return STOP
    corrected = _fuzzy(clean)
    if corrected:
        result = _classify(corrected, dimension)
        if result:
            return result
    emoji = _emoji_score(raw)
    return Answer(Kind.SCORE, emoji) if emoji else UNCLEAR


def parse_yes_no(text: str | None) -> bool | None:
    """True for "ja"-like answers, False for "nee"-like answers, None when unclear."""
    if not text or len(text) > MAX_ANSWER_CHARS:
        return None
    if text.strip() in {"/affirm", "/deny"}:
        return text.strip() == "/affirm"
    raw = text.strip()
    clean = normalise(raw)
    if clean in YES or raw in YES:
        return True
    if clean in NO or raw in NO:
        return False
    first = clean.split(" ", 1)[0] if clean else ""
    if first in {"ja", "jazeker", "jep", "yes", "ok", "oke", "prima", "graag", "zeker"}:
        return True
    if first in {"nee", "neen", "nope", "no"}:
        return False
    return None


# ------------------------------------------------------------------ fundament-scan
LEVEL_PHRASES: dict[str, int] = {
    **dict.fromkeys(
        [
            "staat goed",
            "goed",
            "staat",
            "ja",
            "jazeker",
            "zeker",
            "hebben we",
            "dat hebben we",
            "is er",
            "is er zeker",
            "op orde",
            "geregeld",
            "goed geregeld",
            "prima geregeld",
            "sterk",
            "in orde",
            "klopt",
            "staat als een huis",
            "✅",
            "✔",
            "👍",
        ],
        STAAT_GOED,
    ),
    **dict.fromkeys(
        [
            "kan beter",
            "beter",
            "kan nog beter",
            "deels",
            "gedeeltelijk",
            "een beetje",
            "beetje",
            "soms",
            "half",
            "half half",
            "matig",
            "wisselend",
            "in ontwikkeling",
            "mee bezig",
            "we zijn ermee bezig",
            "daar zijn we mee bezig",
            "nog niet helemaal",
            "niet helemaal",
            "redelijk",
            "op papier",
        ],
        KAN_BETER,
    ),
    **dict.fromkeys(
        [
            "ontbreekt",
            "ontbreken",
            "ontbreekt nog",
            "nee",
            "neen",
            "niet",
            "nog niet",
            "geen",
            "hebben we niet",
            "hebben we nog niet",
            "is er niet",
            "is er nog niet",
            "mist",
            "missen we",
            "dat missen we",
            "ontbreekt helemaal",
            "bestaat niet",
            "nergens",
            "❌",
            "👎",
        ],
        ONTBREEKT,
    ),
}
_LEVEL_VOCABULARY = sorted(LEVEL_PHRASES, key=len, reverse=True)


def parse_level(text: str | None) -> Answer:
    """Parse an answer to a fundament-scan question.

    Returns ``Answer(SCORE, 2)`` for "staat goed", ``1`` for "kan beter", ``0`` for
    "ontbreekt"; SKIP for "weet ik niet", STOP for "laat maar"; UNCLEAR otherwise.
    A number ("2") is unclear: the three buttons are not numbered, so it would be a guess.
    Other words of the 1-5 parser count too: "super" is staat goed, "gaat wel" and
    "slecht" are kan beter, "helemaal niet" is ontbreekt.
    """
    if not text or not text.strip() or len(text) > MAX_ANSWER_CHARS:
        return UNCLEAR
    raw = text.strip()
    if raw in LEVEL_PHRASES:
        return Answer(Kind.SCORE, LEVEL_PHRASES[raw])
    if raw.startswith("🤷"):
        return SKIP
    clean = normalise(raw)
    if re.search(r"\d", clean):
        return UNCLEAR
    for candidate in (clean, re.sub(r"^(dat |het |die |dit |bij ons |hier )", "", clean)):
        if candidate in STOP_PHRASES:
            return STOP
        if candidate in SKIP_PHRASES:
            return SKIP
        if candidate in LEVEL_PHRASES:
            return Answer(Kind.SCORE, LEVEL_PHRASES[candidate])
    if len(clean) >= 5:
        match = difflib.get_close_matches(clean, _LEVEL_VOCABULARY, n=1, cutoff=0.84)
        if match:
            return Answer(Kind.SCORE, LEVEL_PHRASES[match[0]])
    score = parse_score(raw)
    if score.kind is not Kind.SCORE:
        return score
    return Answer(Kind.SCORE, STAAT_GOED if score.value >= 4 else KAN_BETER if score.value >= 2 else ONTBREEKT)
