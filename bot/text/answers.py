"""Understand the answers people type in the check-in: "4", "een dikke vier", "heel erg goed", 😩 ...

One parser for every 1-5 question; the fundament-scan's three-level answers ("staat
goed" / "kan beter" / "ontbreekt") reuse it for words it does not know itself. It
never guesses: anything it does not recognise with confidence is ``UNCLEAR`` and the bot
asks again, because we must never store a value the person did not give.

How an answer is read, in this order:

1. Markup, over-long pastes, signs and ranges ("-1", "5+", "3-4") are unclear.
2. Stop and skip phrases ("laat maar", "sla deze maar over", "I want to stop").
3. Numbers: exactly one number 1-5, digits or words ("4", "een dikke vier", "3 out of 5"),
   with nothing around it but filler ("ik geef het", "denk ik"). A second number, a
   negation or hedge ("geen 5", "bijna 4", "3 of 4", "tussen 2 en 3") makes it unclear.
4. Words, composed as ``[modifiers] head [dimension noun]``: a head ("goed", "leuk",
   "veel", "slecht", "geen", "great") with intensifiers ("heel erg", "super", "echt"),
   softeners ("best", "vrij") or negations ("niet echt", "helemaal niet"); each
   question also has its own scale words (werkdruk: "veel te veel werk" 1 .. "goed te
   doen" 5; verbinding: "helemaal niet" 1 .. "heel erg" 5; "weinig energie" 2).
   On the workload question plain "goed"/"prima" (4, or the anchor "goed te doen"?)
   and amounts ("veel": work or doable?) are unclear.
5. One typo per word is corrected ("suuper", "leukk", "niet ehct"), never into another
   word that the typed one contains ("ontevreden" is not "tevreden"), never into or out
   of a negation, and only when exactly one known word is one edit away.
6. An answer that explains itself ("Drukke week, ouderavonden. Doe maar een 2.") is read
   by its verdict when the other parts are only context: no other number, no part that
   disagrees or names the question's subject again ("wel steun, geen waardering"), and,
   for words without "dus"/"al met al", no "maar" and no context saying otherwise.
7. Emoji: alone, or beside words that say the same or more ("goed te doen 👍"); beside a
   number, within one step. Tired faces (😩) say nothing about colleagues or your
   leader, angry ones (😡) nothing about an amount: unclear there.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from bot.vocabulary import KAN_BETER, ONTBREEKT, STAAT_GOED

#: Answers longer than this are not an answer; no need to scan a 5,000-character paste.
MAX_ANSWER_CHARS = 120
#: A check-in answer may explain itself before its verdict ("..., dus een 3"), so it may be longer.
MAX_SCORE_CHARS = 200


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
    "ik stop ermee",
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
    "ik wil niet verder",
    "niet verder",
    "exit",
    "quit",
    "i quit",
    "i want to stop",
    "i want to quit",
    "i would like to stop",
    "id like to stop",
    "stop please",
    "please stop",
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
    "geen mening",
    "zeg ik liever niet",
    "wil ik niet zeggen",
    "wil ik liever niet zeggen",
    "liever niet",
    "pas",
    "n.v.t.",
    "n v t",
    "nvt",
    "niet van toepassing",
    "pass",
    "next",
    "next question",
    "no idea",
    "i dont know",
    "dont know",
    "dunno",
    "idk",
    "rather not",
    "id rather not say",
    "prefer not to say",
    "n/a",
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
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
}
#: Numbers outside the scale, as words: a school grade ("een zesje") or zero is asked again.
OUT_OF_RANGE_WORDS = {
    "nul",
    "zes",
    "zesje",
    "zeven",
    "zevende",
    "zeventje",
    "acht",
    "achtje",
    "negen",
    "negentje",
    "tien",
    "tientje",
    "elf",
    "twaalf",
    "honderd",
    "anderhalf",
    "zero",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "hundred",
}

# ------------------------------------------------------------------ words
# Head words and how modifiers move them. A head has a class:
_POS = "pos"  # goed 4: heel goed 5, best goed 4, niet goed 2, helemaal niet goed 1
_NEG = "neg"  # slecht 2: heel slecht 1, best slecht 2, niet slecht 3, helemaal niet slecht 4
_TOP = "top"  # geweldig 5: echt geweldig 5, niet geweldig 2
_BOTTOM = "bottom"  # vreselijk 1: echt vreselijk 1
_MUCH = "much"  # veel 4: heel veel 5, best veel 4, niet veel 2 (an amount)
_LITTLE = "little"  # weinig 2: heel weinig 1, te weinig 2, veel te weinig 1 (an amount)
_NONE = "none"  # geen 1: helemaal geen 1, bijna geen 1 (an amount)
_AMOUNTS = {_MUCH, _LITTLE, _NONE}

HEADS: dict[str, str] = {
    **dict.fromkeys(["goed", "fijn", "leuk", "lekker", "prettig", "tevreden", "positief", "good", "nice"], _POS),
    **dict.fromkeys(["slecht", "zwaar", "moeilijk", "lastig", "ontevreden", "onprettig", "bad", "poor"], _NEG),
    **dict.fromkeys(
        [
            "geweldig",
            "fantastisch",
            "uitstekend",
            "perfect",
            "prachtig",
            "heerlijk",
            "uitmuntend",
            "optimaal",
            "top",
            "toppie",
            "super",
            "great",
            "excellent",
            "amazing",
            "awesome",
            "fantastic",
            "wonderful",
            "brilliant",
            "superb",
        ],
        _TOP,
    ),
    **dict.fromkeys(
        [
            "vreselijk",
            "verschrikkelijk",
            "rampzalig",
            "waardeloos",
            "dramatisch",
            "belabberd",
            "beroerd",
            "bagger",
            "afschuwelijk",
            "terrible",
            "awful",
            "horrible",
            "dreadful",
        ],
        _BOTTOM,
    ),
    "veel": _MUCH,
    "much": _MUCH,
    "weinig": _LITTLE,
    "little": _LITTLE,
    **dict.fromkeys(["geen", "niks", "niets", "nauwelijks", "amper", "none", "nothing"], _NONE),
}
#: Only for "Hoeveel energie had je?": tired, empty or fit says how much energy.
ENERGY_HEADS: dict[str, str] = {
    **dict.fromkeys(["fit", "energiek", "uitgerust", "hoog", "high", "energetic"], _POS),
    "topfit": _TOP,
    **dict.fromkeys(["moe", "vermoeid", "laag", "low", "tired"], _NEG),
    **dict.fromkeys(
        [
            "uitgeput",
            "kapot",
            "op",
            "leeg",
            "doodmoe",
            "hondsmoe",
            "bekaf",
            "afgepeigerd",
            "gesloopt",
            "exhausted",
            "drained",
        ],
        _BOTTOM,
    ),
}
#: "niet X": only these negative heads turn around ("niet slecht" 3, "helemaal niet slecht" 4).
_NEGATABLE_NEG = {"slecht", "bad"}
#: "niet super" / "niet perfect": "not very" or "not quite"? Unclear.
_TOP_NOT_NEGATABLE = {"super", "perfect", "optimaal", "uitmuntend"}

INTENSIFIERS = {
    "heel",
    "hele",
    "erg",
    "zeer",
    "echt",
    "super",
    "hartstikke",
    "ontzettend",
    "enorm",
    "extreem",
    "bijzonder",
    "mega",
    "kei",
    "uitzonderlijk",
    "ongelooflijk",
    "waanzinnig",
    "very",
    "really",
    "extremely",
    "incredibly",
}
SOFTENERS = {"best", "vrij", "wel", "behoorlijk", "aardig", "gewoon", "lekker", "best wel", "pretty", "quite", "rather"}
NEGATIONS = {
    "niet",
    "niet zo",
    "niet echt",
    "niet erg",
    "niet bepaald",
    "niet zo erg",
    "not",
    "not so",
    "not very",
    "not really",
    "not that",
    "not too",
}
STRONG_NEGATIONS = {"helemaal niet", "totaal niet", "absoluut niet", "echt niet", "echt helemaal niet", "totally not"}
#: "helemaal geen energie", "bijna geen steun", "zo goed als niks".
_NONE_MODIFIERS = {*"helemaal totaal bijna vrijwel nagenoeg echt absoluut".split(), "zo goed als", "echt helemaal"}
#: "helemaal kapot", "totaal uitgeput".
_BOTTOM_MODIFIERS = {"helemaal", "totaal", "compleet", "volledig", "echt helemaal"}
#: Written as one word: "superleuk", "keigoed", "megaveel".
_COMPOUND_PREFIXES = ("super", "kei", "mega", "hyper", "reuze", "hartstikke")

# Whole phrases with a fixed value, for every question. Longer ones are found before their parts.
PHRASES: dict[str, int] = {
    # 1
    "slechtst": 1,
    "helemaal niet": 1,
    "totaal niet": 1,
    "absoluut niet": 1,
    "not at all": 1,
    "hardly any": 1,
    "barely any": 1,
    "none at all": 1,
    "not any": 1,
    "geen enkele": 1,
    "heel weinig": 1,
    # 2
    "niet best": 2,
    "niet zo best": 2,
    "onvoldoende": 2,
    "matig": 2,
    "niet zo": 2,
    "niet echt": 2,
    "niet bepaald": 2,
    "not really": 2,
    "not a lot": 2,
    "bleh": 2,
    "karig": 2,
    # 3
    "gaat wel": 3,
    "het gaat wel": 3,
    "ging wel": 3,
    "het ging wel": 3,
    "neutraal": 3,
    "gemiddeld": 3,
    "redelijk": 3,
    "ok": 3,
    "oke": 3,
    "okee": 3,
    "okay": 3,
    "wel ok": 3,
    "wel oke": 3,
    "normaal": 3,
    "voldoende": 3,
    "zozo": 3,
    "zo zo": 3,
    "soso": 3,
    "so so": 3,
    "average": 3,
    "middelmatig": 3,
    "kan ermee door": 3,
    "het kan ermee door": 3,
    "half half": 3,
    "ging wel oke": 3,
    "gaat wel oke": 3,
    "valt mee": 3,
    "viel mee": 3,
    "het valt mee": 3,
    "het viel mee": 3,
    "gemiddeld genomen": 3,
    # 4
    "ruim voldoende": 4,
    "prima": 4,
    "aardig": 4,
    "behoorlijk": 4,
    "a lot": 4,
    "quite a lot": 4,
    "lots": 4,
    "lots of": 4,
    "a lot of": 4,
    # 5
    "enorm": 5,
    "te gek": 5,
    "helemaal top": 5,
    "very much": 5,
}
#: Fixed phrases that are amounts ("hoeveel?"): unclear on the workload question.
_AMOUNT_PHRASES = {"heel weinig", "geen enkele", "karig", "enorm", "hardly any", "barely any", "none at all"}
_AMOUNT_PHRASES |= {"not any", "not a lot", "a lot", "quite a lot", "lots", "lots of", "a lot of", "very much"}
#: Known, and deliberately unclear: a guess either way.
UNCLEAR_PHRASES = {
    "een beetje",
    "beetje",
    "wat",
    "iets",
    "minder",
    "meer",
    "wisselend",
    "wisselvallig",
    "mwah",
    "meh",
    "fine",
    "alright",
    "pretty much",
    "a bit",
    "a little",
    "some",
    "somewhat",
    "genoeg",
    "redelijk goed",
    "niet super",
    "kan beter",
    "kon beter",
    "ja",
    "nee",
    "yes",
    "no",
    "wel",
    "niet",
    "helemaal",
    "echt",
}

# Per question: its own scale words, tried before the general ones.
ENERGIE_PHRASES: dict[str, int] = {
    "ik ben op": 1,
    "ik was op": 1,
    "helemaal op": 1,
    "op van de stress": 1,
    "vol energie": 5,
    "vol met energie": 5,
    "full of energy": 5,
    "bomvol energie": 5,
}
# For the workload question ("how manageable was your work?") "busy" words point down,
# and "goed te doen" is its top (5). "<x> te doen" and "<x> te veel" are composed in _werkdruk.
# Busy alone ("druk", "pittig") says how full the week was, not whether the work could be done: unclear.
WERKDRUK_PHRASES: dict[str, int] = {
    "onhaalbaar": 1,
    "niet haalbaar": 1,
    "ondoenlijk": 1,
    "niet doenbaar": 1,
    "te weinig tijd": 2,
    "veel te weinig tijd": 1,
    "goed in balans": 5,
    "in balans": 4,
    "druk": 0,
    "heel druk": 0,
    "erg druk": 0,
    "best druk": 0,
    "extreem druk": 0,
    "pittig": 0,
    "vol": 0,
    "busy": 0,
    "very busy": 0,
}
#: Calm words on the workload question: "rustig" 4, "heel rustig" 5, "lekker rustig" 4.
WERKDRUK_HEADS: dict[str, str] = dict.fromkeys(["rustig", "overzichtelijk", "ontspannen", "relaxed", "calm"], _POS)
#: In an explanation on the workload question, busy words point down: "een 5, het was superdruk".
_BUSY = dict.fromkeys(["druk", "pittig", "hectisch", "busy", "hectic"], _NEG)
#: "<x> manageable": the English "<x> te doen".
_MANAGEABLE = {"manageable", "doable"}
# "Hoe verbonden voelde je je?" is answered with a degree alone: 1 = helemaal niet, 5 = heel erg.
VERBINDING_PHRASES: dict[str, int] = {
    "heel erg": 5,
    "echt heel erg": 5,
    "ontzettend": 5,
    "hartstikke": 5,
    "heel sterk": 5,
    "best wel": 4,
    "niet erg": 2,
    "niet zo erg": 2,
    "not very": 2,
    "very much so": 5,
}
#: The degree words that are unclear on their own for the connection question.
_VERBINDING_UNCLEAR = {*"heel erg zeer sterk best very quite enigszins totaal zeker absoluut".split()}
DIMENSION_PHRASES: dict[str, dict[str, int]] = {
    "energie": ENERGIE_PHRASES,
    "werkdruk": WERKDRUK_PHRASES,
    "verbinding": VERBINDING_PHRASES,
}
_LEADERS = ("leidinggevende", "baas", "teamleider", "directeur", "directrice", "manager", "schoolleider", "leiding")
#: What the question is about, dropped at the edge of an answer: "weinig energie", "geen steun".
DIMENSION_NOUNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "energie": (("energie",), ("energy",), ("puf",)),
    "werkdruk": (("werk",), ("work",)),
    "verbinding": (
        ("verbonden",),
        ("verbinding",),
        ("connected",),
        ("met", "mijn", "collegas"),
        ("met", "de", "collegas"),
        ("met", "collegas"),
        ("met", "mijn", "team"),
        ("met", "het", "team"),
        ("met", "iedereen"),
    ),
    "waardering": (
        ("waardering", "en", "steun"),
        ("steun", "en", "waardering"),
        ("waardering",),
        ("steun",),
        ("support",),
        ("appreciation",),
        *(
            ("van", *owner, leader)
            for leader in _LEADERS
            for owner in ((), ("mijn",), ("mn",), ("de",), ("onze",), ("ons",))
        ),
    ),
    "plezier": (
        ("plezier", "in", "mijn", "werk"),
        ("plezier", "in", "het", "werk"),
        ("werkplezier",),
        ("plezier",),
        ("lol",),
        ("fun",),
    ),
}
#: Framing around the answer: "ik had ...", "... deze week", "ja, ...", "... hoor".
_LEADING = sorted(
    [
        tuple(p.split())
        for p in [
            "ik had",
            "ik heb",
            "had ik",
            "heb ik",
            "ik voelde me",
            "ik voelde mij",
            "voelde me",
            "ik vond het",
            "vond het",
            "ik ben",
            "ik was",
            "het was",
            "het is",
            "was",
            "is",
            "het",
            "deze week",
            "this week",
            "ja",
            "nou",
            "uhm",
            "ehm",
            "eh",
            "hmm",
            "tja",
            "mijn",
            "mn",
            "qua",
            "ik denk",
            "ik zou zeggen",
            "eerlijk gezegd",
            "al met al",
            "i had",
            "i felt",
            "i was",
            "im",
            "it was",
            "id say",
            "i would say",
            "i think",
            "well",
            "honestly",
            "eigenlijk",
        ]
    ],
    key=len,
    reverse=True,
)
_TRAILING = sorted(
    [
        tuple(p.split())
        for p in [
            "deze week",
            "this week",
            "hoor",
            "zelfs",
            "denk ik",
            "geloof ik",
            "zou ik zeggen",
            "eigenlijk",
            "gehad",
            "gekregen",
            "ervaren",
            "gevoeld",
            "vandaag",
            "i think",
            "to be honest",
            "eerlijk gezegd",
            "zeg maar",
            "dus",
            "joh",
            "haha",
        ]
    ],
    key=len,
    reverse=True,
)

# ------------------------------------------------------------------ numbers
#: Words that may stand around a number without changing it: "ik geef het een dikke 4".
NUMBER_FILLER = {
    *"ik geef geven het hem haar mezelf mijzelf mij me mijn mn leidinggevende een n dikke vette krappe magere".split(),
    *"zeker echt wel toch gewoon denk geloof zou zeggen zeg hoor nou uhm ehm eh hmm tja ja cijfer score".split(),
    *"nummer punten sterren ster stars star a an i id d say would give it think deze week this vandaag voor".split(),
    *"qua eigenlijk energie energy werkdruk verbinding waardering steun plezier is was".split(),
    *"misschien wellicht maybe perhaps gemiddeld dus".split(),
}
#: Words that make a number unclear: negations, hedges, comparisons, other quantities.
NUMBER_BLOCKERS = {
    *"niet geen not no nooit never bijna ongeveer rond rondom ruim ruime circa ca plusminus pm zon".split(),
    *"mogelijk about around almost nearly approx approximately roughly".split(),
    *"meer minder more less max maximaal maximum hooguit hoogstens minstens minimaal minimum tenminste".split(),
    *"onder boven under below above over eerder liever dan than of or ofzo tot to till tussen between".split(),
    *"en and maar but kleine min minus plus half halve keer x procent uur dag dagen weken".split(),
    *"vorige volgende last next tegen net hoger lager higher lower beter slechter better worse".split(),
}
NUMBER_FILLER -= NUMBER_BLOCKERS

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
    "😑": 3,
    "🫤": 3,
    "🙁": 2,
    "😕": 2,
    "😟": 2,
    "😔": 2,
    "😞": 2,
    "👎": 2,
    "☹": 2,
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
}
#: Tired, overwhelmed: about your energy and your work, not about colleagues or your leader.
_TIRED_EMOJI = {"😩", "😫", "🥱", "😵", "🥵", "🤯", "💀"}
_NOT_ABOUT_TIREDNESS = {"verbinding", "waardering"}
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

_SIGN_OR_RANGE = re.compile(r"[-+−–—±]\s*[0-9]|[0-9]\s*[-+−–—±]|[0-9]\s*[.,]\s*[0-9]")
_KEYCAP = re.compile(r"([0-9])\ufe0f?\u20e3")
#: Invisible joiners and variation selectors in emoji, gender signs, skin tones.
_EMOJI_PARTS = re.compile("[\ufe0e\ufe0f\u200d\u2640\u2642\U0001f3fb-\U0001f3ff]")
_MARKUP = re.compile(r"[<>{}\[\]=;$\\]")
_DENOMINATOR = re.compile(r"\b([0-9]+) ?(?:/ ?|(?:van|op|uit|out of) (?:de |the )?)5\b")
_STOP_START = re.compile(r"^(stop|stoppen|laat maar|kappen|hou op|ik wil stoppen|ik stop|annuleer|cancel|quit)\b")
_SKIP_PATTERNS = (
    re.compile(r"^(ik )?sla (deze|die|dit|deze vraag|die vraag)? ?(maar |even )?over$"),
    re.compile(r"^(deze|die) (vraag )?sla ik (maar |even )?over$"),
    re.compile(r"^skip( this| this one| this question| deze| maar| please)?$"),
    re.compile(r"^(dat )?weet ik (eigenlijk |echt |nog )?niet( zo goed| precies| echt)?$"),
    re.compile(r"^ik weet (het|dat) (eigenlijk |echt |nog )?niet( zo goed| precies| echt)?$"),
    re.compile(r"^(dat )?(zeg|wil) ik (liever )?niet( zeggen)?$"),
)
_POLITE = re.compile(r"^(sorry |nee |uhm |eh )?(.*?)( aub| alsjeblieft| alstublieft| please| graag| eigenlijk| hoor)?$")
_NEGATION_WORDS = {"niet", "geen", "not", "no", "nooit", "never", "none", "niks", "niets", "niemand", "nobody"}
#: Colloquial spellings read as the word they stand for.
_ALIASES = {"nie": "niet", "oké": "oke", "okey": "okay"}
#: An answer in several parts: "Drukke week, maar goed te doen. Een 4."
_CLAUSE_BREAK = re.compile(r"[.,:!?\n]+|\s+(?=dus\b)")
#: A conclusion: "dus een 3", "al met al weinig", "doe maar een 2", "kortom: goed te doen".
_VERDICT_MARKERS = sorted(
    [tuple(p.split()) for p in ["dus", "kortom", "al met al", "samengevat", "doe maar", "overall", "so", "all in all"]],
    key=len,
    reverse=True,
)
#: Words that turn a sentence around: what follows may take back what came before.
_CONTRAST_WORDS = {"maar", "but", "hoewel", "although", "though", "behalve", "except", "toch", "however", "al"}
_BASE_VALUE = {_POS: 4, _NEG: 2, _TOP: 5, _BOTTOM: 1, _MUCH: 4, _LITTLE: 2, _NONE: 1}


def normalise(text: str) -> str:
    """Lower-case, NFKC, strip punctuation at the edges and collapse white space."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)  # "collega's", "I'd", "zo'n"
    text = text.replace("-", " ")
    text = re.sub(r"[!?.,;:()\"'*_~]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _emoji_score(raw: str, dimension: str | None = None) -> int | None:
    ignored = _TIRED_EMOJI if dimension in _NOT_ABOUT_TIREDNESS else set()
    found = {EMOJI[ch] for ch in raw if ch in EMOJI and ch not in ignored}
    return found.pop() if len(found) == 1 else None


def _unkeyed(raw: str) -> str:
    """Keycap emoji as their digit ("4️⃣" -> "4"), variation selectors and skin tones taken off."""
    return _EMOJI_PARTS.sub("", _KEYCAP.sub(r"\1", raw))


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch) in {"So", "Sk", "Cs"} or ch in EMOJI


