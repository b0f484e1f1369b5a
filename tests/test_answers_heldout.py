"""Check-in answers in people's own words, read by the parser as a careful human reads them.

Two files of answers, both written apart from the parser's vocabulary (issue 16, point 7):

- ``checkin_answers_heldout.yml``: the held-out set, written apart from the parser;
- ``checkin_answers_more.yml``: more answers, written from the question texts before the
  parser's vocabulary was extended.

Each holds, per dimension, ``{text, value}`` where value is 1-5, null (must be asked
again), "skip" or "stop". A wrong stored value is the worst outcome, so no answer may
be read as a score other than the one expected (or as a score where none was meant);
asking again when a human would have understood is only a miss. To see the agreement
per dimension and every answer not read as meant: ``python -m tests.test_answers_heldout``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.text.answers import Answer, Kind, parse_score
from bot.vocabulary import DIMENSIONS, SCORES

HERE = Path(__file__).resolve().parent
FILES = ("checkin_answers_heldout.yml", "checkin_answers_more.yml")
#: Exact agreement required, overall and for each question.
MIN_AGREEMENT = 0.90
MEANINGS = {*SCORES, None, "skip", "stop"}

Reading = int | str | None


def load(name: str) -> dict[str, list[dict]]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def reading(answer: Answer) -> Reading:
    """What the bot does with an answer: a score, "skip", "stop", or None (asks again)."""
    return {Kind.SCORE: answer.value, Kind.SKIP: "skip", Kind.STOP: "stop", Kind.UNCLEAR: None}[answer.kind]


def results(name: str) -> list[tuple[str, str, Reading, Reading]]:
    """(dimension, text, expected, read) for every answer in the file."""
    return [
        (dimension, item["text"], item["value"], reading(parse_score(item["text"], dimension)))
        for dimension, items in load(name).items()
        for item in items
    ]


def agreement(name: str) -> dict[str, tuple[int, int]]:
    """Per dimension and "total": (answers read exactly as meant, answers)."""
    right, total = Counter(), Counter()
    for dimension, _, expected, read in results(name):
        for key in (dimension, "total"):
            total[key] += 1
            right[key] += read == expected
    return {key: (right[key], total[key]) for key in [*DIMENSIONS, "total"]}


@pytest.mark.parametrize("name", FILES)
def test_files_are_well_formed(name):
    data = load(name)
    assert set(data) == set(DIMENSIONS)
    for dimension, items in data.items():
        assert all(set(item) == {"text", "value"} for item in items), dimension
        assert all(item["value"] in MEANINGS for item in items), dimension
        texts = [item["text"] for item in items]
        assert len(texts) == len(set(texts)), f"{dimension}: an answer is listed twice"


def test_at_least_100_more_answers_per_question():
    assert all(len(items) >= 100 for items in load("checkin_answers_more.yml").values())


@pytest.mark.parametrize("name", FILES)
def test_no_answer_is_stored_as_a_value_the_person_did_not_give(name):
    wrong = [
        f"{dimension}: {text!r} read as {read}, meant {expected}"
        for dimension, text, expected, read in results(name)
        if isinstance(read, int) and read != expected
    ]
    assert wrong == []


@pytest.mark.parametrize("name", FILES)
def test_skip_and_stop_are_never_missed_for_a_score(name):
    # Skipping or stopping where a score was meant loses an answer; it must not happen either.
    lost = [
        f"{dimension}: {text!r} read as {read}, meant {expected}"
        for dimension, text, expected, read in results(name)
        if read in {"skip", "stop"} and read != expected
    ]
    assert lost == []


@pytest.mark.parametrize("name", FILES)
def test_at_least_90_percent_read_exactly_as_meant_overall_and_per_question(name):
    scores = agreement(name)
    report = ", ".join(f"{key} {right}/{total} = {right / total:.1%}" for key, (right, total) in scores.items())
    assert all(right / total >= MIN_AGREEMENT for right, total in scores.values()), report


if __name__ == "__main__":
    for name in FILES:
        print(name)
        for key, (right, total) in agreement(name).items():
            print(f"  {key:11} {right:4}/{total:<4} {right / total:6.1%}")
        for dimension, text, expected, read in results(name):
            if read != expected:
                kind = "WRONG" if isinstance(read, int) else "miss "
                print(f"    {kind} {dimension:10} meant {expected!s:5} read {read!s:5} {text!r}")
