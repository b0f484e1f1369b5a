"""Follow-up questions about the topic just discussed ("bron?", "en rood?", "een voorbeeld?").

The NLU gives the kind of follow-up (intents ``vervolg_<kind>``); the slot ``laatste_onderwerp``
holds the last knowledge topic. This module turns the two into the names of responses to try,
most specific first, and finds which element of a list just given a message points at. Every
sentence lives in domain/kennis.yml (``utter_vervolg_<kind>_<topic>``, with English variations);
here are only names and keywords. Pure functions, tested in tests/test_actions_kennis.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KINDS = ("bron", "herkomst", "meer", "voorbeeld", "onderdeel")
INTENT_PREFIX = "vervolg_"

#: No topic known: "waar wil je meer over weten?" with buttons.
NO_TOPIC = "utter_vervolg_geen_onderwerp"
#: Topic known, but the knowledge base has nothing of this kind for it: say so, offer topics.
NOTHING = "utter_vervolg_niets"

#: A subtopic borrows the follow-ups of the topic it belongs to (same source, same list).
PARENT = {
    "programma_doelgroep": "programma",
    "gezonde_school": "programma",
    "meer_info": "programma",
    "belang": "fundament",
    "piramide": "fundament",
    **{
        f"fundament_{e}": "fundament"
        for e in (
            "visie",
            "leiderschap",
            "onboarding",
            "maatje",
            "waarderingsgesprekken",
            "professionalisering",
            "techniek",
            "verbinding",
            "efficacy",
        )
    },
    **{f"amplitie_{e}": "amplitie" for e in ("bron", "zelf", "team", "leiding", "organisatie")},
}
#: "Who made it?" and "where is it written?" answer each other when one of them has no text.
SIBLING_KIND = {"bron": "herkomst", "herkomst": "bron"}


def kind_of(intent: str | None) -> str | None:
    """``vervolg_bron`` -> ``bron``; None for every other intent."""
    if intent and intent.startswith(INTENT_PREFIX) and intent[len(INTENT_PREFIX) :] in KINDS:
        return intent[len(INTENT_PREFIX) :]
    return None


def family(topic: str) -> list[str]:
    """The topic, then the topics it belongs to: fundament_visie -> [fundament_visie, fundament]."""
    chain = [topic]
    while chain[-1] in PARENT and PARENT[chain[-1]] not in chain:
        chain.append(PARENT[chain[-1]])
    return chain


def response_names(kind: str, topic: str) -> list[str]:
    """Responses to try for a follow-up of ``kind`` about ``topic``, most specific first."""
    kinds = [kind, *([SIBLING_KIND[kind]] if kind in SIBLING_KIND else [])]
    return [f"utter_vervolg_{k}_{t}" for k in kinds for t in family(topic)]


@dataclass(frozen=True)
class Element:
    """One item of a list the bot gave, and where its answer lives."""

    topic: str  # the answer that listed it
    name: str
    keywords: tuple[str, ...]  # matched anywhere (whole words, lower case, accents ignored)
    local: tuple[str, ...] = ()  # matched only while ``topic`` (or a subtopic) is the last topic
    kennis: str | None = None  # a knowledge topic that answers it; else utter_vervolg_onderdeel_<topic>_<name>

    @property
    def response(self) -> str:
        return f"utter_kennis/{self.kennis}" if self.kennis else f"utter_vervolg_onderdeel_{self.topic}_{self.name}"


def _e(topic: str, name: str, keywords: str, local: str = "", kennis: str | None = None) -> Element:
    split = lambda s: tuple(k.strip() for k in s.split(",") if k.strip())  # noqa: E731
    return Element(topic, name, split(keywords), split(local), kennis)


#: In the order the answers list them, so "het tweede punt" / "the second one" works too.
ELEMENTS: tuple[Element, ...] = (
    _e("piramide", "groen", "groen, green, voor iedereen, for everyone, structureel, structural"),
    _e("piramide", "geel", "geel, yellow, voor enkelen, for some"),
    _e("piramide", "rood", "rood, red, curatief, curative"),
    _e("werkdruk", "achterstand", "achterstandsscholen, achterstandsschool, achterstand, disadvantaged"),
    _e(
        "werkdruk",
        "functie",
        "ondersteunend personeel, ondersteunend, support staff, management, ondersteuners",
        local="docenten, leraren, teachers, directie",
    ),
    _e(
        "werkdruk",
        "sector",
        "po en vo, po of vo, primair en voortgezet, primary and secondary, tussen po, between primary",
        local="po, vo, primair, voortgezet, primary, secondary, sectoren, sectors, basisonderwijs",
    ),
    _e(
        "uitval",
        "omstandigheden",
        "persoonlijke omstandigheden, personal circumstances",
        local="persoonlijk, persoonlijke, personal, omstandigheden, circumstances",
    ),
    _e(
        "uitval",
        "beroep",
        "kenmerken van het beroep, features of the profession",
        local="beroep, profession, het vak, the job",
    ),
    _e(
        "uitval",
        "school",
        "kenmerken van de school, features of the school",
        local="de school, the school, school zelf",
    ),
    _e(
        "uitval",
        "relaties",
        "relaties binnen de school, relationships within the school",
        local="relaties, relaties binnen, relationships, relations",
    ),
    _e(
        "fundament",
        "visie",
        "visie, vision, uitdragen",
        kennis="fundament_visie",
    ),
    _e("fundament", "leiderschap", "leiderschap, leadership, sterk leiderschap", kennis="fundament_leiderschap"),
    _e("fundament", "onboarding", "onboarding, inwerken, induction", kennis="fundament_onboarding"),
    _e(
        "fundament",
        "maatje",
        "maatje, buddy, opleider in school, school-based trainer",
        kennis="fundament_maatje",
    ),
    _e(
        "fundament",
        "waarderingsgesprekken",
        "cyclisch, cyclische, cyclical, cyclic, waarderingsgesprekken, waarderingsgesprek, appraisal",
        kennis="fundament_waarderingsgesprekken",
    ),
    _e(
        "fundament",
        "professionalisering",
        "professionalisering, intervisie, peer consultation, professional development",
        local="opleidingen, training",
        kennis="fundament_professionalisering",
    ),
    _e("fundament", "techniek", "techniek, technology, ict", kennis="fundament_techniek"),
    _e(
        "fundament",
        "verbinding",
        "verbindende activiteiten, verbindende, connecting activities",
        kennis="fundament_verbinding",
    ),
    _e(
        "fundament",
        "efficacy",
        "self-efficacy, teamefficacy, team-efficacy, team efficacy, efficacy",
        kennis="fundament_efficacy",
    ),
    _e(
        "amplitie",
        "zelf",
        "jezelf, mezelf, yourself, myself",
        local="zelf, ikzelf, individu, individual, medewerker zelf",
        kennis="amplitie_zelf",
    ),
    _e(
        "amplitie",
        "team",
        "teams en groepen, teams and groups",
        local="teams, team, groepen, groups",
        kennis="amplitie_team",
    ),
    _e(
        "amplitie",
        "leiding",
        "leidinggevenden, leidinggevende, leaders, managers",
        local="leiding, leiders, leader, directie, schoolleiding",
        kennis="amplitie_leiding",
    ),
    _e(
        "amplitie",
        "organisatie",
        "de organisatie, the organisation, the organization",
        local="organisatie, organisation, organization, bestuur, board",
        kennis="amplitie_organisatie",
    ),
    _e("healthy_mind_platter", "sleep", "sleep time, slaap, slapen, slaaptijd, nachtrust, sleep"),
    _e("healthy_mind_platter", "physical", "physical time, bewegen, beweegtijd, beweging, sporten, physical"),
    _e("healthy_mind_platter", "focus", "focus time, focustijd, concentratietijd", local="focus"),
    _e(
        "healthy_mind_platter",
        "time_in",
        "time in, time-in, naar binnen kijken, reflecteren, reflectietijd, reflection",
    ),
    _e(
        "healthy_mind_platter",
        "down",
        "down time, downtime, niets hoeven, niks doen, niks te doen, niets doen, niets te doen, nietsdoen",
    ),
    _e("healthy_mind_platter", "play", "play time, playtime, spelen, speeltijd"),
    _e(
        "healthy_mind_platter",
        "connecting",
        "connecting time, verbindingstijd, contacttijd",
        local="connecting, verbinding, contact",
    ),
    _e(
        "programma",
        "sectoren",
        "speciaal onderwijs, gespecialiseerd onderwijs, special education, vocational",
        local="po, vo, go, mbo, sectoren, sectors, scholen, schools",
        kennis="programma_doelgroep",
    ),
    _e("programma", "gezonde_school", "gezonde school, nip, schoolpsychologen", kennis="gezonde_school"),
)

_ORDINALS = {
    "eerste": 0, "first": 0, "1e": 0, "tweede": 1, "second": 1, "2e": 1, "derde": 2, "third": 2, "3e": 2,
    "vierde": 3, "fourth": 3, "4e": 3, "vijfde": 4, "fifth": 4, "5e": 4, "zesde": 5, "sixth": 5,
    "zevende": 6, "seventh": 6, "achtste": 7, "eighth": 7, "negende": 8, "ninth": 8,
    "laatste": -1, "last": -1,
}  # fmt: skip
_ORDINAL = re.compile(r"(?<!\w)(" + "|".join(_ORDINALS) + r")(?!\w)")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text.replace("’", "'"))


def _matches(keyword: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(_normalise(keyword)) + r"(?!\w)", text) is not None


def elements_of(topic: str | None) -> list[Element]:
    """The listed elements of the topic's family, in answer order."""
    topics = family(topic) if topic else []
    return [e for t in topics for e in ELEMENTS if e.topic == t]


def find_element(text: str | None, topic: str | None, ordinals: bool = True) -> Element | None:
    """The element ``text`` points at: by keyword or ordinal, the last topic's elements first.

    "en rood?" after the pyramid -> piramide/rood; "wat bedoel je met cyclisch?" after any topic ->
    the cyclical appraisal conversations of the foundation; "het tweede punt" -> the second element
    of the last topic's list (not with ``ordinals=False``: only an element named by a keyword).
    None when nothing matches.
    """
    clean = _normalise(text or "")
    local = elements_of(topic)

    def best(candidates: list[Element], use_local: bool) -> Element | None:
        scored = [
            (len(k), -i, e)
            for i, e in enumerate(candidates)
            for k in (*e.keywords, *(e.local if use_local else ()))
            if _matches(k, clean)
        ]
        return max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None

    found = best(local, use_local=True)
    if found is None and local and ordinals:
        ordinal = _ORDINAL.search(clean)
        own = [e for e in local if e.topic == (topic if any(e.topic == topic for e in local) else local[0].topic)]
        if ordinal and own:
            index = _ORDINALS[ordinal.group(1)]
            if -len(own) <= index < len(own):
                found = own[index]
    return found or best(list(ELEMENTS), use_local=False)