# ------------------------------------------------------------------ stop / skip


def _stop_or_skip(text: str) -> Answer | None:
    match = _POLITE.match(text)
    for candidate in dict.fromkeys((text, match.group(2) if match else text)):
        if candidate in STOP_PHRASES:
            return STOP
        if candidate in SKIP_PHRASES or any(p.match(candidate) for p in _SKIP_PATTERNS):
            return SKIP
    # "laat maar, ik stop", "stop nu": a stop word at the start ends the check-in ("ik stop niet" does not).
    if _STOP_START.match(text) and not _NEGATION_WORDS.intersection(text.split()):
        return STOP
    return None


# ------------------------------------------------------------------ numbers


def _has_number(tokens: list[str] | tuple[str, ...]) -> bool:
    """A number other than the article "een": "2", "drie", "tien", "anderhalf"."""
    return any(
        t.isdigit() or (t in NUMBER_WORDS and t != "een") or t in OUT_OF_RANGE_WORDS or t.endswith("enhalf")
        for t in tokens
    )


def _number(tokens: list[str], dimension: str | None) -> Answer | None:
    """One number 1-5 in the answer, or UNCLEAR when a number is there but not clearly one of the five.

    None when the answer holds no number at all (then the words decide).
    """
    if any(t in OUT_OF_RANGE_WORDS or t.endswith("enhalf") for t in tokens):
        return UNCLEAR
    if tokens == ["een"]:
        return UNCLEAR  # the article alone, or the start of an answer sent too soon; "één" is 1
    words = [str(NUMBER_WORDS[t]) if t in NUMBER_WORDS and t != "een" else t for t in tokens]
    text = _DENOMINATOR.sub(r"\1", " ".join(words))
    numbers = re.findall(r"[0-9]+", text)
    if not numbers:
        return None
    if len(numbers) != 1 or numbers[0] not in {"1", "2", "3", "4", "5"}:
        return UNCLEAR
    value = int(numbers[0])
    rest = text.split()
    if numbers[0] not in rest:
        return UNCLEAR  # the digit was glued to something: "4e", "#3", "3x"
    rest.remove(numbers[0])
    # "doe maar een 2", "eentje maar" (only one): here "maar" is no "but".
    rest = [t for i, t in enumerate(rest) if t != "maar" or i in {0, len(rest) - 1} or rest[i - 1] in {"doe", "zeg"}]
    if any(t in NUMBER_BLOCKERS - {"maar"} or t in {"half", "halve"} for t in rest):
        return UNCLEAR
    if "maar" in rest and len(rest) > 1 and rest[0] != "maar" and rest[-1] != "maar":
        return UNCLEAR
    nouns = {w for noun in DIMENSION_NOUNS.get(dimension or "", ()) for w in noun}
    core = [t for t in rest if t not in NUMBER_FILLER and t not in nouns and t not in {"maar", "doe"}]
    if not core:
        return Answer(Kind.SCORE, value)
    # "4, goed": words beside the number must agree with it.
    said = _words(tuple(core), dimension) or _words(tuple(core), None)
    return Answer(Kind.SCORE, value) if said and abs(said - value) <= 1 else UNCLEAR


# ------------------------------------------------------------------ words


def _heads(dimension: str | None) -> dict[str, str]:
    return {**HEADS, **ENERGY_HEADS} if dimension in {"energie", None} else HEADS


def _split_compound(token: str, heads: dict[str, str]) -> tuple[str, ...]:
    """ "superleuk" -> ("super", "leuk"); "teveel" -> ("te", "veel")."""
    if token in {"teveel", "zoveel"}:
        return (token[:-4], "veel")
    if token not in heads:
        for prefix in _COMPOUND_PREFIXES:
            if token.startswith(prefix) and token[len(prefix) :] in heads:
                return (prefix, token[len(prefix) :])
    return (token,)


def _modifier_value(kind: str, mods: tuple[str, ...], head: str) -> int | None:
    """The value of a head of this class under these modifiers, or None when that is a guess."""
    text = " ".join(mods)
    intensified = bool(mods) and all(t in INTENSIFIERS for t in mods)
    value: int | None = None
    if kind == _POS:
        value = 4 if not mods or text in SOFTENERS else 5 if intensified else None
        value = 2 if text in NEGATIONS else 1 if text in STRONG_NEGATIONS else value
    elif kind == _NEG:
        value = 2 if not mods or text in SOFTENERS else 1 if intensified else None
        if head in _NEGATABLE_NEG:
            value = 3 if text in NEGATIONS else 4 if text in STRONG_NEGATIONS else value
    elif kind == _TOP:
        value = 5 if not mods or intensified else None
        if text in NEGATIONS and head not in _TOP_NOT_NEGATABLE:
            value = 2
    elif kind == _BOTTOM:
        value = 1 if not mods or intensified or text in _BOTTOM_MODIFIERS else None
    elif kind == _MUCH:
        value = 4 if not mods or text in SOFTENERS else 5 if intensified else None
        value = 2 if text in NEGATIONS and text != "niet zo erg" else value
        value = None if text == "te" or text.endswith(" te") else value  # "te veel": werkdruk only
    elif kind == _LITTLE:
        value = 2 if not mods or text in SOFTENERS or text == "te" else 1 if intensified else None
        value = 1 if text in {"veel te", "echt veel te", "way too", "far too", "much too"} else value
    elif kind == _NONE:
        value = 1 if not mods or intensified or text in _NONE_MODIFIERS else None
    return value


def _compose(tokens: tuple[str, ...], dimension: str | None) -> tuple[int, str] | None:
    """ "heel erg goed" -> (5, pos); "niet echt leuk" -> (2, pos); "helemaal geen" -> (1, none)."""
    heads = _heads(dimension)
    if len(tokens) >= 3 and tokens[0] == "not" and tokens[-2:] == ("at", "all"):
        tokens = ("helemaal", "niet", *tokens[1:-2])  # "not good at all"
    if not tokens or tokens[-1] not in heads:
        return None
    kind = heads[tokens[-1]]
    value = _modifier_value(kind, tokens[:-1], tokens[-1])
    return (value, kind) if value else None


def _werkdruk(tokens: tuple[str, ...]) -> int | None:
    """ "goed te doen" 5 .. "niet te doen" 1; "te veel" 2, "veel te veel" 1; 0 = known but unclear."""
    words = tuple({"too": "te", "much": "veel", "busy": "druk"}.get(t, t) for t in tokens)
    for tail in (("te", "veel"), ("te", "druk")):
        if words[-2:] == tail:
            mods = " ".join(words[:-2])
            if not mods:
                return 2
            return 1 if mods in {"veel", "veels", "echt veel", "heel veel", "veel en veel", "way", "far"} else None
    if words and words[-1] in WERKDRUK_HEADS:  # "lekker rustig"; "niet rustig" is busy, not undoable
        mods = words[:-1]
        if " ".join(mods) in NEGATIONS | STRONG_NEGATIONS:
            return 0
        return _modifier_value(_POS, mods, words[-1])
    if words and words[-1] in _MANAGEABLE:  # "very manageable"
        mods = " ".join(words[:-1])
        if not mods:
            return 0
        if mods in {"not", "totally not"}:
            return 1
        if mods in NEGATIONS:
            return 2
        return 5 if all(t in INTENSIFIERS for t in words[:-1]) else 4 if mods in SOFTENERS else None
    if words[-2:] != ("te", "doen"):
        return None
    mods = words[:-2]
    text = " ".join(mods)
    if not mods or text in {"wel", "nog", "nog wel", "net", "prima", "makkelijk", "bijna niet"}:
        return 0
    if text in {"niet", "gewoon niet", *STRONG_NEGATIONS}:
        return 1
    if mods[-2:] == ("te", "veel"):
        return _werkdruk(mods)
    if mods[-1] == "goed":
        before = " ".join(mods[:-1])
        if not before or all(t in INTENSIFIERS for t in mods[:-1]):
            return 5
        if before in {"wel", "gewoon"}:
            return 0  # "wel goed te doen": just doable, or well doable?
        if before in SOFTENERS:
            return 4  # "vrij goed te doen": just below the top
        return 2 if before in NEGATIONS else 1 if before in STRONG_NEGATIONS else None
    value = _lookup(mods, None)
    return None if value is None else 0 if value == 4 else value


def _lookup(tokens: tuple[str, ...], dimension: str | None) -> int | None:
    """The value of these words for this question; 0 = known, and unclear; None = not known."""
    text = " ".join(tokens)
    own = DIMENSION_PHRASES.get(dimension or "", {})
    if text in own:
        return own[text]
    if dimension == "werkdruk":
        value = _werkdruk(tokens)
        if value is not None:
            return value
    if dimension == "verbinding" and text in _VERBINDING_UNCLEAR:
        return 0
    if text in UNCLEAR_PHRASES:
        return 0
    if text in PHRASES:
        value, amount = PHRASES[text], text in _AMOUNT_PHRASES
    else:
        composed = _compose(tokens, dimension)
        if composed is None:
            return None
        value, amount = composed[0], composed[1] in _AMOUNTS
    if dimension == "werkdruk" and (value == 4 or amount):
        return 0  # "goed": 4 or "goed te doen"? "veel": werk or doable?
    return value


def _strip_once(tokens: tuple[str, ...], dimension: str | None) -> tuple[tuple[str, ...], bool] | None:
    """Drop one frame or the question's noun at an edge: (rest, a noun was dropped), or None."""
    for frame in _TRAILING:
        if len(tokens) > len(frame) and tokens[-len(frame) :] == frame:
            return tokens[: -len(frame)], False
    for frame in _LEADING:
        if len(tokens) > len(frame) and tokens[: len(frame)] == frame:
            return tokens[len(frame) :], False
    for noun in DIMENSION_NOUNS.get(dimension or "", ()):
        if len(tokens) > len(noun) and tokens[-len(noun) :] == noun:
            return tokens[: -len(noun)], True
        if len(tokens) > len(noun) and tokens[: len(noun)] == noun:
            return tokens[len(noun) :], True
    return None


def _words(tokens: tuple[str, ...], dimension: str | None) -> int | None:
    """The score these words give on this question, or None."""
    heads = _heads(dimension)
    tokens = tuple(part for t in tokens for part in _split_compound(t, heads))
    for _ in range(8):
        value = _lookup(tokens, dimension)
        if value is not None:
            return value or None
        stripped = _strip_once(tokens, dimension)
        if stripped is None:
            return None
        tokens, noun_dropped = stripped
        if noun_dropped and tokens == ("no",):
            tokens = ("geen",)  # "no energy", "no fun"
        if noun_dropped and dimension == "verbinding":
            text = " ".join(tokens)
            if text in INTENSIFIERS - {"super"}:
                return None  # "erg verbonden": 4, or the top "heel erg"? Readers differ.
            if len(tokens) > 1 and all(t in INTENSIFIERS for t in tokens):
                return 5  # "heel erg verbonden", "echt heel verbonden"
            if text in SOFTENERS:
                return 4  # "best verbonden" (but "best" alone is unclear)
    return None


# ------------------------------------------------------------------ typos


@lru_cache(maxsize=1)
def _known_words() -> tuple[frozenset[str], frozenset[str]]:
    """Every word the parser knows, and the content words a typo may be corrected into."""
    content = [
        *PHRASES,
        *UNCLEAR_PHRASES,
        *STOP_PHRASES,
        *SKIP_PHRASES,
        *NUMBER_WORDS,
        *HEADS,
        *ENERGY_HEADS,
        *WERKDRUK_HEADS,
        *_MANAGEABLE,
        *INTENSIFIERS,
        *SOFTENERS,
        *(p for table in DIMENSION_PHRASES.values() for p in table),
        *(" ".join(n) for nouns in DIMENSION_NOUNS.values() for n in nouns),
        "te doen",
        "hoor",
    ]
    other = [
        *OUT_OF_RANGE_WORDS,
        *NEGATIONS,
        *STRONG_NEGATIONS,
        *_NONE_MODIFIERS,
        *_BOTTOM_MODIFIERS,
        *NUMBER_FILLER,
        *NUMBER_BLOCKERS,
        *_NEGATION_WORDS,
        *(" ".join(f) for f in (*_LEADING, *_TRAILING)),
    ]
    known = frozenset(w for p in [*content, *other] for w in p.split())
    targets = frozenset(w for p in content for w in p.split() if len(w) >= 3) - _NEGATION_WORDS
    return known, targets


def _one_edit(typed: str, word: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped (Damerau distance 1)."""
    if typed == word or abs(len(typed) - len(word)) > 1:
        return False
    if len(typed) == len(word):
        diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        first, second = (diff + [0, 0])[:2]
        swapped = typed[first] == word[second] and typed[second] == word[first]
        return len(diff) == 2 and second == first + 1 and swapped
    longer, shorter = (typed, word) if len(typed) > len(word) else (word, typed)
    i = next((i for i, (a, b) in enumerate(zip(longer, shorter, strict=False)) if a != b), len(shorter))
    return longer[i + 1 :] == shorter[i:]


def _correct(token: str) -> str | None:
    """The one known word this unknown word is a typo of, or None."""
    known, targets = _known_words()
    if token in known or len(token) < 3 or not token.isalpha():
        return None
    # A key held too long: "leukk", "viier", "goedd".
    undoubled = {token[:i] + token[i + 1 :] for i in range(len(token) - 1) if token[i] == token[i + 1]}
    found = undoubled & known
    if len(found) == 1:
        return found.pop()
    if len(token) == 3:
        # Short words: only two letters swapped ("wle") or a double letter missing ("hel").
        found = {w for w in targets if len(w) == 3 and sorted(w) == sorted(token) and _one_edit(token, w)}
        doubled = {w for w in targets if len(w) == 4 and w[1] == w[2]}  # "heel", "hoor", "veel"
        found |= {w for w in doubled if w[:1] + w[2:] == token}
    else:
        # "ontevreden" is no typo of "tevreden", nor "leukste" of "leuk": another word, so unclear.
        found = {w for w in targets if _one_edit(token, w) and w not in token and token not in w}
    return found.pop() if len(found) == 1 else None


def _correct_typos(tokens: list[str]) -> list[str] | None:
    """Fix one typo per unknown word ("suuper", "geweldug", "niet ehct"), or None when nothing changed."""
    fixed = [_correct(t) or t for t in tokens]
    return fixed if fixed != tokens else None


# ------------------------------------------------------------------ the answer


def _tokens(clean: str) -> list[str]:
    tokens = []
    for word in clean.split():
        plain = _strip_accents(word)
        if plain == "een" and word != "een":
            plain = "1"  # "één" is a number, "een" usually an article
        plain = re.sub(r"([a-z])\1{2,}", r"\1\1", plain)  # "heeeel" -> "heel", "suuuper" -> "suuper"
        tokens.append(_ALIASES.get(plain, plain))
    return tokens


def _whole(tokens: list[str], dimension: str | None) -> Answer:
    """One answer without its emoji: stop, skip, a number or words; typos corrected last."""
    result = _stop_or_skip(" ".join(tokens)) or _number(tokens, dimension)
    if result:
        return result
    value = _words(tuple(tokens), dimension)
    if value is None:
        fixed = _correct_typos(tokens)
        if fixed:
            result = _stop_or_skip(" ".join(fixed)) or _number(fixed, dimension)
            if result:
                return result
            value = _words(tuple(fixed), dimension)
    return Answer(Kind.SCORE, value) if value else UNCLEAR


def _verdict(tokens: list[str]) -> tuple[list[str], bool]:
    """A clause without its "dus", "al met al", "doe maar" ...: (rest, it was marked as the conclusion)."""
    marked = len(tokens) > 1 and tokens[-1] == "dus"
    stripped = True
    while stripped:  # "dus al met al een 2"
        stripped = False
        for marker in _VERDICT_MARKERS:
            if len(tokens) > len(marker) and tuple(tokens[: len(marker)]) == marker:
                tokens, marked, stripped = tokens[len(marker) :], True, True
                break
    return tokens, marked


def _contrast(tokens: list[str]) -> bool:
    for i, t in enumerate(tokens):
        if t == "maar" and i and tokens[i - 1] == "alleen":
            continue  # "alleen maar": nothing but
        if t == "al" and tokens[i + 1 : i + 3] == ["met", "al"] or t == "al" and i and tokens[i - 1] == "met":
            continue  # "al met al": all in all
        if t in _CONTRAST_WORDS:
            return True
    return False


def _from_clauses(text: str, dimension: str | None) -> Answer:
    """An answer that explains itself: "Drukke week met rapporten, dus veel te veel werk."

    One part gives the score (a number, or words); the others are context. Never a guess:
    unclear when parts disagree, when the context holds another number, or (for words
    without "dus" and the like) when the context turns around ("maar") or says otherwise.
    """
    parts = [_tokens(normalise(part)) for part in _CLAUSE_BREAK.split(text)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or len(parts) > 8:
        return UNCLEAR
    answers, context = [], []
    for part in parts:
        rest, marked = _verdict(part)
        answer = _whole(rest, dimension)
        if answer.kind is Kind.UNCLEAR:
            context.append(part)
        else:
            answers.append((answer, marked, _has_number(rest)))
    if not answers or any(_has_number(part) for part in context):
        return UNCLEAR
    if len({answer for answer, _, _ in answers}) != 1:
        return UNCLEAR  # "goed, een 2"; "leuk, slecht"
    answer, marked, numeric = answers[-1]
    if answer.kind is not Kind.SCORE:
        # "geen idee, ik heb hem niet gezien": a skip or stop at the start or the end.
        first, last = _verdict(parts[0])[0], _verdict(parts[-1])[0]
        return answer if _whole(first, dimension) == answer or _whole(last, dimension) == answer else UNCLEAR
    subject = {n[0] for n in DIMENSION_NOUNS.get(dimension or "", ()) if len(n) == 1}
    if any(subject.intersection(part) for part in context):
        return UNCLEAR  # "wel steun, geen waardering": the context answers too
    signals = [v for part in context for v in _signals(part, dimension)]
    mixed = any(_contrast(part) for part in context)  # "kapot, maar verder viel het mee, een 3"
    if signals and all(abs(v - answer.value) > 1 for v in signals) and not mixed:
        return UNCLEAR  # "een 5, het was echt superdruk": the context only says otherwise
    if numeric or any(m for _, m, _ in answers):
        return answer  # "..., dus een 3", "Ik zou zeggen een 4.", "..., dus weinig energie"
    for part in context:
        if _contrast(part):
            return UNCLEAR  # "veel plezier, maar ontwikkelen kwam er niet van"
        if answer.value >= 3 and _NEGATION_WORDS.intersection(part):
            return UNCLEAR  # "goed, alleen niet op maandag"
    if any(abs(v - answer.value) > 1 for v in signals):
        return UNCLEAR  # "veel energie, ik was wel moe"
    return answer


def _signals(tokens: list[str], dimension: str | None) -> list[int]:
    """The rough values of the score words in a context clause: "fit" 4, "superdruk" 2 ..."""
    heads = _heads(dimension)
    if dimension == "werkdruk":  # amounts say nothing there ("veel": werk or doable?); busy points down
        heads = {w: k for w, k in heads.items() if k not in _AMOUNTS} | WERKDRUK_HEADS | _BUSY
    words = [_split_compound(t, heads)[-1] for t in tokens]  # "superdruk": druk
    found = []
    for i, word in enumerate(words):
        if word not in heads or (i + 1 < len(words) and words[i + 1] in heads):
            continue  # "super druk": "super" says how busy
        if _NEGATION_WORDS.intersection(words[max(0, i - 2) : i]):
            continue  # "ook niet fit": not a plain "fit"
        found.append(_BASE_VALUE[heads[word]])
    return found


def parse_score(text: str | None, dimension: str | None = None) -> Answer:
    """Parse one answer to a 1-5 question.

    Args:
        text: what the person typed or the payload of the button they clicked.
        dimension: the check-in dimension asked, for its own scale words ("goed te doen").

    Returns:
        A score 1-5, SKIP ("overslaan"), STOP ("laat maar") or UNCLEAR.
    """
    if not text or not text.strip() or len(text) > MAX_SCORE_CHARS:
        return UNCLEAR
    raw = unicodedata.normalize("NFKC", text.strip())
    if _MARKUP.search(raw):
        return UNCLEAR  # markup or code, not an answer
    raw = _unkeyed(raw)
    if _SIGN_OR_RANGE.search(raw):
        return UNCLEAR  # "-1", "5+", "3-4", "3,5": not one of the five answers, so ask again
    emoji = _emoji_score(raw, dimension)
    has_emoji = any(ch in EMOJI for ch in raw)
    words_only = "".join(" " if _is_symbol(ch) else ch for ch in raw)
    clean = normalise(words_only)
    if not clean:
        return Answer(Kind.SCORE, emoji) if emoji else UNCLEAR
    if re.search(r"\d", clean) and re.search(r"[^\D0-9]", clean):
        return UNCLEAR  # digits of another script

    result = _whole(_tokens(clean), dimension)
    if result.kind is Kind.UNCLEAR:
        result = _from_clauses(words_only.lower(), dimension)
    if result.kind is Kind.SCORE and has_emoji:
        # The emoji may agree or be milder ("goed te doen 👍", "5 💪"), never say more:
        # "moe 😩" (2 or 1?) and "super 😭" are asked again. A number is explicit: one step is fine.
        said = result.value
        if emoji is None:
            return UNCLEAR
        if _has_number(_tokens(clean)):
            return result if abs(emoji - said) <= 1 else UNCLEAR
        milder = said > 3 and 3 < emoji < said or said < 3 and said < emoji < 3
        return result if emoji == said or milder else UNCLEAR
    return result


#: The most a bare number may be, keycap emoji and punctuation included ("4", "een 4/5", "vier!").
MAX_BARE_NUMBER_CHARS = 20


def is_bare_number(text: str | None) -> bool:
    """True when the message is one number and nothing more: "4", "vier", "een 2", "3/5", "8", "4️⃣".

    Inside a question (a check-in, the fundament-scan) that is an answer; outside one it answers
    nothing, so the assistant asks what it is for instead of guessing a topic from one digit.
    A number with words around it ("ik geef het een 4", "3 collega's") is not bare.
    """
    if not text or len(text) > MAX_BARE_NUMBER_CHARS:
        return False
    raw = _unkeyed(unicodedata.normalize("NFKC", text.strip()))
    tokens = _tokens(_DENOMINATOR.sub(r"\1", normalise(raw)))
    if tokens[:1] in (["een"], ["n"]) and len(tokens) == 2:
        tokens = tokens[1:]  # "een 4", "'n 2": the article before a grade
    return len(tokens) == 1 and _has_number(tokens) and not (tokens[0].isdigit() and len(tokens[0]) > 2)


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
